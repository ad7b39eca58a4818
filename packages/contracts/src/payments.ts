import { type Static, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { SUPPORTED_CURRENCIES } from "./money.ts";

const PAYMENT_ID = "pay_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const TIMESTAMP = Type.String({ format: "date-time", examples: ["2026-11-25T10:00:00.000Z"] });

export const PaymentCurrency = Type.Unsafe<(typeof SUPPORTED_CURRENCIES)[number]>(
  Type.Union(
    SUPPORTED_CURRENCIES.map((c) => Type.Literal(c)),
    { error: `must be one of the supported currencies: ${SUPPORTED_CURRENCIES.join(", ")}`, description: "ISO 4217 code", examples: ["EUR"] },
  ),
);

/** The largest amount one payment may carry, in minor units: far above any real basket, far below 2^53. */
export const MAX_PAYMENT_MINOR = 100_000_000_000;

export const PAYMENT_PROVIDERS = ["sandbox", "stripe", "razorpay", "paypal"] as const;
export type PaymentProviderName = (typeof PAYMENT_PROVIDERS)[number];

export const PAYMENT_STATUSES = ["requires_action", "processing", "authorized", "captured", "failed", "canceled"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const RISK_DECISIONS = ["allow", "review", "block"] as const;
export type RiskDecision = (typeof RISK_DECISIONS)[number];

// ---- wallet ----

export const WalletBalance = Type.Object({
  currency: Type.String({ examples: ["EUR"] }),
  amount: Type.Integer({ description: "minor units", examples: [2500] }),
});
export type WalletBalance = Static<typeof WalletBalance>;

export const WalletEntry = Type.Object({
  id: Type.String({ examples: ["len_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] }),
  transactionId: Type.String({ examples: ["ltx_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] }),
  /** top_up, payment, refund… */
  kind: Type.String({ examples: ["top_up"] }),
  amount: Type.Integer({ description: "minor units: positive into the wallet, negative out of it", examples: [2500] }),
  currency: Type.String({ examples: ["EUR"] }),
  description: Type.String({ examples: ["Top-up"] }),
  reference: Type.Union([Type.String(), Type.Null()], { description: "the payment or refund it belongs to", examples: [PAYMENT_ID] }),
  createdAt: TIMESTAMP,
});
export type WalletEntry = Static<typeof WalletEntry>;

export const WalletView = Type.Object(
  {
    balances: Type.Array(WalletBalance, { description: "one per currency the wallet has ever held" }),
    entries: Type.Array(WalletEntry, { description: "newest first" }),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: "pass as `cursor` for older entries; null on the last page" }),
  },
  {
    $id: "WalletView",
    example: {
      balances: [{ currency: "EUR", amount: 2500 }],
      entries: [
        {
          id: "len_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
          transactionId: "ltx_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
          kind: "top_up",
          amount: 2500,
          currency: "EUR",
          description: "Wallet top-up",
          reference: PAYMENT_ID,
          createdAt: "2026-11-25T10:00:00.000Z",
        },
      ],
      nextCursor: null,
    },
  },
);
export type WalletView = Static<typeof WalletView>;

export const WalletQuery = Type.Object(
  {
    currency: Type.Optional(PaymentCurrency),
    limit: Type.Optional(Type.String({ pattern: "^[0-9]{1,3}$", description: "entries per page, 1–100 (default 20)", examples: ["20"] })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type WalletQuery = Static<typeof WalletQuery>;

// ---- payments ----

export const TopUpBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: MAX_PAYMENT_MINOR, description: "minor units of `currency`", examples: [2500] }),
    currency: PaymentCurrency,
    provider: Type.Optional(
      Type.Union(
        PAYMENT_PROVIDERS.map((p) => Type.Literal(p)),
        { description: "default: the platform's default provider" },
      ),
    ),
    paymentMethod: Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        "The provider's payment method: a Stripe `pm_…` id, or for the sandbox a test card number (4242424242424242 succeeds, 4000000000000002 is declined, 4000002500003155 needs authentication, 4000000000000341 fails after a moment, 4000000760000002 is issued in Brazil, 4000000000005126 pays but its refunds fail, 4000000000000077 pays but the answer is lost so the payment fails and the charge is refunded when the gateway's webhook tells, 4000000000000119 fails its first capture, 4000000000000259 pays but the answer to its first refund is lost so the refund stays pending until the follow-up finds it at the gateway, 4000000000000267 fails its first refund without making one)",
      examples: ["4242424242424242"],
    }),
  },
  { additionalProperties: false, $id: "TopUpBody", example: { amount: 2500, currency: "EUR", paymentMethod: "4242424242424242" } },
);
export type TopUpBody = Static<typeof TopUpBody>;

export const PaymentView = Type.Object(
  {
    id: Type.String({ examples: [PAYMENT_ID] }),
    purpose: Type.String({ description: "top_up or order", examples: ["top_up"] }),
    reference: Type.Union([Type.String(), Type.Null()], { description: "the order it pays for; null for a top-up", examples: [null] }),
    status: Type.Unsafe<PaymentStatus>(Type.Union(PAYMENT_STATUSES.map((s) => Type.Literal(s)))),
    amount: Type.Integer({ examples: [2500] }),
    currency: Type.String({ examples: ["EUR"] }),
    walletAmount: Type.Integer({ description: "the part paid from the wallet", examples: [0] }),
    provider: Type.String({ examples: ["sandbox"] }),
    captured: Type.Integer({ examples: [2500] }),
    refunded: Type.Integer({ examples: [0] }),
    nextAction: Type.Union([Type.Object({ type: Type.Literal("authenticate"), url: Type.String() }), Type.Null()], {
      description: "when status is requires_action: where the buyer completes the extra authentication step",
    }),
    failureReason: Type.Union([Type.String(), Type.Null()]),
    risk: Type.Union([
      Type.Object({ decision: Type.Unsafe<RiskDecision>(Type.Union(RISK_DECISIONS.map((d) => Type.Literal(d)))), score: Type.Integer() }),
      Type.Null(),
    ]),
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
  },
  {
    $id: "PaymentView",
    example: {
      id: PAYMENT_ID,
      purpose: "top_up",
      reference: null,
      status: "captured",
      amount: 2500,
      currency: "EUR",
      walletAmount: 0,
      provider: "sandbox",
      captured: 2500,
      refunded: 0,
      nextAction: null,
      failureReason: null,
      risk: { decision: "allow", score: 42 },
      createdAt: "2026-11-25T10:00:00.000Z",
      updatedAt: "2026-11-25T10:00:01.000Z",
    },
  },
);
export type PaymentView = Static<typeof PaymentView>;

export const PaymentIdParams = Type.Object({ id: Type.String({ pattern: idPattern("payment"), error: "must be a payment id (pay_…)" }) });

export const SandboxAuthenticationBody = Type.Object(
  { result: Type.Union([Type.Literal("approve"), Type.Literal("deny")], { description: "what the buyer does on the bank's page" }) },
  { additionalProperties: false, example: { result: "approve" } },
);
export type SandboxAuthenticationBody = Static<typeof SandboxAuthenticationBody>;

export const ProviderParams = Type.Object({
  provider: Type.Union(
    PAYMENT_PROVIDERS.map((p) => Type.Literal(p)),
    { error: `must be one of ${PAYMENT_PROVIDERS.join(", ")}` },
  ),
});

export const WebhookAck = Type.Object(
  { received: Type.Boolean(), duplicate: Type.Boolean({ description: "true when this event id was received before: nothing was done again" }) },
  { example: { received: true, duplicate: false } },
);

// ---- refunds ----

export const RefundBody = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: MAX_PAYMENT_MINOR, description: "minor units; at most what is captured and not yet refunded" }),
    destination: Type.Optional(
      Type.Union([Type.Literal("wallet"), Type.Literal("original")], {
        description: "default: original (the card up to what it paid, the rest to the wallet); a top-up goes back to its card only",
      }),
    ),
    subOrderId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: "an order payment: the seller's sub-order refunded (required when the order has several sellers)",
      }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false, example: { amount: 1000, destination: "wallet", reason: "item damaged" } },
);
export type RefundBody = Static<typeof RefundBody>;

export const RefundView = Type.Object(
  {
    id: Type.String({ examples: ["rfd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] }),
    paymentId: Type.String({ examples: [PAYMENT_ID] }),
    subOrderId: Type.Union([Type.String(), Type.Null()], { description: "the sub-order refunded; null for a top-up" }),
    amount: Type.Integer(),
    walletAmount: Type.Integer({ description: "the part credited to the wallet; the rest went back to the card" }),
    currency: Type.String(),
    destination: Type.String(),
    status: Type.String({ description: "pending (the card part is on its way), succeeded, failed", examples: ["succeeded"] }),
    reason: Type.String(),
    failureReason: Type.Union([Type.String(), Type.Null()], { description: "why the card could not take it (that part then went to the wallet)" }),
    createdAt: TIMESTAMP,
  },
  {
    $id: "RefundView",
    example: {
      id: "rfd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
      paymentId: PAYMENT_ID,
      subOrderId: null,
      amount: 1000,
      walletAmount: 0,
      currency: "EUR",
      destination: "original",
      status: "succeeded",
      reason: "item damaged",
      failureReason: null,
      createdAt: "2026-11-25T10:00:00.000Z",
    },
  },
);
export type RefundView = Static<typeof RefundView>;

export const RefundList = Type.Object({ items: Type.Array(RefundView) }, { example: { items: [RefundView.example] } });
export type RefundList = Static<typeof RefundList>;

// ---- sellers and commission ----

export const SellerBalanceView = Type.Object(
  {
    balances: Type.Array(
      Type.Object({
        currency: Type.String({ examples: ["EUR"] }),
        pending: Type.Integer({ description: "minor units: sales whose return window is still open" }),
        available: Type.Integer({ description: "minor units: yours to be paid out" }),
        owed: Type.Integer({ description: "minor units you owe back (refunds after a release), taken from your next releases" }),
      }),
    ),
  },
  { $id: "SellerBalanceView", example: { balances: [{ currency: "EUR", pending: 8100, available: 12000, owed: 0 }] } },
);
export type SellerBalanceView = Static<typeof SellerBalanceView>;
