import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Problem, StockLocationView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { insertLocation, insertProduct, inventoryEvents, level, registerSeller } from "./test-fixtures.ts";

let h: Harness;
let ada: Awaited<ReturnType<typeof registerSeller>>;
let eve: Awaited<ReturnType<typeof registerSeller>>;
let adaVariant: string;
let adaLocation: string;
let eveLocation: string;
beforeEach(async () => {
  h = await createHarness();
  ada = await registerSeller(h);
  eve = await registerSeller(h);
  adaVariant = (await insertProduct(h, ada.id)).variantIds[0] as string;
  adaLocation = await insertLocation(h, ada.id, "Ada's warehouse");
  eveLocation = await insertLocation(h, eve.id, "Eve's warehouse");
  await adjust(adaVariant, { locationId: adaLocation, delta: 5, reason: "received" }, ada.token);
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};
const adjust = (variantId: string, body: unknown, token: string) => h.request("POST", `/v1/seller/variants/${variantId}/stock/adjustments`, { token, body });
/** Everything inventory keeps, to prove a refused request changed nothing. */
const snapshot = async () => ({
  locations: await h.database.db.select().from(schema.stockLocation),
  levels: await h.database.db.select().from(schema.stockLevel),
  adjustments: await h.database.db.select().from(schema.stockAdjustment),
  events: await inventoryEvents(h),
});

/** Every inventory route, with a body it would accept from Ada. */
const routes = (): [string, string, unknown?][] => [
  ["POST", "/v1/seller/stock-locations", { name: "Shop", country: "PT" }],
  ["GET", "/v1/seller/stock-locations"],
  ["GET", `/v1/seller/stock-locations/${adaLocation}`],
  ["PATCH", `/v1/seller/stock-locations/${adaLocation}`, { name: "Renamed" }],
  ["DELETE", `/v1/seller/stock-locations/${adaLocation}`],
  ["GET", `/v1/seller/variants/${adaVariant}/stock`],
  ["PUT", `/v1/seller/variants/${adaVariant}/stock`, { levels: [{ locationId: adaLocation, onHand: 9, lowStockThreshold: 1 }] }],
  ["POST", `/v1/seller/variants/${adaVariant}/stock/adjustments`, { locationId: adaLocation, delta: 1, reason: "received" }],
  ["GET", `/v1/seller/variants/${adaVariant}/stock/adjustments`],
];

describe("who may call", () => {
  test("no token → 401 on every inventory route, and nothing changes", async () => {
    const before = await snapshot();
    for (const [method, path, body] of routes()) {
      const response = await h.request(method, path, body === undefined ? {} : { body });
      expect(response.status, `${method} ${path}`).toBe(401);
      expect((await problem(response)).code).toBe("UNAUTHENTICATED");
    }
    expect(await snapshot()).toEqual(before);
  });

  test("a buyer without the seller role → 403 on every inventory route", async () => {
    const buyer = await h.register();
    for (const [method, path, body] of routes()) {
      const response = await h.request(method, path, body === undefined ? { token: buyer.accessToken } : { token: buyer.accessToken, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await problem(response)).code).toBe("FORBIDDEN");
    }
  });

  test("a suspended seller's live token → 403 on every inventory route, and nothing changes", async () => {
    await h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [ada.id] });
    const before = await snapshot();
    for (const [method, path, body] of routes()) {
      const response = await h.request(method, path, body === undefined ? { token: ada.token } : { token: ada.token, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await problem(response)).code).toBe("ACCOUNT_DISABLED");
    }
    expect(await snapshot()).toEqual(before);
  });

  test("BOLA: another seller's locations and variants do not exist for you — 404 everywhere, and nothing changes", async () => {
    const before = await snapshot();
    const ghostLocation = "loc_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
    const ghostVariant = "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
    for (const [method, path, body] of routes().slice(2)) {
      const theirs = await h.request(method, path, body === undefined ? { token: eve.token } : { token: eve.token, body });
      expect(theirs.status, `${method} ${path}`).toBe(404);
      // indistinguishable from an id that does not exist at all
      const ghost = path.replace(adaLocation, ghostLocation).replace(adaVariant, ghostVariant);
      const missing = await h.request(method, ghost, body === undefined ? { token: eve.token } : { token: eve.token, body });
      expect(missing.status, `${method} ${ghost}`).toBe(404);
      expect((await problem(theirs)).title).toBe((await problem(missing)).title);
    }
    expect(await snapshot()).toEqual(before);
    expect(
      (await json<{ items: StockLocationView[] }>(await h.request("GET", "/v1/seller/stock-locations", { token: eve.token }))).items.map((l) => l.id),
    ).toEqual([eveLocation]);
  });

  test("a seller cannot move stock into or out of another seller's location through their own variant: 422 naming the field, like an unknown one", async () => {
    const eveVariant = (await insertProduct(h, eve.id)).variantIds[0] as string;
    const before = await snapshot();
    const viaAdjustment = await adjust(eveVariant, { locationId: adaLocation, delta: 1, reason: "received" }, eve.token);
    const unknown = await adjust(eveVariant, { locationId: "loc_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", delta: 1, reason: "received" }, eve.token);
    expect(viaAdjustment.status).toBe(422);
    expect((await problem(viaAdjustment)).errors).toEqual((await problem(unknown)).errors ?? []);
    const viaPut = await h.request("PUT", `/v1/seller/variants/${eveVariant}/stock`, {
      token: eve.token,
      body: { levels: [{ locationId: adaLocation, onHand: 1, lowStockThreshold: 0 }] },
    });
    expect(viaPut.status).toBe(422);
    expect((await problem(viaPut)).errors?.[0]?.path).toBe("/levels/0/locationId");
    expect(await snapshot()).toEqual(before);
  });
});

describe("bad input", () => {
  test("adjustments: bad delta, reason, location, note or unknown fields → 4xx naming the field, never a write", async () => {
    const before = await snapshot();
    for (const [body, status, path] of [
      [{ locationId: adaLocation, delta: 0, reason: "received" }, 422, "/delta"],
      [{ locationId: adaLocation, delta: 1.5, reason: "received" }, 422, "/delta"],
      [{ locationId: adaLocation, delta: 1e12, reason: "received" }, 422, "/delta"],
      [{ locationId: adaLocation, delta: -1e12, reason: "received" }, 422, "/delta"],
      [{ locationId: adaLocation, delta: "3", reason: "received" }, 422, "/delta"],
      [{ locationId: adaLocation, reason: "received" }, 422, "/delta"],
      [{ locationId: adaLocation, delta: -6, reason: "lost" }, 409, "/delta"],
      [{ locationId: adaLocation, delta: 999_999_999, reason: "received" }, 409, "/delta"],
      [{ locationId: adaLocation, delta: 1, reason: "sold" }, 422, "/reason"],
      [{ locationId: adaLocation, delta: 1, reason: "received", note: "a\u0000b" }, 422, "/note"],
      [{ locationId: "loc_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", delta: 1, reason: "received" }, 422, "/locationId"],
      [{ locationId: eveLocation, delta: 1, reason: "received" }, 422, "/locationId"],
      [{ locationId: "warehouse-1", delta: 1, reason: "received" }, 422, "/locationId"],
      [{ locationId: adaLocation, delta: 1, reason: "received", actorId: eve.id }, 422, "/actorId"],
    ] as const) {
      const response = await adjust(adaVariant, body, ada.token);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(
        (await problem(response)).errors?.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect(await snapshot()).toEqual(before);
    expect(await level(h, adaVariant, adaLocation)).toMatchObject({ onHand: 5, reserved: 0 });
  });

  test("stock PUT, locations and ids: bad values → 4xx naming the field", async () => {
    const before = await snapshot();
    const put = (body: unknown) => h.request("PUT", `/v1/seller/variants/${adaVariant}/stock`, { token: ada.token, body });
    for (const [response, status, path] of [
      [await put({ levels: [] }), 422, "/levels"],
      [await put({ levels: [{ locationId: adaLocation, onHand: -1, lowStockThreshold: 0 }] }), 422, "/levels/0/onHand"],
      [await put({ levels: [{ locationId: adaLocation, onHand: 1, lowStockThreshold: 0.5 }] }), 422, "/levels/0/lowStockThreshold"],
      [await put({ levels: [{ locationId: adaLocation, onHand: 1 }] }), 422, "/levels/0/lowStockThreshold"],
      [
        await put({
          levels: [
            { locationId: adaLocation, onHand: 1, lowStockThreshold: 0 },
            { locationId: adaLocation, onHand: 2, lowStockThreshold: 0 },
          ],
        }),
        422,
        "/levels/1/locationId",
      ],
      [await h.request("POST", "/v1/seller/stock-locations", { token: ada.token, body: { name: "Shop", country: "ZZ" } }), 422, "/country"],
      [await h.request("POST", "/v1/seller/stock-locations", { token: ada.token, body: { name: "Shop", country: "pt" } }), 422, "/country"],
      [await h.request("POST", "/v1/seller/stock-locations", { token: ada.token, body: { name: "  ", country: "PT" } }), 422, "/name"],
      [await h.request("POST", "/v1/seller/stock-locations", { token: ada.token, body: { country: "PT" } }), 422, "/name"],
      [await h.request("PATCH", `/v1/seller/stock-locations/${adaLocation}`, { token: ada.token, body: {} }), 422, "/"],
      [await h.request("GET", "/v1/seller/stock-locations/not-an-id", { token: ada.token }), 422, "/id"],
      [await h.request("GET", "/v1/seller/variants/prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C/stock", { token: ada.token }), 422, "/id"],
      [await h.request("GET", "/v1/seller/stock-locations?limit=0", { token: ada.token }), 422, "/limit"],
      [await h.request("GET", "/v1/seller/stock-locations?cursor=bm9wZQ", { token: ada.token }), 400, "/cursor"],
      [await h.request("GET", `/v1/seller/variants/${adaVariant}/stock/adjustments?cursor=eyJpZCI6MX0`, { token: ada.token }), 400, "/cursor"],
      [await h.request("GET", `/v1/seller/variants/${adaVariant}/stock/adjustments?limit=101`, { token: ada.token }), 422, "/limit"],
      [await h.request("GET", `/v1/seller/variants/${adaVariant}/stock/adjustments?locationId=x`, { token: ada.token }), 422, "/locationId"],
    ] as const) {
      expect(response.status, response.url).toBe(status);
      expect(
        (await problem(response)).errors?.map((e) => e.path),
        response.url,
      ).toContain(path);
    }
    const malformed = await h.request("POST", `/v1/seller/variants/${adaVariant}/stock/adjustments`, { token: ada.token, rawBody: "{" });
    expect(malformed.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });
});
