// What checkout calls to pay for an order: one payment for the whole order, split per seller sub-order, paid from
// the wallet, a card, or both. The buyer is charged in their currency; each seller earns their own prices in their
// own currency, less the platform's commission per category, frozen on the split at sale time.
import { type FieldError, MAX_PAYMENT_MINOR, type PaymentProviderName, type PaymentView, SUPPORTED_CURRENCIES, ValidationError } from "@bazaar/contracts";
import { type Statement, schema } from "@bazaar/db";
import { ledgerDeps, newPaymentRow, type PaymentsCtx, type Providers, type RiskContext, startPayment } from "../charges/service.ts";
import { ensureAccounts, transactionStatements } from "../ledger/service.ts";
import { commissionOf, commissionRatesFor } from "../settlement/service.ts";
import { accountOf, type SplitRow, walletHold } from "./postings.ts";

/** A marketplace order is at most this many sellers' sub-orders (a bound for the batch that records them). */
export const MAX_SUB_ORDERS = 50;
const MAX_LINES = 200;

export interface OrderPaymentLine {
  /** the product's category: its commission rate applies */
  categoryId: string;
  /** the line's total at the seller's prices, minor units of the sub-order's settlement currency */
  settlementMinor: number;
}

export interface SubOrderPayment {
  subOrderId: string;
  sellerId: string;
  /** what the buyer pays for this sub-order, minor units of the order's currency (checkout converted it, and stores the rate) */
  chargeMinor: number;
  /** the seller's currency: they are paid in it */
  settlementCurrency: string;
  lines: OrderPaymentLine[];
  /** shipping the seller charges, in the settlement currency; no commission is taken on it */
  shippingMinor?: number;
}

export interface OrderPaymentInput {
  orderId: string;
  buyerId: string;
  /** the buyer's currency, as the server decided it from the cart and region (never a client's say-so) */
  currency: string;
  /** paid from the buyer's wallet in `currency`; the rest through the gateway */
  walletMinor: number;
  /** for the part the wallet does not pay; the platform's default gateway when absent */
  provider?: PaymentProviderName;
  paymentMethod?: string;
  /** authorise now and capture later (capturePayment), e.g. at shipment */
  captureLater?: boolean;
  /** checkout's Idempotency-Key: a retried checkout gets the first payment */
  idempotencyKey: string;
  subOrders: SubOrderPayment[];
  risk?: RiskContext;
  payerEmail?: string;
}

/**
 * Pays for an order. The payment and its splits are recorded with the wallet part set aside in one batch (an
 * overdraft is a 409 and nothing is written), the fraud check decides, then the card part is charged. On capture
 * the money goes to the sellers' pending balances and the platform's commission; on failure the wallet part comes
 * back. The returned status tells checkout what to do: captured (confirm the order), authorized (held for review,
 * or captureLater), requires_action (send the buyer to nextAction.url), processing (wait for the webhook), failed.
 */
export async function payOrder(ctx: PaymentsCtx, providers: Providers, input: OrderPaymentInput): Promise<PaymentView> {
  const amountMinor = checkOrderPayment(input);
  const now = ctx.clock();
  const payment = {
    ...newPaymentRow(ctx, now),
    buyerId: input.buyerId,
    purpose: "order",
    reference: input.orderId,
    amountMinor,
    currency: input.currency,
    walletMinor: input.walletMinor,
    provider: input.walletMinor === amountMinor ? "wallet" : (input.provider ?? providers.defaultProvider),
    captureMode: input.captureLater ? "manual" : "automatic",
    idempotencyKey: input.idempotencyKey,
  };
  const rates = await commissionRatesFor(
    ctx.database.db,
    input.subOrders.flatMap((s) => s.lines.map((l) => l.categoryId)),
    providers.policy.defaultCommissionBps,
  );
  const splits: SplitRow[] = input.subOrders.map((sub) => ({
    id: ctx.ids("paymentSplit"),
    paymentId: payment.id,
    subOrderId: sub.subOrderId,
    sellerId: sub.sellerId,
    chargeMinor: sub.chargeMinor,
    settlementCurrency: sub.settlementCurrency,
    settlementMinor: settlementOf(sub),
    // rounded per line, once, at the line's own rate
    commissionMinor: sub.lines.reduce(
      (sum, line) => sum + commissionOf(line.settlementMinor, rates.get(line.categoryId) ?? providers.policy.defaultCommissionBps),
      0,
    ),
    refundedMinor: 0,
    refundedSettlementMinor: 0,
    refundedCommissionMinor: 0,
    createdAt: now,
  }));
  const recordWith: Statement[] = splits.map((split) => ctx.database.db.insert(schema.paymentSplit).values(split));
  if (payment.walletMinor > 0) {
    const hold = walletHold(payment);
    const accounts = await ensureAccounts(ledgerDeps(ctx), [
      accountOf("buyer_wallet", payment.buyerId, payment.currency),
      ...hold.postings.map((p) => p.account),
    ]);
    recordWith.push(...transactionStatements(ledgerDeps(ctx), accounts, hold));
  }
  return startPayment(ctx, providers, {
    payment,
    recordWith,
    paymentMethod: input.paymentMethod,
    captureLater: input.captureLater ?? false,
    risk: input.risk ?? {},
    description: `Bazaar order ${input.orderId}`,
    ...(input.payerEmail ? { payer: { email: input.payerEmail } } : {}),
    sameRequest: (earlier) =>
      earlier.purpose === "order" &&
      earlier.reference === input.orderId &&
      earlier.amountMinor === amountMinor &&
      earlier.currency === input.currency &&
      earlier.walletMinor === input.walletMinor,
  });
}

const settlementOf = (sub: SubOrderPayment) => sub.lines.reduce((sum, line) => sum + line.settlementMinor, 0) + (sub.shippingMinor ?? 0);

const SUPPORTED = new Set<string>(SUPPORTED_CURRENCIES);
const isAmount = (n: unknown, min = 1): n is number => Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= MAX_PAYMENT_MINOR;

/** Every problem with the input at once, each naming its field; returns the order's total. */
export function checkOrderPayment(input: OrderPaymentInput): number {
  const errors: FieldError[] = [];
  const add = (path: string, message: string) => errors.push({ path, message });
  if (!input.orderId) add("/orderId", "is required");
  if (!input.buyerId) add("/buyerId", "is required");
  if (!input.idempotencyKey) add("/idempotencyKey", "is required: an order must never be paid twice");
  if (!SUPPORTED.has(input.currency)) add("/currency", `must be one of ${SUPPORTED_CURRENCIES.join(", ")}`);
  if (input.subOrders.length === 0 || input.subOrders.length > MAX_SUB_ORDERS) add("/subOrders", `must have 1 to ${MAX_SUB_ORDERS} sub-orders`);
  const seen = new Set<string>();
  let total = 0;
  input.subOrders.forEach((sub, i) => {
    const at = `/subOrders/${i}`;
    if (!sub.subOrderId) add(`${at}/subOrderId`, "is required");
    else if (seen.has(sub.subOrderId)) add(`${at}/subOrderId`, "appears twice");
    seen.add(sub.subOrderId);
    if (!sub.sellerId) add(`${at}/sellerId`, "is required");
    if (!isAmount(sub.chargeMinor)) add(`${at}/chargeMinor`, "must be a positive whole number of minor units");
    else total += sub.chargeMinor;
    if (!SUPPORTED.has(sub.settlementCurrency)) add(`${at}/settlementCurrency`, `must be one of ${SUPPORTED_CURRENCIES.join(", ")}`);
    if (sub.shippingMinor !== undefined && !isAmount(sub.shippingMinor, 0)) add(`${at}/shippingMinor`, "must be a whole number of minor units, 0 or more");
    if (sub.lines.length === 0 || sub.lines.length > MAX_LINES) add(`${at}/lines`, `must have 1 to ${MAX_LINES} lines`);
    sub.lines.forEach((line, j) => {
      if (!line.categoryId) add(`${at}/lines/${j}/categoryId`, "is required");
      if (!isAmount(line.settlementMinor)) add(`${at}/lines/${j}/settlementMinor`, "must be a positive whole number of minor units");
    });
    // in one currency there is nothing to convert: the buyer pays exactly what the seller earns
    if (sub.settlementCurrency === input.currency && isAmount(sub.chargeMinor) && settlementOf(sub) !== sub.chargeMinor) {
      add(`${at}/chargeMinor`, `must equal the lines and shipping (${settlementOf(sub)}) when buyer and seller share a currency`);
    }
  });
  if (total > MAX_PAYMENT_MINOR) add("/subOrders", "the order's total is more than one payment may carry");
  if (!Number.isSafeInteger(input.walletMinor) || input.walletMinor < 0 || input.walletMinor > total) {
    add("/walletMinor", "must be a whole number from 0 to the order's total");
  } else if (input.walletMinor < total && !input.paymentMethod) {
    add("/paymentMethod", "is required for the part the wallet does not pay");
  }
  if (errors.length) throw new ValidationError(errors);
  return total;
}
