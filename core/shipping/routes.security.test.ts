import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Problem, ShippingRatePage, ShippingRateView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { type Person, signUp } from "../catalog/products/test-fixtures.ts";
import { createHarness, type Harness } from "../testing/harness.ts";

let h: Harness;
let ada: Person;
let eve: Person;
let adaRate: ShippingRateView;
beforeEach(async () => {
  h = await createHarness();
  ada = await signUp(h, "seller");
  eve = await signUp(h, "seller");
  adaRate = await json<ShippingRateView>(await h.request("POST", "/v1/seller/shipping-rates", { token: ada.token, body: RATE }));
});
afterEach(() => h.destroy());

const RATE = { name: "Iberia", countries: ["PT", "ES"], kind: "flat", baseMinor: 499, currency: "EUR", minDays: 2, maxDays: 5 };
const GHOST = "shr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";

const json = async <T>(response: Response) => (await response.json()) as T;
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};
/** Everything shipping keeps, to prove a refused request changed nothing. */
const snapshot = () => h.database.db.select().from(schema.shippingRate);

/** Every seller route, with a body it would accept from Ada. */
const routes = (): [string, string, unknown?][] => [
  ["POST", "/v1/seller/shipping-rates", RATE],
  ["GET", "/v1/seller/shipping-rates"],
  ["GET", `/v1/seller/shipping-rates/${adaRate.id}`],
  ["PATCH", `/v1/seller/shipping-rates/${adaRate.id}`, { baseMinor: 1 }],
  ["DELETE", `/v1/seller/shipping-rates/${adaRate.id}`],
];
const call = (method: string, path: string, body: unknown, token?: string) =>
  h.request(method, path, { ...(token ? { token } : {}), ...(body === undefined ? {} : { body }) });

describe("who may call", () => {
  test("no token, or a malformed or forged one → 401 on every seller route, and nothing changes", async () => {
    const before = await snapshot();
    for (const [method, path, body] of routes()) {
      for (const headers of [{}, { authorization: "Bearer not.a.token" }, { authorization: "Basic YWRhOnB3" }] as Record<string, string>[]) {
        const response = await h.request(method, path, { headers, ...(body === undefined ? {} : { body }) });
        expect(response.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect((await problem(response)).code).toBe("UNAUTHENTICATED");
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  test("a buyer without the seller role → 403 on every seller route", async () => {
    const buyer = await h.register();
    const before = await snapshot();
    for (const [method, path, body] of routes()) {
      const response = await call(method, path, body, buyer.accessToken);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await problem(response)).code).toBe("FORBIDDEN");
    }
    expect(await snapshot()).toEqual(before);
  });

  test("a suspended seller's live token → 403 on every seller route, and nothing changes", async () => {
    await h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [ada.userId] });
    const before = await snapshot();
    for (const [method, path, body] of routes()) {
      const response = await call(method, path, body, ada.token);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await problem(response)).code).toBe("ACCOUNT_DISABLED");
    }
    expect(await snapshot()).toEqual(before);
  });

  test("a seller whose role was revoked loses access at once", async () => {
    await h.database.client.execute({ sql: `UPDATE user SET roles = '["buyer"]' WHERE id = ?`, args: [ada.userId] });
    expect((await h.request("GET", `/v1/seller/shipping-rates/${adaRate.id}`, { token: ada.token })).status).toBe(403);
  });

  test("BOLA: another seller's rate does not exist for you — 404 like an unknown id, and nothing changes", async () => {
    const before = await snapshot();
    for (const [method, path, body] of routes().slice(2)) {
      const theirs = await call(method, path, body, eve.token);
      expect(theirs.status, `${method} ${path}`).toBe(404);
      const missing = await call(method, path.replace(adaRate.id, GHOST), body, eve.token);
      expect(missing.status, `${method} ${GHOST}`).toBe(404);
      const [a, b] = [await problem(theirs), await problem(missing)];
      expect(a.title).toBe(b.title);
      expect(a.detail).toBe(b.detail);
    }
    expect(await snapshot()).toEqual(before);
    // Eve's list holds only Eve's; she cannot ask for Ada's
    expect(await json(await h.request("GET", "/v1/seller/shipping-rates", { token: eve.token }))).toEqual({ items: [], nextCursor: null });
    const asked = await h.request("GET", `/v1/seller/shipping-rates?sellerId=${ada.userId}`, { token: eve.token });
    expect(asked.status).toBe(403);
    expect((await problem(asked)).errors?.[0]?.path).toBe("/sellerId");
    // nor page into Ada's with a cursor made from Ada's rate id
    const cursor = btoa(JSON.stringify({ id: "shr_0" })).replace(/=+$/, "");
    expect((await json<ShippingRatePage>(await h.request("GET", `/v1/seller/shipping-rates?cursor=${cursor}`, { token: eve.token }))).items).toEqual([]);
  });

  test("a rate is always created for the caller: no body field names another seller", async () => {
    const response = await h.request("POST", "/v1/seller/shipping-rates", { token: eve.token, body: { ...RATE, sellerId: ada.userId } });
    expect(response.status).toBe(422);
    expect((await problem(response)).errors?.map((e) => e.path)).toEqual(["/sellerId"]);
    const patched = await h.request("PATCH", `/v1/seller/shipping-rates/${adaRate.id}`, { token: ada.token, body: { sellerId: eve.userId } });
    expect(patched.status).toBe(422);
    expect((await snapshot()).map((r) => r.sellerId)).toEqual([ada.userId]);
  });

  test("the estimate is public and reads nothing private: unknown sellers get the default, like sellers without rates", async () => {
    const response = await h.request("POST", "/v1/shipping/estimates", {
      body: { sellerId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", country: "PT", currency: "EUR", itemsMinor: 100, weightGrams: 100 },
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ rateId: null, amountMinor: 0 });
  });
});

describe("hostile and malformed bodies", () => {
  test("stray fields → 422 naming them, on create, change and estimate", async () => {
    const before = await snapshot();
    for (const [method, path, body, field] of [
      ["POST", "/v1/seller/shipping-rates", { ...RATE, id: GHOST }, "/id"],
      ["POST", "/v1/seller/shipping-rates", { ...RATE, createdAt: 0 }, "/createdAt"],
      ["PATCH", `/v1/seller/shipping-rates/${adaRate.id}`, { baseMinor: 1, updatedAt: 0 }, "/updatedAt"],
      ["PATCH", `/v1/seller/shipping-rates/${adaRate.id}`, { id: GHOST }, "/id"],
      ["POST", "/v1/shipping/estimates", { sellerId: ada.userId, country: "PT", currency: "EUR", itemsMinor: 1, weightGrams: 1, discount: 100 }, "/discount"],
    ] as const) {
      const response = await call(method, path, body, ada.token);
      expect(response.status, `${method} ${path} ${field}`).toBe(422);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain(field);
    }
    expect(await snapshot()).toEqual(before);
  });

  test("__proto__ and constructor keys are refused, not merged", async () => {
    const before = await snapshot();
    for (const rawBody of [
      `{"name":"X","countries":[],"kind":"flat","baseMinor":1,"currency":"EUR","minDays":1,"maxDays":2,"__proto__":{"sellerId":"${eve.userId}"}}`,
      `{"baseMinor":1,"constructor":{"prototype":{"admin":true}}}`,
    ]) {
      const path = rawBody.includes('"name"') ? "/v1/seller/shipping-rates" : `/v1/seller/shipping-rates/${adaRate.id}`;
      const response = await h.request(rawBody.includes('"name"') ? "POST" : "PATCH", path, {
        token: ada.token,
        rawBody,
        headers: { "content-type": "application/json" },
      });
      expect(response.status, rawBody).toBe(422);
    }
    expect(await snapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).sellerId).toBeUndefined();
  });

  test("malformed JSON → 400, a non-JSON body → 415, an oversized body → 413, deep nesting → 422; never a write", async () => {
    const before = await snapshot();
    const post = (rawBody: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
      h.request("POST", "/v1/seller/shipping-rates", { token: ada.token, rawBody, headers });
    expect((await post('{"name":')).status).toBe(400);
    expect((await post("name=X", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    const huge = JSON.stringify({ ...RATE, name: "x".repeat(2_000_000) });
    expect((await post(huge)).status).toBe(413);
    const countries = JSON.stringify({ ...RATE, countries: Array.from({ length: 100_000 }, () => "PT") });
    const long = await post(countries); // under the body limit: refused by the zone's bounds
    expect(long.status).toBe(422);
    expect((await problem(long)).errors?.map((e) => e.path)).toContain("/countries");
    const deep = `{"name":"X","countries":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const deepResponse = await post(deep);
    expect(deepResponse.status).toBe(422);
    expect((await problem(deepResponse)).code).toBe("VALIDATION_FAILED");
    expect(await snapshot()).toEqual(before);
    // the estimate too
    const estimate = await h.request("POST", "/v1/shipping/estimates", { rawBody: JSON.stringify({ sellerId: "x".repeat(2_000_000) }) });
    expect(estimate.status).toBe(413);
  });

  test("values of the wrong type or absurd size → 422 naming the field, never a 500", async () => {
    const before = await snapshot();
    for (const [body, path] of [
      [{ ...RATE, baseMinor: Number.MAX_SAFE_INTEGER }, "/baseMinor"],
      [{ ...RATE, baseMinor: null }, "/baseMinor"],
      [{ ...RATE, baseMinor: 1e308 }, "/baseMinor"],
      [{ ...RATE, minDays: { $gt: 0 } }, "/minDays"],
      [{ ...RATE, countries: [{ code: "PT" }] }, "/countries/0"],
      [{ ...RATE, countries: [null] }, "/countries/0"],
      [{ ...RATE, countries: ["PT'; DROP TABLE shipping_rate;--"] }, "/countries/0"],
      [{ ...RATE, name: "x".repeat(10_000) }, "/name"],
      [{ ...RATE, name: ["Iberia"] }, "/name"],
      [{ ...RATE, kind: ["flat"] }, "/kind"],
      [{ ...RATE, currency: "EUR " }, "/currency"],
      [[RATE], "/"],
      ["Iberia", "/"],
    ] as const) {
      const response = await h.request("POST", "/v1/seller/shipping-rates", { token: ada.token, body });
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain(path);
    }
    expect(await snapshot()).toEqual(before);
  });

  test("hostile ids in the path → 422 naming /id, never reaching the database", async () => {
    for (const id of ["shr_..%2F..%2Fetc%2Fpasswd", "shr_%27%20OR%201=1--", `shr_${"A".repeat(500)}`, "%00"]) {
      const response = await h.request("GET", `/v1/seller/shipping-rates/${id}`, { token: ada.token });
      expect(response.status, id).toBe(422);
      expect((await problem(response)).errors?.[0]?.path).toBe("/id");
    }
  });
});
