// Payments through a gateway and the wallet: start one (a wallet top-up, or an order through order-payments), check
// it for fraud first, apply what the gateway says (its answer, then its webhooks, late, twice or out of order),
// capture or cancel what was only authorised. Money moves only through the ledger, under idempotency keys derived
// from our ids, so nothing is ever credited twice.
import {
  AppError,
  ConflictError,
  NotFoundError,
  type PaymentProviderName,
  type PaymentStatus,
  type PaymentView,
  type TopUpBody,
  ValidationError,
} from "@bazaar/contracts";
import { isConstraintError, type Statement, schema } from "@bazaar/db";
import { createEvent, outboxInsert, paymentStatusChanged } from "@bazaar/events";
import { and, asc, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { requireOwner } from "../../http/authentication.ts";
import type { Actor, Ctx } from "../../platform/deps.ts";
import { assessPayment, getPaymentAssessment } from "../fraud/service.ts";
import { InsufficientFundsError, isOverdraft, type LedgerDeps, type NewTransaction, post } from "../ledger/service.ts";
import { accountOf, cardPartOf, type SplitRow, saleCapture, walletHoldRelease } from "../order-payments/postings.ts";
import { type PaymentProvider, ProviderError, type ProviderEvent, type ProviderPayment } from "../providers/provider.ts";
import { holdStatements } from "../settlement/service.ts";

export type PaymentRow = typeof schema.payment.$inferSelect;
export type PaymentsCtx = Pick<Ctx, "database" | "clock" | "ids" | "eventsWritten"> & { requestId?: string };

/** The rules money moves by, from the config. */
export interface PaymentPolicy {
  /** commission on sales in categories without their own rate, basis points */
  defaultCommissionBps: number;
  /** how long a sale's proceeds stay pending after capture, until orders set the end of the return window */
  settlementHoldMs: number;
  /** an authorised payment nobody captured (or a buyer's step nobody finished) is cancelled after this long */
  authorizationMs: number;
}

/** The gateways this process can use, by name, the one used when a request names none, and the money rules. */
export interface Providers {
  byName: Partial<Record<PaymentProviderName, PaymentProvider>>;
  defaultProvider: PaymentProviderName;
  policy: PaymentPolicy;
}

/** What the fraud check knows of where a payment comes from and goes to (ISO 3166 alpha-2 countries). */
export interface RiskContext {
  ipAddress?: string | undefined;
  ipCountry?: string | undefined;
  billingCountry?: string | undefined;
  shippingCountry?: string | undefined;
}

/** The buyer's words when our fraud check refuses a payment (the reasons are for staff only). */
export const BLOCKED_REASON = "This payment could not be accepted. Contact support if you think this is a mistake.";
/** A payment recorded but never sent to the gateway (a crash in between) is failed after this long. */
const UNSENT_AFTER_MS = 15 * 60_000;

const STAFF = ["admin"] as const;
const TERMINAL: readonly PaymentStatus[] = ["captured", "failed", "canceled"];
const iso = (ms: number) => new Date(ms).toISOString();

export function providerOf(providers: Providers, name: PaymentProviderName): PaymentProvider {
  const provider = providers.byName[name];
  if (!provider) throw new ValidationError([{ path: "/provider", message: `${name} is not configured on this platform` }]);
  return provider;
}

export function ledgerDeps(ctx: Pick<Ctx, "database" | "ids" | "clock">): LedgerDeps {
  return { database: ctx.database, ids: ctx.ids, clock: ctx.clock };
}

/** The country in the edge's coarse location ("Lisbon, PT"), for the fraud check. */
export function countryOfLocation(location: string | null | undefined): string | undefined {
  const code = location?.split(",").at(-1)?.trim();
  return code && /^[A-Z]{2}$/.test(code) ? code : undefined;
}

// ---- starting a payment ----

/** A payment about to be made, as the caller (top-ups, order payments) prepared it. */
export interface PaymentStart {
  /** the row as it will be recorded, status `processing` */
  payment: PaymentRow;
  /** written in the same batch as the row: an order's splits, its wallet hold */
  recordWith: Statement[];
  /** the gateway method for the card part (none when the wallet pays it all) */
  paymentMethod: string | undefined;
  /** the caller captures later (capturePayment) instead of at once */
  captureLater: boolean;
  risk: RiskContext;
  description: string;
  payer?: { email?: string };
  /** whether an earlier payment under the same Idempotency-Key was this same request */
  sameRequest: (earlier: PaymentRow) => boolean;
}

/**
 * Scores the payment for fraud, records it, then charges the card part. `block`: recorded as failed, nothing
 * held or charged. `review`: the card is only authorised (and the wallet part held) until staff decide. `allow`:
 * captured at once unless the caller captures later. With an Idempotency-Key, a replay returns the first payment
 * and a different request under the same key is a 409.
 */
export async function startPayment(ctx: PaymentsCtx, providers: Providers, start: PaymentStart): Promise<PaymentView> {
  const { payment } = start;
  const replay = async () => {
    const earlier = payment.idempotencyKey === null ? undefined : await paymentByIdempotencyKey(ctx, payment.buyerId, payment.idempotencyKey);
    if (!earlier) return undefined;
    if (!start.sameRequest(earlier)) throw new ConflictError("This Idempotency-Key was used for a different request", "/");
    return viewWithRisk(ctx, earlier);
  };
  const earlier = await replay();
  if (earlier) return earlier;

  const cardPart = cardPartOf(payment);
  const provider = cardPart > 0 ? providerOf(providers, payment.provider as PaymentProviderName) : undefined;
  if (provider && !start.paymentMethod) throw new ValidationError([{ path: "/paymentMethod", message: "is required for the part the wallet does not pay" }]);
  const card = provider && start.paymentMethod ? await describeMethod(provider, start.paymentMethod) : {};
  const risk = await assessPayment(ctx, {
    paymentId: payment.id,
    userId: payment.buyerId,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    ...card,
    ...definedOnly(start.risk),
  });
  const riskView = { decision: risk.decision, score: risk.score };

  if (risk.decision === "block") {
    const refused = { ...payment, status: "failed", failureReason: BLOCKED_REASON };
    const recorded = await record(ctx, refused, []);
    return recorded ? view(refused, riskView) : ((await replay()) ?? view(refused, riskView));
  }
  if (!(await record(ctx, payment, start.recordWith))) {
    const again = await replay();
    if (again) return again;
    throw new Error(`payment ${payment.id} was neither recorded nor replayed`);
  }
  const authorizeOnly = start.captureLater || risk.decision === "review";
  if (!provider || !start.paymentMethod) {
    await applyProviderState(ctx, providers.policy, payment.id, { status: authorizeOnly ? "authorized" : "captured", capturedMinor: 0 });
    return view(await paymentOrThrow(ctx, payment.id), riskView);
  }
  let answer: ProviderPayment;
  try {
    answer = await provider.createPayment({
      paymentId: payment.id,
      amountMinor: cardPart,
      currency: payment.currency,
      paymentMethod: start.paymentMethod,
      captureMode: authorizeOnly ? "manual" : "automatic",
      // our payment id: a retried call is the same call to the gateway
      idempotencyKey: payment.id,
      description: start.description,
      payer: { ...start.payer, ...(start.risk.ipAddress ? { ipAddress: start.risk.ipAddress } : {}) },
    });
  } catch (error) {
    const reason = error instanceof ProviderError ? error.message : "The payment provider could not be reached";
    // failed here; if the gateway did take the money (its answer was lost), its webhook gets it given back
    const after = await applyProviderState(ctx, providers.policy, payment.id, { status: "failed", capturedMinor: 0, failureReason: reason });
    // …unless that webhook came first: then the payment is what the gateway said
    if (after.status !== "failed") return view(after, riskView);
    if (error instanceof ProviderError && error.kind === "invalid_request") throw new ValidationError([{ path: "/paymentMethod", message: error.message }]);
    throw new AppError("BAD_GATEWAY", reason);
  }
  await applyProviderState(ctx, providers.policy, payment.id, answer);
  return view(await paymentOrThrow(ctx, payment.id), riskView);
}

/** The card's fingerprint and country for the fraud check, when the gateway can tell before charging. */
async function describeMethod(provider: PaymentProvider, paymentMethod: string) {
  if (!provider.describePaymentMethod) return {};
  try {
    return await provider.describePaymentMethod(paymentMethod);
  } catch (error) {
    if (error instanceof ProviderError && error.kind === "invalid_request") throw new ValidationError([{ path: "/paymentMethod", message: error.message }]);
    // the check goes on without the card's details rather than refusing the buyer for the gateway's hiccup
    if (error instanceof ProviderError) return {};
    throw error;
  }
}

function definedOnly(risk: RiskContext) {
  return Object.fromEntries(Object.entries(risk).filter(([, value]) => value !== undefined && value !== null)) as Record<string, string>;
}

/**
 * Writes the payment row with what goes with it and its status event, atomically. False when its Idempotency-Key
 * was taken meanwhile (a concurrent replay won); an overdraft of the wallet part is a 409 and writes nothing.
 */
async function record(ctx: PaymentsCtx, payment: PaymentRow, recordWith: Statement[]): Promise<boolean> {
  try {
    await ctx.database.batch([ctx.database.db.insert(schema.payment).values(payment), ...recordWith, statusEvent(ctx, payment, payment.status)]);
  } catch (error) {
    if (!isConstraintError(error)) throw error;
    if (isOverdraft(error)) throw new InsufficientFundsError("The wallet does not hold the amount to pay from it");
    if (payment.idempotencyKey !== null && (await paymentByIdempotencyKey(ctx, payment.buyerId, payment.idempotencyKey))) return false;
    throw error;
  }
  ctx.eventsWritten();
  return true;
}

function statusEvent(ctx: PaymentsCtx, payment: PaymentRow, status: string): Statement {
  return outboxInsert(
    ctx.database.db,
    createEvent(
      paymentStatusChanged,
      {
        paymentId: payment.id,
        buyerId: payment.buyerId,
        purpose: payment.purpose,
        status,
        amountMinor: payment.amountMinor,
        currency: payment.currency,
        reference: payment.reference,
      },
      { ids: ctx.ids, now: ctx.clock(), ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
    ),
  );
}

// ---- top-ups ----

/** POST /v1/me/wallet/top-ups: charges the buyer through a gateway and credits the wallet once captured. */
export async function topUp(
  ctx: PaymentsCtx,
  providers: Providers,
  actor: Actor,
  body: TopUpBody,
  options: { idempotencyKey?: string | undefined; risk?: RiskContext } = {},
): Promise<PaymentView> {
  const providerName = body.provider ?? providers.defaultProvider;
  const now = ctx.clock();
  return startPayment(ctx, providers, {
    payment: {
      ...newPaymentRow(ctx, now),
      buyerId: actor.userId,
      purpose: "top_up",
      amountMinor: body.amount,
      currency: body.currency,
      provider: providerName,
      idempotencyKey: options.idempotencyKey ?? null,
    },
    recordWith: [],
    paymentMethod: body.paymentMethod,
    captureLater: false,
    risk: options.risk ?? {},
    description: "Bazaar wallet top-up",
    sameRequest: (earlier) => earlier.amountMinor === body.amount && earlier.currency === body.currency && earlier.provider === providerName,
  });
}

/** A payment row's defaults; the caller sets who, what and how much. */
export function newPaymentRow(ctx: Pick<Ctx, "ids">, now: number): PaymentRow {
  return {
    id: ctx.ids("payment"),
    buyerId: "",
    purpose: "top_up",
    reference: null,
    amountMinor: 0,
    currency: "",
    walletMinor: 0,
    provider: "wallet",
    providerRef: null,
    captureMode: "automatic",
    status: "processing",
    capturedMinor: 0,
    refundedMinor: 0,
    failureReason: null,
    nextActionUrl: null,
    providerUpdatedAt: null,
    idempotencyKey: null,
    gatewayFailures: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

// ---- reading ----

async function paymentByIdempotencyKey(ctx: Pick<Ctx, "database">, buyerId: string, key: string): Promise<PaymentRow | undefined> {
  const [row] = await ctx.database.db
    .select()
    .from(schema.payment)
    .where(and(eq(schema.payment.buyerId, buyerId), eq(schema.payment.idempotencyKey, key)))
    .limit(1);
  return row;
}

export async function findPayment(ctx: Pick<Ctx, "database">, paymentId: string): Promise<PaymentRow | undefined> {
  const [row] = await ctx.database.db.select().from(schema.payment).where(eq(schema.payment.id, paymentId)).limit(1);
  return row;
}

/** The payment checkout started for an order, if any (newest first: a failed attempt may precede it). */
export async function findOrderPayment(ctx: Pick<Ctx, "database">, orderId: string): Promise<PaymentRow | undefined> {
  const [row] = await ctx.database.db
    .select()
    .from(schema.payment)
    .where(and(eq(schema.payment.purpose, "order"), eq(schema.payment.reference, orderId)))
    .orderBy(desc(schema.payment.createdAt))
    .limit(1);
  return row;
}

export async function paymentOrThrow(ctx: Pick<Ctx, "database">, paymentId: string): Promise<PaymentRow> {
  const row = await findPayment(ctx, paymentId);
  if (!row) throw new NotFoundError("payment", paymentId);
  return row;
}

export async function splitsOf(ctx: Pick<Ctx, "database">, paymentId: string): Promise<SplitRow[]> {
  return ctx.database.db.select().from(schema.paymentSplit).where(eq(schema.paymentSplit.paymentId, paymentId)).orderBy(asc(schema.paymentSplit.subOrderId));
}

/** GET /v1/me/payments/{id}: the buyer's own payment (another's is 404, as is an unknown one). */
export async function getPayment(ctx: Pick<Ctx, "database">, actor: Actor, paymentId: string): Promise<PaymentView> {
  return viewWithRisk(
    ctx,
    requireOwner(actor, await findPayment(ctx, paymentId), "payment", STAFF, (p) => p.buyerId),
  );
}

async function viewWithRisk(ctx: Pick<Ctx, "database">, payment: PaymentRow): Promise<PaymentView> {
  const assessment = await getPaymentAssessment(ctx, payment.id);
  return view(payment, assessment ? { decision: assessment.decision, score: assessment.score } : null);
}

// ---- what the gateway says ----

type ProviderState = Pick<ProviderPayment, "status" | "capturedMinor"> & Partial<Pick<ProviderPayment, "failureReason" | "nextActionUrl" | "providerRef">>;

/**
 * Moves a payment to what the gateway reports, if that is news: older news than what was applied (by the
 * gateway's own time), or any news about a payment that already ended, changes nothing. Reaching `captured`
 * moves the money in the same batch (a top-up to the wallet; an order's to its sellers and the platform, with
 * their settlement holds), under a key only this payment's capture uses: applied twice, it moves once. An order
 * payment that fails or is cancelled gives its wallet part back, once.
 */
export async function applyProviderState(
  ctx: PaymentsCtx,
  policy: PaymentPolicy,
  paymentId: string,
  state: ProviderState,
  /** the gateway's time of this news, for a webhook; none for the gateway's direct answer to our call */
  occurredAt?: number,
): Promise<PaymentRow> {
  const payment = await paymentOrThrow(ctx, paymentId);
  if (TERMINAL.includes(payment.status as PaymentStatus)) return payment;
  // gateways' clocks and ours differ (and some count seconds): only their own times are compared with each other
  if (occurredAt !== undefined && payment.providerUpdatedAt !== null && occurredAt < payment.providerUpdatedAt) return payment;
  const now = ctx.clock();
  // an order is captured whole (its wallet part with its card part); a top-up by what the gateway captured
  const captured =
    state.status !== "captured" ? payment.capturedMinor : payment.purpose === "order" ? payment.amountMinor : state.capturedMinor || payment.amountMinor;
  const update = ctx.database.db
    .update(schema.payment)
    .set({
      status: state.status,
      capturedMinor: captured,
      failureReason: state.failureReason ?? null,
      nextActionUrl: state.status === "requires_action" ? (state.nextActionUrl ?? null) : null,
      ...(state.providerRef ? { providerRef: state.providerRef } : {}),
      ...(occurredAt === undefined ? {} : { providerUpdatedAt: occurredAt }),
      updatedAt: now,
      version: sql`${schema.payment.version} + 1`,
    })
    // the version read above: a change that raced this one wins, and this one is re-read by whoever retries
    .where(and(eq(schema.payment.id, paymentId), eq(schema.payment.version, payment.version)));
  const statements: Statement[] = [update, statusEvent(ctx, payment, state.status)];
  let money: NewTransaction | undefined;
  const moneyStatements: Statement[] = [];
  if (state.status === "captured" && payment.purpose === "top_up") money = creditTopUp(payment, captured);
  if (state.status === "captured" && payment.purpose === "order") {
    const splits = await splitsOf(ctx, payment.id);
    money = saleCapture(payment, splits);
    moneyStatements.push(...holdStatements(ctx, splits, now + policy.settlementHoldMs, now));
  }
  if ((state.status === "failed" || state.status === "canceled") && payment.purpose === "order" && payment.walletMinor > 0) {
    money = walletHoldRelease(payment);
  }
  if (money && money.postings.length >= 2) {
    const { replayed } = await post(ledgerDeps(ctx), money, [...statements, ...moneyStatements]);
    // moved before (a racing apply whose status update lost to a version change): the status still moves
    if (replayed) await ctx.database.batch(statements as [Statement, ...Statement[]]);
  } else {
    await ctx.database.batch(statements as [Statement, ...Statement[]]);
  }
  ctx.eventsWritten();
  return paymentOrThrow(ctx, paymentId);
}

/** A captured top-up: money in from the gateway's clearing account to the buyer's wallet. */
function creditTopUp(payment: PaymentRow, amountMinor: number): NewTransaction {
  return {
    kind: "top_up",
    reference: payment.id,
    idempotencyKey: `capture:${payment.id}`,
    description: "Wallet top-up",
    postings: [
      { account: accountOf("provider_clearing", payment.provider, payment.currency), amountMinor: -amountMinor },
      { account: accountOf("buyer_wallet", payment.buyerId, payment.currency), amountMinor },
    ],
  };
}

const STATUS_OF: Partial<Record<ProviderEvent["type"], PaymentStatus>> = {
  "payment.succeeded": "captured",
  "payment.authorized": "authorized",
  "payment.failed": "failed",
  "payment.canceled": "canceled",
  "payment.requires_action": "requires_action",
};

/** A verified, stored gateway event about a payment, applied to it (events about refunds go to refunds). */
export async function applyPaymentEvent(ctx: PaymentsCtx, providers: Providers, providerName: string, event: ProviderEvent): Promise<void> {
  const status = STATUS_OF[event.type];
  if (!status) return;
  const payment = await paymentForEvent(ctx, providerName, event);
  if (!payment) return;
  if ((payment.status === "failed" || payment.status === "canceled") && (status === "captured" || status === "authorized")) {
    return giveBackLateCharge(ctx, providers, payment, status, event);
  }
  await applyProviderState(
    ctx,
    providers.policy,
    payment.id,
    {
      status,
      capturedMinor: status === "captured" ? (event.amountMinor ?? cardPartOf(payment)) : payment.capturedMinor,
      ...(event.failureReason ? { failureReason: event.failureReason } : {}),
      ...(event.providerRef ? { providerRef: event.providerRef } : {}),
    },
    event.occurredAt,
  );
}

/**
 * The gateway took (or holds) money for a payment that had already ended here: its answer to our call was lost and
 * we failed the payment, say. The payment stays ended, since news never re-runs a checkout (GOTCHAS), and the money
 * goes back at the gateway: a capture refunded in full, an authorisation voided. Our ledger never counted it, so
 * nothing moves there; the payment's reason says what happened. A gateway failure throws, and the outbox retries.
 */
async function giveBackLateCharge(
  ctx: PaymentsCtx,
  providers: Providers,
  payment: PaymentRow,
  status: "captured" | "authorized",
  event: ProviderEvent,
): Promise<void> {
  const providerRef = event.providerRef ?? payment.providerRef;
  if (!providerRef) return;
  const provider = providerOf(providers, payment.provider as PaymentProviderName);
  try {
    if (status === "captured") {
      const amountMinor = event.amountMinor ?? cardPartOf(payment);
      await callGateway(ctx, payment, "late-charge-refund", (idempotencyKey) =>
        provider.refund({ providerRef, amountMinor, currency: payment.currency, idempotencyKey, reason: "charged after the payment had ended" }),
      );
    } else {
      await callGateway(ctx, payment, "late-authorization-cancel", (idempotencyKey) => provider.cancel(providerRef, idempotencyKey));
    }
  } catch (error) {
    // the gateway has nothing left to give back: an earlier attempt, whose answer was lost, already did
    if (error instanceof ProviderError && error.kind === "invalid_request") return;
    throw error;
  }
  const given = status === "captured" ? "refunded it" : "released the hold";
  await ctx.database.db
    .update(schema.payment)
    .set({ failureReason: `${payment.failureReason ?? "Failed"} (the gateway took the money afterwards; we ${given})`, updatedAt: ctx.clock() })
    .where(eq(schema.payment.id, payment.id));
}

/**
 * One call to the gateway about `payment`, under our idempotency key for it: the same key for every retry until the
 * gateway fails a call, then a new one, since gateways replay their first answer to a key, errors included
 * (GOTCHAS: a capture refused once would otherwise be refused for ever).
 */
async function callGateway<T>(ctx: PaymentsCtx, payment: PaymentRow, call: string, send: (idempotencyKey: string) => Promise<T>): Promise<T> {
  const key = payment.gatewayFailures === 0 ? `${call}:${payment.id}` : `${call}:${payment.id}:${payment.gatewayFailures}`;
  try {
    return await send(key);
  } catch (error) {
    if (error instanceof ProviderError) {
      await ctx.database.db
        .update(schema.payment)
        .set({ gatewayFailures: sql`${schema.payment.gatewayFailures} + 1` })
        .where(eq(schema.payment.id, payment.id));
    }
    throw error;
  }
}

async function paymentForEvent(ctx: PaymentsCtx, providerName: string, event: ProviderEvent): Promise<PaymentRow | undefined> {
  if (event.paymentId) {
    const byId = await findPayment(ctx, event.paymentId);
    if (byId && byId.provider === providerName) return byId;
  }
  if (!event.providerRef) return undefined;
  const [row] = await ctx.database.db
    .select()
    .from(schema.payment)
    .where(and(eq(schema.payment.provider, providerName), eq(schema.payment.providerRef, event.providerRef)))
    .limit(1);
  return row;
}

// ---- after the buyer's step, capture, cancel ----

/**
 * The buyer came back from the gateway's page (PayPal's approval): the gateway is asked to complete the payment.
 * Only for the buyer's own payment that waits for them, at a gateway that needs this call.
 */
export async function confirmPayment(ctx: PaymentsCtx, providers: Providers, actor: Actor, paymentId: string): Promise<PaymentView> {
  const payment = requireOwner(actor, await findPayment(ctx, paymentId), "payment", [], (p) => p.buyerId);
  const provider = providers.byName[payment.provider as PaymentProviderName];
  if (!provider?.confirm || !payment.providerRef) throw new ValidationError([{ path: "/", message: `a ${payment.provider} payment completes on its own` }]);
  if (payment.status !== "requires_action") throw new ConflictError(`This payment is ${payment.status}, not waiting for you`, "/");
  let answer: ProviderPayment;
  try {
    const confirm = provider.confirm.bind(provider);
    const providerRef = payment.providerRef;
    answer = await callGateway(ctx, payment, "confirm", (key) => confirm(providerRef, key));
  } catch (error) {
    if (error instanceof ProviderError) throw new ConflictError(error.message, "/");
    throw error;
  }
  return viewWithRisk(ctx, await applyProviderState(ctx, providers.policy, payment.id, answer));
}

/**
 * Captures an authorised payment in full: the card part at the gateway, then the money moves as for any capture.
 * Used when staff approve a held payment and by checkout for payments it captures later. Safe to call again: a
 * payment already captured is returned as it is.
 */
export async function capturePayment(ctx: PaymentsCtx, providers: Providers, paymentId: string): Promise<PaymentRow> {
  const payment = await paymentOrThrow(ctx, paymentId);
  if (payment.status === "captured") return payment;
  if (payment.status !== "authorized") throw new ConflictError(`Only an authorised payment can be captured; this one is ${payment.status}`, "/");
  if (cardPartOf(payment) === 0 || !payment.providerRef) {
    return applyProviderState(ctx, providers.policy, payment.id, { status: "captured", capturedMinor: 0 });
  }
  const provider = providerOf(providers, payment.provider as PaymentProviderName);
  let answer: ProviderPayment;
  try {
    const providerRef = payment.providerRef;
    answer = await callGateway(ctx, payment, "capture", (key) => provider.capture(providerRef, cardPartOf(payment), key));
  } catch (error) {
    if (error instanceof ProviderError) throw new AppError("BAD_GATEWAY", `The gateway did not capture the payment: ${error.message}`);
    throw error;
  }
  return applyProviderState(ctx, providers.policy, payment.id, answer);
}

/**
 * Cancels a payment that has not been captured (authorised, waiting for the buyer, or never sent): the gateway
 * voids its authorisation and the wallet part goes back. A payment that already ended is returned as it is.
 */
export async function cancelPayment(ctx: PaymentsCtx, providers: Providers, paymentId: string, reason: string): Promise<PaymentRow> {
  const payment = await paymentOrThrow(ctx, paymentId);
  if (TERMINAL.includes(payment.status as PaymentStatus)) return payment;
  if (payment.providerRef && cardPartOf(payment) > 0) {
    const provider = providerOf(providers, payment.provider as PaymentProviderName);
    try {
      const providerRef = payment.providerRef;
      const answer = await callGateway(ctx, payment, "cancel", (key) => provider.cancel(providerRef, key));
      return applyProviderState(ctx, providers.policy, payment.id, { ...answer, failureReason: reason });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      // the gateway says it cannot be cancelled (it was captured meanwhile): its webhook tells us what it is
      if (error.kind === "invalid_request") return paymentOrThrow(ctx, payment.id);
      throw new AppError("BAD_GATEWAY", `The gateway did not cancel the payment: ${error.message}`);
    }
  }
  return applyProviderState(ctx, providers.policy, payment.id, { status: "canceled", capturedMinor: 0, failureReason: reason });
}

// ---- payments held for review, and ones nobody finished ----

/** What staff decided on a held payment: approved → captured, rejected → cancelled. Idempotent. */
export async function actOnReview(ctx: PaymentsCtx, providers: Providers, paymentId: string, decision: "approved" | "rejected"): Promise<PaymentRow> {
  const payment = await paymentOrThrow(ctx, paymentId);
  if (decision === "rejected") return cancelPayment(ctx, providers, payment.id, BLOCKED_REASON);
  // approved while the buyer's step is still open: captured by the follow-up once it is authorised
  return payment.status === "authorized" ? capturePayment(ctx, providers, payment.id) : payment;
}

/**
 * The follow-up job's pass: re-drives decided reviews whose payment is still open (the decision's hook may have
 * failed, or the buyer's step ended after it), and cancels what nobody finished: authorisations older than the
 * policy allows (gateways let them lapse), buyer steps left open as long, and payments never sent to the gateway.
 */
export async function followUpOpenPayments(ctx: PaymentsCtx, providers: Providers, limit = 200): Promise<number> {
  const now = ctx.clock();
  const p = schema.payment;
  const f = schema.fraudAssessment;
  const open = await ctx.database.db
    .select({ id: p.id, status: p.status, providerRef: p.providerRef, createdAt: p.createdAt, review: f.reviewStatus })
    .from(p)
    .leftJoin(f, eq(f.paymentId, p.id))
    .where(
      and(
        inArray(p.status, ["authorized", "requires_action", "processing"]),
        or(
          lt(p.createdAt, now - providers.policy.authorizationMs),
          inArray(f.reviewStatus, ["approved", "rejected"]),
          and(eq(p.status, "processing"), isNull(p.providerRef), lt(p.createdAt, now - UNSENT_AFTER_MS)),
        ),
      ),
    )
    .orderBy(asc(p.createdAt))
    .limit(limit);
  let acted = 0;
  for (const row of open) {
    try {
      if (row.createdAt < now - providers.policy.authorizationMs) {
        await cancelPayment(ctx, providers, row.id, "The payment was not completed in time");
      } else if (row.review === "rejected") {
        await cancelPayment(ctx, providers, row.id, BLOCKED_REASON);
      } else if (row.review === "approved" && row.status === "authorized") {
        await capturePayment(ctx, providers, row.id);
      } else if (row.status === "processing" && row.providerRef === null) {
        await applyProviderState(ctx, providers.policy, row.id, { status: "failed", capturedMinor: 0, failureReason: "The payment never reached the gateway" });
      } else continue;
      acted++;
    } catch (error) {
      // one payment's gateway trouble must not stop the others; the next pass tries again
      if (!(error instanceof AppError)) throw error;
    }
  }
  return acted;
}

// ---- views ----

export function view(p: PaymentRow, risk: PaymentView["risk"] = null): PaymentView {
  return {
    id: p.id,
    purpose: p.purpose,
    reference: p.reference,
    status: p.status as PaymentStatus,
    amount: p.amountMinor,
    currency: p.currency,
    walletAmount: p.walletMinor,
    provider: p.provider,
    captured: p.capturedMinor,
    refunded: p.refundedMinor,
    nextAction: p.status === "requires_action" && p.nextActionUrl ? { type: "authenticate", url: p.nextActionUrl } : null,
    failureReason: p.failureReason,
    risk,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}
