// Inventory's SQL: stock locations, stock levels, reservations and the adjustment trail (and the
// product's denormalised in_stock flag, which stock decides).
import { type Queryable, schema } from "@bazaar/db";
import { and, asc, desc, eq, gt, inArray, lt, lte, or, sql } from "drizzle-orm";

const { stockLocation, stockLevel, stockReservation, stockAdjustment, variant, product } = schema;

export type LocationRow = typeof stockLocation.$inferSelect;
export type LevelRow = typeof stockLevel.$inferSelect;
export type ReservationRow = typeof stockReservation.$inferSelect;
export type AdjustmentRow = typeof stockAdjustment.$inferSelect;
export type LevelWithLocation = LevelRow & { locationName: string };
export type ReservationStatus = "held" | "committed" | "released" | "expired";

const levelAt = (variantId: string, locationId: string) => and(eq(stockLevel.variantId, variantId), eq(stockLevel.locationId, locationId));

// ---- locations ----

export function insertLocation(db: Queryable, row: typeof stockLocation.$inferInsert) {
  return db.insert(stockLocation).values(row).returning();
}

export async function findLocation(db: Queryable, id: string): Promise<LocationRow | undefined> {
  const [row] = await db.select().from(stockLocation).where(eq(stockLocation.id, id)).limit(1);
  return row;
}

/** A seller's locations in creation order (ids are time-sortable), keyset-paginated on id. */
export function locationsOf(db: Queryable, sellerId: string, limit: number, afterId?: string): Promise<LocationRow[]> {
  return db
    .select()
    .from(stockLocation)
    .where(and(eq(stockLocation.sellerId, sellerId), afterId ? gt(stockLocation.id, afterId) : undefined))
    .orderBy(asc(stockLocation.id))
    .limit(limit);
}

export async function updateLocation(db: Queryable, id: string, changes: { name?: string; country?: string }): Promise<LocationRow | undefined> {
  const [row] = await db.update(stockLocation).set(changes).where(eq(stockLocation.id, id)).returning();
  return row;
}

/** Whether any stock is on hand or held at the location: such a location cannot be deleted. */
export async function locationHoldsStock(tx: Queryable, locationId: string): Promise<boolean> {
  const [row] = await tx
    .select({ variantId: stockLevel.variantId })
    .from(stockLevel)
    .where(and(eq(stockLevel.locationId, locationId), or(gt(stockLevel.onHand, 0), gt(stockLevel.reserved, 0))))
    .limit(1);
  return row !== undefined;
}

/** Deletes the location and its (empty) levels; the adjustment trail keeps naming it. */
export async function deleteLocation(tx: Queryable, locationId: string): Promise<boolean> {
  await tx.delete(stockLevel).where(eq(stockLevel.locationId, locationId));
  const deleted = await tx.delete(stockLocation).where(eq(stockLocation.id, locationId)).returning({ id: stockLocation.id });
  return deleted.length > 0;
}

// ---- variants (read only: products own their rows) ----

export interface VariantRef {
  id: string;
  productId: string;
  sellerId: string;
}

export async function findVariant(db: Queryable, id: string): Promise<VariantRef | undefined> {
  const [row] = await db.select({ id: variant.id, productId: variant.productId, sellerId: variant.sellerId }).from(variant).where(eq(variant.id, id)).limit(1);
  return row;
}

export function findVariants(db: Queryable, ids: string[]): Promise<VariantRef[]> {
  return db.select({ id: variant.id, productId: variant.productId, sellerId: variant.sellerId }).from(variant).where(inArray(variant.id, ids));
}

// ---- levels ----

export function levelsOfVariant(db: Queryable, variantId: string): Promise<LevelWithLocation[]> {
  return db
    .select({
      variantId: stockLevel.variantId,
      locationId: stockLevel.locationId,
      onHand: stockLevel.onHand,
      reserved: stockLevel.reserved,
      lowStockThreshold: stockLevel.lowStockThreshold,
      updatedAt: stockLevel.updatedAt,
      locationName: stockLocation.name,
    })
    .from(stockLevel)
    .innerJoin(stockLocation, eq(stockLocation.id, stockLevel.locationId))
    .where(eq(stockLevel.variantId, variantId))
    .orderBy(asc(stockLevel.locationId));
}

/** Levels of these variants, by location id: the deterministic order reservations pick locations in. */
export function levelsOfVariants(db: Queryable, variantIds: string[]): Promise<LevelRow[]> {
  return db.select().from(stockLevel).where(inArray(stockLevel.variantId, variantIds)).orderBy(asc(stockLevel.variantId), asc(stockLevel.locationId));
}

export async function findLevel(db: Queryable, variantId: string, locationId: string): Promise<LevelRow | undefined> {
  const [row] = await db.select().from(stockLevel).where(levelAt(variantId, locationId)).limit(1);
  return row;
}

/** An empty level for the pair unless one exists. */
export async function ensureLevel(tx: Queryable, variantId: string, locationId: string, now: number): Promise<void> {
  await tx.insert(stockLevel).values({ variantId, locationId, onHand: 0, reserved: 0, updatedAt: now }).onConflictDoNothing();
}

/** on_hand += delta only while the result still covers what is reserved (and so is ≥ 0); undefined when refused. */
export async function adjustOnHand(tx: Queryable, variantId: string, locationId: string, delta: number, now: number): Promise<LevelRow | undefined> {
  const [row] = await tx
    .update(stockLevel)
    .set({ onHand: sql`${stockLevel.onHand} + ${delta}`, updatedAt: now })
    .where(and(levelAt(variantId, locationId), sql`${stockLevel.onHand} + ${delta} >= ${stockLevel.reserved}`, sql`${stockLevel.onHand} + ${delta} >= 0`))
    .returning();
  return row;
}

/** Sets the counted on-hand and the threshold, unless fewer units than are reserved were counted. */
export async function setLevel(
  tx: Queryable,
  variantId: string,
  locationId: string,
  level: { onHand: number; lowStockThreshold: number },
  now: number,
): Promise<LevelRow | undefined> {
  const [row] = await tx
    .update(stockLevel)
    .set({ onHand: level.onHand, lowStockThreshold: level.lowStockThreshold, updatedAt: now })
    .where(and(levelAt(variantId, locationId), lte(stockLevel.reserved, level.onHand)))
    .returning();
  return row;
}

/** The only way stock gets held: reserved += quantity while at least that much is available. */
export async function reserveAt(tx: Queryable, variantId: string, locationId: string, quantity: number, now: number): Promise<LevelRow | undefined> {
  const [row] = await tx
    .update(stockLevel)
    .set({ reserved: sql`${stockLevel.reserved} + ${quantity}`, updatedAt: now })
    .where(and(levelAt(variantId, locationId), sql`${stockLevel.onHand} - ${stockLevel.reserved} >= ${quantity}`))
    .returning();
  return row;
}

/** Gives held units back (release, expiry): reserved -= quantity. */
export async function unreserveAt(tx: Queryable, variantId: string, locationId: string, quantity: number, now: number): Promise<LevelRow | undefined> {
  const [row] = await tx
    .update(stockLevel)
    .set({ reserved: sql`${stockLevel.reserved} - ${quantity}`, updatedAt: now })
    .where(and(levelAt(variantId, locationId), sql`${stockLevel.reserved} >= ${quantity}`))
    .returning();
  return row;
}

/** Held units leave the building (a committed sale): on_hand and reserved both drop; available is unchanged. */
export async function deductReservedAt(tx: Queryable, variantId: string, locationId: string, quantity: number, now: number): Promise<LevelRow | undefined> {
  const [row] = await tx
    .update(stockLevel)
    .set({ onHand: sql`${stockLevel.onHand} - ${quantity}`, reserved: sql`${stockLevel.reserved} - ${quantity}`, updatedAt: now })
    .where(and(levelAt(variantId, locationId), sql`${stockLevel.reserved} >= ${quantity}`))
    .returning();
  return row;
}

/** product.in_stock: does any of its variants have anything available anywhere? Set in the same transaction as the change. */
export async function refreshInStock(tx: Queryable, productId: string): Promise<void> {
  const anyAvailable = sql`EXISTS (SELECT 1 FROM ${stockLevel} JOIN ${variant} ON ${variant.id} = ${stockLevel.variantId}
    WHERE ${variant.productId} = ${productId} AND ${stockLevel.onHand} - ${stockLevel.reserved} > 0)`;
  await tx.update(product).set({ inStock: anyAvailable }).where(eq(product.id, productId));
}

// ---- reservations ----

export function insertReservations(tx: Queryable, rows: (typeof stockReservation.$inferInsert)[]) {
  return tx.insert(stockReservation).values(rows);
}

export function reservationsOf(db: Queryable, holder: string): Promise<ReservationRow[]> {
  return db.select().from(stockReservation).where(eq(stockReservation.holder, holder)).orderBy(asc(stockReservation.id));
}

/** held → `to`, only while still held: whoever flips the row owns the stock change that goes with it. */
export async function claimHeld(tx: Queryable, id: string, to: Exclude<ReservationStatus, "held">): Promise<boolean> {
  const rows = await tx
    .update(stockReservation)
    .set({ status: to })
    .where(and(eq(stockReservation.id, id), eq(stockReservation.status, "held")))
    .returning({ id: stockReservation.id });
  return rows.length > 0;
}

/** Held reservations whose time is up, oldest first (the partial index on expires_at covers it). */
export function expiredHeld(db: Queryable, now: number, limit: number): Promise<ReservationRow[]> {
  return db
    .select()
    .from(stockReservation)
    .where(and(eq(stockReservation.status, "held"), lte(stockReservation.expiresAt, now)))
    .orderBy(asc(stockReservation.expiresAt))
    .limit(limit);
}

// ---- adjustments ----

export function insertAdjustment(tx: Queryable, row: typeof stockAdjustment.$inferInsert) {
  return tx.insert(stockAdjustment).values(row).returning();
}

/** Newest first, keyset-paginated on (occurred_at, id). */
export function adjustmentsOf(
  db: Queryable,
  variantId: string,
  options: { locationId?: string; limit: number; after?: { occurredAt: number; id: string } },
): Promise<AdjustmentRow[]> {
  const t = stockAdjustment;
  const { after } = options;
  const position = after ? or(lt(t.occurredAt, after.occurredAt), and(eq(t.occurredAt, after.occurredAt), lt(t.id, after.id))) : undefined;
  return db
    .select()
    .from(t)
    .where(and(eq(t.variantId, variantId), options.locationId ? eq(t.locationId, options.locationId) : undefined, position))
    .orderBy(desc(t.occurredAt), desc(t.id))
    .limit(options.limit);
}
