import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Problem, ProductPage, ProductView } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { type Catalog, count, createProduct, json, outbox, type Person, seedCatalog, signUp, tshirt } from "./test-fixtures.ts";

let h: Harness;
let catalog: Catalog;
let alice: Person;
let mallory: Person;
let theirs: ProductView;
beforeEach(async () => {
  h = await createHarness();
  catalog = await seedCatalog(h);
  alice = await signUp(h, "seller");
  mallory = await signUp(h, "seller");
  theirs = await createProduct(h, alice.token, tshirt(catalog));
});
afterEach(() => h.destroy());

const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};

/** Every product route, aimed at `product` (and its first variant), with a body that would be valid for its owner. */
function routes(product: ProductView): [string, string, unknown][] {
  const base = `/v1/seller/products/${product.id}`;
  const variant = `${base}/variants/${product.variants[0]?.id}`;
  return [
    ["GET", base, undefined],
    ["PATCH", base, { title: "Taken over", version: product.version }],
    ["DELETE", base, undefined],
    ["POST", `${base}/publish`, undefined],
    ["POST", `${base}/archive`, undefined],
    ["POST", `${base}/unarchive`, undefined],
    ["POST", `${base}/variants`, { sku: "EVIL-1", options: { colour: "black", size: "S" }, priceMinor: 1 }],
    ["PATCH", variant, { priceMinor: 1 }],
    ["DELETE", variant, undefined],
  ];
}

async function unchanged() {
  const view = await json<ProductView>(await h.request("GET", `/v1/seller/products/${theirs.id}`, { token: alice.token }));
  expect(view).toEqual(theirs);
  expect(await outbox(h, "product.updated")).toEqual([]);
  expect(await outbox(h, "variant.price_changed")).toEqual([]);
}

describe("another seller's product does not exist for you (BOLA)", () => {
  test("every route on it is 404, and nothing changes", async () => {
    for (const [method, path, body] of routes(theirs)) {
      const response = await h.request(method, path, { token: mallory.token, body });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect((await problem(response)).code).toBe("NOT_FOUND");
    }
    await unchanged();
  });

  test("the 404 is the same as for a product that does not exist: no existence oracle", async () => {
    const missing = await h.request("GET", "/v1/seller/products/prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", { token: mallory.token });
    const hidden = await h.request("GET", `/v1/seller/products/${theirs.id}`, { token: mallory.token });
    const strip = ({ requestId: _r, ...rest }: Problem) => rest;
    expect(strip(await problem(hidden))).toEqual(strip(await problem(missing)));
  });

  test("their variant through your own product is 404 too", async () => {
    const mine = await createProduct(h, mallory.token, tshirt(catalog));
    const variant = `/v1/seller/products/${mine.id}/variants/${theirs.variants[0]?.id}`;
    expect((await h.request("PATCH", variant, { token: mallory.token, body: { priceMinor: 1 } })).status).toBe(404);
    expect((await h.request("DELETE", variant, { token: mallory.token })).status).toBe(404);
    await unchanged();
  });

  test("your list shows only your own products", async () => {
    const mine = await createProduct(h, mallory.token, tshirt(catalog));
    const page = await json<ProductPage>(await h.request("GET", "/v1/seller/products", { token: mallory.token }));
    expect(page.items.map((p) => p.id)).toEqual([mine.id]);
  });

  test("you cannot plant a product on someone else: there is no sellerId to send", async () => {
    const response = await h.request("POST", "/v1/seller/products", { token: mallory.token, body: { ...tshirt(catalog), sellerId: alice.userId } });
    expect(response.status).toBe(422);
    expect(await count(h, "product")).toBe(1);
  });
});

describe("who may call", () => {
  test("no token → 401 on every route", async () => {
    for (const [method, path, body] of [
      ...routes(theirs),
      ["POST", "/v1/seller/products", tshirt(catalog)],
      ["GET", "/v1/seller/products", undefined],
    ] as const) {
      const response = await h.request(method, path, { body });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
    }
    const admin = await h.request("PUT", `/v1/admin/products/${theirs.id}/status`, { body: { status: "suspended", reason: "x" } });
    expect(admin.status).toBe(401);
    await unchanged();
  });

  test("a buyer → 403 on every route, their own or not", async () => {
    const buyer = await signUp(h);
    for (const [method, path, body] of [
      ...routes(theirs),
      ["POST", "/v1/seller/products", tshirt(catalog)],
      ["GET", "/v1/seller/products", undefined],
    ] as const) {
      const response = await h.request(method, path, { token: buyer.token, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await problem(response)).code).toBe("FORBIDDEN");
    }
    await unchanged();
    expect(await count(h, "product")).toBe(1);
  });

  test("only admins set a product's status: sellers and support staff get 403", async () => {
    const support = await signUp(h, "support");
    for (const token of [alice.token, mallory.token, support.token]) {
      const response = await h.request("PUT", `/v1/admin/products/${theirs.id}/status`, { token, body: { status: "active", reason: "let me" } });
      expect(response.status).toBe(403);
    }
    await unchanged();
  });

  test("a seller whose role is revoked loses access at once", async () => {
    await h.database.client.execute({ sql: "UPDATE user SET roles = json_array('buyer') WHERE id = ?", args: [alice.userId] });
    expect((await h.request("GET", `/v1/seller/products/${theirs.id}`, { token: alice.token })).status).toBe(403);
  });

  test("a seller whose account is disabled while a session lives is refused with 403 ACCOUNT_DISABLED", async () => {
    await h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [alice.userId] });
    for (const [method, path, body] of routes(theirs)) {
      const response = await h.request(method, path, { token: alice.token, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await problem(response)).code).toBe("ACCOUNT_DISABLED");
    }
    await h.database.client.execute({ sql: "UPDATE user SET status = 'active' WHERE id = ?", args: [alice.userId] });
    await unchanged();
  });

  test("a suspended seller is refused (401: their sessions ended) before anything is read or written", async () => {
    const admin = await signUp(h, "admin");
    const suspended = await h.request("PUT", `/v1/admin/users/${alice.userId}/status`, { token: admin.token, body: { status: "suspended", reason: "fraud" } });
    expect(suspended.status).toBe(200);
    for (const [method, path, body] of routes(theirs)) {
      const response = await h.request(method, path, { token: alice.token, body });
      // suspension ends every session at once, so the still-unexpired access token is refused
      expect(response.status, `${method} ${path}`).toBe(401);
    }
    expect(await outbox(h, "product.updated")).toEqual([]);
  });
});
