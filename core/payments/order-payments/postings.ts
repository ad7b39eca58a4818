// The ledger transactions of an order payment, as pure functions of its rows: the wallet part set aside, the sale
// split among sellers and the platform at capture, and the wallet part given back when the payment fails. Each
// has an idempotency key derived from the payment id alone, so applying the same news twice posts once.
import type { schema } from "@bazaar/db";
import { type AccountKey, type AccountKind, type NewTransaction, netPostings, PLATFORM, type Posting } from "../ledger/service.ts";

type PaymentRow = typeof schema.payment.$inferSelect;
export type SplitRow = typeof schema.paymentSplit.$inferSelect;

export const accountOf = (kind: AccountKind, ownerId: string, currency: string): AccountKey => ({ kind, ownerId, currency });

/** The card (or other gateway method) part of a payment: what the gateway is asked for. */
export const cardPartOf = (payment: Pick<PaymentRow, "amountMinor" | "walletMinor">) => payment.amountMinor - payment.walletMinor;

/** The seller's share of a split once the platform's commission is taken: what waits in seller_pending. */
export const sellerNetOf = (split: Pick<SplitRow, "settlementMinor" | "commissionMinor">) => split.settlementMinor - split.commissionMinor;

/** The wallet part of an order payment, set aside the moment the payment is recorded (the CHECK refuses an overdraft). */
export function walletHold(payment: PaymentRow): NewTransaction {
  return {
    kind: "payment",
    reference: payment.id,
    idempotencyKey: `wallet-hold:${payment.id}`,
    description: "Order payment from the wallet",
    postings: [
      { account: accountOf("buyer_wallet", payment.buyerId, payment.currency), amountMinor: -payment.walletMinor },
      { account: accountOf("payment_holding", PLATFORM, payment.currency), amountMinor: payment.walletMinor },
    ],
  };
}

/** The wallet part back to the wallet: the payment failed or was cancelled before capture. */
export function walletHoldRelease(payment: PaymentRow): NewTransaction {
  return {
    kind: "payment",
    reference: payment.id,
    idempotencyKey: `wallet-release:${payment.id}`,
    description: "Order payment did not go through: returned to the wallet",
    postings: [
      { account: accountOf("payment_holding", PLATFORM, payment.currency), amountMinor: -payment.walletMinor },
      { account: accountOf("buyer_wallet", payment.buyerId, payment.currency), amountMinor: payment.walletMinor },
    ],
  };
}

/**
 * The captured sale: the card part out of the gateway's clearing account and the wallet part out of holding, into
 * each seller's pending balance in the seller's currency and the platform's commission. Where the buyer paid in
 * another currency, fx_conversion takes the buyer's amount and gives the seller's, so each currency balances.
 */
export function saleCapture(payment: PaymentRow, splits: readonly SplitRow[]): NewTransaction {
  const buyerSide: Posting[] = [
    { account: accountOf("provider_clearing", payment.provider, payment.currency), amountMinor: -cardPartOf(payment) },
    { account: accountOf("payment_holding", PLATFORM, payment.currency), amountMinor: -payment.walletMinor },
  ];
  const sellerSide = splits.flatMap((split): Posting[] => [
    { account: accountOf("fx_conversion", PLATFORM, payment.currency), amountMinor: split.chargeMinor },
    { account: accountOf("fx_conversion", PLATFORM, split.settlementCurrency), amountMinor: -split.settlementMinor },
    { account: accountOf("seller_pending", split.sellerId, split.settlementCurrency), amountMinor: sellerNetOf(split) },
    { account: accountOf("platform_commission", PLATFORM, split.settlementCurrency), amountMinor: split.commissionMinor },
  ]);
  return {
    kind: "capture",
    reference: payment.id,
    idempotencyKey: `capture:${payment.id}`,
    description: "Order payment captured",
    postings: netPostings([...buyerSide, ...sellerSide]),
  };
}
