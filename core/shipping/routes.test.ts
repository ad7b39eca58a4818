import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { MAX_SHIPPING_RATES_PER_SELLER, type Problem, type ShippingEstimateView, type ShippingRatePage, type ShippingRateView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { type Person, signUp } from "../catalog/products/test-fixtures.ts";
import { createHarness, type Harness } from "../testing/harness.ts";

let h: Harness;
let seller: Person;
beforeEach(async () => {
  h = await createHarness();
  seller = await signUp(h, "seller");
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};

const IBERIA = {
  name: "Iberia standard",
  countries: ["PT", "ES"],
  kind: "weight",
  baseMinor: 499,
  perKgMinor: 150,
  freeOverMinor: 5000,
  currency: "EUR",
  minDays: 2,
  maxDays: 5,
};
const WORLD = { name: "World", countries: [], kind: "flat", baseMinor: 1500, currency: "EUR", minDays: 7, maxDays: 21 };

const createRate = async (body: Record<string, unknown> = IBERIA, token = seller.token) => {
  const response = await h.request("POST", "/v1/seller/shipping-rates", { token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  return json<ShippingRateView>(response);
};
const list = async (query = "", token = seller.token) => json<ShippingRatePage>(await h.request("GET", `/v1/seller/shipping-rates${query}`, { token }));

describe("shipping rates", () => {
  test("create, read, list, change and delete your rates", async () => {
    const created = await createRate();
    expect(created).toEqual({
      id: expect.stringMatching(/^shr_[0-9A-Z]{26}$/),
      sellerId: seller.userId,
      ...IBERIA,
      createdAt: new Date(h.clock.now).toISOString(),
      updatedAt: new Date(h.clock.now).toISOString(),
    });
    expect(await json(await h.request("GET", `/v1/seller/shipping-rates/${created.id}`, { token: seller.token }))).toEqual(created);
    expect(await list()).toEqual({ items: [created], nextCursor: null });

    h.clock.advance(1000);
    const patched = await h.request("PATCH", `/v1/seller/shipping-rates/${created.id}`, {
      token: seller.token,
      body: { name: "Iberia express", baseMinor: 899, freeOverMinor: null, minDays: 1, maxDays: 2 },
    });
    expect(patched.status).toBe(200);
    const changed = await json<ShippingRateView>(patched);
    expect(changed).toEqual({
      ...created,
      name: "Iberia express",
      baseMinor: 899,
      freeOverMinor: null,
      minDays: 1,
      maxDays: 2,
      updatedAt: new Date(h.clock.now).toISOString(),
    });
    expect(await json(await h.request("GET", `/v1/seller/shipping-rates/${created.id}`, { token: seller.token }))).toEqual(changed);

    const deleted = await h.request("DELETE", `/v1/seller/shipping-rates/${created.id}`, { token: seller.token });
    expect(deleted.status).toBe(204);
    expect((await h.request("GET", `/v1/seller/shipping-rates/${created.id}`, { token: seller.token })).status).toBe(404);
    expect((await h.request("DELETE", `/v1/seller/shipping-rates/${created.id}`, { token: seller.token })).status).toBe(404);
    expect(await list()).toEqual({ items: [], nextCursor: null });
  });

  test("a flat rate: perKgMinor absent is stored as 0, freeOverMinor absent as null; an empty zone is a catch-all", async () => {
    const world = await createRate(WORLD);
    expect(world).toMatchObject({ countries: [], kind: "flat", perKgMinor: 0, freeOverMinor: null });
    expect(await createRate({ ...WORLD, perKgMinor: 0 })).toMatchObject({ perKgMinor: 0 });
  });

  test("names are trimmed; every supported currency and the bounds of days are accepted", async () => {
    expect((await createRate({ ...WORLD, name: "  Economy  " })).name).toBe("Economy");
    expect(await createRate({ ...WORLD, currency: "JPY", minDays: 0, maxDays: 0 })).toMatchObject({ currency: "JPY", minDays: 0, maxDays: 0 });
    expect(await createRate({ ...WORLD, minDays: 365, maxDays: 365 })).toMatchObject({ maxDays: 365 });
  });

  test("PATCH: switching to flat drops the per-kg charge; switching to weight keeps it settable; rules hold on the merged rate", async () => {
    const rate = await createRate();
    const patch = (body: unknown) => h.request("PATCH", `/v1/seller/shipping-rates/${rate.id}`, { token: seller.token, body });
    const flat = await json<ShippingRateView>(await patch({ kind: "flat" }));
    expect(flat).toMatchObject({ kind: "flat", perKgMinor: 0, baseMinor: 499 });
    const weight = await json<ShippingRateView>(await patch({ kind: "weight", perKgMinor: 200 }));
    expect(weight).toMatchObject({ kind: "weight", perKgMinor: 200 });

    // minDays above the stored maxDays, and a per-kg charge on a flat rate: 422, nothing changed
    for (const [body, path] of [
      [{ minDays: 6 }, "/maxDays"],
      [{ maxDays: 1 }, "/maxDays"],
      [{ kind: "flat", perKgMinor: 10 }, "/perKgMinor"],
      [{ countries: ["PT", "XX"] }, "/countries/1"],
      [{}, "/"],
    ] as const) {
      const response = await patch(body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain(path);
    }
    expect(await json(await h.request("GET", `/v1/seller/shipping-rates/${rate.id}`, { token: seller.token }))).toEqual(weight);
    // moving both days together is fine
    expect(await json<ShippingRateView>(await patch({ minDays: 10, maxDays: 12 }))).toMatchObject({ minDays: 10, maxDays: 12 });
    // a flat rate stays flat when a per-kg charge of 0 is named
    await patch({ kind: "flat" });
    expect((await patch({ perKgMinor: 5 })).status).toBe(422);
    expect(await json<ShippingRateView>(await patch({ perKgMinor: 0, name: "Flat" }))).toMatchObject({ kind: "flat", perKgMinor: 0, name: "Flat" });
  });

  test("list: cursor pages oldest first with a bounded limit; each seller sees only their own", async () => {
    const rates: ShippingRateView[] = [];
    for (let i = 0; i < 5; i++) rates.push(await createRate({ ...WORLD, name: `Rate ${i}` }));
    const first = await list("?limit=2");
    expect(first.items).toEqual(rates.slice(0, 2));
    expect(first.nextCursor).toBeString();
    const second = await list(`?limit=2&cursor=${first.nextCursor}`);
    expect(second.items).toEqual(rates.slice(2, 4));
    const third = await list(`?limit=2&cursor=${second.nextCursor}`);
    expect(third).toEqual({ items: rates.slice(4), nextCursor: null });
    expect((await list()).items).toHaveLength(5);
    expect((await list("?limit=100")).items).toHaveLength(5);

    const other = await signUp(h, "seller");
    expect(await list("", other.token)).toEqual({ items: [], nextCursor: null });
  });

  test(`at most ${MAX_SHIPPING_RATES_PER_SELLER} rates per seller: the next is a 409 until one is deleted`, async () => {
    const now = h.clock.now;
    const rows = Array.from({ length: MAX_SHIPPING_RATES_PER_SELLER }, (_, i) => ({
      id: h.deps.ids("shippingRate"),
      sellerId: seller.userId,
      name: `Rate ${i}`,
      countries: [],
      kind: "flat",
      baseMinor: i,
      currency: "EUR",
      minDays: 1,
      maxDays: 2,
      createdAt: now,
      updatedAt: now,
    }));
    await h.database.db.insert(schema.shippingRate).values(rows);
    const full = await h.request("POST", "/v1/seller/shipping-rates", { token: seller.token, body: WORLD });
    expect(full.status).toBe(409);
    expect((await problem(full)).detail).toContain(`at most ${MAX_SHIPPING_RATES_PER_SELLER}`);
    // another seller is not affected
    const other = await signUp(h, "seller");
    await createRate(WORLD, other.token);
    expect((await h.request("DELETE", `/v1/seller/shipping-rates/${rows[0]?.id}`, { token: seller.token })).status).toBe(204);
    await createRate(WORLD);
  });

  test("an admin reads, lists, changes and deletes any seller's rates", async () => {
    const admin = await signUp(h, "admin");
    const rate = await createRate();
    expect(await json(await h.request("GET", `/v1/seller/shipping-rates/${rate.id}`, { token: admin.token }))).toEqual(rate);
    expect(await list(`?sellerId=${seller.userId}`, admin.token)).toEqual({ items: [rate], nextCursor: null });
    // without sellerId an admin lists their own (none)
    expect(await list("", admin.token)).toEqual({ items: [], nextCursor: null });
    const changed = await h.request("PATCH", `/v1/seller/shipping-rates/${rate.id}`, { token: admin.token, body: { baseMinor: 1 } });
    expect(await json(changed)).toMatchObject({ id: rate.id, sellerId: seller.userId, baseMinor: 1 });
    expect((await h.request("DELETE", `/v1/seller/shipping-rates/${rate.id}`, { token: admin.token })).status).toBe(204);
    expect(await list()).toEqual({ items: [], nextCursor: null });
  });

  test("a seller may name their own id as sellerId", async () => {
    const rate = await createRate();
    expect(await list(`?sellerId=${seller.userId}`)).toEqual({ items: [rate], nextCursor: null });
  });
});

describe("validation", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["no name", { ...IBERIA, name: undefined }, "/name"],
    ["a blank name", { ...IBERIA, name: "   " }, "/name"],
    ["an overlong name", { ...IBERIA, name: "x".repeat(101) }, "/name"],
    ["a name with a control character", { ...IBERIA, name: "Iberia\u0000" }, "/name"],
    ["no countries", { ...IBERIA, countries: undefined }, "/countries"],
    ["countries that are not a list", { ...IBERIA, countries: "PT" }, "/countries"],
    ["a lower-case country", { ...IBERIA, countries: ["PT", "es"] }, "/countries/1"],
    ["an alpha-3 country", { ...IBERIA, countries: ["PRT"] }, "/countries/0"],
    ["a country that does not exist", { ...IBERIA, countries: ["PT", "ZZ"] }, "/countries/1"],
    ["a country listed twice", { ...IBERIA, countries: ["PT", "ES", "PT"] }, "/countries"],
    [
      "251 countries",
      { ...IBERIA, countries: Array.from({ length: 251 }, (_, i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26))) },
      "/countries",
    ],
    ["an unknown kind", { ...IBERIA, kind: "volumetric" }, "/kind"],
    ["no kind", { ...IBERIA, kind: undefined }, "/kind"],
    ["a negative base", { ...IBERIA, baseMinor: -1 }, "/baseMinor"],
    ["a fractional base", { ...IBERIA, baseMinor: 4.99 }, "/baseMinor"],
    ["a base as a string", { ...IBERIA, baseMinor: "499" }, "/baseMinor"],
    ["a huge base", { ...IBERIA, baseMinor: 1e13 }, "/baseMinor"],
    ["no base", { ...IBERIA, baseMinor: undefined }, "/baseMinor"],
    ["a negative per-kg charge", { ...IBERIA, perKgMinor: -5 }, "/perKgMinor"],
    ["a per-kg charge on a flat rate", { ...WORLD, perKgMinor: 100 }, "/perKgMinor"],
    ["a negative free-over threshold", { ...IBERIA, freeOverMinor: -1 }, "/freeOverMinor"],
    ["a free-over threshold as text", { ...IBERIA, freeOverMinor: "50" }, "/freeOverMinor"],
    ["an unsupported currency", { ...IBERIA, currency: "XYZ" }, "/currency"],
    ["a lower-case currency", { ...IBERIA, currency: "eur" }, "/currency"],
    ["no currency", { ...IBERIA, currency: undefined }, "/currency"],
    ["minDays above maxDays", { ...IBERIA, minDays: 6, maxDays: 5 }, "/maxDays"],
    ["negative days", { ...IBERIA, minDays: -1 }, "/minDays"],
    ["more than a year", { ...IBERIA, maxDays: 366 }, "/maxDays"],
    ["fractional days", { ...IBERIA, minDays: 1.5 }, "/minDays"],
    ["no maxDays", { ...IBERIA, maxDays: undefined }, "/maxDays"],
    ["a stray field", { ...IBERIA, sellerId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }, "/sellerId"],
  ];
  for (const [name, body, path] of cases) {
    test(`POST with ${name} → 422 naming ${path}, nothing stored`, async () => {
      const response = await h.request("POST", "/v1/seller/shipping-rates", { token: seller.token, body });
      expect(response.status).toBe(422);
      const body422 = await problem(response);
      expect(body422.code).toBe("VALIDATION_FAILED");
      expect(body422.errors?.map((e) => e.path)).toContain(path);
      expect(await h.database.db.select().from(schema.shippingRate)).toEqual([]);
    });
  }

  test("every broken rule is named at once", async () => {
    const response = await h.request("POST", "/v1/seller/shipping-rates", {
      token: seller.token,
      body: { ...WORLD, countries: ["XX", "PT", "YY"], perKgMinor: 1, minDays: 9, maxDays: 3 },
    });
    expect(response.status).toBe(422);
    expect((await problem(response)).errors?.map((e) => e.path)).toEqual(["/countries/0", "/countries/2", "/perKgMinor", "/maxDays"]);
  });

  test("ids, limits and cursors: malformed → 422 or 400 naming the field", async () => {
    for (const [response, status, path] of [
      [await h.request("GET", "/v1/seller/shipping-rates/not-an-id", { token: seller.token }), 422, "/id"],
      [await h.request("GET", "/v1/seller/shipping-rates/loc_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", { token: seller.token }), 422, "/id"],
      [await h.request("PATCH", "/v1/seller/shipping-rates/x", { token: seller.token, body: { name: "A" } }), 422, "/id"],
      [await h.request("DELETE", "/v1/seller/shipping-rates/x", { token: seller.token }), 422, "/id"],
      [await h.request("GET", "/v1/seller/shipping-rates?limit=0", { token: seller.token }), 422, "/limit"],
      [await h.request("GET", "/v1/seller/shipping-rates?limit=101", { token: seller.token }), 422, "/limit"],
      [await h.request("GET", "/v1/seller/shipping-rates?limit=ten", { token: seller.token }), 422, "/limit"],
      [await h.request("GET", "/v1/seller/shipping-rates?sellerId=me", { token: seller.token }), 422, "/sellerId"],
      [await h.request("GET", "/v1/seller/shipping-rates?cursor=bm9wZQ", { token: seller.token }), 400, "/cursor"],
      [await h.request("GET", "/v1/seller/shipping-rates?cursor=eyJpZCI6MX0", { token: seller.token }), 400, "/cursor"],
    ] as const) {
      expect(response.status, response.url).toBe(status);
      expect(
        (await problem(response)).errors?.map((e) => e.path),
        response.url,
      ).toContain(path);
    }
  });

  test("a rate that does not exist → 404", async () => {
    const ghost = "shr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
    expect((await h.request("GET", `/v1/seller/shipping-rates/${ghost}`, { token: seller.token })).status).toBe(404);
    expect((await h.request("PATCH", `/v1/seller/shipping-rates/${ghost}`, { token: seller.token, body: { name: "A" } })).status).toBe(404);
    expect((await h.request("DELETE", `/v1/seller/shipping-rates/${ghost}`, { token: seller.token })).status).toBe(404);
  });
});

describe("POST /v1/shipping/estimates", () => {
  const estimate = (body: Record<string, unknown>, token?: string) => h.request("POST", "/v1/shipping/estimates", token ? { token, body } : { body });
  const shipment = (overrides: Record<string, unknown> = {}) => ({
    sellerId: seller.userId,
    country: "PT",
    currency: "EUR",
    itemsMinor: 2000,
    weightGrams: 1200,
    ...overrides,
  });

  test("public: the seller's rate for the country, per started kg, free over the threshold", async () => {
    const iberia = await createRate();
    const response = await estimate(shipment());
    expect(response.status).toBe(200);
    expect(await json<ShippingEstimateView>(response)).toEqual({
      rateId: iberia.id,
      name: "Iberia standard",
      amountMinor: 499 + 2 * 150,
      currency: "EUR",
      minDays: 2,
      maxDays: 5,
    });
    expect(await json<ShippingEstimateView>(await estimate(shipment({ itemsMinor: 5000 })))).toMatchObject({ rateId: iberia.id, amountMinor: 0 });
    // signed in works the same
    const buyer = await h.register();
    expect(await json<ShippingEstimateView>(await estimate(shipment(), buyer.accessToken))).toMatchObject({ amountMinor: 799 });
  });

  test("a seller with no rates ships free by default; with rates that miss the country → 422 naming /country", async () => {
    expect(await json(await estimate(shipment({ country: "JP" })))).toEqual({
      rateId: null,
      name: "Standard shipping",
      amountMinor: 0,
      currency: "EUR",
      minDays: 5,
      maxDays: 20,
    });
    await createRate();
    const refused = await estimate(shipment({ country: "JP" }));
    expect(refused.status).toBe(422);
    const body = await problem(refused);
    expect(body.errors).toEqual([{ path: "/country", message: "this seller does not ship to JP at a rate in EUR" }]);
    // rates in another currency do not count
    expect((await estimate(shipment({ currency: "USD" }))).status).toBe(422);
    // a catch-all reaches it
    const world = await createRate(WORLD);
    expect(await json(await estimate(shipment({ country: "JP" })))).toMatchObject({ rateId: world.id, amountMinor: 1500 });
  });

  test("bad bodies → 422 naming the field", async () => {
    for (const [body, path] of [
      [shipment({ sellerId: "seller-1" }), "/sellerId"],
      [shipment({ country: "pt" }), "/country"],
      [shipment({ country: "ZZ" }), "/country"],
      [shipment({ currency: "XYZ" }), "/currency"],
      [shipment({ itemsMinor: -1 }), "/itemsMinor"],
      [shipment({ itemsMinor: 1.5 }), "/itemsMinor"],
      [shipment({ weightGrams: -1 }), "/weightGrams"],
      [shipment({ weightGrams: 1e10 }), "/weightGrams"],
      [shipment({ weightGrams: undefined }), "/weightGrams"],
      [shipment({ rateId: "shr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" }), "/rateId"],
    ] as const) {
      const response = await estimate(body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain(path);
    }
    expect((await h.request("POST", "/v1/shipping/estimates", { rawBody: "{" })).status).toBe(400);
  });
});
