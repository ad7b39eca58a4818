import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ConflictError, MAX_CART_LINE_QUANTITY, MAX_CART_LINES, ValidationError } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { insertProduct } from "../catalog/inventory/test-fixtures.ts";
import { hashCartToken } from "./cart-token.ts";
import { addToCart, cartIdOfUser, removeCheckedOutLines } from "./index.ts";
import { createGuestCart, mergeGuestCart, pruneGuestCarts } from "./service.ts";
import { archive, type CartWorld, createCartWorld, listProduct, type Party, seller, setPrice, shopper } from "./test-fixtures.ts";

let w: CartWorld;
let ada: Party & { locationId: string };
let buyer: Party;
let variants: string[];
let productId: string;
beforeEach(async () => {
  w = await createCartWorld();
  ada = await seller(w.h);
  buyer = await shopper(w.h);
  ({ variantIds: variants, productId } = await listProduct(w, ada, { currency: "EUR", prices: [1000, 2000, 3000] }));
});
afterEach(() => w.h.destroy());

const v = (i: number) => variants[i] as string;
const me = () => ({ userId: buyer.id });
const linesOf = (cartId: string) =>
  w.h.database.db.select().from(schema.cartLine).where(eq(schema.cartLine.cartId, cartId)).orderBy(schema.cartLine.addedAt, schema.cartLine.variantId);
const quantities = async (cartId: string) => Object.fromEntries((await linesOf(cartId)).map((l) => [l.variantId, l.quantity]));

describe("addToCart", () => {
  test("makes the user's cart on first add, adds to a line's quantity after, and records the current price as seen", async () => {
    expect(await cartIdOfUser(w.ctx, buyer.id)).toBeNull();
    const first = await addToCart(w.ctx, me(), { variantId: v(0), quantity: 2 });
    expect(first.cartId).toStartWith("crt_");
    expect(first.quantity).toBe(2);
    expect(await cartIdOfUser(w.ctx, buyer.id)).toBe(first.cartId);
    const again = await addToCart(w.ctx, me(), { variantId: v(0), quantity: 3 });
    expect(again).toEqual({ cartId: first.cartId, quantity: 5 });
    const [line] = await linesOf(first.cartId);
    expect(line).toMatchObject({ quantity: 5, seenPriceMinor: 1000, seenCurrency: "EUR" });
  });

  test("an unknown or not-for-sale variant is a 422 naming /variantId, and nothing is written", async () => {
    const unknown = await addToCart(w.ctx, me(), { variantId: "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", quantity: 1 }).catch((e) => e);
    expect(unknown).toBeInstanceOf(ValidationError);
    expect(unknown.errors).toEqual([{ path: "/variantId", message: "names no variant" }]);
    const draft = await insertProduct(w.h, ada.id, 1);
    await w.h.database.db.update(schema.product).set({ status: "draft" }).where(eq(schema.product.id, draft.productId));
    const notForSale = await addToCart(w.ctx, me(), { variantId: draft.variantIds[0] as string, quantity: 1 }).catch((e) => e);
    expect(notForSale.errors).toEqual([{ path: "/variantId", message: "is not for sale" }]);
    expect(await w.h.database.db.select().from(schema.cart)).toEqual([]);
  });

  test(`a line holds at most ${MAX_CART_LINE_QUANTITY}: an add that would pass it is a 409 naming /quantity and changes nothing`, async () => {
    const { cartId } = await addToCart(w.ctx, me(), { variantId: v(0), quantity: 990 });
    const refused = await addToCart(w.ctx, me(), { variantId: v(0), quantity: 10 }).catch((e) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.errors[0].path).toBe("/quantity");
    expect(refused.detail).toContain("holds 990");
    expect(await quantities(cartId)).toEqual({ [v(0)]: 990 });
    expect((await addToCart(w.ctx, me(), { variantId: v(0), quantity: 9 })).quantity).toBe(999);
    for (const quantity of [0, -1, 1000, 1.5, Number.NaN]) {
      expect(addToCart(w.ctx, me(), { variantId: v(1), quantity })).rejects.toBeInstanceOf(ValidationError);
    }
  });

  test(`a cart holds at most ${MAX_CART_LINES} lines: the next new variant is a 409; more of one already there is fine`, async () => {
    const many = await insertProduct(w.h, ada.id, MAX_CART_LINES + 1);
    const ids = many.variantIds;
    for (const id of ids.slice(0, MAX_CART_LINES)) await addToCart(w.ctx, me(), { variantId: id, quantity: 1 });
    const refused = await addToCart(w.ctx, me(), { variantId: ids[MAX_CART_LINES] as string, quantity: 1 }).catch((e) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.detail).toContain(`at most ${MAX_CART_LINES}`);
    expect((await addToCart(w.ctx, me(), { variantId: ids[0] as string, quantity: 4 })).quantity).toBe(5);
    expect(await linesOf((await cartIdOfUser(w.ctx, buyer.id)) as string)).toHaveLength(MAX_CART_LINES);
  });

  test("50 parallel adds of one variant to a cart that does not exist yet: one cart, the quantities summed exactly", async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => addToCart(w.ctx, me(), { variantId: v(0), quantity: 3 })));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(await w.h.database.db.select().from(schema.cart).where(eq(schema.cart.userId, buyer.id))).toHaveLength(1);
    expect(await quantities((await cartIdOfUser(w.ctx, buyer.id)) as string)).toEqual({ [v(0)]: 150 });
  });

  test("50 parallel adds racing the per-line cap: the ones that fit succeed, the rest are clean 409s, the line ends at the cap's edge", async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => addToCart(w.ctx, me(), { variantId: v(0), quantity: 30 })));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused).toHaveLength(50 - 33);
    for (const r of refused) expect(r.reason).toBeInstanceOf(ConflictError);
    expect(await quantities((await cartIdOfUser(w.ctx, buyer.id)) as string)).toEqual({ [v(0)]: 990 });
  });
});

describe("removeCheckedOutLines", () => {
  test("takes what was bought off each line, deletes lines that reach 0, keeps what was added meanwhile, ignores the gone", async () => {
    const { cartId } = await addToCart(w.ctx, me(), { variantId: v(0), quantity: 2 });
    await addToCart(w.ctx, me(), { variantId: v(1), quantity: 5 });
    await addToCart(w.ctx, me(), { variantId: v(2), quantity: 1 });
    await removeCheckedOutLines(w.ctx, cartId, [
      { variantId: v(0), quantity: 2 },
      { variantId: v(1), quantity: 3 },
      { variantId: "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", quantity: 1 },
    ]);
    expect(await quantities(cartId)).toEqual({ [v(1)]: 2, [v(2)]: 1 });
    // repeated (or more bought than the line now holds): never below zero, never a failure
    await removeCheckedOutLines(w.ctx, cartId, [{ variantId: v(1), quantity: 3 }]);
    expect(await quantities(cartId)).toEqual({ [v(2)]: 1 });
    await removeCheckedOutLines(w.ctx, cartId, []);
    await removeCheckedOutLines(w.ctx, "crt_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", [{ variantId: v(2), quantity: 1 }]);
    expect(await quantities(cartId)).toEqual({ [v(2)]: 1 });
  });
});

describe("merging a guest cart into the user's", () => {
  test("quantities add up (capped), the newer seen price wins, guest-only lines join, the guest cart is deleted", async () => {
    const guest = await createGuestCart(w.ctx);
    await addToCart(w.ctx, guest.owner, { variantId: v(0), quantity: 2 });
    await addToCart(w.ctx, guest.owner, { variantId: v(1), quantity: 600 });
    const mine = await addToCart(w.ctx, me(), { variantId: v(1), quantity: 500 });
    w.h.clock.advance(1_000);
    await setPrice(w, ada, productId, v(1), 2500);
    // the guest saw the new price last: that is the one the merged line keeps
    await addToCart(w.ctx, guest.owner, { variantId: v(1), quantity: 1 });
    await addToCart(w.ctx, guest.owner, { variantId: v(2), quantity: 1 });

    const outcome = await mergeGuestCart(w.ctx, buyer.id, guest.cartToken);
    expect(outcome).toEqual({ lines: 3, capped: [v(1)], dropped: [] });
    expect(await quantities(mine.cartId)).toEqual({ [v(0)]: 2, [v(1)]: MAX_CART_LINE_QUANTITY, [v(2)]: 1 });
    expect((await linesOf(mine.cartId)).find((l) => l.variantId === v(1))?.seenPriceMinor).toBe(2500);
    const rows = await w.h.database.db.select().from(schema.cart);
    expect(rows.map((r) => r.id)).toEqual([mine.cartId]);
    expect(await w.h.database.db.select().from(schema.cartLine).where(eq(schema.cartLine.cartId, guest.cartId))).toEqual([]);
    // merging again: nothing left to merge
    expect(await mergeGuestCart(w.ctx, buyer.id, guest.cartToken)).toBeNull();
  });

  test("a user without a cart gets the guest's lines as theirs", async () => {
    const guest = await createGuestCart(w.ctx);
    await addToCart(w.ctx, guest.owner, { variantId: v(0), quantity: 4 });
    expect(await mergeGuestCart(w.ctx, buyer.id, guest.cartToken)).toEqual({ lines: 1, capped: [], dropped: [] });
    expect(await quantities((await cartIdOfUser(w.ctx, buyer.id)) as string)).toEqual({ [v(0)]: 4 });
  });

  test("guest lines beyond the user's room are listed as dropped, never pushing the cart past its bound", async () => {
    const many = (await insertProduct(w.h, ada.id, MAX_CART_LINES)).variantIds;
    for (const id of many.slice(0, MAX_CART_LINES - 1)) await addToCart(w.ctx, me(), { variantId: id, quantity: 1 });
    const guest = await createGuestCart(w.ctx);
    await addToCart(w.ctx, guest.owner, { variantId: v(0), quantity: 1 });
    w.h.clock.advance(1);
    await addToCart(w.ctx, guest.owner, { variantId: v(1), quantity: 1 });
    w.h.clock.advance(1);
    await addToCart(w.ctx, guest.owner, { variantId: many[0] as string, quantity: 2 });
    const outcome = await mergeGuestCart(w.ctx, buyer.id, guest.cartToken);
    expect(outcome).toEqual({ lines: 2, capped: [], dropped: [v(1)] });
    const cartId = (await cartIdOfUser(w.ctx, buyer.id)) as string;
    expect(await linesOf(cartId)).toHaveLength(MAX_CART_LINES);
    expect((await quantities(cartId))[many[0] as string]).toBe(3);
  });

  test("ten merges of one guest cart racing each other merge it exactly once", async () => {
    const guest = await createGuestCart(w.ctx);
    await addToCart(w.ctx, guest.owner, { variantId: v(0), quantity: 2 });
    await addToCart(w.ctx, me(), { variantId: v(0), quantity: 1 });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => mergeGuestCart(w.ctx, buyer.id, guest.cartToken)));
    expect(outcomes.filter((o) => o !== null)).toHaveLength(1);
    expect(await quantities((await cartIdOfUser(w.ctx, buyer.id)) as string)).toEqual({ [v(0)]: 3 });
  });

  test("the token is stored only as its SHA-256", async () => {
    const guest = await createGuestCart(w.ctx);
    expect(guest.cartToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await w.h.database.db.select().from(schema.cart).where(eq(schema.cart.id, guest.cartId));
    expect(row?.guestTokenHash).toBe(hashCartToken(guest.cartToken));
    expect(row?.guestTokenHash).not.toContain(guest.cartToken);
    const { rows } = await w.h.database.client.execute({ sql: "SELECT count(*) FROM cart WHERE guest_token_hash = ?", args: [guest.cartToken] });
    expect(Number(rows[0]?.[0])).toBe(0);
  });
});

describe("housekeeping", () => {
  test("guest carts untouched for the maximum age are pruned; users' carts and fresh guest carts stay", async () => {
    const stale = await createGuestCart(w.ctx);
    await addToCart(w.ctx, stale.owner, { variantId: v(0), quantity: 1 });
    await addToCart(w.ctx, me(), { variantId: v(0), quantity: 1 });
    w.h.clock.advance(31 * 86_400_000);
    const fresh = await createGuestCart(w.ctx);
    expect(await pruneGuestCarts(w.ctx, 30 * 86_400_000)).toBe(1);
    const ids = (await w.h.database.db.select().from(schema.cart)).map((r) => r.id).sort();
    expect(ids).toEqual([(await cartIdOfUser(w.ctx, buyer.id)) as string, fresh.cartId].sort());
    expect(await linesOf(stale.cartId)).toEqual([]);
  });

  test("archiving a product does not touch carts: the line stays, to be flagged", async () => {
    const { cartId } = await addToCart(w.ctx, me(), { variantId: v(0), quantity: 1 });
    await archive(w, ada, productId);
    expect(await quantities(cartId)).toEqual({ [v(0)]: 1 });
  });
});
