import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { CartView, Problem } from "@bazaar/contracts";
import { newCartToken } from "./cart-token.ts";
import {
  type As,
  type CartWorld,
  cartRequest,
  cartSnapshot,
  createCartWorld,
  guestAdds,
  listProduct,
  type Party,
  seller,
  shopper,
  viewOf,
} from "./test-fixtures.ts";

let w: CartWorld;
let variants: string[];
let ada: Party;
let eve: Party;
let guestToken: string;
beforeEach(async () => {
  w = await createCartWorld();
  const shop = await seller(w.h);
  variants = (await listProduct(w, shop, { currency: "EUR", prices: [1000, 2000] })).variantIds;
  ada = await shopper(w.h);
  eve = await shopper(w.h);
  await cartRequest(w.h, "POST", "/v1/cart/lines", { token: ada.token }, { body: { variantId: variants[0], quantity: 2 } });
  guestToken = (await guestAdds(w.h, variants[1] as string, 3)).cartToken;
});
afterEach(() => w.h.destroy());

const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as Problem;
};
const lineIds = (view: CartView) => view.sellers.flatMap((g) => g.lines).map((l) => `${l.variantId}×${l.quantity}`);

/** Every cart route with a body it would accept. */
const routes = (): [string, string, unknown?][] => [
  ["POST", "/v1/cart"],
  ["GET", "/v1/cart"],
  ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: 1 }],
  ["PATCH", `/v1/cart/lines/${variants[1]}`, { quantity: 1 }],
  ["DELETE", `/v1/cart/lines/${variants[1]}`],
  ["DELETE", "/v1/cart"],
  ["POST", "/v1/cart/accept-changes"],
];

const send = (as: As, [method, path, body]: [string, string, unknown?]) => cartRequest(w.h, method, path, as, body === undefined ? {} : { body });

describe("a cart token names one guest cart, and nothing else", () => {
  test("a well-formed token that names no cart → 404 on every cart route; no cart is made, no one's cart is shown", async () => {
    const before = await cartSnapshot(w.h);
    for (const route of routes()) {
      const response = await send({ cartToken: newCartToken() }, route);
      expect(response.status, route.join(" ")).toBe(404);
      expect((await problem(response)).code).toBe("NOT_FOUND");
    }
    expect(await cartSnapshot(w.h)).toEqual(before);
  });

  test("a malformed token → 422 naming the header, before anything is read or written", async () => {
    const before = await cartSnapshot(w.h);
    for (const bad of ["short", `${guestToken}x`, `${guestToken.slice(0, 42)}=`, "' OR 1=1 --aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]) {
      for (const route of routes()) {
        const response = await send({ cartToken: bad }, route);
        expect(response.status, `${bad} ${route.join(" ")}`).toBe(422);
        expect((await problem(response)).errors?.[0]?.path).toBe("/x-cart-token");
      }
    }
    expect(await cartSnapshot(w.h)).toEqual(before);
  });

  test("a signed-in user's cart can never be reached without their access token: it has no cart token", async () => {
    const guest = await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { cartToken: guestToken }));
    expect(lineIds(guest)).toEqual([`${variants[1]}×3`]);
    const anonymous = await viewOf(await cartRequest(w.h, "GET", "/v1/cart"));
    expect(anonymous.cartId).toBeNull();
  });

  test("another user's line ids change nothing of theirs: Eve's update or delete of Ada's variant is a 404 in her own cart", async () => {
    const before = await cartSnapshot(w.h);
    expect((await cartRequest(w.h, "PATCH", `/v1/cart/lines/${variants[0]}`, { token: eve.token }, { body: { quantity: 9 } })).status).toBe(404);
    expect((await cartRequest(w.h, "DELETE", `/v1/cart/lines/${variants[0]}`, { token: eve.token })).status).toBe(404);
    expect((await cartRequest(w.h, "DELETE", "/v1/cart", { token: eve.token })).status).toBe(204);
    expect((await cartRequest(w.h, "POST", "/v1/cart/accept-changes", { token: eve.token })).status).toBe(200);
    expect(await cartSnapshot(w.h)).toEqual(before);
    expect(lineIds(await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: ada.token })))).toEqual([`${variants[0]}×2`]);
  });

  test("a guest token already merged into Ada's cart gives Eve nothing of Ada's", async () => {
    await cartRequest(w.h, "POST", "/v1/cart/merge", { token: ada.token, cartToken: guestToken });
    const eves = await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: eve.token, cartToken: guestToken }));
    expect(eves.cartId).toBeNull();
    const merge = await cartRequest(w.h, "POST", "/v1/cart/merge", { token: eve.token, cartToken: guestToken });
    expect(((await merge.json()) as { merged: { lines: number } }).merged.lines).toBe(0);
    expect(lineIds(await viewOf(await cartRequest(w.h, "GET", "/v1/cart", { token: ada.token })))).toEqual([`${variants[0]}×2`, `${variants[1]}×3`]);
  });
});

describe("a Bearer token that is there must be good: never quietly a guest", () => {
  test("garbage, expired or ended-session tokens → 401 on every cart route, even with a valid cart token; nothing changes", async () => {
    const login = await w.h.register();
    expect((await w.h.request("POST", "/v1/auth/logout", { body: { refreshToken: login.refreshToken } })).status).toBe(204);
    const before = await cartSnapshot(w.h);
    for (const token of ["not-a-jwt", `${ada.token}x`, login.accessToken]) {
      for (const route of routes()) {
        const response = await send({ token, cartToken: guestToken }, route);
        expect(response.status, `${route.join(" ")}`).toBe(401);
        expect((await problem(response)).code).toBe("UNAUTHENTICATED");
      }
    }
    const raw = await w.h.request("GET", "/v1/cart", { headers: { authorization: "Basic YWRhOnNlY3JldA==" } });
    expect(raw.status).toBe(401);
    w.h.clock.advance(3_600_000);
    for (const route of routes()) expect((await send({ token: ada.token }, route)).status, route.join(" ")).toBe(401);
    expect(await cartSnapshot(w.h)).toEqual(before);
  });

  test("a suspended user's live token → 403 on every cart route, and nothing changes", async () => {
    await w.h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [ada.id] });
    const before = await cartSnapshot(w.h);
    for (const route of [...routes(), ["POST", "/v1/cart/merge"] as [string, string]]) {
      const response = await send({ token: ada.token, cartToken: guestToken }, route);
      expect(response.status, route.join(" ")).toBe(403);
      expect((await problem(response)).code).toBe("ACCOUNT_DISABLED");
    }
    expect(await cartSnapshot(w.h)).toEqual(before);
  });

  test("POST /v1/cart/merge needs a signed-in user (401) and a cart token (422 naming it)", async () => {
    expect((await cartRequest(w.h, "POST", "/v1/cart/merge", { cartToken: guestToken })).status).toBe(401);
    const noToken = await cartRequest(w.h, "POST", "/v1/cart/merge", { token: ada.token });
    expect(noToken.status).toBe(422);
    expect((await problem(noToken)).errors).toEqual([{ path: "/x-cart-token", message: "is required: the guest cart to merge into yours" }]);
  });
});

describe("hostile input: a 4xx problem naming the field, and nothing written", () => {
  test("bad bodies to add and update", async () => {
    const as = { token: ada.token };
    const before = await cartSnapshot(w.h);
    const cases: [string, string, unknown, number, string][] = [
      ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: -1 }, 422, "/quantity"],
      ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: 0 }, 422, "/quantity"],
      ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: 1000 }, 422, "/quantity"],
      ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: 1e308 }, 422, "/quantity"],
      ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: 1.5 }, 422, "/quantity"],
      ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: "2" }, 422, "/quantity"],
      ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: null }, 422, "/quantity"],
      ["POST", "/v1/cart/lines", { variantId: variants[0] }, 422, "/quantity"],
      ["POST", "/v1/cart/lines", { variantId: "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", quantity: 1 }, 422, "/variantId"],
      ["POST", "/v1/cart/lines", { variantId: "x".repeat(10_000), quantity: 1 }, 422, "/variantId"],
      ["POST", "/v1/cart/lines", { variantId: variants[0], quantity: 1, seenPriceMinor: 1 }, 422, "/seenPriceMinor"],
      ["POST", "/v1/cart/lines", [{ variantId: variants[0], quantity: 1 }], 422, "/"],
      ["PATCH", `/v1/cart/lines/${variants[0]}`, { quantity: -5 }, 422, "/quantity"],
      ["PATCH", `/v1/cart/lines/${variants[0]}`, { quantity: 2, cartId: "crt_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, 422, "/cartId"],
      ["PATCH", "/v1/cart/lines/not-a-variant", { quantity: 2 }, 422, "/variantId"],
      ["POST", "/v1/cart", { userId: eve.id }, 422, "/userId"],
      ["POST", "/v1/cart/accept-changes", { priceMinor: 1 }, 422, "/priceMinor"],
      ["POST", "/v1/cart/merge", { cartId: "crt_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, 422, "/cartId"],
    ];
    for (const [method, path, body, status, field] of cases) {
      const response = await cartRequest(w.h, method, path, as, { body });
      expect(response.status, `${method} ${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(status);
      const details = await problem(response);
      expect(details.errors?.map((e) => e.path) ?? [], JSON.stringify(body).slice(0, 80)).toContain(field);
    }
    expect(await cartSnapshot(w.h)).toEqual(before);
  });

  test("malformed JSON, the wrong media type, an oversized body, bad query parameters", async () => {
    const before = await cartSnapshot(w.h);
    const malformed = await cartRequest(w.h, "POST", "/v1/cart/lines", {}, { rawBody: '{"variantId": "var_', headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect((await problem(malformed)).code).toBe("MALFORMED_JSON");
    const text = await cartRequest(w.h, "POST", "/v1/cart/lines", {}, { rawBody: "variantId=1", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    const huge = await cartRequest(w.h, "POST", "/v1/cart/lines", {}, { body: { variantId: variants[0], quantity: 1, pad: "x".repeat(1_100_000) } });
    expect(huge.status).toBe(413);
    for (const query of ["currency=usd", "currency=XXX", "country=pt", "country=Portugal", "addressId=adr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", "limit=5"]) {
      const response = await cartRequest(w.h, "GET", `/v1/cart?${query}`, { token: ada.token });
      expect(response.status, query).toBe(422);
      expect((await problem(response)).errors?.length, query).toBeGreaterThan(0);
    }
    const notACountry = await cartRequest(w.h, "GET", "/v1/cart?country=XX", { token: ada.token });
    expect((await problem(notACountry)).errors?.[0]?.path).toBe("/country");
    // a first add refused for its variant makes no guest cart
    const refused = await cartRequest(w.h, "POST", "/v1/cart/lines", {}, { body: { variantId: "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", quantity: 1 } });
    expect(refused.status).toBe(422);
    expect(await cartSnapshot(w.h)).toEqual(before);
  });
});
