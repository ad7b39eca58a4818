import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { MoveToCartResult, Problem, WishlistItemView, WishlistPage } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { insertProduct } from "../../catalog/inventory/test-fixtures.ts";
import { addToCart } from "../index.ts";
import {
  archive,
  type CartWorld,
  cartRequest,
  cartSnapshot,
  createCartWorld,
  type ListedProduct,
  listProduct,
  type Party,
  seller,
  setPrice,
  setStock,
  shopper,
  viewOf,
} from "../test-fixtures.ts";

let w: CartWorld;
let shop: Party & { locationId: string };
let ada: Party;
let tee: ListedProduct;
beforeEach(async () => {
  w = await createCartWorld();
  shop = await seller(w.h);
  ada = await shopper(w.h);
  tee = await listProduct(w, shop, { currency: "EUR", prices: [1000, 2000, 3000] });
});
afterEach(() => w.h.destroy());

const v = (i: number) => tee.variantIds[i] as string;
const put = (variantId: string, token = ada.token) => w.h.request("PUT", `/v1/me/wishlist/${variantId}`, { token });
const list = async (query = "", token = ada.token) => {
  const response = await w.h.request("GET", `/v1/me/wishlist${query}`, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as WishlistPage;
};
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as Problem;
};

describe("the wishlist", () => {
  test("PUT is idempotent (201, then 200 with the same item); GET lists newest first with the current price and stock", async () => {
    const first = await put(v(0));
    expect(first.status).toBe(201);
    const item = (await first.json()) as WishlistItemView;
    expect(item).toEqual({
      variantId: v(0),
      productId: tee.productId,
      title: "Organic cotton T-shirt",
      sku: expect.any(String),
      options: { colour: "red", size: "S" },
      priceMinor: 1000,
      currency: "EUR",
      forSale: true,
      inStock: true,
      addedAt: new Date(w.h.clock.now).toISOString(),
    });
    w.h.clock.advance(1_000);
    const again = await put(v(0));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(item);
    w.h.clock.advance(1_000);
    expect((await put(v(1))).status).toBe(201);

    await setPrice(w, shop, tee.productId, v(0), 800);
    await setStock(w, shop, v(1), 0);
    const page = await list();
    expect(page.items.map((i) => [i.variantId, i.priceMinor, i.inStock])).toEqual([
      [v(1), 2000, false],
      [v(0), 800, true],
    ]);
    expect(page.nextCursor).toBeNull();
  });

  test("cursor pages: bounded, in order, no item twice", async () => {
    const many = (await insertProduct(w.h, shop.id, 7)).variantIds;
    for (const id of many) {
      expect((await put(id)).status).toBe(201);
      w.h.clock.advance(1);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: WishlistPage = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.variantId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...many].reverse());
    expect((await w.h.request("GET", "/v1/me/wishlist?limit=101", { token: ada.token })).status).toBe(422);
    expect((await w.h.request("GET", "/v1/me/wishlist?cursor=garbage", { token: ada.token })).status).toBe(400);
  });

  test("DELETE takes it off (204), then 404; an archived product stays listed as not for sale", async () => {
    await put(v(0));
    await put(v(1));
    expect((await w.h.request("DELETE", `/v1/me/wishlist/${v(0)}`, { token: ada.token })).status).toBe(204);
    expect((await w.h.request("DELETE", `/v1/me/wishlist/${v(0)}`, { token: ada.token })).status).toBe(404);
    await archive(w, shop, tee.productId);
    const page = await list();
    expect(page.items.map((i) => [i.variantId, i.forSale, i.inStock])).toEqual([[v(1), false, false]]);
  });

  test("only variants on sale can be wished for: 422 naming /variantId otherwise", async () => {
    const unknown = await put("var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C");
    expect(unknown.status).toBe(422);
    expect((await problem(unknown)).errors).toEqual([{ path: "/variantId", message: "names no variant" }]);
    await archive(w, shop, tee.productId);
    expect((await problem(await put(v(0)))).errors).toEqual([{ path: "/variantId", message: "is not for sale" }]);
    expect(await w.h.database.db.select().from(schema.wishlistItem)).toEqual([]);
  });
});

describe("move to cart", () => {
  test("one into the cart and off the wishlist, in one go, into the cart the cart routes show", async () => {
    await put(v(0));
    await put(v(1));
    await cartRequest(w.h, "POST", "/v1/cart/lines", { token: ada.token }, { body: { variantId: v(1), quantity: 2 } });
    w.h.clock.advance(1);
    const moved = await w.h.request("POST", `/v1/me/wishlist/${v(0)}/move-to-cart`, { token: ada.token });
    expect(moved.status).toBe(200);
    const first = (await moved.json()) as MoveToCartResult;
    expect(first).toMatchObject({ variantId: v(0), quantity: 1 });
    const second = (await (await w.h.request("POST", `/v1/me/wishlist/${v(1)}/move-to-cart`, { token: ada.token })).json()) as MoveToCartResult;
    expect(second).toEqual({ cartId: first.cartId, variantId: v(1), quantity: 3 });
    expect((await list()).items).toEqual([]);
    const cart = await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: ada.token }));
    expect(cart.cartId).toBe(first.cartId);
    expect(cart.sellers[0]?.lines.map((l) => [l.variantId, l.quantity])).toEqual([
      [v(1), 3],
      [v(0), 1],
    ]);
    expect((await w.h.request("POST", `/v1/me/wishlist/${v(0)}/move-to-cart`, { token: ada.token })).status).toBe(404);
  });

  test("a refused add leaves the wishlist and the cart as they were: off sale (422), line at its limit (409)", async () => {
    await put(v(0));
    await put(v(1));
    await addToCart(w.ctx, { userId: ada.id }, { variantId: v(1), quantity: 999 });
    const before = await cartSnapshot(w.h);
    const full = await w.h.request("POST", `/v1/me/wishlist/${v(1)}/move-to-cart`, { token: ada.token });
    expect(full.status).toBe(409);
    expect((await problem(full)).errors?.[0]?.path).toBe("/quantity");
    await archive(w, shop, tee.productId);
    const offSale = await w.h.request("POST", `/v1/me/wishlist/${v(0)}/move-to-cart`, { token: ada.token });
    expect(offSale.status).toBe(422);
    expect((await problem(offSale)).errors).toEqual([{ path: "/variantId", message: "is not for sale" }]);
    expect(await cartSnapshot(w.h)).toEqual(before);
  });

  test("ten parallel moves of one item: exactly one moves it, the rest find it gone (404), the cart gets one", async () => {
    await put(v(0));
    const responses = await Promise.all(Array.from({ length: 10 }, () => w.h.request("POST", `/v1/me/wishlist/${v(0)}/move-to-cart`, { token: ada.token })));
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(404)]);
    const cart = await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: ada.token }));
    expect(cart.itemCount).toBe(1);
  });
});

describe("the wishlist's own user", () => {
  test("each user sees and changes only their own: Bob's delete or move of Ada's variant is a 404, hers stays", async () => {
    const bob = await shopper(w.h);
    await put(v(0));
    expect((await list("", bob.token)).items).toEqual([]);
    expect((await w.h.request("DELETE", `/v1/me/wishlist/${v(0)}`, { token: bob.token })).status).toBe(404);
    expect((await w.h.request("POST", `/v1/me/wishlist/${v(0)}/move-to-cart`, { token: bob.token })).status).toBe(404);
    expect((await list()).items.map((i) => i.variantId)).toEqual([v(0)]);
    expect(await w.h.database.db.select().from(schema.cart)).toEqual([]);
  });
});
