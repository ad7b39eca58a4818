// What sellers earn: the platform's commission per category (frozen on each sale), the hold that keeps a sale's
// proceeds pending until the return window closes, the release into the seller's available balance, and the
// seller's balances. A refund after the release takes the money back from the available balance, and what that
// cannot cover becomes a receivable netted from the seller's next releases: never a silent negative.
import { ConflictError, NotFoundError, ValidationError } from "@bazaar/contracts";
import { type Queryable, type Statement, schema } from "@bazaar/db";
import { createEvent, outboxInsert, sellerFundsReleased } from "@bazaar/events";
import { and, asc, eq, inArray, isNotNull, isNull, lte, sql } from "drizzle-orm";
import type { Ctx } from "../../platform/deps.ts";
import { divideHalfEven } from "../fx/convert.ts";
import { type AccountKey, balancesOf, ensureAccounts, type LedgerDeps, type NewTransaction, transactionStatements } from "../ledger/service.ts";
import { accountOf, type SplitRow, sellerNetOf } from "../order-payments/postings.ts";

const { settlementHold, ledgerAccount, category } = schema;
export type SettlementCtx = Pick<Ctx, "database" | "clock" | "ids"> & { eventsWritten?: () => void };
type HoldRow = typeof settlementHold.$inferSelect;

// ---- commission ----

/**
 * Basis points per category for these categories, as the catalog sets them (`category.commission_bps`): the
 * category's own rate, else its nearest ancestor's, else the platform's default (also for an id the catalog does
 * not know). Read at sale time and frozen on the split, so a rate changed later never changes past money.
 */
export async function commissionRatesFor(db: Queryable, categoryIds: readonly string[], defaultBps: number): Promise<Map<string, number>> {
  const unique = [...new Set(categoryIds)];
  const rates = new Map(unique.map((id) => [id, defaultBps]));
  if (!unique.length) return rates;
  const own = await db.select({ id: category.id, path: category.path }).from(category).where(inArray(category.id, unique));
  // "/electronics/phones/" has the ancestors "/electronics/" and itself: one read for every chain
  const chains = new Map(own.map((row) => [row.id, pathPrefixes(row.path)]));
  const paths = [...new Set([...chains.values()].flat())];
  const rated = paths.length
    ? await db
        .select({ path: category.path, commissionBps: category.commissionBps })
        .from(category)
        .where(and(inArray(category.path, paths), isNotNull(category.commissionBps)))
    : [];
  const rateByPath = new Map(rated.map((row) => [row.path, row.commissionBps as number]));
  for (const [id, chain] of chains) {
    const nearest = chain.findLast((path) => rateByPath.has(path));
    if (nearest !== undefined) rates.set(id, rateByPath.get(nearest) as number);
  }
  return rates;
}

/** "/a/b/" → ["/a/", "/a/b/"], root first. */
function pathPrefixes(path: string): string[] {
  const slugs = path.split("/").filter(Boolean);
  return slugs.map((_, i) => `/${slugs.slice(0, i + 1).join("/")}/`);
}

/** A line's commission: amount × bps / 10 000, rounded once, half to even (as FX rounds). */
export function commissionOf(amountMinor: number, rateBps: number): number {
  return Number(divideHalfEven(BigInt(amountMinor) * BigInt(rateBps), 10_000n));
}

// ---- holds ----

/** The holds a captured sale starts with: each seller's net proceeds, pending until `availableAt`. */
export function holdStatements(ctx: Pick<Ctx, "database" | "ids">, splits: readonly SplitRow[], availableAt: number, now: number): Statement[] {
  return splits
    .filter((split) => sellerNetOf(split) > 0)
    .map((split) =>
      ctx.database.db.insert(settlementHold).values({
        id: ctx.ids("settlementHold"),
        sellerId: split.sellerId,
        amountMinor: sellerNetOf(split),
        currency: split.settlementCurrency,
        reference: split.subOrderId,
        availableAt,
        createdAt: now,
      }),
    );
}

/**
 * Orders call this when a sub-order is delivered: its proceeds become available when the return window closes,
 * at `availableAt`. Only a hold not yet released moves; an unknown sub-order is a 404.
 */
export async function scheduleSettlement(ctx: SettlementCtx, subOrderId: string, availableAt: number): Promise<void> {
  if (!Number.isSafeInteger(availableAt)) throw new ValidationError([{ path: "/availableAt", message: "must be epoch milliseconds" }]);
  const updated = await ctx.database.write((db) =>
    db
      .update(settlementHold)
      .set({ availableAt })
      .where(and(eq(settlementHold.reference, subOrderId), isNull(settlementHold.releasedAt)))
      .returning({ id: settlementHold.id }),
  );
  if (updated.length) return;
  const [any] = await ctx.database.db.select({ id: settlementHold.id }).from(settlementHold).where(eq(settlementHold.reference, subOrderId)).limit(1);
  if (!any) throw new NotFoundError("settlement of sub-order", subOrderId);
  throw new ConflictError("These proceeds were already released", "/availableAt");
}

export async function holdOfSubOrder(db: Queryable, subOrderId: string, sellerId: string): Promise<HoldRow | undefined> {
  const [row] = await db
    .select()
    .from(settlementHold)
    .where(and(eq(settlementHold.reference, subOrderId), eq(settlementHold.sellerId, sellerId)))
    .limit(1);
  return row;
}

async function balanceOf(db: Queryable, key: AccountKey): Promise<number> {
  const [row] = await db
    .select({ balance: ledgerAccount.balanceMinor })
    .from(ledgerAccount)
    .where(and(eq(ledgerAccount.ownerId, key.ownerId), eq(ledgerAccount.kind, key.kind), eq(ledgerAccount.currency, key.currency)))
    .limit(1);
  return row?.balance ?? 0;
}

/** Runs a transaction's statements, built on `tx`, inside it. */
async function runAll(statements: Statement[]): Promise<void> {
  for (const statement of statements) await statement;
}

/**
 * Releases one hold, if it is due and not yet released: amount − reversed moves from pending to available, except
 * what the seller owes (a negative receivable), which it repays first. In one short transaction, so a refund taking
 * from the same hold cannot interleave. Returns the amount released, or undefined when there was nothing to do.
 */
export async function releaseHold(ctx: SettlementCtx, holdId: string): Promise<number | undefined> {
  const deps: LedgerDeps = ctx;
  const [peek] = await ctx.database.db.select().from(settlementHold).where(eq(settlementHold.id, holdId)).limit(1);
  if (!peek) return undefined;
  const pending = accountOf("seller_pending", peek.sellerId, peek.currency);
  const available = accountOf("seller_available", peek.sellerId, peek.currency);
  const receivable = accountOf("seller_receivable", peek.sellerId, peek.currency);
  const accounts = await ensureAccounts(deps, [pending, available, receivable]);
  const released = await ctx.database.transaction(async (tx) => {
    const [hold] = await tx
      .select()
      .from(settlementHold)
      .where(and(eq(settlementHold.id, holdId), isNull(settlementHold.releasedAt), lte(settlementHold.availableAt, ctx.clock())))
      .limit(1);
    if (!hold) return undefined;
    const amount = hold.amountMinor - hold.reversedMinor;
    await tx.update(settlementHold).set({ releasedAt: ctx.clock() }).where(eq(settlementHold.id, hold.id));
    if (amount > 0) {
      const owed = Math.min(amount, Math.max(0, -(await balanceOf(tx, receivable))));
      const postings = [
        { account: pending, amountMinor: -amount },
        ...(owed > 0 ? [{ account: receivable, amountMinor: owed }] : []),
        ...(amount - owed > 0 ? [{ account: available, amountMinor: amount - owed }] : []),
      ];
      const move: NewTransaction = {
        kind: "release",
        reference: hold.id,
        idempotencyKey: `release:${hold.id}`,
        description: owed > 0 ? "Return window closed (part repays what the seller owed)" : "Return window closed",
        postings,
      };
      await runAll(transactionStatements(deps, accounts, move, tx));
    }
    await outboxInsert(
      tx,
      createEvent(
        sellerFundsReleased,
        { sellerId: hold.sellerId, subOrderId: hold.reference, amountMinor: amount, currency: hold.currency },
        { ids: ctx.ids, now: ctx.clock() },
      ),
    );
    return amount;
  });
  if (released !== undefined) ctx.eventsWritten?.();
  return released;
}

/** The release job's pass: every hold due by now, oldest first, a bounded number per run. */
export async function releaseDueHolds(ctx: SettlementCtx, limit = 500): Promise<number> {
  const due = await ctx.database.db
    .select({ id: settlementHold.id })
    .from(settlementHold)
    .where(and(isNull(settlementHold.releasedAt), lte(settlementHold.availableAt, ctx.clock())))
    .orderBy(asc(settlementHold.availableAt))
    .limit(limit);
  let released = 0;
  for (const { id } of due) if ((await releaseHold(ctx, id)) !== undefined) released++;
  return released;
}

/**
 * Where a refund takes a seller's net share back from, inside the refund's transaction: the sub-order's hold while
 * it is pending (the hold's reversed amount grows with it), else the available balance, and what that cannot cover
 * from the receivable (the seller then owes it). Returns the postings and the statements that go with them.
 */
export async function clawBack(
  tx: Queryable,
  input: { sellerId: string; subOrderId: string; currency: string; amountMinor: number },
): Promise<{ postings: { account: AccountKey; amountMinor: number }[]; statements: Statement[] }> {
  if (input.amountMinor === 0) return { postings: [], statements: [] };
  const hold = await holdOfSubOrder(tx, input.subOrderId, input.sellerId);
  if (hold && hold.releasedAt === null && hold.amountMinor - hold.reversedMinor >= input.amountMinor) {
    return {
      postings: [{ account: accountOf("seller_pending", input.sellerId, input.currency), amountMinor: -input.amountMinor }],
      statements: [
        tx
          .update(settlementHold)
          .set({ reversedMinor: sql`${settlementHold.reversedMinor} + ${input.amountMinor}` })
          .where(eq(settlementHold.id, hold.id)),
      ],
    };
  }
  const available = accountOf("seller_available", input.sellerId, input.currency);
  const fromAvailable = Math.min(input.amountMinor, Math.max(0, await balanceOf(tx, available)));
  const owed = input.amountMinor - fromAvailable;
  return {
    postings: [
      ...(fromAvailable > 0 ? [{ account: available, amountMinor: -fromAvailable }] : []),
      ...(owed > 0 ? [{ account: accountOf("seller_receivable", input.sellerId, input.currency), amountMinor: -owed }] : []),
    ],
    statements: [],
  };
}

// ---- the seller's view ----

export interface SellerBalanceView {
  balances: { currency: string; pending: number; available: number; owed: number }[];
}

/** A seller's balances per currency: pending (return windows still open), available, and what they owe back. */
export async function getSellerBalance(ctx: Pick<Ctx, "database">, sellerId: string): Promise<SellerBalanceView> {
  const [pending, available, receivable] = await Promise.all([
    balancesOf(ctx.database, sellerId, "seller_pending"),
    balancesOf(ctx.database, sellerId, "seller_available"),
    balancesOf(ctx.database, sellerId, "seller_receivable"),
  ]);
  const currencies = [...new Set([...pending, ...available, ...receivable].map((b) => b.currency))].sort();
  const amountIn = (list: typeof pending, currency: string) => list.find((b) => b.currency === currency)?.amountMinor ?? 0;
  return {
    balances: currencies.map((currency) => ({
      currency,
      pending: amountIn(pending, currency),
      available: amountIn(available, currency),
      owed: -amountIn(receivable, currency),
    })),
  };
}
