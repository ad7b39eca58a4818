// The cart service's SQL for wishlists: one row per (user, variant) with what the user was last told of it.
import { type Queryable, schema } from "@bazaar/db";
import { and, asc, desc, eq, gt, lt, or } from "drizzle-orm";

const { wishlistItem } = schema;

export type WishlistRow = typeof wishlistItem.$inferSelect;

export async function findItem(db: Queryable, userId: string, variantId: string): Promise<WishlistRow | undefined> {
  const [row] = await db
    .select()
    .from(wishlistItem)
    .where(and(eq(wishlistItem.userId, userId), eq(wishlistItem.variantId, variantId)))
    .limit(1);
  return row;
}

/** Adds the item unless the user wishes for it already (then nothing changes); true when it was added. */
export async function insertItem(db: Queryable, row: WishlistRow): Promise<boolean> {
  const rows = await db.insert(wishlistItem).values(row).onConflictDoNothing().returning({ variantId: wishlistItem.variantId });
  return rows.length > 0;
}

export async function deleteItem(db: Queryable, userId: string, variantId: string): Promise<boolean> {
  const rows = await db
    .delete(wishlistItem)
    .where(and(eq(wishlistItem.userId, userId), eq(wishlistItem.variantId, variantId)))
    .returning({ variantId: wishlistItem.variantId });
  return rows.length > 0;
}

/** A user's items, newest first, keyset-paginated on (added_at, variant_id) (wishlist_item_user_added_idx). */
export function itemsOf(db: Queryable, userId: string, limit: number, after?: { addedAt: number; variantId: string }): Promise<WishlistRow[]> {
  const position = after
    ? or(lt(wishlistItem.addedAt, after.addedAt), and(eq(wishlistItem.addedAt, after.addedAt), lt(wishlistItem.variantId, after.variantId)))
    : undefined;
  return db
    .select()
    .from(wishlistItem)
    .where(and(eq(wishlistItem.userId, userId), position))
    .orderBy(desc(wishlistItem.addedAt), desc(wishlistItem.variantId))
    .limit(limit);
}

/** Whether anyone wishes for the variant: most stock movements concern no wishlist, and stop here. */
export async function anyWisher(db: Queryable, variantId: string): Promise<boolean> {
  const [row] = await db.select({ userId: wishlistItem.userId }).from(wishlistItem).where(eq(wishlistItem.variantId, variantId)).limit(1);
  return row !== undefined;
}

/** The variant's wishers after `afterUserId`, by user id, a chunk at a time (wishlist_item_variant_idx). */
export function wishersOf(db: Queryable, variantId: string, limit: number, afterUserId?: string): Promise<WishlistRow[]> {
  return db
    .select()
    .from(wishlistItem)
    .where(and(eq(wishlistItem.variantId, variantId), afterUserId === undefined ? undefined : gt(wishlistItem.userId, afterUserId)))
    .orderBy(asc(wishlistItem.userId))
    .limit(limit);
}

export function setNotifiedPrice(db: Queryable, userId: string, variantId: string, priceMinor: number, currency: string) {
  return db
    .update(wishlistItem)
    .set({ notifiedPriceMinor: priceMinor, currency })
    .where(and(eq(wishlistItem.userId, userId), eq(wishlistItem.variantId, variantId)));
}

export function setNotifiedInStock(db: Queryable, userId: string, variantId: string, inStock: boolean) {
  return db
    .update(wishlistItem)
    .set({ notifiedInStock: inStock })
    .where(and(eq(wishlistItem.userId, userId), eq(wishlistItem.variantId, variantId)));
}
