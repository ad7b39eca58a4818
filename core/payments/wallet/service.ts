// The buyer's wallet: balances per currency (ledger accounts of kind buyer_wallet) and the entries that made them.
import { decodeCursor, encodeCursor, ValidationError, type WalletQuery, type WalletView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Actor, Ctx } from "../../platform/deps.ts";
import { balancesOf } from "../ledger/service.ts";

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/** GET /v1/me/wallet: always the caller's own wallet (it takes no user id, so there is no one else's to ask for). */
export async function getWallet(ctx: Pick<Ctx, "database">, actor: Actor, query: WalletQuery): Promise<WalletView> {
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (limit < 1 || limit > MAX_LIMIT) throw new ValidationError([{ path: "/limit", message: `must be from 1 to ${MAX_LIMIT}` }]);
  const after = query.cursor === undefined ? undefined : cursorPosition(query.cursor);
  const balances = await balancesOf(ctx.database, actor.userId, "buyer_wallet");
  const a = schema.ledgerAccount;
  const e = schema.ledgerEntry;
  const t = schema.ledgerTransaction;
  const rows = await ctx.database.db
    .select({
      id: e.id,
      transactionId: e.transactionId,
      kind: t.kind,
      amount: e.amountMinor,
      currency: e.currency,
      description: t.description,
      reference: t.reference,
      createdAt: e.createdAt,
    })
    .from(e)
    .innerJoin(a, eq(a.id, e.accountId))
    .innerJoin(t, eq(t.id, e.transactionId))
    .where(
      and(
        eq(a.ownerId, actor.userId),
        eq(a.kind, "buyer_wallet"),
        query.currency === undefined ? undefined : eq(a.currency, query.currency),
        after === undefined ? undefined : sql`(${e.createdAt}, ${e.id}) < (${after.createdAt}, ${after.id})`,
      ),
    )
    .orderBy(desc(e.createdAt), desc(e.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    balances: balances.map((b) => ({ currency: b.currency, amount: b.amountMinor })),
    entries: page.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() })),
    nextCursor: rows.length > limit && last ? encodeCursor({ c: last.createdAt, i: last.id }) : null,
  };
}

function cursorPosition(cursor: string): { createdAt: number; id: string } {
  const position = decodeCursor(cursor);
  if (typeof position.c !== "number" || typeof position.i !== "string")
    throw new ValidationError([{ path: "/cursor", message: "is not a cursor of this list" }]);
  return { createdAt: position.c, id: position.i };
}
