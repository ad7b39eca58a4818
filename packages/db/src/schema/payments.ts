// Owned by the payments service (core/payments): the double-entry ledger behind wallets and seller balances,
// payments and refunds, inbound provider events, FX rates and fraud assessments (commission rates are the catalog's, on `category`).
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A ledger account: one per (kind, owner, currency). Its balance is the sum of its entries; `balance_minor` is
 * that sum kept beside it (written in the same batch as every entry) so the CHECK can refuse an overdraft of a
 * wallet or seller balance whatever the code forgot. The reconciliation job proves the two agree.
 *
 * Kinds: buyer_wallet, seller_pending, seller_available (owner: the user); platform_commission, refunds (owner:
 * "platform"); provider_clearing (owner: the provider, e.g. "sandbox", "stripe"): money on its way in from or out
 * to a payment provider, so it goes negative as buyers pay in.
 */
export const ledgerAccount = sqliteTable(
  "ledger_account",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    ownerId: text("owner_id").notNull(),
    currency: text("currency").notNull(),
    balanceMinor: integer("balance_minor").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("ledger_account_owner_idx").on(t.ownerId, t.kind, t.currency),
    check("ledger_account_no_overdraft", sql`${t.kind} NOT IN ('buyer_wallet', 'seller_pending', 'seller_available') OR ${t.balanceMinor} >= 0`),
  ],
);

/** One balanced movement of money: its entries sum to zero. `idempotency_key` makes a retried posting a no-op. */
export const ledgerTransaction = sqliteTable(
  "ledger_transaction",
  {
    id: text("id").primaryKey(),
    /** top_up | payment | capture | refund | release | commission | adjustment */
    kind: text("kind").notNull(),
    /** what it is about: a payment id, a refund id, a hold id */
    reference: text("reference"),
    idempotencyKey: text("idempotency_key").unique(),
    description: text("description").notNull().default(""),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("ledger_transaction_reference_idx").on(t.reference)],
);

/** One side of a transaction: `amount_minor` is added to the account's balance (never zero). */
export const ledgerEntry = sqliteTable(
  "ledger_entry",
  {
    id: text("id").primaryKey(),
    transactionId: text("transaction_id")
      .notNull()
      .references(() => ledgerTransaction.id),
    accountId: text("account_id")
      .notNull()
      .references(() => ledgerAccount.id),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("ledger_entry_account_idx").on(t.accountId, t.createdAt, t.id),
    index("ledger_entry_transaction_idx").on(t.transactionId),
    check("ledger_entry_nonzero", sql`${t.amountMinor} <> 0`),
  ],
);

/**
 * A payment a buyer makes: a wallet top-up or (later) an order. Amounts in minor units of `currency`.
 * status: requires_action | processing | authorized | captured | failed | canceled.
 */
export const payment = sqliteTable(
  "payment",
  {
    id: text("id").primaryKey(),
    buyerId: text("buyer_id").notNull(),
    /** top_up | order */
    purpose: text("purpose").notNull(),
    /** the order (or other object) it pays for, when there is one */
    reference: text("reference"),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    /** the part paid from the buyer's wallet (split payments); the rest through `provider` */
    walletMinor: integer("wallet_minor").notNull().default(0),
    /** sandbox | stripe | razorpay | paypal | wallet */
    provider: text("provider").notNull(),
    /** the provider's id for it (a PaymentIntent id…) */
    providerRef: text("provider_ref"),
    /** automatic | manual */
    captureMode: text("capture_mode").notNull().default("automatic"),
    status: text("status").notNull(),
    capturedMinor: integer("captured_minor").notNull().default(0),
    refundedMinor: integer("refunded_minor").notNull().default(0),
    failureReason: text("failure_reason"),
    /** when status is requires_action: where the buyer completes the extra step */
    nextActionUrl: text("next_action_url"),
    /** when the newest provider news applied to it happened (epoch ms): older news, arriving late, changes nothing */
    providerUpdatedAt: integer("provider_updated_at"),
    /** the buyer's Idempotency-Key: a replay returns this payment */
    idempotencyKey: text("idempotency_key"),
    /**
     * our calls about it that the gateway failed (capture, cancel, giving back a late charge): the next call is a
     * new attempt under a new idempotency key, because gateways replay the first answer to a key, errors included
     */
    gatewayFailures: integer("gateway_failures").notNull().default(0),
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("payment_idempotency_idx").on(t.buyerId, t.idempotencyKey),
    uniqueIndex("payment_provider_ref_idx").on(t.provider, t.providerRef),
    index("payment_buyer_idx").on(t.buyerId, t.createdAt),
    // the follow-up job's scan of payments still open (held for review, waiting for a capture or a buyer's step)
    index("payment_open_idx").on(t.createdAt).where(sql`status IN ('authorized', 'requires_action', 'processing')`),
    check("payment_amount_positive", sql`${t.amountMinor} > 0`),
    check("payment_wallet_range", sql`${t.walletMinor} >= 0 AND ${t.walletMinor} <= ${t.amountMinor}`),
    check("payment_captured_range", sql`${t.capturedMinor} >= 0 AND ${t.capturedMinor} <= ${t.amountMinor}`),
    check("payment_refunded_range", sql`${t.refundedMinor} >= 0 AND ${t.refundedMinor} <= ${t.capturedMinor}`),
  ],
);

/** A refund of (part of) a captured payment, to the wallet or the original method. status: pending | succeeded | failed. */
export const refund = sqliteTable(
  "refund",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id")
      .notNull()
      .references(() => payment.id),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    /** wallet | original */
    destination: text("destination").notNull(),
    status: text("status").notNull(),
    reason: text("reason").notNull().default(""),
    /** the part of the order it belongs to (a seller's sub-order), when there is one */
    reference: text("reference"),
    /** the part credited to the buyer's wallet (all of it for destination wallet); the rest goes back to the card */
    walletMinor: integer("wallet_minor").notNull().default(0),
    /** why the gateway refused the card part (that part was then credited to the wallet, or back for a top-up) */
    failureReason: text("failure_reason"),
    providerRef: text("provider_ref"),
    /**
     * how often the card part went to the gateway again under a new idempotency key (`<id>:<n>`), each time after the
     * gateway was found to hold no refund for it (gateways replay an error to its key)
     */
    gatewayFailures: integer("gateway_failures").notNull().default(0),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("refund_payment_idx").on(t.paymentId), check("refund_amount_positive", sql`${t.amountMinor} > 0`)],
);

/** An inbound provider webhook event, kept once per (provider, event id): a redelivery is recognised and skipped. */
export const providerEvent = sqliteTable(
  "provider_event",
  {
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    type: text("type").notNull(),
    /** the provider's id of the object it is about (a PaymentIntent id…) */
    objectRef: text("object_ref"),
    /** when the provider says it happened (epoch ms): older news never overrides newer */
    occurredAt: integer("occurred_at").notNull(),
    receivedAt: integer("received_at").notNull(),
    payload: text("payload").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.eventId] }), index("provider_event_object_idx").on(t.provider, t.objectRef)],
);

/**
 * How many units of `quote` one unit of `base` buys, in parts per billion (1.0842 → 1_084_200_000): an integer,
 * so conversions are exact integer arithmetic with one rounding.
 */
export const fxRate = sqliteTable(
  "fx_rate",
  {
    base: text("base").notNull(),
    quote: text("quote").notNull(),
    ratePpb: integer("rate_ppb").notNull(),
    /** seed | provider name */
    source: text("source").notNull(),
    asOf: integer("as_of").notNull(),
  },
  (t) => [primaryKey({ columns: [t.base, t.quote] }), check("fx_rate_positive", sql`${t.ratePpb} > 0`)],
);

/**
 * One seller's part of an order payment (a sub-order): what the buyer pays for it, in the payment's currency, and
 * what the seller earns, in the seller's own currency, with the platform's commission frozen at sale time (a rate
 * changed later never changes past money). Refunds of the part are counted on it in both currencies.
 */
export const paymentSplit = sqliteTable(
  "payment_split",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id")
      .notNull()
      .references(() => payment.id),
    subOrderId: text("sub_order_id").notNull(),
    sellerId: text("seller_id").notNull(),
    /** minor units of the payment's currency */
    chargeMinor: integer("charge_minor").notNull(),
    settlementCurrency: text("settlement_currency").notNull(),
    /** the seller's gross proceeds (their prices and shipping), minor units of settlement_currency */
    settlementMinor: integer("settlement_minor").notNull(),
    /** the platform's share of settlement_minor, summed per line at each line's category rate */
    commissionMinor: integer("commission_minor").notNull(),
    refundedMinor: integer("refunded_minor").notNull().default(0),
    refundedSettlementMinor: integer("refunded_settlement_minor").notNull().default(0),
    refundedCommissionMinor: integer("refunded_commission_minor").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("payment_split_sub_order_idx").on(t.paymentId, t.subOrderId),
    index("payment_split_seller_idx").on(t.sellerId, t.createdAt),
    check(
      "payment_split_amounts",
      sql`${t.chargeMinor} > 0 AND ${t.settlementMinor} > 0 AND ${t.commissionMinor} >= 0 AND ${t.commissionMinor} <= ${t.settlementMinor}`,
    ),
    check(
      "payment_split_refunded_range",
      sql`${t.refundedMinor} >= 0 AND ${t.refundedMinor} <= ${t.chargeMinor} AND ${t.refundedSettlementMinor} >= 0 AND ${t.refundedSettlementMinor} <= ${t.settlementMinor} AND ${t.refundedCommissionMinor} >= 0 AND ${t.refundedCommissionMinor} <= ${t.commissionMinor}`,
    ),
  ],
);

/**
 * A seller's sale proceeds waiting for the return window to close: released from seller_pending to
 * seller_available by the release job at `available_at`.
 */
export const settlementHold = sqliteTable(
  "settlement_hold",
  {
    id: text("id").primaryKey(),
    sellerId: text("seller_id").notNull(),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    /** the sale it is for (an order or sub-order id) */
    reference: text("reference").notNull(),
    /** taken back by refunds before the release: the release moves amount − reversed */
    reversedMinor: integer("reversed_minor").notNull().default(0),
    availableAt: integer("available_at").notNull(),
    releasedAt: integer("released_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("settlement_hold_due_idx").on(t.availableAt).where(sql`released_at IS NULL`),
    index("settlement_hold_reference_idx").on(t.reference),
    check("settlement_hold_amount_positive", sql`${t.amountMinor} > 0`),
  ],
);

/**
 * The fraud check of one payment: a score (0–1000), the decision and its reasons. A `review` decision waits in
 * the admin queue (review_status pending) until staff approve or reject it.
 */
export const fraudAssessment = sqliteTable(
  "fraud_assessment",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id").notNull().unique(),
    userId: text("user_id").notNull(),
    score: integer("score").notNull(),
    /** allow | review | block */
    decision: text("decision").notNull(),
    /** JSON array of { code, message } */
    reasons: text("reasons").notNull(),
    /** JSON object: the features the rules and the model saw */
    features: text("features").notNull(),
    modelVersion: text("model_version").notNull(),
    /** pending | approved | rejected; null when no review was needed */
    reviewStatus: text("review_status"),
    reviewedBy: text("reviewed_by"),
    reviewedAt: integer("reviewed_at"),
    reviewNote: text("review_note"),
    /** what a velocity rule counts: the card fingerprint and address it came from */
    cardFingerprint: text("card_fingerprint"),
    ipAddress: text("ip_address"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("fraud_assessment_review_idx").on(t.reviewStatus, t.createdAt),
    index("fraud_assessment_user_idx").on(t.userId, t.createdAt),
    index("fraud_assessment_card_idx").on(t.cardFingerprint, t.createdAt),
    index("fraud_assessment_ip_idx").on(t.ipAddress, t.createdAt),
  ],
);
