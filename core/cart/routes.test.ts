import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { CART_TOKEN_HEADER, type CartView, type MergeCartResult, type Problem, type TokenPair } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import {
  type CartWorld,
  cartRequest,
  createCartWorld,
  guestAdds,
  type ListedProduct,
  listProduct,
  type Party,
  seller,
  setPrice,
  shippingRate,
  viewOf,
} from "./test-fixtures.ts";

let w: CartWorld;
let ada: Party & { locationId: string };
let tee: ListedProduct;
beforeEach(async () => {
  w = await createCartWorld();
  ada = await seller(w.h);
  tee = await listProduct(w, ada, { currency: "EUR", prices: [1000, 2000, 3000] });
});
afterEach(() => w.h.destroy());

const v = (i: number) => tee.variantIds[i] as string;
const qty = (view: CartView) => Object.fromEntries(view.sellers.flatMap((g) => g.lines).map((l) => [l.variantId, l.quantity]));
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as Problem;
};

/** A user with two signed-in devices: two sessions, two access tokens. */
async function userWithTwoDevices() {
  const registered = await w.h.register();
  const login = await w.h.request("POST", "/v1/auth/login", { body: { email: registered.user.email, password: registered.password } });
  expect(login.status).toBe(200);
  const second = (await login.json()) as TokenPair;
  return { id: registered.user.id, laptop: registered.accessToken, phone: second.accessToken };
}

describe("guest carts", () => {
  test("POST /v1/cart makes a cart and shows its token once (body and header); with the token it is the same cart", async () => {
    const created = await cartRequest(w.h, "POST", "/v1/cart");
    const view = await viewOf(created, 201);
    expect(view).toMatchObject({ currency: "USD", country: null, sellers: [], lineCount: 0, totalMinor: 0, hasProblems: false });
    expect(view.cartId).toStartWith("crt_");
    expect(view.cartToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.headers.get(CART_TOKEN_HEADER)).toBe(view.cartToken ?? "");

    const again = await cartRequest(w.h, "POST", "/v1/cart", { cartToken: view.cartToken }, { body: {} });
    const same = await viewOf(again, 200);
    expect(same.cartId).toBe(view.cartId);
    expect(same.cartToken).toBeUndefined();
    expect(again.headers.get(CART_TOKEN_HEADER)).toBeNull();
  });

  test("the first add makes the cart; then update, remove, clear — the token keeps naming it", async () => {
    const { cartToken, view } = await guestAdds(w.h, v(0), 2);
    expect(qty(view)).toEqual({ [v(0)]: 2 });
    const as = { cartToken };
    expect(qty(await viewOf(await cartRequest(w.h, "POST", "/v1/cart/lines", as, { body: { variantId: v(0), quantity: 3 } })))).toEqual({ [v(0)]: 5 });
    expect(qty(await viewOf(await cartRequest(w.h, "POST", "/v1/cart/lines", as, { body: { variantId: v(1), quantity: 1 } })))).toEqual({
      [v(0)]: 5,
      [v(1)]: 1,
    });
    const patched = await viewOf(await cartRequest(w.h, "PATCH", `/v1/cart/lines/${v(0)}`, as, { body: { quantity: 1 } }));
    expect(qty(patched)).toEqual({ [v(0)]: 1, [v(1)]: 1 });
    expect(patched).toMatchObject({ lineCount: 2, itemCount: 2, itemsMinor: 3750, totalMinor: 3750 });
    expect(qty(await viewOf(await cartRequest(w.h, "DELETE", `/v1/cart/lines/${v(1)}`, as)))).toEqual({ [v(0)]: 1 });
    expect((await cartRequest(w.h, "DELETE", `/v1/cart/lines/${v(1)}`, as)).status).toBe(404);
    expect((await cartRequest(w.h, "PATCH", `/v1/cart/lines/${v(2)}`, as, { body: { quantity: 1 } })).status).toBe(404);

    expect((await cartRequest(w.h, "DELETE", "/v1/cart", as)).status).toBe(204);
    const cleared = await viewOf(await cartRequest(w.h, "GET", "/v1/cart", as));
    expect(cleared).toMatchObject({ cartId: view.cartId, sellers: [], lineCount: 0 });
    expect((await cartRequest(w.h, "DELETE", "/v1/cart", as)).status).toBe(204);
  });

  test("no token and no sign-in: an empty cart (cartId null), and nothing is written", async () => {
    const view = await viewOf(await cartRequest(w.h, "GET", "/v1/cart?currency=EUR"));
    expect(view).toEqual({
      cartId: null,
      currency: "EUR",
      country: null,
      sellers: [],
      lineCount: 0,
      itemCount: 0,
      itemsMinor: 0,
      shippingMinor: 0,
      discountMinor: 0,
      taxMinor: 0,
      totalMinor: 0,
      hasProblems: false,
    });
    expect((await cartRequest(w.h, "DELETE", "/v1/cart")).status).toBe(204);
    expect(await w.h.database.db.select().from(schema.cart)).toEqual([]);
  });

  test("50 parallel adds of one variant to a guest cart: all 200, the line holds all 50", async () => {
    const { cartToken } = await guestAdds(w.h, v(1), 1);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => cartRequest(w.h, "POST", "/v1/cart/lines", { cartToken }, { body: { variantId: v(0), quantity: 1 } })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(qty(await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { cartToken })))).toEqual({ [v(0)]: 50, [v(1)]: 1 });
  });

  test("50 parallel adds of 30 against the 999 cap: 33 fit, the rest are 409 problem+json, never a 500", async () => {
    const { cartToken } = await guestAdds(w.h, v(1), 1);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => cartRequest(w.h, "POST", "/v1/cart/lines", { cartToken }, { body: { variantId: v(0), quantity: 30 } })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(33);
    expect(statuses.filter((s) => s === 409)).toHaveLength(17);
    const refused = await problem(responses.find((r) => r.status === 409) as Response);
    expect(refused.errors?.[0]?.path).toBe("/quantity");
    expect(qty(await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { cartToken })))[v(0)]).toBe(990);
  });
});

describe("signed-in carts", () => {
  test("found by the user, so the cart follows them from one device to another", async () => {
    const user = await userWithTwoDevices();
    expect((await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: user.laptop }))).cartId).toBeNull();
    const added = await viewOf(await cartRequest(w.h, "POST", "/v1/cart/lines", { token: user.laptop }, { body: { variantId: v(0), quantity: 2 } }));
    expect(added.cartToken).toBeUndefined();
    const onPhone = await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: user.phone }));
    expect(onPhone.cartId).toBe(added.cartId);
    expect(qty(onPhone)).toEqual({ [v(0)]: 2 });
    const opened = await cartRequest(w.h, "POST", "/v1/cart", { token: user.phone });
    expect(opened.status).toBe(200);
    expect((await viewOf(opened)).cartId).toBe(added.cartId);
  });

  test("POST /v1/cart for a user without a cart makes one (201), with no token", async () => {
    const user = await userWithTwoDevices();
    const view = await viewOf(await cartRequest(w.h, "POST", "/v1/cart", { token: user.laptop }), 201);
    expect(view.cartId).toStartWith("crt_");
    expect(view.cartToken).toBeUndefined();
  });

  test("priced in the asked currency for the asked destination; a price change is flagged until accepted", async () => {
    const user = await userWithTwoDevices();
    const as = { token: user.laptop };
    await shippingRate(w, ada.id, { countries: ["PT"], currency: "EUR", baseMinor: 400 });
    await cartRequest(w.h, "POST", "/v1/cart/lines", as, { body: { variantId: v(0), quantity: 2 } });
    await cartRequest(w.h, "POST", "/v1/cart/lines", as, { body: { variantId: v(1), quantity: 1 } });
    const jpy = await viewOf(await cartRequest(w.h, "GET", "/v1/cart?currency=JPY&country=PT", as));
    expect(jpy).toMatchObject({ currency: "JPY", country: "PT", itemsMinor: 7500, shippingMinor: 750, totalMinor: 8250, hasProblems: false });
    expect(jpy.sellers[0]?.fxAsOf).toBe(new Date(w.h.clock.now).toISOString());
    // the query picks only what the amounts are shown and charged in: what the seller is owed, and at what rate, is ours
    const usd = await viewOf(await cartRequest(w.h, "GET", "/v1/cart?currency=USD&country=PT", as));
    for (const view of [jpy, usd]) {
      expect(view.sellers[0]?.settlementCurrency).toBe("EUR");
      expect(view.sellers[0]?.lines.map((l) => l.settlementMinor)).toEqual([2000, 2000]);
      expect(view.sellers[0]?.shipping?.settlementMinor).toBe(400);
    }
    expect([jpy.sellers[0]?.fxRatePpb, usd.sellers[0]?.fxRatePpb]).toEqual([187_500_000_000, 1_250_000_000]);

    await setPrice(w, ada, tee.productId, v(0), 1100);
    await setPrice(w, ada, tee.productId, v(1), 1900);
    const changed = await viewOf(await cartRequest(w.h, "GET", "/v1/cart?currency=EUR", as));
    expect(changed.hasProblems).toBe(true);
    expect(changed.sellers[0]?.lines.map((l) => l.problems)).toEqual([
      [{ code: "price_changed", seenPriceMinor: 1000, priceMinor: 1100 }],
      [{ code: "price_changed", seenPriceMinor: 2000, priceMinor: 1900 }],
    ]);
    // updating one line accepts its price; accept-changes takes the rest
    const patched = await viewOf(await cartRequest(w.h, "PATCH", `/v1/cart/lines/${v(0)}?currency=EUR`, as, { body: { quantity: 2 } }));
    expect(patched.sellers[0]?.lines.map((l) => l.problems.length)).toEqual([0, 1]);
    const accepted = await viewOf(await cartRequest(w.h, "POST", "/v1/cart/accept-changes?currency=EUR", as));
    expect(accepted).toMatchObject({ hasProblems: false, totalMinor: 4100 });
    expect(accepted.sellers[0]?.lines.map((l) => l.seenPriceMinor)).toEqual([1100, 1900]);
  });

  test("an unknown variant, one not for sale, or one past the bounds is refused naming the field", async () => {
    const user = await userWithTwoDevices();
    const as = { token: user.laptop };
    const unknown = await cartRequest(w.h, "POST", "/v1/cart/lines", as, { body: { variantId: "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", quantity: 1 } });
    expect(unknown.status).toBe(422);
    expect((await problem(unknown)).errors).toEqual([{ path: "/variantId", message: "names no variant" }]);
    await w.h.request("POST", `/v1/seller/products/${tee.productId}/archive`, { token: ada.token });
    const archived = await cartRequest(w.h, "POST", "/v1/cart/lines", as, { body: { variantId: v(0), quantity: 1 } });
    expect((await problem(archived)).errors).toEqual([{ path: "/variantId", message: "is not for sale" }]);
    expect(await w.h.database.db.select().from(schema.cartLine)).toEqual([]);
  });
});

describe("guest → user merge", () => {
  test("across devices: the phone's guest cart joins the laptop's user cart on sign-in; the token then names nothing", async () => {
    const phoneGuest = await guestAdds(w.h, v(0), 2);
    await cartRequest(w.h, "POST", "/v1/cart/lines", { cartToken: phoneGuest.cartToken }, { body: { variantId: v(2), quantity: 1 } });
    const user = await userWithTwoDevices();
    await cartRequest(w.h, "POST", "/v1/cart/lines", { token: user.laptop }, { body: { variantId: v(0), quantity: 1 } });
    await cartRequest(w.h, "POST", "/v1/cart/lines", { token: user.laptop }, { body: { variantId: v(1), quantity: 1 } });

    // the phone signs in and its next cart request carries both
    const merged = await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: user.phone, cartToken: phoneGuest.cartToken }));
    expect(qty(merged)).toEqual({ [v(0)]: 3, [v(1)]: 1, [v(2)]: 1 });
    const onLaptop = await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: user.laptop }));
    expect(onLaptop).toEqual(merged);
    expect((await cartRequest(w.h, "GET", "/v1/cart", { cartToken: phoneGuest.cartToken })).status).toBe(404);
    // the token sent again with the user's: nothing more to merge, nothing added twice
    expect(qty(await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: user.phone, cartToken: phoneGuest.cartToken })))).toEqual(qty(merged));
    expect(await w.h.database.db.select().from(schema.cart)).toHaveLength(1);
  });

  test("POST /v1/cart/merge: the guest cart into yours, reporting what merged; again → nothing", async () => {
    const guest = await guestAdds(w.h, v(0), 995);
    await cartRequest(w.h, "POST", "/v1/cart/lines", { cartToken: guest.cartToken }, { body: { variantId: v(1), quantity: 1 } });
    const user = await userWithTwoDevices();
    await cartRequest(w.h, "POST", "/v1/cart/lines", { token: user.laptop }, { body: { variantId: v(0), quantity: 10 } });
    const response = await cartRequest(w.h, "POST", "/v1/cart/merge?currency=EUR", { token: user.phone, cartToken: guest.cartToken });
    expect(response.status).toBe(200);
    const result = (await response.json()) as MergeCartResult;
    expect(result.merged).toEqual({ lines: 2, capped: [v(0)], dropped: [] });
    expect(qty(result.cart)).toEqual({ [v(0)]: 999, [v(1)]: 1 });
    expect(result.cart.currency).toBe("EUR");
    const again = (await (await cartRequest(w.h, "POST", "/v1/cart/merge", { token: user.phone, cartToken: guest.cartToken })).json()) as MergeCartResult;
    expect(again.merged).toEqual({ lines: 0, capped: [], dropped: [] });
    expect(qty(again.cart)).toEqual(qty(result.cart));
  });

  test("parallel requests carrying the same guest token merge it once (implicit and explicit racing together)", async () => {
    const guest = await guestAdds(w.h, v(0), 2);
    await cartRequest(w.h, "POST", "/v1/cart/lines", { cartToken: guest.cartToken }, { body: { variantId: v(1), quantity: 3 } });
    const user = await userWithTwoDevices();
    await cartRequest(w.h, "POST", "/v1/cart/lines", { token: user.laptop }, { body: { variantId: v(0), quantity: 1 } });
    const as = { token: user.phone, cartToken: guest.cartToken };
    const responses = await Promise.all([
      ...Array.from({ length: 8 }, () => cartRequest(w.h, "GET", "/v1/cart", as)),
      ...Array.from({ length: 4 }, () => cartRequest(w.h, "POST", "/v1/cart/merge", as)),
      ...Array.from({ length: 4 }, () => cartRequest(w.h, "POST", "/v1/cart/lines", as, { body: { variantId: v(2), quantity: 1 } })),
    ]);
    expect(responses.map((r) => r.status)).toEqual(Array(16).fill(200));
    const merges = await Promise.all(responses.slice(8, 12).map(async (r) => ((await r.json()) as MergeCartResult).merged.lines));
    // the merge happened once, in whichever request came first
    expect(merges.filter((n) => n > 0).length).toBeLessThanOrEqual(1);
    expect(qty(await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: user.laptop })))).toEqual({ [v(0)]: 3, [v(1)]: 3, [v(2)]: 4 });
    expect(await w.h.database.db.select().from(schema.cart)).toHaveLength(1);
  });
});

describe("OpenAPI", () => {
  test("every cart and wishlist operation is documented: id, the cart tag, schemas with examples, problem responses", async () => {
    const document = (await (await w.h.request("GET", "/docs/json")).json()) as {
      paths: Record<string, Record<string, { operationId?: string; tags?: string[]; requestBody?: unknown; responses?: Record<string, unknown> }>>;
    };
    const ours = Object.entries(document.paths).filter(([path]) => path.startsWith("/v1/cart") || path.startsWith("/v1/me/wishlist"));
    const operations = ours.flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ where: `${method} ${path}`, op })));
    expect(operations.map((o) => o.op.operationId).sort()).toEqual(
      [
        "acceptCartChanges",
        "addCartLine",
        "addToWishlist",
        "clearCart",
        "getCart",
        "listWishlist",
        "mergeCart",
        "moveWishlistItemToCart",
        "openCart",
        "removeCartLine",
        "removeFromWishlist",
        "updateCartLine",
      ].sort(),
    );
    for (const { where, op } of operations) {
      expect(op.tags, where).toEqual(["cart"]);
      const statuses = Object.keys(op.responses ?? {});
      expect(
        statuses.some((s) => s.startsWith("4")),
        where,
      ).toBe(true);
      const json = JSON.stringify(op.responses);
      if (!statuses.includes("204")) expect(json, where).toContain('"example"');
      if (op.requestBody) expect(JSON.stringify(op.requestBody), where).toContain('"example"');
    }
  });
});
