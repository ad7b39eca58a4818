// Cart verbs: whose cart a request means (a user's, a guest's behind a cart token, the guest's merged into the
// user's on sign-in), and the line changes. The catalog is read through its index.ts; a line records the price
// the shopper was shown when they added or updated it, which is how a changed price gets accepted.
import {
  type AddCartLineBody,
  AppError,
  type CartView,
  ConflictError,
  MAX_CART_LINE_QUANTITY,
  MAX_CART_LINES,
  type MergeCartResult,
  NotFoundError,
  ValidationError,
} from "@bazaar/contracts";
import { isConstraintError, type Queryable } from "@bazaar/db";
import { type CartVariant, variantsForCart } from "../catalog/index.ts";
import type { Ctx } from "../platform/deps.ts";
import { hashCartToken, newCartToken } from "./cart-token.ts";
import { emptyPricedCart, priceCart } from "./pricing.ts";
import * as repo from "./repo.ts";
import { toCartView } from "./view.ts";

export type CartCtx = Pick<Ctx, "database" | "clock" | "ids">;

/** Whose cart: a signed-in user's, or a guest's (the SHA-256 of their cart token). */
export type CartOwner = { userId: string } | { guestTokenHash: string };

/** Who is asking, as the cart routes found them: a signed-in user, a guest's cart token, both (a sign-in), or neither. */
export interface Shopper {
  userId: string | null;
  cartToken: string | null;
}

export interface MergeOutcome {
  /** guest lines taken into the user's cart */
  lines: number;
  /** variants whose summed quantity was capped at MAX_CART_LINE_QUANTITY */
  capped: string[];
  /** guest lines left out because the user's cart was full */
  dropped: string[];
}

/** The cart a request means, once any guest cart it carried was merged; `cartId` null when there is none yet. */
export interface ResolvedCart {
  cartId: string | null;
  owner: CartOwner | null;
  merged: MergeOutcome | null;
}

const NO_SUCH_CART = "No cart has this cart token: drop it and start a new cart with POST /v1/cart";

/** Refuses what would make a write fail late: a constraint refusal from a concurrent change is a 409, never a 500. */
async function writing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (!(error instanceof AppError) && isConstraintError(error)) throw new ConflictError("The cart changed under this request; try again");
    throw error;
  }
}

// ---- whose cart ----

/** The id of the user's cart, or null when they have none yet. */
export async function cartIdOfUser(ctx: Pick<Ctx, "database">, userId: string): Promise<string | null> {
  return (await repo.findCart(ctx.database.db, { userId }))?.id ?? null;
}

/**
 * The cart the shopper means. A signed-in shopper who also sends a guest cart token has that guest cart merged into
 * theirs first (see mergeGuestCart; an unknown token is then ignored: it was merged already, or never existed, and
 * either way it is nobody else's cart). A guest whose token names no cart gets 404, never someone else's cart.
 */
export async function resolveCart(ctx: CartCtx, shopper: Shopper): Promise<ResolvedCart> {
  if (shopper.userId) {
    const merged = shopper.cartToken ? await mergeGuestCart(ctx, shopper.userId, shopper.cartToken) : null;
    return { cartId: await cartIdOfUser(ctx, shopper.userId), owner: { userId: shopper.userId }, merged };
  }
  if (shopper.cartToken) {
    const guestTokenHash = hashCartToken(shopper.cartToken);
    const cart = await repo.findCart(ctx.database.db, { guestTokenHash });
    if (!cart) throw new AppError("NOT_FOUND", NO_SUCH_CART);
    return { cartId: cart.id, owner: { guestTokenHash }, merged: null };
  }
  return { cartId: null, owner: null, merged: null };
}

/** A new guest cart: its id and the token the guest must keep (only the token's hash is stored). */
export async function createGuestCart(ctx: CartCtx): Promise<{ cartId: string; cartToken: string; owner: CartOwner }> {
  const cartToken = newCartToken();
  const guestTokenHash = hashCartToken(cartToken);
  const cartId = ctx.ids("cart");
  await ctx.database.batch([repo.insertGuestCart(ctx.database.db, cartId, guestTokenHash, ctx.clock())]);
  return { cartId, cartToken, owner: { guestTokenHash } };
}

/** The user's cart, created when they have none (parallel calls all get the one cart). */
export async function ensureUserCart(ctx: CartCtx, userId: string): Promise<{ cartId: string; created: boolean }> {
  const existing = await cartIdOfUser(ctx, userId);
  if (existing) return { cartId: existing, created: false };
  const id = ctx.ids("cart");
  await ctx.database.batch([repo.ensureUserCart(ctx.database.db, id, userId, ctx.clock())]);
  const cartId = await cartIdOfUser(ctx, userId);
  if (!cartId) throw new Error(`the cart of ${userId} vanished right after it was made`);
  return { cartId, created: cartId === id };
}

/**
 * Merges the guest cart behind `cartToken` into the user's cart (made if need be) and deletes it, in one
 * transaction: quantities of a variant in both add up (capped at MAX_CART_LINE_QUANTITY; the more recently
 * updated line's seen price wins), guest-only lines join in the order they were added while the cart has room
 * for them. Two requests racing with the same token merge it once: the second finds no guest cart and does
 * nothing (null).
 */
export async function mergeGuestCart(ctx: CartCtx, userId: string, cartToken: string): Promise<MergeOutcome | null> {
  const guestTokenHash = hashCartToken(cartToken);
  // a cheap read first: most requests of a signed-in shopper carry a token whose cart was merged long ago
  if (!(await repo.findCart(ctx.database.db, { guestTokenHash }))) return null;
  const now = ctx.clock();
  const newCartId = ctx.ids("cart");
  return writing(() =>
    ctx.database.transaction(async (tx) => {
      const guest = await repo.findCart(tx, { guestTokenHash });
      if (!guest) return null;
      await repo.ensureUserCart(tx, newCartId, userId, now);
      const target = await repo.findCart(tx, { userId });
      if (!target) throw new Error(`the cart of ${userId} vanished inside its own transaction`);
      const outcome = await mergeLines(tx, target.id, await repo.linesOf(tx, guest.id), await repo.linesOf(tx, target.id), now);
      await repo.deleteCart(tx, guest.id);
      await repo.touchCart(tx, { cartId: target.id }, now);
      return outcome;
    }),
  );
}

async function mergeLines(tx: Queryable, cartId: string, guestLines: repo.CartLineRow[], ownLines: repo.CartLineRow[], now: number): Promise<MergeOutcome> {
  const own = new Map(ownLines.map((l) => [l.variantId, l]));
  const outcome: MergeOutcome = { lines: 0, capped: [], dropped: [] };
  let count = ownLines.length;
  for (const line of guestLines) {
    const mine = own.get(line.variantId);
    if (mine) {
      const sum = mine.quantity + line.quantity;
      if (sum > MAX_CART_LINE_QUANTITY) outcome.capped.push(line.variantId);
      const newer = line.updatedAt > mine.updatedAt ? line : mine;
      await repo.updateLineRow(tx, {
        ...mine,
        quantity: Math.min(sum, MAX_CART_LINE_QUANTITY),
        seenPriceMinor: newer.seenPriceMinor,
        seenCurrency: newer.seenCurrency,
        addedAt: Math.min(mine.addedAt, line.addedAt),
        updatedAt: now,
      });
      outcome.lines++;
    } else if (count < MAX_CART_LINES) {
      await repo.insertLine(tx, { ...line, cartId, updatedAt: now });
      count++;
      outcome.lines++;
    } else outcome.dropped.push(line.variantId);
  }
  return outcome;
}

// ---- lines ----

/** The variant as a line may take it now: it exists and its product is on sale, else 422 naming /variantId. */
async function variantForSale(ctx: Pick<Ctx, "database">, variantId: string): Promise<CartVariant> {
  const variant = (await variantsForCart(ctx, [variantId])).get(variantId);
  if (!variant) throw new ValidationError([{ path: "/variantId", message: "names no variant" }]);
  if (!variant.forSale) throw new ValidationError([{ path: "/variantId", message: "is not for sale" }]);
  return variant;
}

/**
 * Adds `quantity` of the variant to the owner's cart (made if need be; the line's quantity grows when the variant
 * is there already) and records its current price as the one the shopper saw. One atomic batch, so parallel adds
 * sum exactly. 422 naming /variantId for an unknown or not-for-sale variant; 409 when the line would pass
 * MAX_CART_LINE_QUANTITY or a new line would pass MAX_CART_LINES; 404 when a guest's cart is gone.
 */
export async function addToCart(ctx: CartCtx, owner: CartOwner, input: AddCartLineBody): Promise<{ cartId: string; quantity: number }> {
  if (!Number.isInteger(input.quantity) || input.quantity < 1 || input.quantity > MAX_CART_LINE_QUANTITY) {
    throw new ValidationError([{ path: "/quantity", message: `must be a whole number from 1 to ${MAX_CART_LINE_QUANTITY}` }]);
  }
  const variant = await variantForSale(ctx, input.variantId);
  const now = ctx.clock();
  const { db } = ctx.database;
  const line = { variantId: variant.variantId, quantity: input.quantity, seenPriceMinor: variant.priceMinor, seenCurrency: variant.currency };
  const results = await writing(() =>
    "userId" in owner
      ? ctx.database.batch([repo.ensureUserCart(db, ctx.ids("cart"), owner.userId, now), repo.addToLine(db, owner, line, now), repo.touchCart(db, owner, now)])
      : ctx.database.batch([repo.addToLine(db, owner, line, now), repo.touchCart(db, owner, now)]),
  );
  const added = (results["userId" in owner ? 1 : 0] as { quantity: number; cart_id: string }[])[0];
  if (added) return { cartId: added.cart_id, quantity: Number(added.quantity) };
  throw await whyRefused(ctx.database.db, owner, input.variantId, input.quantity);
}

/** Adds one line inside the caller's transaction (wishlist's move-to-cart); throws as addToCart does, rolling it back. */
export async function addToCartInTransaction(
  tx: Queryable,
  ctx: CartCtx,
  owner: { userId: string },
  variant: CartVariant,
  quantity: number,
): Promise<{ cartId: string; quantity: number }> {
  if (!variant.forSale) throw new ValidationError([{ path: "/variantId", message: "is not for sale" }]);
  const now = ctx.clock();
  await repo.ensureUserCart(tx, ctx.ids("cart"), owner.userId, now);
  const [added] = await repo.addToLine(
    tx,
    owner,
    { variantId: variant.variantId, quantity, seenPriceMinor: variant.priceMinor, seenCurrency: variant.currency },
    now,
  );
  if (!added) throw await whyRefused(tx, owner, variant.variantId, quantity);
  await repo.touchCart(tx, owner, now);
  return { cartId: added.cart_id, quantity: Number(added.quantity) };
}

/** Why the conditional add wrote nothing, read right after it. */
async function whyRefused(db: Queryable, owner: CartOwner, variantId: string, quantity: number): Promise<AppError> {
  const cart = await repo.findCart(db, owner);
  if (!cart) return new AppError("NOT_FOUND", NO_SUCH_CART);
  const line = await repo.findLine(db, cart.id, variantId);
  if (line) {
    return new ConflictError(
      `The cart holds ${line.quantity} of this variant; adding ${quantity} would pass the limit of ${MAX_CART_LINE_QUANTITY} per line`,
      "/quantity",
    );
  }
  return new ConflictError(`A cart holds at most ${MAX_CART_LINES} different variants; remove one first`, "/variantId");
}

/** Sets a line's quantity and records the current price as seen. 404 when the cart has no such line; 422 when the variant is off sale. */
export async function updateLine(ctx: CartCtx, cartId: string | null, variantId: string, quantity: number): Promise<void> {
  if (!cartId || !(await repo.findLine(ctx.database.db, cartId, variantId))) throw new NotFoundError("cart line", variantId);
  const variant = await variantForSale(ctx, variantId);
  const now = ctx.clock();
  const row = await writing(() =>
    ctx.database.write((db) => repo.setLine(db, cartId, { variantId, quantity, seenPriceMinor: variant.priceMinor, seenCurrency: variant.currency }, now)),
  );
  if (!row) throw new NotFoundError("cart line", variantId);
}

export async function removeLine(ctx: CartCtx, cartId: string | null, variantId: string): Promise<void> {
  const removed = cartId ? await ctx.database.write((db) => repo.deleteLine(db, cartId, variantId)) : false;
  if (!removed) throw new NotFoundError("cart line", variantId);
}

/** Empties the cart (the cart itself stays, so a guest's token keeps working). Nothing to clear is fine. */
export async function clearCart(ctx: CartCtx, cartId: string | null): Promise<void> {
  if (!cartId) return;
  await ctx.database.batch([repo.clearLines(ctx.database.db, cartId), repo.touchCart(ctx.database.db, { cartId }, ctx.clock())]);
}

/** Every line's seen price becomes the current one (the shopper accepted the changes). Lines off sale are left as they are. */
export async function acceptChanges(ctx: CartCtx, cartId: string | null): Promise<number> {
  if (!cartId) return 0;
  const { db } = ctx.database;
  const lines = await repo.linesOf(db, cartId);
  const variants = await variantsForCart(
    ctx,
    lines.map((l) => l.variantId),
  );
  const now = ctx.clock();
  const changed = lines.flatMap((line) => {
    const variant = variants.get(line.variantId);
    if (!variant?.forSale || (variant.priceMinor === line.seenPriceMinor && variant.currency === line.seenCurrency)) return [];
    return [repo.acceptPrice(db, cartId, line.variantId, variant.priceMinor, variant.currency, now)];
  });
  const [first, ...rest] = changed;
  if (first) await ctx.database.batch([first, ...rest]);
  return changed.length;
}

/**
 * After a checkout: takes what was bought off the cart's lines (a line reaching 0 is deleted; lines added or
 * grown meanwhile keep the rest). Safe to repeat in that it never fails, never goes below zero and ignores
 * lines or carts that are gone; each call subtracts, so call it once per order (from a deduplicated consumer).
 */
export async function removeCheckedOutLines(ctx: CartCtx, cartId: string, lines: { variantId: string; quantity: number }[]): Promise<void> {
  const bought = new Map<string, number>();
  for (const line of lines) {
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) throw new RangeError(`bought quantity of ${line.variantId} must be a positive integer`);
    bought.set(line.variantId, (bought.get(line.variantId) ?? 0) + line.quantity);
  }
  if (bought.size === 0) return;
  const { db } = ctx.database;
  const now = ctx.clock();
  const statements = [...bought].flatMap(([variantId, quantity]) => [
    repo.deleteLineIfAtMost(db, cartId, variantId, quantity),
    repo.subtractFromLine(db, cartId, variantId, quantity, now),
  ]);
  const [first, ...rest] = statements;
  if (first) await ctx.database.batch([first, ...rest, repo.touchCart(db, { cartId }, now)]);
}

/** Deletes guest carts untouched for `maxAgeMs` (their guests never came back), a batch at a time. */
export async function pruneGuestCarts(ctx: CartCtx, maxAgeMs: number): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < 50; batch++) {
    const ids = await repo.staleGuestCarts(ctx.database.db, ctx.clock() - maxAgeMs, 200);
    const [first, ...rest] = ids.map((id) => repo.deleteCart(ctx.database.db, id));
    if (!first) break;
    await ctx.database.batch([first, ...rest]);
    total += ids.length;
    if (ids.length < 200) break;
  }
  return total;
}

// ---- what the routes call: a verb on the shopper's cart, answered with the cart priced as it now is ----

/** How the shopper wants the cart shown: currency (default USD) and destination (default none). */
export interface ShowAs {
  currency?: string;
  country?: string;
}

/** The cart view the routes answer, with the guest's new token when this request made their cart. */
export async function showCart(ctx: CartCtx, cartId: string | null, showAs: ShowAs, extra: { cartToken?: string } = {}): Promise<CartView> {
  const opts = { currency: showAs.currency ?? DEFAULT_CURRENCY, country: showAs.country ?? null };
  const priced = cartId ? await priceCart(ctx, cartId, opts) : emptyPricedCart("", opts);
  return toCartView(priced, cartId, extra);
}

/**
 * No accounts export tells the cart a user's preferred currency yet, so every cart shows in USD unless the request
 * names a currency; a server-side conversion at our own rates either way (the currency only picks the display).
 */
export const DEFAULT_CURRENCY = "USD";

/** GET /v1/cart: the shopper's cart (an empty view with cartId null when they have none yet). */
export async function getCart(ctx: CartCtx, shopper: Shopper, showAs: ShowAs): Promise<CartView> {
  const { cartId } = await resolveCart(ctx, shopper);
  return showCart(ctx, cartId, showAs);
}

/** POST /v1/cart: the shopper's cart, made when there is none (a guest's comes with its token, shown this once). */
export async function openCart(ctx: CartCtx, shopper: Shopper, showAs: ShowAs): Promise<{ view: CartView; created: boolean; cartToken?: string }> {
  const resolved = await resolveCart(ctx, shopper);
  if (shopper.userId) {
    const { cartId, created } = resolved.cartId ? { cartId: resolved.cartId, created: false } : await ensureUserCart(ctx, shopper.userId);
    return { view: await showCart(ctx, cartId, showAs), created };
  }
  if (resolved.cartId) return { view: await showCart(ctx, resolved.cartId, showAs), created: false };
  const guest = await createGuestCart(ctx);
  return { view: await showCart(ctx, guest.cartId, showAs, { cartToken: guest.cartToken }), created: true, cartToken: guest.cartToken };
}

/** POST /v1/cart/lines: adds to the shopper's cart; a guest without a cart gets one (and its token) here. */
export async function addLine(ctx: CartCtx, shopper: Shopper, body: AddCartLineBody, showAs: ShowAs): Promise<{ view: CartView; cartToken?: string }> {
  const resolved = await resolveCart(ctx, shopper);
  if (resolved.owner) {
    const { cartId } = await addToCart(ctx, resolved.owner, body);
    return { view: await showCart(ctx, cartId, showAs) };
  }
  // check the variant before making a cart for it: a refused first add leaves nothing behind
  await variantForSale(ctx, body.variantId);
  const guest = await createGuestCart(ctx);
  const { cartId } = await addToCart(ctx, guest.owner, body);
  return { view: await showCart(ctx, cartId, showAs, { cartToken: guest.cartToken }), cartToken: guest.cartToken };
}

export async function changeLine(ctx: CartCtx, shopper: Shopper, variantId: string, quantity: number, showAs: ShowAs): Promise<CartView> {
  const { cartId } = await resolveCart(ctx, shopper);
  await updateLine(ctx, cartId, variantId, quantity);
  return showCart(ctx, cartId, showAs);
}

export async function deleteLine(ctx: CartCtx, shopper: Shopper, variantId: string, showAs: ShowAs): Promise<CartView> {
  const { cartId } = await resolveCart(ctx, shopper);
  await removeLine(ctx, cartId, variantId);
  return showCart(ctx, cartId, showAs);
}

export async function emptyCart(ctx: CartCtx, shopper: Shopper): Promise<void> {
  const { cartId } = await resolveCart(ctx, shopper);
  await clearCart(ctx, cartId);
}

export async function acceptCartChanges(ctx: CartCtx, shopper: Shopper, showAs: ShowAs): Promise<CartView> {
  const { cartId } = await resolveCart(ctx, shopper);
  await acceptChanges(ctx, cartId);
  return showCart(ctx, cartId, showAs);
}

/** POST /v1/cart/merge: the guest cart behind the token into the signed-in user's (a token already merged merges nothing). */
export async function mergeCart(ctx: CartCtx, userId: string, cartToken: string, showAs: ShowAs): Promise<MergeCartResult> {
  const merged = (await mergeGuestCart(ctx, userId, cartToken)) ?? { lines: 0, capped: [], dropped: [] };
  return { cart: await showCart(ctx, await cartIdOfUser(ctx, userId), showAs), merged };
}
