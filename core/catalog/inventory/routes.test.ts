import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Problem, StockAdjustmentPage, StockAdjustmentResult, StockLocationPage, StockLocationView, VariantStockView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { reserve } from "./service.ts";
import { inStock, insertProduct, inventoryEvents, level, registerSeller, testCtx } from "./test-fixtures.ts";

let h: Harness;
let seller: Awaited<ReturnType<typeof registerSeller>>;
beforeEach(async () => {
  h = await createHarness();
  seller = await registerSeller(h);
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};
const createLocation = async (name = "Lisbon warehouse", token = seller.token) => {
  const response = await h.request("POST", "/v1/seller/stock-locations", { token, body: { name, country: "PT" } });
  expect(response.status).toBe(201);
  return json<StockLocationView>(response);
};
const adjust = (variantId: string, body: Record<string, unknown>, token = seller.token, headers: Record<string, string> = {}) =>
  h.request("POST", `/v1/seller/variants/${variantId}/stock/adjustments`, { token, body, headers });

describe("stock locations", () => {
  test("create, read, list (cursor pages), rename and delete your locations", async () => {
    const lisbon = await createLocation("Lisbon warehouse");
    expect(lisbon).toMatchObject({ sellerId: seller.id, name: "Lisbon warehouse", country: "PT" });
    expect(lisbon.id).toStartWith("loc_");
    const porto = await createLocation("Porto shop");
    const faro = await createLocation("Faro depot");

    const first = await json<StockLocationPage>(await h.request("GET", "/v1/seller/stock-locations?limit=2", { token: seller.token }));
    expect(first.items.map((l) => l.name)).toEqual(["Lisbon warehouse", "Porto shop"]);
    expect(first.nextCursor).toBeString();
    const second = await json<StockLocationPage>(
      await h.request("GET", `/v1/seller/stock-locations?limit=2&cursor=${first.nextCursor}`, { token: seller.token }),
    );
    expect(second).toEqual({ items: [faro], nextCursor: null });

    expect(await json(await h.request("GET", `/v1/seller/stock-locations/${porto.id}`, { token: seller.token }))).toEqual(porto);
    const renamed = await h.request("PATCH", `/v1/seller/stock-locations/${porto.id}`, { token: seller.token, body: { name: "Porto store", country: "ES" } });
    expect(await json(renamed)).toEqual({ ...porto, name: "Porto store", country: "ES" });

    expect((await h.request("DELETE", `/v1/seller/stock-locations/${faro.id}`, { token: seller.token })).status).toBe(204);
    expect((await h.request("GET", `/v1/seller/stock-locations/${faro.id}`, { token: seller.token })).status).toBe(404);
    // another seller's list holds none of these
    const other = await registerSeller(h);
    expect(await json(await h.request("GET", "/v1/seller/stock-locations", { token: other.token }))).toEqual({ items: [], nextCursor: null });
  });

  test("a location holding stock cannot be deleted (409); once empty it can, and its adjustment history stays", async () => {
    const { variantIds } = await insertProduct(h, seller.id);
    const variantId = variantIds[0] as string;
    const location = await createLocation();
    expect((await adjust(variantId, { locationId: location.id, delta: 3, reason: "received" })).status).toBe(201);
    const refused = await h.request("DELETE", `/v1/seller/stock-locations/${location.id}`, { token: seller.token });
    expect(refused.status).toBe(409);
    expect((await problem(refused)).detail).toContain("still holds stock");
    expect((await h.request("GET", `/v1/seller/stock-locations/${location.id}`, { token: seller.token })).status).toBe(200);

    expect((await adjust(variantId, { locationId: location.id, delta: -3, reason: "lost" })).status).toBe(201);
    expect((await h.request("DELETE", `/v1/seller/stock-locations/${location.id}`, { token: seller.token })).status).toBe(204);
    const history = await json<StockAdjustmentPage>(await h.request("GET", `/v1/seller/variants/${variantId}/stock/adjustments`, { token: seller.token }));
    expect(history.items.map((a) => a.delta)).toEqual([-3, 3]);
    expect(await json<VariantStockView>(await h.request("GET", `/v1/seller/variants/${variantId}/stock`, { token: seller.token }))).toMatchObject({
      levels: [],
      onHand: 0,
    });
  });
});

describe("stock of a variant", () => {
  test("PUT sets counted stock and thresholds per location; GET shows on hand, reserved, available; differences are corrections", async () => {
    const { productId, variantIds } = await insertProduct(h, seller.id);
    const variantId = variantIds[0] as string;
    const [a, b] = [await createLocation("A"), await createLocation("B")];
    const put = await h.request("PUT", `/v1/seller/variants/${variantId}/stock`, {
      token: seller.token,
      body: {
        levels: [
          { locationId: a.id, onHand: 12, lowStockThreshold: 3 },
          { locationId: b.id, onHand: 0, lowStockThreshold: 1 },
        ],
        note: "Stocktake",
      },
    });
    expect(put.status).toBe(200);
    const view = await json<VariantStockView>(put);
    expect(view).toMatchObject({ variantId, productId, onHand: 12, reserved: 0, available: 12 });
    expect(view.levels).toMatchObject([
      { locationId: a.id, locationName: "A", onHand: 12, reserved: 0, available: 12, lowStockThreshold: 3 },
      { locationId: b.id, locationName: "B", onHand: 0, reserved: 0, available: 0, lowStockThreshold: 1 },
    ]);
    expect(await inStock(h, productId)).toBe(true);

    await reserve(testCtx(h), { holder: "chk_1", lines: [{ variantId, quantity: 5 }], ttlMs: 60_000 });
    const read = await json<VariantStockView>(await h.request("GET", `/v1/seller/variants/${variantId}/stock`, { token: seller.token }));
    expect(read).toMatchObject({ onHand: 12, reserved: 5, available: 7 });
    expect(read.levels[0]).toMatchObject({ onHand: 12, reserved: 5, available: 7 });

    const recount = await h.request("PUT", `/v1/seller/variants/${variantId}/stock`, {
      token: seller.token,
      body: { levels: [{ locationId: a.id, onHand: 9, lowStockThreshold: 3 }] },
    });
    expect((await json<VariantStockView>(recount)).levels[0]).toMatchObject({ onHand: 9, reserved: 5, available: 4 });
    const trail = await h.database.db.select().from(schema.stockAdjustment);
    expect(trail.map((t) => [t.reason, t.delta, t.onHandAfter, t.note, t.actorId])).toEqual([
      ["correction", 12, 12, "Stocktake", seller.id],
      ["correction", -3, 9, null, seller.id],
    ]);
    expect((await inventoryEvents(h, "inventory.changed")).map((e) => [e.payload.reason, e.payload.onHand, e.payload.available])).toEqual([
      ["correction", 12, 12],
      ["reserved", 12, 7],
      ["correction", 9, 4],
    ]);
  });

  test("PUT is all or none: one location counted below what is reserved there → 409 naming it, and no listed level changes", async () => {
    const { variantIds } = await insertProduct(h, seller.id);
    const variantId = variantIds[0] as string;
    const [a, b] = [await createLocation("A"), await createLocation("B")];
    await h.request("PUT", `/v1/seller/variants/${variantId}/stock`, {
      token: seller.token,
      body: {
        levels: [
          { locationId: a.id, onHand: 5, lowStockThreshold: 0 },
          { locationId: b.id, onHand: 5, lowStockThreshold: 0 },
        ],
      },
    });
    await reserve(testCtx(h), { holder: "chk_1", lines: [{ variantId, quantity: 4 }], ttlMs: 60_000 });
    const refused = await h.request("PUT", `/v1/seller/variants/${variantId}/stock`, {
      token: seller.token,
      body: {
        levels: [
          { locationId: b.id, onHand: 50, lowStockThreshold: 0 },
          { locationId: a.id, onHand: 3, lowStockThreshold: 0 },
        ],
      },
    });
    expect(refused.status).toBe(409);
    expect((await problem(refused)).errors).toEqual([{ path: "/levels/1/onHand", message: "4 units are reserved at this location; onHand cannot be less" }]);
    expect(await level(h, variantId, a.id)).toMatchObject({ onHand: 5, reserved: 4 });
    expect(await level(h, variantId, b.id)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await h.database.db.select().from(schema.stockAdjustment)).toHaveLength(2);
  });
});

describe("adjustments", () => {
  test("an adjustment changes on hand, records who and why, and announces it with the request id", async () => {
    const { productId, variantIds } = await insertProduct(h, seller.id);
    const variantId = variantIds[0] as string;
    const location = await createLocation();
    const response = await adjust(variantId, { locationId: location.id, delta: 24, reason: "received", note: "From the supplier" }, seller.token, {
      "x-request-id": "req_adjust_1",
    });
    expect(response.status).toBe(201);
    const result = await json<StockAdjustmentResult>(response);
    expect(result.adjustment).toMatchObject({
      variantId,
      locationId: location.id,
      delta: 24,
      onHandAfter: 24,
      reason: "received",
      note: "From the supplier",
      actorId: seller.id,
    });
    expect(result.level).toMatchObject({
      locationId: location.id,
      locationName: "Lisbon warehouse",
      onHand: 24,
      reserved: 0,
      available: 24,
      lowStockThreshold: 0,
    });
    const [event] = await inventoryEvents(h);
    expect(event).toMatchObject({
      type: "inventory.changed",
      requestId: "req_adjust_1",
      payload: { productId, variantId, locationId: location.id, onHand: 24, reserved: 0, available: 24, reason: "received" },
    });

    await reserve(testCtx(h), { holder: "chk_1", lines: [{ variantId, quantity: 20 }], ttlMs: 60_000 });
    const tooMuch = await adjust(variantId, { locationId: location.id, delta: -5, reason: "damaged" });
    expect(tooMuch.status).toBe(409);
    const body = await problem(tooMuch);
    expect(body.errors?.[0]?.path).toBe("/delta");
    expect(body.detail).toContain("at least -4");
    expect((await adjust(variantId, { locationId: location.id, delta: -4, reason: "damaged" })).status).toBe(201);
    expect(await level(h, variantId, location.id)).toMatchObject({ onHand: 20, reserved: 20 });
  });

  test("the history is newest first, cursor-paginated, and filterable by location", async () => {
    const { variantIds } = await insertProduct(h, seller.id);
    const variantId = variantIds[0] as string;
    const [a, b] = [await createLocation("A"), await createLocation("B")];
    for (const [location, delta] of [
      [a, 5],
      [b, 7],
      [a, -1],
      [b, 2],
      [a, 3],
    ] as const) {
      h.clock.advance(1000);
      expect((await adjust(variantId, { locationId: location.id, delta, reason: delta > 0 ? "received" : "lost" })).status).toBe(201);
    }
    const page = (query: string) =>
      h.request("GET", `/v1/seller/variants/${variantId}/stock/adjustments${query}`, { token: seller.token }).then(json<StockAdjustmentPage>);
    const first = await page("?limit=2");
    expect(first.items.map((i) => i.delta)).toEqual([3, 2]);
    const second = await page(`?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((i) => i.delta)).toEqual([-1, 7]);
    const third = await page(`?limit=2&cursor=${second.nextCursor}`);
    expect(third).toMatchObject({ items: [{ delta: 5 }], nextCursor: null });
    expect((await page(`?locationId=${a.id}`)).items.map((i) => [i.delta, i.onHandAfter])).toEqual([
      [3, 7],
      [-1, 4],
      [5, 5],
    ]);
  });

  test("an admin may read and adjust any seller's stock; the trail names the admin", async () => {
    const { variantIds } = await insertProduct(h, seller.id);
    const variantId = variantIds[0] as string;
    const location = await createLocation();
    const admin = await h.register();
    await h.grantRole(admin.user.id, "admin");
    const response = await adjust(variantId, { locationId: location.id, delta: 2, reason: "correction" }, admin.accessToken);
    expect(response.status).toBe(201);
    expect((await json<StockAdjustmentResult>(response)).adjustment.actorId).toBe(admin.user.id);
    expect((await h.request("GET", `/v1/seller/variants/${variantId}/stock`, { token: admin.accessToken })).status).toBe(200);
    expect((await h.request("GET", `/v1/seller/stock-locations/${location.id}`, { token: admin.accessToken })).status).toBe(200);
  });
});
