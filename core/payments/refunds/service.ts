// Refunds, full or partial, never more than was captured, idempotent by key. A top-up is refunded to its card, out
// of the wallet it credited. An order is refunded per seller sub-order: the seller's net share comes back from their
// pending proceeds (or available balance, or as a receivable), the platform's commission in proportion, and the
// buyer gets it on the card and/or in the wallet. A card refund the gateway refuses is credited to the wallet for an
// order (the buyer is owed it either way) and given back to the wallet for a top-up (it came from there).
import { ConflictError, NotFoundError, type PaymentProviderName, type RefundBody, type RefundView, ValidationError } from "@bazaar/contracts";
import { type Queryable, type Statement, schema } from "@bazaar/db";
import { createEvent, outboxInsert, paymentRefundSettled } from "@bazaar/events";
import { and, asc, eq, lt, ne, sql } from "drizzle-orm";
import type { Ctx } from "../../platform/deps.ts";
import { ledgerDeps, type PaymentRow, type PaymentsCtx, type Providers, paymentOrThrow, providerOf, splitsOf } from "../charges/service.ts";
import { divideHalfEven } from "../fx/convert.ts";
import { type AccountKey, ensureAccounts, isOverdraft, type NewTransaction, netPostings, PLATFORM, post, transactionStatements } from "../ledger/service.ts";
import { accountOf, cardPartOf, type SplitRow } from "../order-payments/postings.ts";
import { ProviderError, type ProviderEvent, type ProviderRefund } from "../providers/provider.ts";
import { clawBack } from "../settlement/service.ts";

type RefundRow = typeof schema.refund.$inferSelect;
/** What the gateway says of a refund's card part (a ProviderRefund, or less when it did not answer). */
type RefundOutcome = { status: ProviderRefund["status"]; providerRef?: string | undefined; failureReason?: string | undefined };
const { refund, payment: paymentTable, paymentSplit } = schema;
const iso = (ms: number) => new Date(ms).toISOString();

export type RefundInput = RefundBody;

/**
 * Refunds (part of) a captured payment. The whole refund is decided and the money taken back in one short
 * transaction (so two refunds racing for the last of a payment cannot both pass); the gateway is called after it,
 * and its answer, now or by webhook, settles the card part.
 */
export async function refundPayment(ctx: PaymentsCtx, providers: Providers, paymentId: string, body: RefundInput, idempotencyKey: string): Promise<RefundView> {
  const earlier = await refundByKey(ctx.database.db, idempotencyKey);
  if (earlier) return sameRefund(earlier, paymentId, body);
  const payment = await paymentOrThrow(ctx, paymentId);
  if (payment.status !== "captured") throw new ConflictError(`Only a captured payment can be refunded; this one is ${payment.status}`, "/");
  checkRefundable(payment, body.amount);
  const created =
    payment.purpose === "order" ? await takeBackOrderPart(ctx, payment, body, idempotencyKey) : await takeBackTopUp(ctx, payment, body, idempotencyKey);
  if ("replay" in created) return sameRefund(created.replay, paymentId, body);
  const row = created.row;
  if (row.amountMinor > row.walletMinor) await settleRefund(ctx, row.id, await askGateway(providers, payment, row));
  return refundView(await refundOrThrow(ctx, row.id));
}

function checkRefundable(payment: PaymentRow, amount: number): void {
  const refundable = payment.capturedMinor - payment.refundedMinor;
  if (amount > refundable) throw new ValidationError([{ path: "/amount", message: `is more than what can still be refunded (${refundable})` }]);
}

/**
 * A replayed key must be the same refund: another payment, amount, sub-order or destination under it is a 409, not
 * a silent answer (staff would see a success for a sub-order that was never refunded).
 */
function sameRefund(earlier: RefundRow, paymentId: string, body: RefundInput): RefundView {
  const same =
    earlier.paymentId === paymentId &&
    earlier.amountMinor === body.amount &&
    earlier.reference === (body.subOrderId ?? null) &&
    earlier.destination === (body.destination ?? "original");
  if (!same) {
    throw new ConflictError("This Idempotency-Key was used for a different refund", "/");
  }
  return refundView(earlier);
}

type Taken = { row: RefundRow } | { replay: RefundRow };

/** A top-up's refund: the amount leaves the wallet into the platform's refunds account first (409 if it was spent). */
async function takeBackTopUp(ctx: PaymentsCtx, payment: PaymentRow, body: RefundInput, idempotencyKey: string): Promise<Taken> {
  if (body.destination === "wallet") throw new ValidationError([{ path: "/destination", message: "a top-up is refunded to the card it came from" }]);
  if (body.subOrderId) throw new ValidationError([{ path: "/subOrderId", message: "a top-up has no sub-orders" }]);
  const row = newRefundRow(ctx, payment, body, idempotencyKey, { subOrderId: null, walletMinor: 0 });
  const wallet = accountOf("buyer_wallet", payment.buyerId, payment.currency);
  const refunds = accountOf("refunds", PLATFORM, payment.currency);
  const move: NewTransaction = {
    kind: "refund",
    reference: row.id,
    idempotencyKey: `refund-take:${row.id}`,
    description: "Refund to card",
    postings: [
      { account: wallet, amountMinor: -row.amountMinor },
      { account: refunds, amountMinor: row.amountMinor },
    ],
  };
  const accounts = await ensureAccounts(ledgerDeps(ctx), [wallet, refunds]);
  return inRefundTransaction(
    ctx,
    payment,
    row,
    async (tx) => transactionStatements(ledgerDeps(ctx), accounts, move, tx),
    "The wallet no longer holds this amount: it was spent",
  );
}

/** An order's refund of one sub-order's part: see the file's head. */
async function takeBackOrderPart(ctx: PaymentsCtx, payment: PaymentRow, body: RefundInput, idempotencyKey: string): Promise<Taken> {
  const splits = await splitsOf(ctx, payment.id);
  const split = body.subOrderId ? splits.find((s) => s.subOrderId === body.subOrderId) : splits.length === 1 ? splits[0] : undefined;
  if (!split) {
    throw new ValidationError([
      { path: "/subOrderId", message: body.subOrderId ? "is not a sub-order of this payment" : "is required: name the seller's sub-order to refund" },
    ]);
  }
  const buyer = payment.currency;
  const seller = split.settlementCurrency;
  const keys: AccountKey[] = [
    accountOf("seller_pending", split.sellerId, seller),
    accountOf("seller_available", split.sellerId, seller),
    accountOf("seller_receivable", split.sellerId, seller),
    accountOf("platform_commission", PLATFORM, seller),
    accountOf("fx_conversion", PLATFORM, seller),
    accountOf("fx_conversion", PLATFORM, buyer),
    accountOf("refunds", PLATFORM, buyer),
    accountOf("buyer_wallet", payment.buyerId, buyer),
  ];
  const accounts = await ensureAccounts(ledgerDeps(ctx), keys);
  const placeholder = newRefundRow(ctx, payment, body, idempotencyKey, { subOrderId: split.subOrderId, walletMinor: 0 });
  return inRefundTransaction(
    ctx,
    payment,
    placeholder,
    async (tx, row) => {
      const [fresh] = await tx.select().from(paymentSplit).where(eq(paymentSplit.id, split.id)).limit(1);
      if (!fresh) throw new NotFoundError("payment split", split.id);
      const remaining = fresh.chargeMinor - fresh.refundedMinor;
      if (row.amountMinor > remaining) {
        throw new ValidationError([{ path: "/amount", message: `is more than what can still be refunded of this sub-order (${remaining})` }]);
      }
      const share = sellerShareOf(fresh, row.amountMinor);
      row.walletMinor = body.destination === "wallet" ? row.amountMinor : row.amountMinor - Math.min(row.amountMinor, await cardStillRefundable(tx, payment));
      const claw = await clawBack(tx, {
        sellerId: fresh.sellerId,
        subOrderId: fresh.subOrderId,
        currency: seller,
        amountMinor: share.settlementMinor - share.commissionMinor,
      });
      const take: NewTransaction = {
        kind: "refund",
        reference: row.id,
        idempotencyKey: `refund-take:${row.id}`,
        description: "Refund of an order",
        postings: netPostings([
          ...claw.postings,
          { account: accountOf("platform_commission", PLATFORM, seller), amountMinor: -share.commissionMinor },
          { account: accountOf("fx_conversion", PLATFORM, seller), amountMinor: share.settlementMinor },
          { account: accountOf("fx_conversion", PLATFORM, buyer), amountMinor: -row.amountMinor },
          { account: accountOf("refunds", PLATFORM, buyer), amountMinor: row.amountMinor },
        ]),
      };
      const statements = [
        ...claw.statements,
        tx
          .update(paymentSplit)
          .set({
            refundedMinor: sql`${paymentSplit.refundedMinor} + ${row.amountMinor}`,
            refundedSettlementMinor: sql`${paymentSplit.refundedSettlementMinor} + ${share.settlementMinor}`,
            refundedCommissionMinor: sql`${paymentSplit.refundedCommissionMinor} + ${share.commissionMinor}`,
          })
          .where(eq(paymentSplit.id, fresh.id)),
        ...(take.postings.length >= 2 ? transactionStatements(ledgerDeps(ctx), accounts, take, tx) : []),
      ];
      if (row.walletMinor > 0) {
        statements.push(
          ...transactionStatements(
            ledgerDeps(ctx),
            accounts,
            toWallet(row, payment.buyerId, row.walletMinor, `refund-wallet:${row.id}`, "Refund to wallet"),
            tx,
          ),
        );
      }
      if (row.walletMinor === row.amountMinor) {
        row.status = "succeeded";
        statements.push(settledEvent(ctx, tx, payment, row));
      }
      return statements;
    },
    "The seller's balance cannot cover this refund right now",
  );
}

/**
 * The seller's part of refunding `amountMinor` (buyer currency) of a split, in the seller's currency: the share of
 * their proceeds and of the commission in proportion, rounded once each, half to even; the refund of the last of a
 * split takes exactly what is left, so a split refunded in parts returns exactly what its sale moved.
 */
export function sellerShareOf(split: SplitRow, amountMinor: number): { settlementMinor: number; commissionMinor: number } {
  const left = {
    charge: split.chargeMinor - split.refundedMinor,
    settlement: split.settlementMinor - split.refundedSettlementMinor,
    commission: split.commissionMinor - split.refundedCommissionMinor,
  };
  if (amountMinor >= left.charge) return { settlementMinor: left.settlement, commissionMinor: left.commission };
  const part = (total: number, cap: number) => Math.min(cap, Number(divideHalfEven(BigInt(amountMinor) * BigInt(total), BigInt(split.chargeMinor))));
  const settlementMinor = part(split.settlementMinor, left.settlement);
  return { settlementMinor, commissionMinor: Math.min(settlementMinor, part(split.commissionMinor, left.commission)) };
}

/** What the card paid and no refund has sent back to it yet (a pending card refund counts as sent). */
async function cardStillRefundable(tx: Queryable, payment: PaymentRow): Promise<number> {
  const [row] = await tx
    .select({ toCard: sql<number>`coalesce(sum(${refund.amountMinor} - ${refund.walletMinor}), 0)` })
    .from(refund)
    .where(and(eq(refund.paymentId, payment.id), ne(refund.status, "failed")));
  return Math.max(0, cardPartOf(payment) - Number(row?.toCard ?? 0));
}

/**
 * Writes a refund in one short transaction: the payment's refunded amount (guarded, and backed by its CHECK), the
 * refund row, and what `build` adds (the money taken back). Another refund under the same key meanwhile is a
 * replay; an overdraft is a 409 with `overdraftMessage`; nothing is written on any refusal.
 */
async function inRefundTransaction(
  ctx: PaymentsCtx,
  payment: PaymentRow,
  row: RefundRow,
  build: (tx: Queryable, row: RefundRow) => Promise<Statement[]>,
  overdraftMessage: string,
): Promise<Taken> {
  try {
    await ctx.database.transaction(async (tx) => {
      const [current] = await tx.select().from(paymentTable).where(eq(paymentTable.id, payment.id)).limit(1);
      if (!current) throw new NotFoundError("payment", payment.id);
      checkRefundable(current, row.amountMinor);
      const statements = await build(tx, row);
      await tx
        .update(paymentTable)
        .set({ refundedMinor: sql`${paymentTable.refundedMinor} + ${row.amountMinor}`, updatedAt: ctx.clock() })
        .where(eq(paymentTable.id, payment.id));
      await tx.insert(refund).values(row);
      for (const statement of statements) await statement;
    });
  } catch (error) {
    const again = await refundByKey(ctx.database.db, row.idempotencyKey);
    if (again) return { replay: again };
    if (isOverdraft(error)) throw new ConflictError(overdraftMessage, "/amount");
    throw error;
  }
  ctx.eventsWritten();
  return { row: await refundOrThrow(ctx, row.id) };
}

function newRefundRow(
  ctx: Pick<Ctx, "ids" | "clock">,
  payment: PaymentRow,
  body: RefundInput,
  idempotencyKey: string,
  part: { subOrderId: string | null; walletMinor: number },
): RefundRow {
  const now = ctx.clock();
  return {
    id: ctx.ids("refund"),
    paymentId: payment.id,
    amountMinor: body.amount,
    currency: payment.currency,
    destination: body.destination ?? "original",
    status: "pending",
    reason: body.reason ?? "",
    reference: part.subOrderId,
    walletMinor: part.walletMinor,
    failureReason: null,
    providerRef: null,
    gatewayFailures: 0,
    idempotencyKey,
    createdAt: now,
    updatedAt: now,
  };
}

function toWallet(row: RefundRow, buyerId: string, amountMinor: number, idempotencyKey: string, description: string): NewTransaction {
  return {
    kind: "refund",
    reference: row.id,
    idempotencyKey,
    description,
    postings: [
      { account: accountOf("refunds", PLATFORM, row.currency), amountMinor: -amountMinor },
      { account: accountOf("buyer_wallet", buyerId, row.currency), amountMinor },
    ],
  };
}

function settledEvent(ctx: PaymentsCtx, db: Queryable, payment: PaymentRow, row: RefundRow): Statement {
  return outboxInsert(
    db,
    createEvent(
      paymentRefundSettled,
      {
        refundId: row.id,
        paymentId: payment.id,
        buyerId: payment.buyerId,
        orderId: payment.purpose === "order" ? payment.reference : null,
        subOrderId: row.reference,
        status: row.status === "failed" ? "failed" : "succeeded",
        amountMinor: row.amountMinor,
        walletMinor: row.walletMinor,
        currency: row.currency,
      },
      { ids: ctx.ids, now: ctx.clock(), ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
    ),
  );
}

// ---- the gateway's answer ----

/**
 * Settles a pending refund's card part with what the gateway says, once: `pending` only notes the gateway's ref;
 * `succeeded` sends the money out through the clearing account; `failed` credits it to the wallet (order) or gives
 * it back to the wallet (top-up, whose refund then failed). A refund already settled changes no more.
 */
export async function settleRefund(ctx: PaymentsCtx, refundId: string, outcome: RefundOutcome): Promise<void> {
  const row = await refundOrThrow(ctx, refundId);
  if (row.status !== "pending") return;
  const payment = await paymentOrThrow(ctx, row.paymentId);
  const card = row.amountMinor - row.walletMinor;
  const now = ctx.clock();
  const pendingOnly = and(eq(refund.id, row.id), eq(refund.status, "pending"));
  if (outcome.status === "pending") {
    if (outcome.providerRef) await ctx.database.write((db) => db.update(refund).set({ providerRef: outcome.providerRef, updatedAt: now }).where(pendingOnly));
    return;
  }
  const settled: RefundRow = { ...row, updatedAt: now, ...(outcome.providerRef ? { providerRef: outcome.providerRef } : {}) };
  let move: NewTransaction;
  const also: Statement[] = [];
  if (outcome.status === "succeeded") {
    settled.status = "succeeded";
    move = {
      kind: "refund",
      reference: row.id,
      idempotencyKey: `refund-out:${row.id}`,
      description: "Refund to card",
      postings: [
        { account: accountOf("refunds", PLATFORM, row.currency), amountMinor: -card },
        { account: accountOf("provider_clearing", payment.provider, row.currency), amountMinor: card },
      ],
    };
  } else if (payment.purpose === "order") {
    settled.status = "succeeded";
    settled.walletMinor = row.amountMinor;
    settled.failureReason = outcome.failureReason ?? "The card could not take the refund";
    move = toWallet(row, payment.buyerId, card, `refund-fallback:${row.id}`, "Refund the card could not take: credited to the wallet");
  } else {
    settled.status = "failed";
    settled.failureReason = outcome.failureReason ?? "The card could not take the refund";
    move = toWallet(row, payment.buyerId, card, `refund-back:${row.id}`, "Refund failed: returned to wallet");
    also.push(
      ctx.database.db
        .update(paymentTable)
        .set({ refundedMinor: sql`${paymentTable.refundedMinor} - ${row.amountMinor}`, updatedAt: now })
        .where(eq(paymentTable.id, payment.id)),
    );
  }
  const update = ctx.database.db
    .update(refund)
    .set({ status: settled.status, walletMinor: settled.walletMinor, failureReason: settled.failureReason, providerRef: settled.providerRef, updatedAt: now })
    .where(pendingOnly);
  await post(ledgerDeps(ctx), move, [update, ...also, settledEvent(ctx, ctx.database.db, payment, settled)]);
  ctx.eventsWritten();
}

/** A verified gateway event about a refund (refund.succeeded / refund.failed), matched by the gateway's refund ref. */
export async function applyRefundEvent(ctx: PaymentsCtx, providerName: string, event: ProviderEvent): Promise<void> {
  if (event.type !== "refund.succeeded" && event.type !== "refund.failed") return;
  if (!event.refundRef) return;
  const [row] = await ctx.database.db
    .select({ id: refund.id, paymentId: refund.paymentId })
    .from(refund)
    .innerJoin(paymentTable, eq(paymentTable.id, refund.paymentId))
    .where(and(eq(refund.providerRef, event.refundRef), eq(paymentTable.provider, providerName)))
    .limit(1);
  if (!row) return;
  await settleRefund(ctx, row.id, { status: event.type === "refund.succeeded" ? "succeeded" : "failed", failureReason: event.failureReason });
}

/**
 * Sends a refund's card part to the gateway and reads the answer. A refusal (declined, invalid) is a failed refund:
 * the gateway made none. No answer (unavailable) leaves it pending, with no gateway ref: the gateway may have made
 * it, so the follow-up looks for it there before it sends it again.
 */
async function askGateway(providers: Providers, payment: PaymentRow, row: RefundRow): Promise<RefundOutcome> {
  try {
    if (!payment.providerRef) throw new ProviderError("The payment has no gateway reference", "invalid_request");
    return await providerOf(providers, payment.provider as PaymentProviderName).refund({
      providerRef: payment.providerRef,
      amountMinor: row.amountMinor - row.walletMinor,
      currency: payment.currency,
      // a new key only once the gateway surely made no refund for the old one: see followUpPendingRefunds
      idempotencyKey: row.gatewayFailures === 0 ? row.id : `${row.id}:${row.gatewayFailures}`,
      refundId: row.id,
      reason: row.reason,
    });
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return error.kind === "unavailable" ? { status: "pending" } : { status: "failed", failureReason: error.message };
  }
}

/** How long a refund waits for its webhook before the follow-up asks the gateway, and between two asks. */
export const REFUND_FOLLOW_UP_MS = 10 * 60_000;

/**
 * Settles refunds left pending, oldest asked first. One answered pending is read back (`getRefund`), for the webhook
 * that never came (PayPal sends none when a refund fails). One the gateway never answered is looked for at the
 * gateway first (`findRefund`, by our refund id): found, it is settled as the gateway says; surely not there, it is
 * sent again under a new key (a gateway replays its first answer to a key, the error included). Never a new key
 * without that check: a refund made twice is money given away. A gateway that cannot be asked, or is still down,
 * is asked again later; a refund is never given up on into the wallet, since the gateway may yet pay it to the card.
 * Returns how many it settled.
 */
export async function followUpPendingRefunds(ctx: PaymentsCtx, providers: Providers, limit = 100): Promise<number> {
  const now = ctx.clock();
  const stale = await ctx.database.db
    .select()
    .from(refund)
    .where(and(eq(refund.status, "pending"), lt(refund.updatedAt, now - REFUND_FOLLOW_UP_MS)))
    .orderBy(asc(refund.updatedAt))
    .limit(limit);
  let settled = 0;
  for (const row of stale) {
    const payment = await paymentOrThrow(ctx, row.paymentId);
    const outcome = row.providerRef ? await readBack(providers, payment, row.providerRef) : await askAgain(ctx, providers, payment, row);
    if (outcome === "taken") continue;
    if (outcome.status === "pending") {
      // asked: the others get their turn before this one is asked again
      await ctx.database.write((db) =>
        db
          .update(refund)
          .set({ updatedAt: now, ...(outcome.providerRef ? { providerRef: outcome.providerRef } : {}) })
          .where(and(eq(refund.id, row.id), eq(refund.status, "pending"))),
      );
      continue;
    }
    await settleRefund(ctx, row.id, outcome);
    settled++;
  }
  return settled;
}

/**
 * A refund the gateway never answered. The gateway holds one for it: that one's state. Surely none: sent under the
 * refund's next key, claimed first (gateway_failures + 1, only if unchanged) so that of two passes at once only one
 * sends it ("taken" for the other). A gateway that cannot be searched gets the first key again, never a new one.
 */
async function askAgain(ctx: PaymentsCtx, providers: Providers, payment: PaymentRow, row: RefundRow): Promise<RefundOutcome | "taken"> {
  const provider = providerOf(providers, payment.provider as PaymentProviderName);
  if (!provider.findRefund || !payment.providerRef) return askGateway(providers, payment, row);
  try {
    const found = await provider.findRefund({ providerRef: payment.providerRef, refundId: row.id });
    if (found) return found;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { status: "pending" };
  }
  const claimed = await ctx.database.write((db) =>
    db
      .update(refund)
      .set({ gatewayFailures: row.gatewayFailures + 1 })
      .where(and(eq(refund.id, row.id), eq(refund.status, "pending"), eq(refund.gatewayFailures, row.gatewayFailures))),
  );
  if (claimed.rowsAffected === 0) return "taken";
  return askGateway(providers, payment, { ...row, gatewayFailures: row.gatewayFailures + 1 });
}

/** A refund the gateway answered pending, read back where the gateway can tell. */
async function readBack(providers: Providers, payment: PaymentRow, refundRef: string): Promise<RefundOutcome> {
  const provider = providerOf(providers, payment.provider as PaymentProviderName);
  if (!provider.getRefund) return { status: "pending" };
  try {
    return await provider.getRefund(refundRef);
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { status: "pending" };
  }
}

// ---- reading ----

async function refundByKey(db: Queryable, idempotencyKey: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(refund).where(eq(refund.idempotencyKey, idempotencyKey)).limit(1);
  return row;
}

async function refundOrThrow(ctx: Pick<Ctx, "database">, refundId: string): Promise<RefundRow> {
  const [row] = await ctx.database.db.select().from(refund).where(eq(refund.id, refundId)).limit(1);
  if (!row) throw new NotFoundError("refund", refundId);
  return row;
}

/** The refunds of a payment, oldest first (for the order's timeline and the buyer's view). */
export async function refundsOf(ctx: Pick<Ctx, "database">, paymentId: string): Promise<RefundView[]> {
  const rows = await ctx.database.db.select().from(refund).where(eq(refund.paymentId, paymentId)).orderBy(refund.createdAt, refund.id);
  return rows.map(refundView);
}

export function refundView(r: RefundRow): RefundView {
  return {
    id: r.id,
    paymentId: r.paymentId,
    subOrderId: r.reference,
    amount: r.amountMinor,
    walletAmount: r.walletMinor,
    currency: r.currency,
    destination: r.destination,
    status: r.status,
    reason: r.reason,
    failureReason: r.failureReason,
    createdAt: iso(r.createdAt),
  };
}
