// The payments scenarios: what checkout will call (payOrder, capturePayment), called in the bench's own process on a
// fresh libSQL file, with the sandbox gateway delivering its signed webhooks over HTTP to the same process. They have
// no route of their own to load (orders will call them), so they are measured as operations, not requests.
import type { Person } from "../core/catalog/products/test-fixtures.ts";
import { capturePayment, ledgerDeps } from "../core/payments/charges/service.ts";
import { post } from "../core/payments/ledger/service.ts";
import { accountOf } from "../core/payments/order-payments/postings.ts";
import { type OrderPaymentInput, payOrder } from "../core/payments/order-payments/service.ts";
import { SANDBOX_CARDS } from "../core/payments/providers/sandbox.ts";
import { createPaymentsHarness } from "../core/payments/testing/payments-harness.ts";
import type { Operation } from "./measure.ts";

/**
 * Buyers taken in turn, and the clock moved a day on each time the turn comes round: every buyer pays once a
 * simulated day, so the fraud check's velocity rules (which a real crowd of buyers does not trip) stay quiet and
 * the bench measures payments, not the review queue.
 */
const BUYERS = 200;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const SIGN_UPS_PER_HOUR = 18;
/** Enough in each wallet for every payment a long run makes. */
const WALLET_FUNDS_MINOR = 1_000_000_000;

export type PaymentKind = "wallet" | "card";

/**
 * An order of two sellers' sub-orders (EUR, 80.00 + 45.00 with shipping), paid from the wallet, or by sandbox card
 * authorised at checkout and captured straight after (as at shipment): two gateway calls and two webhooks.
 */
export async function preparePayments(kind: PaymentKind): Promise<Operation> {
  const p = await createPaymentsHarness();
  const sellers = [await p.person("seller"), await p.person("seller")] as const;
  const buyers: Person[] = [];
  for (let n = 0; n < BUYERS; n++) {
    // sign-ups are limited per address per hour, and every bench buyer signs up from 127.0.0.1
    if (n % SIGN_UPS_PER_HOUR === 0) p.h.clock.advance(HOUR_MS + 1);
    buyers.push(await p.person());
  }
  if (kind === "wallet") {
    for (const buyer of buyers) {
      await post(ledgerDeps(p.ctx), {
        kind: "top_up",
        reference: null,
        idempotencyKey: `bench-funds:${buyer.userId}`,
        description: "Bench funds",
        postings: [
          { account: accountOf("provider_clearing", "sandbox", "EUR"), amountMinor: -WALLET_FUNDS_MINOR },
          { account: accountOf("buyer_wallet", buyer.userId, "EUR"), amountMinor: WALLET_FUNDS_MINOR },
        ],
      });
    }
  }

  let orders = 0;
  const orderOf = (buyer: Person): OrderPaymentInput => {
    const n = ++orders;
    return {
      orderId: `ord_bench_${n}`,
      buyerId: buyer.userId,
      currency: "EUR",
      walletMinor: kind === "wallet" ? 12_500 : 0,
      ...(kind === "card" ? { paymentMethod: SANDBOX_CARDS.success, captureLater: true } : {}),
      idempotencyKey: `bench-checkout-${n}`,
      subOrders: sellers.map((seller, s) => ({
        subOrderId: `sub_bench_${n}_${s}`,
        sellerId: seller.userId,
        chargeMinor: s === 0 ? 8_000 : 4_500,
        settlementCurrency: "EUR",
        lines: [{ categoryId: "cat_bench", settlementMinor: s === 0 ? 8_000 : 4_000 }],
        ...(s === 1 ? { shippingMinor: 500 } : {}),
      })),
    };
  };

  return {
    async run() {
      const turn = orders % BUYERS;
      if (turn === BUYERS - 1) p.h.clock.advance(DAY_MS);
      const buyer = buyers[turn] as Person;
      const payment = await payOrder(p.ctx, p.providers, orderOf(buyer));
      if (kind === "wallet") return payment.status === "captured" ? undefined : payment.status;
      if (payment.status !== "authorized") return payment.status;
      const captured = await capturePayment(p.ctx, p.providers, payment.id);
      return captured.status === "captured" ? undefined : `capture ${captured.status}`;
    },
    async stop() {
      await p.settle();
      const mismatches = await p.reconcile();
      if (mismatches.length) console.warn(`bench: the ${kind} payments left the ledger unbalanced:`, mismatches.slice(0, 5));
      const platform = await p.platform("platform_commission", "EUR");
      if (platform <= 0 && orders > 0) console.warn(`bench: the ${kind} payments earned no commission: were they captured?`);
      await p.destroy();
    },
  };
}
