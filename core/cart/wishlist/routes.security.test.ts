import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Problem } from "@bazaar/contracts";
import { newCartToken } from "../cart-token.ts";
import { type CartWorld, cartSnapshot, createCartWorld, guestAdds, listProduct, type Party, seller, shopper } from "../test-fixtures.ts";

let w: CartWorld;
let ada: Party;
let variantId: string;
beforeEach(async () => {
  w = await createCartWorld();
  const shop = await seller(w.h);
  variantId = (await listProduct(w, shop, { currency: "EUR", prices: [1000] })).variantIds[0] as string;
  ada = await shopper(w.h);
  expect((await w.h.request("PUT", `/v1/me/wishlist/${variantId}`, { token: ada.token })).status).toBe(201);
});
afterEach(() => w.h.destroy());

const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as Problem;
};
const routes = (): [string, string][] => [
  ["GET", "/v1/me/wishlist"],
  ["PUT", `/v1/me/wishlist/${variantId}`],
  ["DELETE", `/v1/me/wishlist/${variantId}`],
  ["POST", `/v1/me/wishlist/${variantId}/move-to-cart`],
];

describe("who may call", () => {
  test("no token → 401 on every wishlist route; a guest's cart token is no substitute; nothing changes", async () => {
    const { cartToken } = await guestAdds(w.h, variantId, 1);
    const before = await cartSnapshot(w.h);
    const tokens: Record<string, string>[] = [{}, { "x-cart-token": cartToken }, { "x-cart-token": newCartToken() }];
    for (const headers of tokens) {
      for (const [method, path] of routes()) {
        const response = await w.h.request(method, path, { headers });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect((await problem(response)).code).toBe("UNAUTHENTICATED");
      }
    }
    expect(await cartSnapshot(w.h)).toEqual(before);
  });

  test("a suspended user's live token → 403, and nothing changes", async () => {
    await w.h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [ada.id] });
    const before = await cartSnapshot(w.h);
    for (const [method, path] of routes()) {
      const response = await w.h.request(method, path, { token: ada.token });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await problem(response)).code).toBe("ACCOUNT_DISABLED");
    }
    expect(await cartSnapshot(w.h)).toEqual(before);
  });

  test("another user's wishlist is out of reach: nothing of Ada's shows or changes through Eve's token", async () => {
    const eve = await shopper(w.h);
    const before = await cartSnapshot(w.h);
    expect(await (await w.h.request("GET", "/v1/me/wishlist", { token: eve.token })).json()).toEqual({ items: [], nextCursor: null });
    expect((await w.h.request("DELETE", `/v1/me/wishlist/${variantId}`, { token: eve.token })).status).toBe(404);
    expect((await w.h.request("POST", `/v1/me/wishlist/${variantId}/move-to-cart`, { token: eve.token })).status).toBe(404);
    expect(await cartSnapshot(w.h)).toEqual(before);
    // and there is no route that takes a user id at all
    expect((await w.h.request("GET", `/v1/users/${ada.id}/wishlist`, { token: eve.token })).status).toBe(404);
  });
});

describe("hostile input", () => {
  test("bad ids, stray bodies and bad query parameters → 4xx problem+json naming the field, nothing written", async () => {
    const before = await cartSnapshot(w.h);
    for (const bad of ["not-a-variant", "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", "var_%27%20OR%201%3D1", "x".repeat(2000)]) {
      for (const method of ["PUT", "DELETE"]) {
        const response = await w.h.request(method, `/v1/me/wishlist/${bad}`, { token: ada.token });
        expect(response.status, `${method} ${bad.slice(0, 20)}`).toBe(422);
        expect((await problem(response)).errors?.[0]?.path).toBe("/variantId");
      }
    }
    for (const path of [`/v1/me/wishlist/${variantId}`, `/v1/me/wishlist/${variantId}/move-to-cart`]) {
      const method = path.endsWith("move-to-cart") ? "POST" : "PUT";
      const stray = await w.h.request(method, path, { token: ada.token, body: { userId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" } });
      expect(stray.status, path).toBe(422);
      expect((await problem(stray)).errors?.[0]?.path).toBe("/userId");
    }
    for (const query of ["limit=0", "limit=-1", "limit=1000", "limit=abc", "userId=x"]) {
      const response = await w.h.request("GET", `/v1/me/wishlist?${query}`, { token: ada.token });
      expect(response.status, query).toBe(422);
    }
    expect(await cartSnapshot(w.h)).toEqual(before);
  });
});
