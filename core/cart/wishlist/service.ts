// Wishlists: variants a signed-in user wishes for, with the price and availability they were last told, so a drop
// in price or a return to stock is announced (to notifications, through the outbox) once per change.
import {
  decodeCursor,
  encodeCursor,
  type MoveToCartResult,
  NotFoundError,
  ValidationError,
  type WishlistItemView,
  type WishlistPage,
  type WishlistQuery,
} from "@bazaar/contracts";
import type { Queryable } from "@bazaar/db";
import { createEvent, type EventDefinition, outboxInsert, wishlistBackInStock, wishlistPriceDropped } from "@bazaar/events";
import type { Static, TSchema } from "@sinclair/typebox";
import { type CartVariant, variantsForCart } from "../../catalog/index.ts";
import type { Ctx } from "../../platform/deps.ts";
import { addToCartInTransaction, type CartCtx } from "../service.ts";
import * as repo from "./repo.ts";

const DEFAULT_LIMIT = 20;
/** Wishers handled per transaction when a variant changes: keeps each write short however popular the variant. */
const WISHERS_PER_TRANSACTION = 500;

/** What the subscribers need: no request behind them, only the event that woke them. */
export type WishlistCtx = Pick<Ctx, "database" | "clock" | "ids" | "eventsWritten">;

function toItemView(row: repo.WishlistRow, variant: CartVariant | undefined): WishlistItemView {
  return {
    variantId: row.variantId,
    productId: row.productId,
    title: variant?.title ?? "",
    sku: variant?.sku ?? "",
    options: variant?.options ?? {},
    priceMinor: variant?.priceMinor ?? row.notifiedPriceMinor,
    currency: variant?.currency ?? row.currency,
    forSale: variant?.forSale ?? false,
    inStock: (variant?.forSale ?? false) && (variant?.available ?? 0) > 0,
    addedAt: new Date(row.addedAt).toISOString(),
  };
}

/** GET /v1/me/wishlist: the caller's items, newest first, with the current price and stock. */
export async function listWishlist(ctx: Pick<Ctx, "database">, userId: string, query: WishlistQuery): Promise<WishlistPage> {
  const limit = Number(query.limit ?? DEFAULT_LIMIT);
  const after = query.cursor === undefined ? undefined : position(query.cursor);
  const rows = await repo.itemsOf(ctx.database.db, userId, limit + 1, after);
  const page = rows.slice(0, limit);
  const variants = await variantsForCart(
    ctx,
    page.map((r) => r.variantId),
  );
  const last = page.at(-1);
  return {
    items: page.map((row) => toItemView(row, variants.get(row.variantId))),
    nextCursor: rows.length > limit && last ? encodeCursor({ t: last.addedAt, v: last.variantId }) : null,
  };
}

function position(cursor: string): { addedAt: number; variantId: string } {
  const { t, v } = decodeCursor(cursor);
  if (typeof t !== "number" || typeof v !== "string") throw new ValidationError([{ path: "/cursor", message: "is not a cursor of this list" }]);
  return { addedAt: t, variantId: v };
}

/**
 * PUT /v1/me/wishlist/{variantId}: idempotent. The current price and stock are what the user is taken to know
 * from now on. An unknown or not-for-sale variant is a 422 naming /variantId.
 */
export async function addToWishlist(ctx: CartCtx, userId: string, variantId: string): Promise<{ item: WishlistItemView; created: boolean }> {
  const variant = (await variantsForCart(ctx, [variantId])).get(variantId);
  if (!variant) throw new ValidationError([{ path: "/variantId", message: "names no variant" }]);
  if (!variant.forSale) throw new ValidationError([{ path: "/variantId", message: "is not for sale" }]);
  const row: repo.WishlistRow = {
    userId,
    variantId,
    productId: variant.productId,
    notifiedPriceMinor: variant.priceMinor,
    currency: variant.currency,
    notifiedInStock: variant.available > 0,
    addedAt: ctx.clock(),
  };
  const created = await ctx.database.write((db) => repo.insertItem(db, row));
  const stored = created ? row : await repo.findItem(ctx.database.db, userId, variantId);
  if (!stored) throw new NotFoundError("wishlist item", variantId);
  return { item: toItemView(stored, variant), created };
}

export async function removeFromWishlist(ctx: Pick<Ctx, "database">, userId: string, variantId: string): Promise<void> {
  if (!(await ctx.database.write((db) => repo.deleteItem(db, userId, variantId)))) throw new NotFoundError("wishlist item", variantId);
}

/**
 * POST /v1/me/wishlist/{variantId}/move-to-cart: one of the variant into the user's cart and off the wishlist, in
 * one transaction (a refused add — off sale, cart full, line at its limit — leaves the wishlist as it was).
 */
export async function moveToCart(ctx: CartCtx, userId: string, variantId: string): Promise<MoveToCartResult> {
  return ctx.database.transaction(async (tx) => {
    if (!(await repo.findItem(tx, userId, variantId))) throw new NotFoundError("wishlist item", variantId);
    const variant = (await variantsForCart({ db: tx }, [variantId])).get(variantId);
    if (!variant) throw new ValidationError([{ path: "/variantId", message: "names no variant" }]);
    const line = await addToCartInTransaction(tx, ctx, { userId }, variant, 1);
    await repo.deleteItem(tx, userId, variantId);
    return { cartId: line.cartId, variantId, quantity: line.quantity };
  });
}

// ---- what the subscribers do ----

function eventFor<S extends TSchema>(ctx: WishlistCtx, definition: EventDefinition<string, S>, payload: Static<S>, requestId: string | undefined) {
  return createEvent(definition, payload, { ids: ctx.ids, now: ctx.clock(), ...(requestId ? { requestId } : {}) });
}

/**
 * Runs `step` over the variant's wishers a chunk per transaction, with the variant as it is now (read inside the
 * transaction). Each step decides from the stored "last told" state, so a redelivered or late event repeats nothing.
 */
async function forEachWisher(
  ctx: WishlistCtx,
  variantId: string,
  step: (tx: Queryable, variant: CartVariant, wisher: repo.WishlistRow) => Promise<boolean>,
): Promise<number> {
  if (!(await repo.anyWisher(ctx.database.db, variantId))) return 0;
  let emitted = 0;
  let after: string | undefined;
  for (;;) {
    const chunk = await ctx.database.transaction(async (tx) => {
      const variant = (await variantsForCart({ db: tx }, [variantId])).get(variantId);
      if (!variant) return { done: true, last: undefined };
      const wishers = await repo.wishersOf(tx, variantId, WISHERS_PER_TRANSACTION, after);
      for (const wisher of wishers) if (await step(tx, variant, wisher)) emitted++;
      return { done: wishers.length < WISHERS_PER_TRANSACTION, last: wishers.at(-1)?.userId };
    });
    if (chunk.done || chunk.last === undefined) break;
    after = chunk.last;
  }
  if (emitted > 0) ctx.eventsWritten();
  return emitted;
}

/**
 * A variant's price changed: each wisher last told a higher price (in the same currency) gets `wishlist.price_dropped`
 * from that price to the current one, which becomes what they were told; a rise only updates it, silently. The
 * current price is read from the catalog, not taken from the event, so events arriving late or twice cannot tell
 * anyone a price that no longer holds. Returns how many events were written.
 */
export async function notifyPriceDrops(ctx: WishlistCtx, variantId: string, requestId?: string): Promise<number> {
  return forEachWisher(ctx, variantId, async (tx, variant, wisher) => {
    if (wisher.notifiedPriceMinor === variant.priceMinor && wisher.currency === variant.currency) return false;
    const dropped = wisher.currency === variant.currency && variant.priceMinor < wisher.notifiedPriceMinor;
    await repo.setNotifiedPrice(tx, wisher.userId, variantId, variant.priceMinor, variant.currency);
    if (!dropped) return false;
    const payload = {
      userId: wisher.userId,
      productId: variant.productId,
      variantId,
      currency: variant.currency,
      oldPriceMinor: wisher.notifiedPriceMinor,
      newPriceMinor: variant.priceMinor,
    };
    await outboxInsert(tx, eventFor(ctx, wishlistPriceDropped, payload, requestId));
    return true;
  });
}

/**
 * Stock of a variant moved: when some is available (and its product is on sale), each wisher last told it was out
 * of stock gets `wishlist.back_in_stock`, once; when none is, they are marked as told "out of stock" (silently), so
 * its next return is announced again. Reads the variant's stock over all locations now. Returns events written.
 */
export async function notifyBackInStock(ctx: WishlistCtx, variantId: string, requestId?: string): Promise<number> {
  return forEachWisher(ctx, variantId, async (tx, variant, wisher) => {
    if (!variant.forSale) return false;
    const inStock = variant.available > 0;
    if (wisher.notifiedInStock === inStock) return false;
    await repo.setNotifiedInStock(tx, wisher.userId, variantId, inStock);
    if (!inStock) return false;
    await outboxInsert(tx, eventFor(ctx, wishlistBackInStock, { userId: wisher.userId, productId: variant.productId, variantId }, requestId));
    return true;
  });
}
