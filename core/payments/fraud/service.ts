// Fraud assessment of payments and the admin review queue. The payments service calls `assessPayment` before
// it charges; a `review` decision holds the payment until staff decide it (`decideReview`).
import { AppError, ConflictError, decodeCursor, encodeCursor, type FieldError, NotFoundError, type RiskDecision, ValidationError } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { and, asc, eq, isNotNull, type SQL, sql } from "drizzle-orm";
import type { Actor, Ctx } from "../../platform/deps.ts";
import type { FraudAssessmentView, FraudReason, FraudReviewDecisionBody, FraudReviewPage, FraudReviewQuery, ReviewStatus } from "./contracts.ts";
import { type FraudFeatures, type FraudInput, readFeatures } from "./features.ts";
import { MODEL_VERSION, predict } from "./model.ts";
import { evaluateRules, type RuleHit } from "./rules.ts";

const { fraudAssessment } = schema;

/** Scores at or above these are held for review / refused. */
export const REVIEW_THRESHOLD = 500;
export const BLOCK_THRESHOLD = 800;
export const MAX_SCORE = 1000;

/** What the verbs need: a request's ctx or a job's (no client, no request id). */
export type FraudCtx = Pick<Ctx, "database" | "clock" | "ids">;

export type AssessPaymentInput = FraudInput;

export interface FraudAssessmentResult {
  id: string;
  score: number;
  decision: RiskDecision;
  reasons: FraudReason[];
}

// ---- the score ----

/** The model's share of the score: its probability in thousandths. */
export function modelReason(probability: number, version: string = MODEL_VERSION): RuleHit {
  return {
    code: "MODEL_RISK",
    message: `The model (${version}) puts the chance of fraud at ${(Math.round(probability * 1000) / 10).toFixed(1)} %`,
    points: Math.round(probability * MAX_SCORE),
  };
}

/**
 * score = min(1000, round(1000 · p) + Σ points of the rules that fired). The model alone can reach any
 * decision; a rule adds a fixed amount on top, so every point of a score is named by one of its reasons.
 */
export function scoreOf(reasons: readonly RuleHit[]): number {
  return Math.min(
    MAX_SCORE,
    reasons.reduce((sum, r) => sum + r.points, 0),
  );
}

export function decisionFor(score: number): RiskDecision {
  if (score >= BLOCK_THRESHOLD) return "block";
  if (score >= REVIEW_THRESHOLD) return "review";
  return "allow";
}

/** The rules' hits (strongest first), then the model's share: the reasons, the score and the decision. */
export function riskOf(features: FraudFeatures, probability: number, version: string = MODEL_VERSION) {
  const reasons = [...evaluateRules(features), modelReason(probability, version)];
  const score = scoreOf(reasons);
  return { reasons, score, decision: decisionFor(score) };
}

// ---- assessing a payment ----

/**
 * Scores a payment about to be made and records the assessment (a `review` waits in the queue as pending).
 * Assessing the same payment again returns the first assessment: the payment id is unique on the table.
 */
export async function assessPayment(ctx: FraudCtx, input: AssessPaymentInput): Promise<FraudAssessmentResult> {
  checkInput(input);
  const now = ctx.clock();
  const features = await readFeatures(ctx.database, input, now);
  const { reasons, score, decision } = riskOf(features, predict(features));
  const row: AssessmentRow = {
    id: ctx.ids("fraudAssessment"),
    paymentId: input.paymentId,
    userId: input.userId,
    score,
    decision,
    reasons: JSON.stringify(reasons),
    features: JSON.stringify(features),
    modelVersion: MODEL_VERSION,
    reviewStatus: decision === "review" ? "pending" : null,
    reviewedBy: null,
    reviewedAt: null,
    reviewNote: null,
    cardFingerprint: input.cardFingerprint ?? null,
    ipAddress: input.ipAddress ?? null,
    createdAt: now,
  };
  const [inserted] = await ctx.database.write((db) =>
    db.insert(fraudAssessment).values(row).onConflictDoNothing({ target: fraudAssessment.paymentId }).returning(),
  );
  const stored = inserted ?? (await assessmentOfPayment(ctx, input.paymentId));
  if (!stored) throw new Error(`fraud assessment of ${input.paymentId} was neither written nor found`);
  return { id: stored.id, score: stored.score, decision: stored.decision as RiskDecision, reasons: parseReasons(stored.reasons) };
}

/** The assessment of a payment, if it has one (the payments service reads the decision back with it). */
export async function getPaymentAssessment(ctx: Pick<Ctx, "database">, paymentId: string): Promise<FraudAssessmentView | undefined> {
  const row = await assessmentOfPayment(ctx, paymentId);
  return row && toView(row);
}

function checkInput(input: AssessPaymentInput): void {
  const errors: FieldError[] = [];
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0)
    errors.push({ path: "/amountMinor", message: "must be a positive whole number of minor units" });
  if (!/^[A-Z]{3}$/.test(input.currency)) errors.push({ path: "/currency", message: "must be an ISO 4217 code" });
  if (!input.paymentId) errors.push({ path: "/paymentId", message: "is required" });
  if (!input.userId) errors.push({ path: "/userId", message: "is required" });
  if (errors.length) throw new ValidationError(errors);
}

// ---- the review queue ----

/** Pending reviews first, oldest first (a queue); then decided ones, most recently decided first. */
export async function listReviews(ctx: Pick<Ctx, "database">, query: FraudReviewQuery): Promise<FraudReviewPage> {
  const limit = Number(query.limit ?? 20);
  const after = query.cursor ? reviewPosition(query.cursor) : undefined;
  const rank = sql<number>`(${fraudAssessment.reviewStatus} <> 'pending')`;
  const key = sql<number>`(CASE WHEN ${fraudAssessment.reviewStatus} = 'pending' THEN ${fraudAssessment.createdAt} ELSE -${fraudAssessment.reviewedAt} END)`;
  const conditions: SQL[] = [isNotNull(fraudAssessment.reviewStatus)];
  if (query.status) conditions.push(eq(fraudAssessment.reviewStatus, query.status));
  if (after) conditions.push(sql`(${rank}, ${key}, ${fraudAssessment.id}) > (${after.rank}, ${after.key}, ${after.id})`);
  const rows = await ctx.database.db
    .select({ row: fraudAssessment, rank, key })
    .from(fraudAssessment)
    .where(and(...conditions))
    .orderBy(rank, key, asc(fraudAssessment.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map((r) => toView(r.row)),
    nextCursor: rows.length > limit && last ? encodeCursor({ r: Number(last.rank), k: Number(last.key), id: last.row.id }) : null,
  };
}

function reviewPosition(cursor: string): { rank: number; key: number; id: string } {
  const { r, k, id } = decodeCursor(cursor);
  if (typeof r !== "number" || typeof k !== "number" || typeof id !== "string")
    throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
  return { rank: r, key: k, id };
}

/**
 * Approves or rejects a pending review, once: the UPDATE only matches while it is pending, so of two
 * concurrent decisions one wins and the other gets 409. An assessment that never needed review is a 404 here.
 */
export async function decideReview(
  ctx: Pick<Ctx, "database" | "clock">,
  actor: Actor,
  id: string,
  body: FraudReviewDecisionBody,
): Promise<FraudAssessmentView> {
  const status: ReviewStatus = body.decision === "approve" ? "approved" : "rejected";
  const [updated] = await ctx.database.write((db) =>
    db
      .update(fraudAssessment)
      .set({ reviewStatus: status, reviewedBy: actor.userId, reviewedAt: ctx.clock(), reviewNote: body.note ?? null })
      .where(and(eq(fraudAssessment.id, id), eq(fraudAssessment.reviewStatus, "pending")))
      .returning(),
  );
  if (updated) return toView(updated);
  const [existing] = await ctx.database.db.select().from(fraudAssessment).where(eq(fraudAssessment.id, id)).limit(1);
  if (!existing?.reviewStatus) throw new NotFoundError("fraud review", id);
  throw new ConflictError(`This review was already decided: ${existing.reviewStatus}`, "/decision");
}

// ---- rows and views ----

type AssessmentRow = typeof fraudAssessment.$inferSelect;

async function assessmentOfPayment(ctx: Pick<Ctx, "database">, paymentId: string): Promise<AssessmentRow | undefined> {
  const [row] = await ctx.database.db.select().from(fraudAssessment).where(eq(fraudAssessment.paymentId, paymentId)).limit(1);
  return row;
}

function parseReasons(json: string): FraudReason[] {
  return (JSON.parse(json) as FraudReason[]).map((r) => ({ code: r.code, message: r.message, points: r.points ?? 0 }));
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toView(row: AssessmentRow): FraudAssessmentView {
  return {
    id: row.id,
    paymentId: row.paymentId,
    userId: row.userId,
    score: row.score,
    decision: row.decision as RiskDecision,
    reasons: parseReasons(row.reasons),
    features: JSON.parse(row.features) as FraudAssessmentView["features"],
    modelVersion: row.modelVersion,
    cardFingerprint: row.cardFingerprint,
    ipAddress: row.ipAddress,
    reviewStatus: row.reviewStatus as ReviewStatus | null,
    reviewedBy: row.reviewedBy,
    reviewedAt: row.reviewedAt === null ? null : iso(row.reviewedAt),
    reviewNote: row.reviewNote,
    createdAt: iso(row.createdAt),
  };
}
