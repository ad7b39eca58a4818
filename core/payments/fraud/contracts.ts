// Request and response schemas of the fraud review routes (may move to packages/contracts with the rest of payments).
import { idPattern, PageQuery } from "@bazaar/contracts";
import { type Static, Type } from "@sinclair/typebox";

export const REVIEW_STATUSES = ["pending", "approved", "rejected"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

const ASSESSMENT_ID = "frd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
const TIMESTAMP = Type.String({ format: "date-time", examples: ["2026-11-25T10:00:00.000Z"] });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const ReviewStatusLiteral = Type.Union([Type.Literal("pending"), Type.Literal("approved"), Type.Literal("rejected")]);

export const FraudAssessmentId = Type.String({
  pattern: idPattern("fraudAssessment"),
  error: "must be a fraud assessment id (frd_…)",
  examples: [ASSESSMENT_ID],
});
export const FraudReviewIdParams = Type.Object({ id: FraudAssessmentId });

export const FraudReason = Type.Object(
  {
    code: Type.String({ description: "a rule's code, or MODEL_RISK for the model's share", examples: ["CARD_MANY_USERS"] }),
    message: Type.String({ examples: ["This card was used by 4 different accounts in the last 24 hours"] }),
    points: Type.Integer({ minimum: 0, maximum: 1000, description: "what it added to the score", examples: [400] }),
  },
  { additionalProperties: false },
);
export type FraudReason = Static<typeof FraudReason>;

const FEATURES_EXAMPLE = {
  userPayments10m: 0,
  userPayments24h: 1,
  cardPayments24h: 3,
  cardUsers24h: 4,
  ipPayments1h: 0,
  amountUsd: 89.9,
  amountConverted: true,
  historyPayments: 0,
  historyMedianUsd: null,
  historyMeanUsd: null,
  historyConverted: true,
  amountToMedian: null,
  amountToMean: null,
  firstPayment: true,
  accountAgeDays: 0.4,
  ipCountry: "BR",
  billingCountry: "PT",
  shippingCountry: "PT",
  cardCountry: "PT",
  countryMismatches: 1,
  declines24h: 0,
};

const ASSESSMENT_EXAMPLE = {
  id: ASSESSMENT_ID,
  paymentId: "pay_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
  userId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
  score: 612,
  decision: "review",
  reasons: [
    { code: "CARD_MANY_USERS", message: "This card was used by 4 different accounts in the last 24 hours", points: 400 },
    { code: "COUNTRY_MISMATCH", message: "Countries disagree: IP BR, billing PT, shipping PT, card PT", points: 150 },
    { code: "MODEL_RISK", message: "The model (fraud-lr-2-0123456789) puts the chance of fraud at 6.2 %", points: 62 },
  ],
  features: FEATURES_EXAMPLE,
  modelVersion: "fraud-lr-2-0123456789",
  cardFingerprint: "fp_Xq2b9",
  ipAddress: "203.0.113.7",
  reviewStatus: "pending",
  reviewedBy: null,
  reviewedAt: null,
  reviewNote: null,
  createdAt: "2026-11-25T10:00:00.000Z",
};

export const FraudAssessmentView = Type.Object(
  {
    id: FraudAssessmentId,
    paymentId: Type.String({ examples: ["pay_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] }),
    userId: Type.String({ description: "the buyer who pays", examples: ["usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] }),
    score: Type.Integer({ minimum: 0, maximum: 1000, description: "min(1000, sum of the reasons' points); review from 500, block from 800", examples: [612] }),
    // literals spelled out: Elysia's route types read a union built by .map() as never
    decision: Type.Union([Type.Literal("allow"), Type.Literal("review"), Type.Literal("block")], { examples: ["review"] }),
    reasons: Type.Array(FraudReason, { description: "strongest rule first, the model's share last" }),
    features: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]), {
      description: "what the rules and the model saw (velocity counts, amount against history, account age in days, countries, declines)",
      examples: [FEATURES_EXAMPLE],
    }),
    modelVersion: Type.String({ examples: ["fraud-lr-2-0123456789"] }),
    cardFingerprint: Nullable(Type.String({ examples: ["fp_Xq2b9"] })),
    ipAddress: Nullable(Type.String({ examples: ["203.0.113.7"] })),
    reviewStatus: Type.Union([ReviewStatusLiteral, Type.Null()], {
      description: "pending while it waits in the review queue; null when no review was needed",
    }),
    reviewedBy: Nullable(Type.String({ description: "the staff member who decided", examples: ["usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D"] })),
    reviewedAt: Type.Union([TIMESTAMP, Type.Null()]),
    reviewNote: Nullable(Type.String({ examples: ["Customer confirmed by phone"] })),
    createdAt: TIMESTAMP,
  },
  { $id: "FraudAssessmentView", example: ASSESSMENT_EXAMPLE },
);
export type FraudAssessmentView = Static<typeof FraudAssessmentView>;

export const FraudReviewPage = Type.Object(
  {
    items: Type.Array(FraudAssessmentView),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: "pass as `cursor` for the next page; null on the last page" }),
  },
  { $id: "FraudReviewPage", example: { items: [ASSESSMENT_EXAMPLE], nextCursor: null } },
);
export type FraudReviewPage = Static<typeof FraudReviewPage>;

export const FraudReviewQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal("pending"), Type.Literal("approved"), Type.Literal("rejected")], {
        error: `must be one of ${REVIEW_STATUSES.join(", ")}`,
        description: "only reviews in this state (default: all, pending first)",
      }),
    ),
    limit: PageQuery.properties.limit,
    cursor: PageQuery.properties.cursor,
  },
  { additionalProperties: false },
);
export type FraudReviewQuery = Static<typeof FraudReviewQuery>;

export const FraudReviewDecisionBody = Type.Object(
  {
    decision: Type.Union([Type.Literal("approve"), Type.Literal("reject")], {
      error: "must be approve or reject",
      description: "approve lets the held payment go through (captured); reject stops it (cancelled)",
    }),
    note: Type.Optional(Type.String({ maxLength: 1000, description: "why, for the audit trail", examples: ["Customer confirmed by phone"] })),
  },
  { additionalProperties: false, $id: "FraudReviewDecisionBody", example: { decision: "approve", note: "Customer confirmed by phone" } },
);
export type FraudReviewDecisionBody = Static<typeof FraudReviewDecisionBody>;
