import { type Queryable, schema } from "@bazaar/db";
import { and, asc, count, eq, gt } from "drizzle-orm";

const { shippingRate } = schema;

export type RateRow = typeof shippingRate.$inferSelect;
export type RateChanges = Partial<Omit<RateRow, "id" | "sellerId" | "createdAt">>;

/** Every rate of a seller, oldest first (ids are time-sortable), so ties in the estimate resolve the same way every time. */
export function ratesOf(db: Queryable, sellerId: string): Promise<RateRow[]> {
  return db.select().from(shippingRate).where(eq(shippingRate.sellerId, sellerId)).orderBy(asc(shippingRate.id));
}

/** A seller's rates in creation order, keyset-paginated on id. */
export function ratePage(db: Queryable, sellerId: string, limit: number, afterId?: string): Promise<RateRow[]> {
  return db
    .select()
    .from(shippingRate)
    .where(and(eq(shippingRate.sellerId, sellerId), afterId ? gt(shippingRate.id, afterId) : undefined))
    .orderBy(asc(shippingRate.id))
    .limit(limit);
}

export async function countRates(db: Queryable, sellerId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(shippingRate).where(eq(shippingRate.sellerId, sellerId));
  return row?.n ?? 0;
}

export async function findRate(db: Queryable, id: string): Promise<RateRow | undefined> {
  const [row] = await db.select().from(shippingRate).where(eq(shippingRate.id, id)).limit(1);
  return row;
}

export async function insertRate(db: Queryable, row: RateRow): Promise<RateRow> {
  const [inserted] = await db.insert(shippingRate).values(row).returning();
  return inserted ?? row;
}

export async function updateRate(db: Queryable, id: string, changes: RateChanges): Promise<RateRow | undefined> {
  const [row] = await db.update(shippingRate).set(changes).where(eq(shippingRate.id, id)).returning();
  return row;
}

export async function deleteRate(db: Queryable, id: string): Promise<boolean> {
  const deleted = await db.delete(shippingRate).where(eq(shippingRate.id, id)).returning({ id: shippingRate.id });
  return deleted.length > 0;
}
