// The cart service's SQL for carts and their lines (wishlists have their own repo). Every line write that must
// respect the bounds (quantity ≤ MAX_CART_LINE_QUANTITY, lines ≤ MAX_CART_LINES) is one conditional statement, so
// parallel requests can never push a cart past them.
import { MAX_CART_LINE_QUANTITY, MAX_CART_LINES } from "@bazaar/contracts";
import { type Queryable, schema } from "@bazaar/db";
import { and, asc, eq, sql } from "drizzle-orm";

const { cart, cartLine } = schema;

export type CartRow = typeof cart.$inferSelect;
export type CartLineRow = typeof cartLine.$inferSelect;

/** How a cart is found: its owner (a user, or a guest's token hash), or its id. */
export type CartKey = { userId: string } | { guestTokenHash: string } | { cartId: string };

const whereKey = (key: CartKey) =>
  "userId" in key ? eq(cart.userId, key.userId) : "guestTokenHash" in key ? eq(cart.guestTokenHash, key.guestTokenHash) : eq(cart.id, key.cartId);

/** The same condition as raw SQL over the alias `c`, for the INSERT … SELECT below. */
const whereKeySql = (key: CartKey) =>
  "userId" in key ? sql`c.user_id = ${key.userId}` : "guestTokenHash" in key ? sql`c.guest_token_hash = ${key.guestTokenHash}` : sql`c.id = ${key.cartId}`;

export async function findCart(db: Queryable, key: CartKey): Promise<CartRow | undefined> {
  const [row] = await db.select().from(cart).where(whereKey(key)).limit(1);
  return row;
}

/** A cart's lines in the order they were first added (the variant id breaks ties). */
export function linesOf(db: Queryable, cartId: string): Promise<CartLineRow[]> {
  return db.select().from(cartLine).where(eq(cartLine.cartId, cartId)).orderBy(asc(cartLine.addedAt), asc(cartLine.variantId));
}

export async function findLine(db: Queryable, cartId: string, variantId: string): Promise<CartLineRow | undefined> {
  const [row] = await db
    .select()
    .from(cartLine)
    .where(and(eq(cartLine.cartId, cartId), eq(cartLine.variantId, variantId)))
    .limit(1);
  return row;
}

export async function lineCount(db: Queryable, cartId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(cartLine).where(eq(cartLine.cartId, cartId));
  return Number(row?.n ?? 0);
}

/** The user's cart unless they have one already (one per user: cart_user_idx). */
export function ensureUserCart(db: Queryable, id: string, userId: string, now: number) {
  return db.insert(cart).values({ id, userId, guestTokenHash: null, createdAt: now, updatedAt: now }).onConflictDoNothing({ target: cart.userId });
}

export function insertGuestCart(db: Queryable, id: string, guestTokenHash: string, now: number) {
  return db.insert(cart).values({ id, userId: null, guestTokenHash, createdAt: now, updatedAt: now });
}

export function touchCart(db: Queryable, key: CartKey, now: number) {
  return db.update(cart).set({ updatedAt: now }).where(whereKey(key));
}

export interface LineInput {
  variantId: string;
  quantity: number;
  seenPriceMinor: number;
  seenCurrency: string;
}

/**
 * Adds `quantity` to the variant's line of the cart `key` names (a new line when there is none), recording the
 * seen price; one statement, so parallel adds sum exactly. It writes nothing, and returns no row, when the line
 * would pass MAX_CART_LINE_QUANTITY, when a new line would pass MAX_CART_LINES, or when no such cart exists.
 */
export function addToLine(db: Queryable, key: CartKey, line: LineInput, now: number) {
  return db.all<{ quantity: number; cart_id: string }>(sql`
    INSERT INTO cart_line (cart_id, variant_id, quantity, seen_price_minor, seen_currency, added_at, updated_at)
    SELECT c.id, ${line.variantId}, ${line.quantity}, ${line.seenPriceMinor}, ${line.seenCurrency}, ${now}, ${now}
    FROM cart c
    WHERE ${whereKeySql(key)}
      AND ${line.quantity} <= ${MAX_CART_LINE_QUANTITY}
      AND (EXISTS (SELECT 1 FROM cart_line l WHERE l.cart_id = c.id AND l.variant_id = ${line.variantId})
           OR (SELECT count(*) FROM cart_line l WHERE l.cart_id = c.id) < ${MAX_CART_LINES})
    ON CONFLICT (cart_id, variant_id) DO UPDATE SET
      quantity = cart_line.quantity + excluded.quantity,
      seen_price_minor = excluded.seen_price_minor,
      seen_currency = excluded.seen_currency,
      updated_at = excluded.updated_at
    WHERE cart_line.quantity + excluded.quantity <= ${MAX_CART_LINE_QUANTITY}
    RETURNING quantity, cart_id`);
}

/** Sets a line's quantity and seen price; undefined when the cart has no such line. */
export async function setLine(db: Queryable, cartId: string, line: LineInput, now: number): Promise<CartLineRow | undefined> {
  const [row] = await db
    .update(cartLine)
    .set({ quantity: line.quantity, seenPriceMinor: line.seenPriceMinor, seenCurrency: line.seenCurrency, updatedAt: now })
    .where(and(eq(cartLine.cartId, cartId), eq(cartLine.variantId, line.variantId)))
    .returning();
  return row;
}

/** The seen price of a line becomes the current one (the shopper accepted it); its quantity is left alone. */
export function acceptPrice(db: Queryable, cartId: string, variantId: string, priceMinor: number, currency: string, now: number) {
  return db
    .update(cartLine)
    .set({ seenPriceMinor: priceMinor, seenCurrency: currency, updatedAt: now })
    .where(and(eq(cartLine.cartId, cartId), eq(cartLine.variantId, variantId)));
}

export async function deleteLine(db: Queryable, cartId: string, variantId: string): Promise<boolean> {
  const rows = await db
    .delete(cartLine)
    .where(and(eq(cartLine.cartId, cartId), eq(cartLine.variantId, variantId)))
    .returning({ variantId: cartLine.variantId });
  return rows.length > 0;
}

export function clearLines(db: Queryable, cartId: string) {
  return db.delete(cartLine).where(eq(cartLine.cartId, cartId));
}

/** quantity −= bought, never below zero: the statement pair after a checkout (a line at 0 is then deleted). */
export function subtractFromLine(db: Queryable, cartId: string, variantId: string, bought: number, now: number) {
  return db
    .update(cartLine)
    .set({ quantity: sql`${cartLine.quantity} - ${bought}`, updatedAt: now })
    .where(and(eq(cartLine.cartId, cartId), eq(cartLine.variantId, variantId), sql`${cartLine.quantity} > ${bought}`));
}

export function deleteLineIfAtMost(db: Queryable, cartId: string, variantId: string, bought: number) {
  return db.delete(cartLine).where(and(eq(cartLine.cartId, cartId), eq(cartLine.variantId, variantId), sql`${cartLine.quantity} <= ${bought}`));
}

export function insertLine(db: Queryable, row: CartLineRow) {
  return db.insert(cartLine).values(row);
}

export function updateLineRow(db: Queryable, row: CartLineRow) {
  return db
    .update(cartLine)
    .set({ quantity: row.quantity, seenPriceMinor: row.seenPriceMinor, seenCurrency: row.seenCurrency, addedAt: row.addedAt, updatedAt: row.updatedAt })
    .where(and(eq(cartLine.cartId, row.cartId), eq(cartLine.variantId, row.variantId)));
}

/** Deletes a cart and (by the foreign key's cascade) its lines. */
export function deleteCart(db: Queryable, cartId: string) {
  return db.delete(cart).where(eq(cart.id, cartId));
}

/** Guest carts nobody touched since `before`, a batch at a time (guests who never came back). */
export async function staleGuestCarts(db: Queryable, before: number, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: cart.id })
    .from(cart)
    .where(and(sql`${cart.guestTokenHash} IS NOT NULL`, sql`${cart.updatedAt} < ${before}`))
    .limit(limit);
  return rows.map((r) => r.id);
}
