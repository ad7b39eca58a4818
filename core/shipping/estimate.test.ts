import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { schema } from "@bazaar/db";
import { createHarness, type Harness } from "../testing/harness.ts";
import { chargeOf, DEFAULT_SHIPPING, estimateShipping, type ShipmentInput } from "./estimate.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.destroy());

const SELLER = "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5S";
const OTHER_SELLER = "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5T";

type RateInsert = typeof schema.shippingRate.$inferInsert;
/** Rows straight into the table (the routes have their own tests): the estimate reads only what is stored. */
async function rate(overrides: Partial<RateInsert> = {}): Promise<string> {
  const id = h.deps.ids("shippingRate");
  await h.database.db.insert(schema.shippingRate).values({
    id,
    sellerId: SELLER,
    name: `Rate ${id.slice(-4)}`,
    countries: [],
    kind: "flat",
    baseMinor: 1000,
    perKgMinor: 0,
    freeOverMinor: null,
    currency: "EUR",
    minDays: 3,
    maxDays: 7,
    createdAt: h.clock.now,
    updatedAt: h.clock.now,
    ...overrides,
  });
  return id;
}

const shipment = (overrides: Partial<ShipmentInput> = {}): ShipmentInput => ({
  sellerId: SELLER,
  country: "PT",
  currency: "EUR",
  itemsMinor: 2000,
  weightGrams: 500,
  ...overrides,
});
const estimate = (overrides: Partial<ShipmentInput> = {}) => estimateShipping({ database: h.database }, shipment(overrides));

describe("estimateShipping", () => {
  test("a seller with no rates gets DEFAULT_SHIPPING, everywhere; another seller's rates do not count", async () => {
    expect(await estimate()).toEqual(DEFAULT_SHIPPING);
    await rate({ sellerId: OTHER_SELLER, countries: ["PT"] });
    expect(await estimate({ country: "JP", currency: "JPY" })).toEqual(DEFAULT_SHIPPING);
    expect(DEFAULT_SHIPPING).toEqual({ rateId: null, name: "Standard shipping", amountMinor: 0, minDays: 5, maxDays: 20 });
  });

  test("the default is a copy: a caller changing its estimate does not change the next", async () => {
    const first = await estimate();
    if (first) first.amountMinor = 999;
    expect(await estimate()).toEqual(DEFAULT_SHIPPING);
    expect(DEFAULT_SHIPPING.amountMinor).toBe(0);
  });

  test("a rate naming the country beats a catch-all, even a cheaper one", async () => {
    const catchAll = await rate({ countries: [], baseMinor: 100 });
    const iberia = await rate({ countries: ["PT", "ES"], baseMinor: 900, name: "Iberia", minDays: 1, maxDays: 3 });
    expect(await estimate()).toEqual({ rateId: iberia, name: "Iberia", amountMinor: 900, minDays: 1, maxDays: 3 });
    expect((await estimate({ country: "ES" }))?.rateId).toBe(iberia);
    // elsewhere the catch-all applies
    expect((await estimate({ country: "FR" }))?.rateId).toBe(catchAll);
  });

  test("the cheapest of the candidates wins; on a tie the faster; on a full tie the older", async () => {
    await rate({ countries: ["PT"], baseMinor: 700 });
    const cheap = await rate({ countries: ["PT"], baseMinor: 500, maxDays: 9 });
    await rate({ countries: ["PT"], kind: "weight", baseMinor: 400, perKgMinor: 200 }); // 600 for 500 g
    expect((await estimate())?.rateId).toBe(cheap);

    const faster = await rate({ countries: ["PT"], baseMinor: 500, maxDays: 4 });
    expect((await estimate())?.rateId).toBe(faster);
    await rate({ countries: ["PT"], baseMinor: 500, maxDays: 4 });
    expect((await estimate())?.rateId).toBe(faster);

    // which one is cheapest depends on the shipment: at 3 kg the weight rate costs 1000, at 0 g 400
    const weightOnly = await rate({ countries: ["ES"], kind: "weight", baseMinor: 400, perKgMinor: 200 });
    const flatOnly = await rate({ countries: ["ES"], baseMinor: 700 });
    expect((await estimate({ country: "ES", weightGrams: 3000 }))?.rateId).toBe(flatOnly);
    expect((await estimate({ country: "ES", weightGrams: 0 }))?.rateId).toBe(weightOnly);
  });

  test("weight rates charge the base plus each started kilogram", async () => {
    await rate({ countries: ["PT"], kind: "weight", baseMinor: 500, perKgMinor: 250 });
    const at = async (weightGrams: number) => (await estimate({ weightGrams }))?.amountMinor;
    expect(await at(0)).toBe(500);
    expect(await at(1)).toBe(750);
    expect(await at(999)).toBe(750);
    expect(await at(1000)).toBe(750);
    expect(await at(1001)).toBe(1000);
    expect(await at(2500)).toBe(1250);
    expect(await at(10_000)).toBe(3000);
    expect(await at(-5)).toBe(500);
  });

  test("flat rates ignore the weight", async () => {
    await rate({ countries: ["PT"], kind: "flat", baseMinor: 650 });
    expect((await estimate({ weightGrams: 0 }))?.amountMinor).toBe(650);
    expect((await estimate({ weightGrams: 25_000 }))?.amountMinor).toBe(650);
  });

  test("items worth at least the free-over threshold ship free; just below, they pay", async () => {
    const id = await rate({ countries: ["PT"], kind: "weight", baseMinor: 500, perKgMinor: 100, freeOverMinor: 5000 });
    expect(await estimate({ itemsMinor: 4999, weightGrams: 1500 })).toMatchObject({ rateId: id, amountMinor: 700 });
    expect(await estimate({ itemsMinor: 5000, weightGrams: 1500 })).toMatchObject({ rateId: id, amountMinor: 0 });
    expect(await estimate({ itemsMinor: 80_000, weightGrams: 30_000 })).toMatchObject({ rateId: id, amountMinor: 0 });
    // a free rate beats a cheaper paid one once the threshold is reached
    const paid = await rate({ countries: ["PT"], baseMinor: 300 });
    expect((await estimate({ itemsMinor: 4999 }))?.rateId).toBe(paid);
    expect((await estimate({ itemsMinor: 5000 }))?.rateId).toBe(id);
  });

  test("rates in another currency are ignored: they neither apply nor block a catch-all", async () => {
    await rate({ countries: ["PT"], currency: "USD", baseMinor: 1 });
    const eurWorld = await rate({ countries: [], currency: "EUR", baseMinor: 1200 });
    expect(await estimate()).toMatchObject({ rateId: eurWorld, amountMinor: 1200 });
    const usd = await estimate({ currency: "USD" });
    expect(usd).toMatchObject({ amountMinor: 1 });
    expect(usd?.rateId).not.toBe(eurWorld);
    // only USD rates to PT, asked in GBP: none applies
    expect(await estimate({ currency: "GBP" })).toBeNull();
  });

  test("a seller with rates but none reaching the country (and no catch-all) → null: they do not ship there", async () => {
    await rate({ countries: ["PT", "ES"] });
    await rate({ countries: ["FR"] });
    expect(await estimate({ country: "JP" })).toBeNull();
    expect(await estimate({ country: "FR" })).not.toBeNull();
  });

  test("a non-finite amount or weight is refused, not turned into a NaN charge", async () => {
    await rate({ countries: ["PT"] });
    await expect(estimate({ weightGrams: Number.NaN })).rejects.toThrow(RangeError);
    await expect(estimate({ itemsMinor: Number.POSITIVE_INFINITY })).rejects.toThrow(RangeError);
  });
});

describe("chargeOf", () => {
  test("flat, per started kg, free at or over the threshold", () => {
    expect(chargeOf({ kind: "flat", baseMinor: 500, perKgMinor: 0, freeOverMinor: null }, 0, 12_000)).toBe(500);
    expect(chargeOf({ kind: "weight", baseMinor: 500, perKgMinor: 100, freeOverMinor: null }, 0, 2001)).toBe(800);
    expect(chargeOf({ kind: "weight", baseMinor: 500, perKgMinor: 100, freeOverMinor: 1000 }, 1000, 2001)).toBe(0);
    expect(chargeOf({ kind: "flat", baseMinor: 500, perKgMinor: 0, freeOverMinor: 0 }, 0, 0)).toBe(0);
  });
});
