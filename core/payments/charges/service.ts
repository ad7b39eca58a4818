// Payments through a gateway: create (a wallet top-up for now; checkout will use the same path for orders),
// apply what the gateway says (its answer, then its webhooks, late, twice or out of order), refund. Money moves
// only through the ledger, under idempotency keys derived from our ids, so nothing is ever credited twice.
import {
  AppError,
  ConflictError,
  NotFoundError,
  type PaymentProviderName,
  type PaymentStatus,
  type PaymentView,
  type RefundBody,
  type RefundView,
  type TopUpBody,
  ValidationError,
} from "@bazaar/contracts";
import { isConstraintError, type Statement, schema } from "@bazaar/db";
import { createEvent, outboxInsert, paymentProviderEventReceived, paymentStatusChanged } from "@bazaar/events";
import { and, eq, sql } from "drizzle-orm";
import { requireOwner } from "../../http/authentication.ts";
import type { Actor, Ctx } from "../../platform/deps.ts";
import { ensureAccounts, type LedgerDeps, PLATFORM, type Posting, post, transactionStatements } from "../ledger/service.ts";
import { type PaymentProvider, ProviderError, type ProviderEvent, type ProviderPayment, WebhookSignatureError } from "../providers/provider.ts";

export type PaymentRow = typeof schema.payment.$inferSelect;
export type PaymentsCtx = Pick<Ctx, "database" | "clock" | "ids" | "eventsWritten"> & { requestId?: string };

/** The gateways this process can use, by name, and the one used when a request names none. */
export interface Providers {
  byName: Partial<Record<PaymentProviderName, PaymentProvider>>;
  defaultProvider: PaymentProviderName;
}

const STAFF = ["admin"] as const;
const TERMINAL: readonly PaymentStatus[] = ["captured", "failed", "canceled"];
const iso = (ms: number) => new Date(ms).toISOString();

function providerOf(providers: Providers, name: PaymentProviderName): PaymentProvider {
  const provider = providers.byName[name];
  if (!provider) throw new ValidationError([{ path: "/provider", message: `${name} is not configured on this platform` }]);
  return provider;
}

function ledgerDeps(ctx: PaymentsCtx): LedgerDeps {
  return { database: ctx.database, ids: ctx.ids, clock: ctx.clock };
}

// ---- top-ups ----

/**
 * POST /v1/me/wallet/top-ups: charges the buyer through a gateway and credits the wallet once captured. With an
 * Idempotency-Key, a replay returns the first payment (and a different request under the same key is a 409).
 */
export async function topUp(ctx: PaymentsCtx, providers: Providers, actor: Actor, body: TopUpBody, idempotencyKey?: string): Promise<PaymentView> {
  const providerName = body.provider ?? providers.defaultProvider;
  const provider = providerOf(providers, providerName);
  if (idempotencyKey !== undefined) {
    const earlier = await paymentByIdempotencyKey(ctx, actor.userId, idempotencyKey);
    if (earlier) return replayed(earlier, body, providerName);
  }
  const now = ctx.clock();
  const payment: PaymentRow = {
    id: ctx.ids("payment"),
    buyerId: actor.userId,
    purpose: "top_up",
    reference: null,
    amountMinor: body.amount,
    currency: body.currency,
    walletMinor: 0,
    provider: providerName,
    providerRef: null,
    captureMode: "automatic",
    status: "processing",
    capturedMinor: 0,
    refundedMinor: 0,
    failureReason: null,
    nextActionUrl: null,
    providerUpdatedAt: null,
    idempotencyKey: idempotencyKey ?? null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  try {
    // recorded before the gateway is asked, so a crash in between leaves a payment to look into, not nothing
    await ctx.database.write((db) => db.insert(schema.payment).values(payment));
  } catch (error) {
    if (idempotencyKey !== undefined && isConstraintError(error)) {
      const earlier = await paymentByIdempotencyKey(ctx, actor.userId, idempotencyKey);
      if (earlier) return replayed(earlier, body, providerName);
    }
    throw error;
  }
  let answer: ProviderPayment;
  try {
    answer = await provider.createPayment({
      paymentId: payment.id,
      amountMinor: body.amount,
      currency: body.currency,
      paymentMethod: body.paymentMethod,
      captureMode: "automatic",
      // our payment id: a retried call is the same call to the gateway
      idempotencyKey: payment.id,
      description: "Bazaar wallet top-up",
    });
  } catch (error) {
    const reason = error instanceof ProviderError ? error.message : "The payment provider could not be reached";
    await applyProviderState(ctx, payment.id, { status: "failed", capturedMinor: 0, failureReason: reason });
    if (error instanceof ProviderError && error.kind === "invalid_request") throw new ValidationError([{ path: "/paymentMethod", message: error.message }]);
    throw new AppError("BAD_GATEWAY", reason);
  }
  await applyProviderState(ctx, payment.id, answer);
  return view(await paymentOrThrow(ctx, payment.id));
}

function replayed(earlier: PaymentRow, body: TopUpBody, providerName: string): PaymentView {
  if (earlier.amountMinor !== body.amount || earlier.currency !== body.currency || earlier.provider !== providerName) {
    throw new ConflictError("This Idempotency-Key was used for a different request", "/");
  }
  return view(earlier);
}

async function paymentByIdempotencyKey(ctx: PaymentsCtx, buyerId: string, key: string): Promise<PaymentRow | undefined> {
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

async function paymentOrThrow(ctx: Pick<Ctx, "database">, paymentId: string): Promise<PaymentRow> {
  const row = await findPayment(ctx, paymentId);
  if (!row) throw new NotFoundError("payment", paymentId);
  return row;
}

/** GET /v1/me/payments/{id}: the buyer's own payment (another's is 404, as is an unknown one). */
export async function getPayment(ctx: Pick<Ctx, "database">, actor: Actor, paymentId: string): Promise<PaymentView> {
  return view(requireOwner(actor, await findPayment(ctx, paymentId), "payment", STAFF, (p) => p.buyerId));
}

// ---- what the gateway says ----

/**
 * Moves a payment to what the gateway reports, if that is news: older news than what was applied (by the
 * gateway's own time), or any news about a payment that already ended, changes nothing. Reaching `captured`
 * credits the ledger in the same batch, under a key only this payment's capture uses: applied twice, it
 * credits once.
 */
export async function applyProviderState(
  ctx: PaymentsCtx,
  paymentId: string,
  state: Pick<ProviderPayment, "status" | "capturedMinor" | "failureReason" | "nextActionUrl" | "providerRef"> | Omit<ProviderPayment, "providerRef">,
  /** the gateway's time of this news, for a webhook; none for the gateway's direct answer to our call */
  occurredAt?: number,
): Promise<PaymentRow> {
  const payment = await paymentOrThrow(ctx, paymentId);
  if (TERMINAL.includes(payment.status as PaymentStatus)) return payment;
  // gateways' clocks and ours differ (and some count seconds): only their own times are compared with each other
  if (occurredAt !== undefined && payment.providerUpdatedAt !== null && occurredAt < payment.providerUpdatedAt) return payment;
  const now = ctx.clock();
  const captured = state.status === "captured" ? state.capturedMinor || payment.amountMinor : payment.capturedMinor;
  const update = ctx.database.db
    .update(schema.payment)
    .set({
      status: state.status,
      capturedMinor: captured,
      failureReason: state.failureReason ?? null,
      nextActionUrl: state.status === "requires_action" ? (state.nextActionUrl ?? null) : null,
      ...("providerRef" in state && state.providerRef ? { providerRef: state.providerRef } : {}),
      ...(occurredAt === undefined ? {} : { providerUpdatedAt: occurredAt }),
      updatedAt: now,
      version: sql`${schema.payment.version} + 1`,
    })
    // the version read above: a change that raced this one wins, and this one is re-read by whoever retries
    .where(and(eq(schema.payment.id, paymentId), eq(schema.payment.version, payment.version)));
  const event = outboxInsert(
    ctx.database.db,
    createEvent(
      paymentStatusChanged,
      { paymentId, buyerId: payment.buyerId, purpose: payment.purpose, status: state.status, amountMinor: payment.amountMinor, currency: payment.currency },
      { ids: ctx.ids, now, ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
    ),
  );
  if (state.status === "captured" && payment.purpose === "top_up") {
    const { replayed } = await post(ledgerDeps(ctx), creditTopUp(payment, captured), [update, event]);
    // credited before (a racing apply whose status update lost to a version change): the status still moves
    if (replayed) await ctx.database.batch([update, event]);
  } else {
    await ctx.database.batch([update, event]);
  }
  ctx.eventsWritten();
  return paymentOrThrow(ctx, paymentId);
}

/** A captured top-up: money in from the gateway's clearing account to the buyer's wallet. */
function creditTopUp(payment: PaymentRow, amountMinor: number) {
  return {
    kind: "top_up",
    reference: payment.id,
    idempotencyKey: `capture:${payment.id}`,
    description: "Wallet top-up",
    postings: [
      { account: { kind: "provider_clearing" as const, ownerId: payment.provider, currency: payment.currency }, amountMinor: -amountMinor },
      { account: { kind: "buyer_wallet" as const, ownerId: payment.buyerId, currency: payment.currency }, amountMinor },
    ],
  };
}

// ---- webhooks ----

/**
 * POST /v1/payments/webhooks/{provider}: verifies the signature over the raw body (a forged or stale one is a 400
 * and nothing is stored), then stores the event once per (provider, event id) with an outbox event in the same
 * batch; the subscriber applies it. A redelivery answers 200 and does nothing.
 */
export async function receiveWebhook(
  ctx: PaymentsCtx,
  providers: Providers,
  providerName: PaymentProviderName,
  rawBody: string,
  headers: Headers,
): Promise<{ received: true; duplicate: boolean }> {
  const provider = providers.byName[providerName];
  if (!provider) throw new NotFoundError("payment provider", providerName);
  let event: ProviderEvent;
  try {
    event = await provider.parseWebhook(rawBody, headers);
  } catch (error) {
    if (error instanceof WebhookSignatureError)
      throw new AppError("BAD_REQUEST", `The webhook was refused: ${error.message}`, [{ path: "/", message: error.message }]);
    throw error;
  }
  const now = ctx.clock();
  // the event and its outbox row commit together: a crash between them would leave a stored event that is never
  // applied, while its redelivery is skipped as a duplicate
  const inserted = await ctx.database.transaction(async (tx) => {
    const rows = await tx
      .insert(schema.providerEvent)
      .values({
        provider: providerName,
        eventId: event.eventId,
        type: event.type,
        objectRef: event.providerRef ?? null,
        occurredAt: event.occurredAt,
        receivedAt: now,
        payload: JSON.stringify(event),
      })
      .onConflictDoNothing()
      .returning({ eventId: schema.providerEvent.eventId });
    if (!rows.length) return false;
    await outboxInsert(tx, createEvent(paymentProviderEventReceived, { provider: providerName, eventId: event.eventId }, { ids: ctx.ids, now }));
    return true;
  });
  if (!inserted) return { received: true, duplicate: true };
  ctx.eventsWritten();
  return { received: true, duplicate: false };
}

/** The subscriber's half: applies a stored provider event to its payment (or refund). */
export async function applyProviderEvent(ctx: PaymentsCtx, providerName: string, eventId: string): Promise<Statement[] | undefined> {
  const [row] = await ctx.database.db
    .select()
    .from(schema.providerEvent)
    .where(and(eq(schema.providerEvent.provider, providerName), eq(schema.providerEvent.eventId, eventId)))
    .limit(1);
  if (!row) return undefined;
  const event = JSON.parse(row.payload) as ProviderEvent;
  const payment = await paymentForEvent(ctx, providerName, event);
  if (!payment) return undefined;
  const status = STATUS_OF[event.type];
  if (!status) return undefined;
  await applyProviderState(
    ctx,
    payment.id,
    {
      status,
      capturedMinor: status === "captured" ? (event.amountMinor ?? payment.amountMinor) : payment.capturedMinor,
      ...(event.failureReason ? { failureReason: event.failureReason } : {}),
      ...(event.providerRef ? { providerRef: event.providerRef } : {}),
    },
    event.occurredAt,
  );
  return undefined;
}

const STATUS_OF: Partial<Record<ProviderEvent["type"], PaymentStatus>> = {
  "payment.succeeded": "captured",
  "payment.authorized": "authorized",
  "payment.failed": "failed",
  "payment.canceled": "canceled",
  "payment.requires_action": "requires_action",
};

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

// ---- refunds ----

/**
 * Refunds part or all of a captured top-up to the card it came from: first the wallet gives the amount back into
 * the platform's refunds account (refused, 409, if the buyer has spent it), then the gateway refunds; if the gateway
 * refuses, the amount goes back to the wallet. Never more than was captured (checked, and a CHECK backs it up);
 * idempotent by `idempotencyKey`.
 */
export async function refundPayment(ctx: PaymentsCtx, providers: Providers, paymentId: string, body: RefundBody, idempotencyKey: string): Promise<RefundView> {
  const [earlier] = await ctx.database.db.select().from(schema.refund).where(eq(schema.refund.idempotencyKey, idempotencyKey)).limit(1);
  if (earlier) return refundView(earlier);
  const payment = await paymentOrThrow(ctx, paymentId);
  if (payment.status !== "captured") throw new ConflictError(`Only a captured payment can be refunded; this one is ${payment.status}`, "/");
  const refundable = payment.capturedMinor - payment.refundedMinor;
  if (body.amount > refundable) {
    throw new ValidationError([{ path: "/amount", message: `is more than what can still be refunded (${refundable})` }]);
  }
  const destination = body.destination ?? "original";
  if (destination === "wallet" && payment.purpose === "top_up") {
    throw new ValidationError([{ path: "/destination", message: "a top-up is refunded to the card it came from" }]);
  }
  const now = ctx.clock();
  const refundId = ctx.ids("refund");
  const reserve = ctx.database.db
    .update(schema.payment)
    .set({ refundedMinor: sql`${schema.payment.refundedMinor} + ${body.amount}`, updatedAt: now })
    .where(and(eq(schema.payment.id, paymentId), sql`${schema.payment.refundedMinor} + ${body.amount} <= ${schema.payment.capturedMinor}`));
  const row = {
    id: refundId,
    paymentId,
    amountMinor: body.amount,
    currency: payment.currency,
    destination,
    status: "pending",
    reason: body.reason ?? "",
    reference: null,
    providerRef: null,
    idempotencyKey,
    createdAt: now,
    updatedAt: now,
  };
  const wallet = { kind: "buyer_wallet" as const, ownerId: payment.buyerId, currency: payment.currency };
  const refunds = { kind: "refunds" as const, ownerId: PLATFORM, currency: payment.currency };
  const clearing = { kind: "provider_clearing" as const, ownerId: payment.provider, currency: payment.currency };
  const move = (key: string, from: Posting["account"], to: Posting["account"], description: string) => ({
    kind: "refund",
    reference: refundId,
    idempotencyKey: key,
    description,
    postings: [
      { account: from, amountMinor: -body.amount },
      { account: to, amountMinor: body.amount },
    ],
  });
  const accounts = await ensureAccounts(ledgerDeps(ctx), [wallet, refunds, clearing]);
  try {
    await ctx.database.batch([
      reserve,
      ctx.database.db.insert(schema.refund).values(row),
      ...transactionStatements(ledgerDeps(ctx), accounts, move(`refund-hold:${refundId}`, wallet, refunds, "Refund to card")),
    ] as [Statement, ...Statement[]]);
  } catch (error) {
    if (!isConstraintError(error)) throw error;
    const [again] = await ctx.database.db.select().from(schema.refund).where(eq(schema.refund.idempotencyKey, idempotencyKey)).limit(1);
    if (again) return refundView(again);
    const fresh = await paymentOrThrow(ctx, paymentId);
    if (fresh.refundedMinor + body.amount > fresh.capturedMinor) {
      throw new ValidationError([{ path: "/amount", message: `is more than what can still be refunded (${fresh.capturedMinor - fresh.refundedMinor})` }]);
    }
    throw new ConflictError("The wallet no longer holds this amount: it was spent", "/amount");
  }
  const provider = providerOf(providers, payment.provider as PaymentProviderName);
  let succeeded = false;
  let providerRef: string | null = null;
  try {
    if (!payment.providerRef) throw new ProviderError("The payment has no gateway reference", "invalid_request");
    const answer = await provider.refund({ providerRef: payment.providerRef, amountMinor: body.amount, currency: payment.currency, idempotencyKey: refundId });
    succeeded = answer.status !== "failed";
    providerRef = answer.providerRef;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
  }
  const settle = ctx.database.db
    .update(schema.refund)
    .set({ status: succeeded ? "succeeded" : "failed", providerRef, updatedAt: ctx.clock() })
    .where(eq(schema.refund.id, refundId));
  if (succeeded) {
    await post(ledgerDeps(ctx), move(`refund-out:${refundId}`, refunds, clearing, "Refund to card"), [settle]);
  } else {
    const release = ctx.database.db
      .update(schema.payment)
      .set({ refundedMinor: sql`${schema.payment.refundedMinor} - ${body.amount}`, updatedAt: ctx.clock() })
      .where(eq(schema.payment.id, paymentId));
    await post(ledgerDeps(ctx), move(`refund-back:${refundId}`, refunds, wallet, "Refund failed: returned to wallet"), [settle, release]);
  }
  const [done] = await ctx.database.db.select().from(schema.refund).where(eq(schema.refund.id, refundId)).limit(1);
  if (!done) throw new NotFoundError("refund", refundId);
  return refundView(done);
}

// ---- views ----

export function view(p: PaymentRow, risk: PaymentView["risk"] = null): PaymentView {
  return {
    id: p.id,
    purpose: p.purpose,
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

function refundView(r: typeof schema.refund.$inferSelect): RefundView {
  return {
    id: r.id,
    paymentId: r.paymentId,
    amount: r.amountMinor,
    currency: r.currency,
    destination: r.destination,
    status: r.status,
    reason: r.reason,
    createdAt: iso(r.createdAt),
  };
}
