import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ValidationError } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { insertProduct } from "../catalog/inventory/test-fixtures.ts";
import { addToCart, cartIdOfUser, type PricedCart, priceCart } from "./index.ts";
import { archive, type CartWorld, createCartWorld, listProduct, type Party, seller, setPrice, setStock, shippingRate, shopper } from "./test-fixtures.ts";

let w: CartWorld;
let ada: Party & { locationId: string };
let bob: Party & { locationId: string };
let buyer: Party;
beforeEach(async () => {
  w = await createCartWorld();
  ada = await seller(w.h);
  bob = await seller(w.h);
  buyer = await shopper(w.h);
});
afterEach(() => w.h.destroy());

const add = (variantId: string, quantity: number) => addToCart(w.ctx, { userId: buyer.id }, { variantId, quantity });
const cartId = async () => (await cartIdOfUser(w.ctx, buyer.id)) as string;
const price = async (currency: string, country: string | null = null) => priceCart(w.ctx, await cartId(), { currency, country });
const lines = (cart: PricedCart) => cart.sellers.flatMap((g) => g.lines);

/** Every total is the sum of what is below it, to the minor unit: what checkout charges is what the lines say. */
function expectConsistent(cart: PricedCart) {
  for (const group of cart.sellers) {
    expect(group.itemsMinor).toBe(group.lines.reduce((sum, l) => sum + l.chargeMinor, 0));
    expect(group.totalMinor).toBe(group.itemsMinor + (group.shipping?.chargeMinor ?? 0) - group.discountMinor + group.taxMinor);
    for (const line of group.lines) expect(line.settlementMinor).toBe(line.unitPriceMinor * line.quantity);
  }
  const sum = (pick: (g: PricedCart["sellers"][number]) => number) => cart.sellers.reduce((total, g) => total + pick(g), 0);
  expect(cart.itemsMinor).toBe(sum((g) => g.itemsMinor));
  expect(cart.shippingMinor).toBe(sum((g) => g.shipping?.chargeMinor ?? 0));
  expect(cart.totalMinor).toBe(sum((g) => g.totalMinor));
  expect(cart.totalMinor).toBe(cart.itemsMinor + cart.shippingMinor - cart.discountMinor + cart.taxMinor);
}

describe("currencies", () => {
  test("EUR prices in USD, JPY (no minor unit) and KWD (three): each line converted once at the group's rate, half to even", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000, 1001] });
    await add(tee.variantIds[0] as string, 1); // 10.00 EUR
    await add(tee.variantIds[1] as string, 2); // 20.02 EUR

    const usd = await price("USD"); // 1 EUR = 1.25 USD
    expect(usd.sellers).toHaveLength(1);
    expect(usd.sellers[0]).toMatchObject({ sellerId: ada.id, settlementCurrency: "EUR", fxRatePpb: 1_250_000_000 });
    expect(lines(usd).map((l) => [l.settlementMinor, l.chargeMinor])).toEqual([
      [1000, 1250],
      [2002, 2502], // 25.025 USD → 25.02 (half to even: 2 is even)
    ]);
    expect(usd.totalMinor).toBe(3752);
    expectConsistent(usd);

    const jpy = await price("JPY"); // 1 EUR = 187.5 JPY
    expect(jpy.sellers[0]?.fxRatePpb).toBe(187_500_000_000);
    expect(lines(jpy).map((l) => l.chargeMinor)).toEqual([1875, 3754]); // 20.02 × 187.5 = 3753.75 yen → 3754
    expect(jpy.totalMinor).toBe(5629);
    expectConsistent(jpy);

    const kwd = await price("KWD"); // 1 EUR = 0.375 KWD, in fils
    expect(lines(kwd).map((l) => l.chargeMinor)).toEqual([3750, 7508]); // 7.5075 KWD = 7507.5 fils → 7508 (even)
    expect(kwd.currency).toBe("KWD");
    expectConsistent(kwd);
  });

  test("a JPY product in a KWD cart and a USD cart: the minor units of both currencies are honoured", async () => {
    const fan = await listProduct(w, ada, { currency: "JPY", prices: [1999, 1500] });
    await add(fan.variantIds[0] as string, 1);
    await add(fan.variantIds[1] as string, 1);
    const kwd = await price("KWD"); // 1 JPY = 0.002 KWD
    expect(lines(kwd).map((l) => [l.settlementMinor, l.chargeMinor])).toEqual([
      [1999, 3998],
      [1500, 3000],
    ]);
    const usd = await price("USD"); // 1 JPY = 0.006666667 USD (rounded once, to ppb)
    expect(usd.sellers[0]?.fxRatePpb).toBe(6_666_667);
    expect(lines(usd).map((l) => l.chargeMinor)).toEqual([1333, 1000]);
    expectConsistent(usd);
  });

  test("rounding is per line, not per total: two lines of an exact half each round to even on their own", async () => {
    const pin = await listProduct(w, ada, { currency: "EUR", prices: [2, 6] });
    await add(pin.variantIds[0] as string, 1);
    await add(pin.variantIds[1] as string, 1);
    const usd = await price("USD");
    // 2 × 1.25 = 2.5 → 2; 6 × 1.25 = 7.5 → 8 (converting the 8-cent total at once would give 10)
    expect(lines(usd).map((l) => l.chargeMinor)).toEqual([2, 8]);
    expect(usd.itemsMinor).toBe(10);
    expectConsistent(usd);
  });

  test("the cart's own currency converts at exactly 1", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1999] });
    await add(tee.variantIds[0] as string, 3);
    const eur = await price("EUR");
    expect(eur.sellers[0]?.fxRatePpb).toBe(1_000_000_000);
    expect(eur.totalMinor).toBe(5997);
  });

  test("a currency no stored rate reaches is a 422 naming /currency; a bad country names /country", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000] });
    await add(tee.variantIds[0] as string, 1);
    const noRate = await price("BRL").catch((e) => e);
    expect(noRate).toBeInstanceOf(ValidationError);
    expect(noRate.errors[0].path).toBe("/currency");
    const badCountry = await price("USD", "XX").catch((e) => e);
    expect(badCountry).toBeInstanceOf(ValidationError);
    expect(badCountry.errors[0].path).toBe("/country");
  });
});

describe("groups and totals", () => {
  test("one group per (seller, currency), in the order of each group's first-added line; totals per seller and overall", async () => {
    const adaEur = await listProduct(w, ada, { currency: "EUR", prices: [1000, 2000] });
    const bobGbp = await listProduct(w, bob, { currency: "GBP", prices: [1500] });
    const adaJpy = await listProduct(w, ada, { currency: "JPY", prices: [3000] });
    await add(bobGbp.variantIds[0] as string, 1);
    w.h.clock.advance(1);
    await add(adaEur.variantIds[1] as string, 1);
    w.h.clock.advance(1);
    await add(adaJpy.variantIds[0] as string, 2);
    w.h.clock.advance(1);
    await add(adaEur.variantIds[0] as string, 1);

    const cart = await price("USD");
    expect(cart.sellers.map((g) => [g.sellerId, g.settlementCurrency])).toEqual([
      [bob.id, "GBP"],
      [ada.id, "EUR"],
      [ada.id, "JPY"],
    ]);
    expect(cart.sellers[1]?.lines.map((l) => l.variantId)).toEqual([adaEur.variantIds[1] as string, adaEur.variantIds[0] as string]);
    expect(cart.sellers.map((g) => g.itemsMinor)).toEqual([2000, 3750, 4000]); // 15 GBP, 30 EUR, 6000 JPY in USD
    expect(cart.totalMinor).toBe(9750);
    expect(cart.hasProblems).toBe(false);
    expectConsistent(cart);
    // adding more of a line keeps its place
    await add(bobGbp.variantIds[0] as string, 1);
    expect((await price("USD")).sellers.map((g) => g.settlementCurrency)).toEqual(["GBP", "EUR", "JPY"]);
  });

  test("shipping per seller group: estimated in the seller's currency, converted once; free over the threshold; by started kg", async () => {
    const light = await listProduct(w, ada, { currency: "EUR", prices: [1000], weightGrams: 600 });
    const heavy = await listProduct(w, bob, { currency: "EUR", prices: [1000], weightGrams: 600 });
    await shippingRate(w, ada.id, { countries: ["PT", "ES"], currency: "EUR", baseMinor: 500, freeOverMinor: 5000 });
    await shippingRate(w, bob.id, { countries: [], currency: "EUR", kind: "weight", baseMinor: 300, perKgMinor: 200 });
    await add(light.variantIds[0] as string, 2);
    await add(heavy.variantIds[0] as string, 2);

    const pt = await price("USD", "PT");
    expect(pt.sellers.map((g) => g.shipping?.settlementMinor)).toEqual([500, 700]); // flat; 300 + 2 started kg × 200
    expect(pt.sellers.map((g) => g.shipping?.chargeMinor)).toEqual([625, 875]);
    expect(pt.shippingMinor).toBe(1500);
    expect(pt.totalMinor).toBe(2500 + 2500 + 1500);
    expectConsistent(pt);

    await add(light.variantIds[0] as string, 3); // 50 EUR of items: free shipping
    const free = await price("USD", "PT");
    expect(free.sellers[0]?.shipping).toMatchObject({ settlementMinor: 0, chargeMinor: 0 });

    // no destination: no shipping, no deliverability problem
    const nowhere = await price("USD");
    expect(nowhere.sellers.map((g) => g.shipping)).toEqual([null, null]);
    expect(nowhere.shippingMinor).toBe(0);
    expect(nowhere.hasProblems).toBe(false);
  });

  test("discount and tax hooks: answered per group in the cart's currency and carried into every total", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000] });
    const mug = await listProduct(w, bob, { currency: "EUR", prices: [800] });
    await add(tee.variantIds[0] as string, 1);
    await add(mug.variantIds[0] as string, 1);
    const seen: string[] = [];
    const cart = await priceCart(w.ctx, await cartId(), {
      currency: "USD",
      country: null,
      hooks: {
        discount: (g) => {
          seen.push(`${g.sellerId}:${g.currency}:${g.itemsMinor}`);
          return g.sellerId === ada.id ? 250 : 10_000; // more than the group: clamped
        },
        tax: (g) => Math.round((g.itemsMinor - g.discountMinor) / 10),
      },
    });
    expect(seen).toEqual([`${ada.id}:USD:1250`, `${bob.id}:USD:1000`]);
    expect(cart.sellers.map((g) => [g.discountMinor, g.taxMinor, g.totalMinor])).toEqual([
      [250, 100, 1100],
      [1000, 0, 0],
    ]);
    expect(cart).toMatchObject({ itemsMinor: 2250, discountMinor: 1250, taxMinor: 100, totalMinor: 1100 });
    expectConsistent(cart);
    // the default hooks are no-ops
    expect(await price("USD")).toMatchObject({ discountMinor: 0, taxMinor: 0, totalMinor: 2250 });
  });

  test("an empty cart prices to nothing; an unknown cart id is not found", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000] });
    await add(tee.variantIds[0] as string, 1);
    await w.h.database.db.delete(schema.cartLine).where(eq(schema.cartLine.cartId, await cartId()));
    expect(await price("USD")).toMatchObject({ sellers: [], totalMinor: 0, hasProblems: false });
    expect(priceCart(w.ctx, "crt_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", { currency: "USD", country: null })).rejects.toThrow(/not found/);
  });
});

describe("every line re-validated now", () => {
  test("a price change is flagged on the line, never applied to what the shopper saw; adding again accepts it", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000, 2000] });
    const [cheap, dear] = tee.variantIds as [string, string];
    await add(cheap, 2);
    await add(dear, 1);
    await setPrice(w, ada, tee.productId, cheap, 1200);

    const cart = await price("EUR");
    const [changed, same] = lines(cart);
    expect(changed).toMatchObject({
      unitPriceMinor: 1200,
      seenPriceMinor: 1000,
      settlementMinor: 2400,
      problems: [{ code: "price_changed", seenPriceMinor: 1000, priceMinor: 1200 }],
    });
    expect(same?.problems).toEqual([]);
    expect(cart.hasProblems).toBe(true);
    const [row] = await w.h.database.db.select().from(schema.cartLine).where(eq(schema.cartLine.variantId, cheap));
    expect(row?.seenPriceMinor).toBe(1000);

    await add(cheap, 1);
    const accepted = await price("EUR");
    expect(lines(accepted)[0]).toMatchObject({ quantity: 3, seenPriceMinor: 1200, problems: [] });
    expect(accepted.hasProblems).toBe(false);
  });

  test("out of stock and short stock are flagged with what is available (summed over the seller's locations)", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000, 2000, 3000], stock: 5 });
    const [a, b, c] = tee.variantIds as [string, string, string];
    await add(a, 5);
    await add(b, 4);
    await add(c, 1);
    await setStock(w, ada, a, 0);
    await setStock(w, ada, b, 3);
    // a second location adds to what is available
    const second = await w.h.request("POST", "/v1/seller/stock-locations", { token: ada.token, body: { name: "Shop", country: "ES" } });
    const shop = (await second.json()) as { id: string };
    await w.h.request("POST", `/v1/seller/variants/${b}/stock/adjustments`, { token: ada.token, body: { locationId: shop.id, delta: 1, reason: "received" } });

    const cart = await price("EUR");
    expect(lines(cart).map((l) => l.problems)).toEqual([[{ code: "insufficient_stock", available: 0 }], [], []]);
    await setStock(w, ada, b, 1);
    expect(lines(await price("EUR"))[1]?.problems).toEqual([{ code: "insufficient_stock", available: 2 }]);
  });

  test("a product no longer for sale is flagged unavailable (and nothing else); a variant that vanished stays on show, flagged, charging nothing", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000, 2000] });
    const mug = await listProduct(w, bob, { currency: "EUR", prices: [500] });
    await add(tee.variantIds[0] as string, 1);
    w.h.clock.advance(1);
    await add(mug.variantIds[0] as string, 1);
    w.h.clock.advance(1);
    await add(tee.variantIds[1] as string, 1);
    await archive(w, ada, tee.productId);
    await setPrice(w, ada, tee.productId, tee.variantIds[0] as string, 900);
    // the seller deletes one of bob's variants (a product keeps at least one while active: archive first, then delete)
    await archive(w, bob, mug.productId);
    const deleted = await w.h.request("DELETE", `/v1/seller/products/${mug.productId}/variants/${mug.variantIds[0]}`, { token: bob.token });
    expect(deleted.status).toBe(204);

    const cart = await price("USD");
    expect(cart.sellers.map((g) => g.sellerId)).toEqual([ada.id, ""]);
    expect(cart.sellers[0]?.lines.map((l) => l.problems)).toEqual([[{ code: "unavailable" }], [{ code: "unavailable" }]]);
    const vanished = cart.sellers[1];
    expect(vanished?.lines[0]).toMatchObject({
      variantId: mug.variantIds[0],
      productId: "",
      quantity: 1,
      unitPriceMinor: 0,
      seenPriceMinor: 500,
      settlementMinor: 0,
      chargeMinor: 0,
      problems: [{ code: "unavailable" }],
    });
    expect(vanished?.shipping).toBeNull();
    expect(cart.hasProblems).toBe(true);
    expectConsistent(cart);
  });

  test("a seller who does not ship to the destination: every line of their group flagged undeliverable, no shipping", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000, 2000] });
    const mug = await listProduct(w, bob, { currency: "EUR", prices: [500] });
    await shippingRate(w, ada.id, { countries: ["PT"], currency: "EUR", baseMinor: 400 });
    await add(tee.variantIds[0] as string, 1);
    await add(tee.variantIds[1] as string, 1);
    await add(mug.variantIds[0] as string, 1);

    const us = await price("USD", "US");
    expect(us.sellers[0]?.shipping).toBeNull();
    expect(us.sellers[0]?.lines.map((l) => l.problems)).toEqual([[{ code: "undeliverable", country: "US" }], [{ code: "undeliverable", country: "US" }]]);
    // bob set no rates: the platform default, everywhere, free
    expect(us.sellers[1]?.shipping).toMatchObject({ rateId: null, chargeMinor: 0 });
    expect(us.sellers[1]?.lines[0]?.problems).toEqual([]);
    expect(us.hasProblems).toBe(true);

    const pt = await price("USD", "PT");
    expect(pt.hasProblems).toBe(false);
    expect(pt.sellers[0]?.shipping).toMatchObject({ settlementMinor: 400, chargeMinor: 500 });
  });

  test("problems stack: a changed price and short stock on one line are both named", async () => {
    const tee = await listProduct(w, ada, { currency: "EUR", prices: [1000], stock: 3 });
    const variantId = tee.variantIds[0] as string;
    await add(variantId, 3);
    await setPrice(w, ada, tee.productId, variantId, 800);
    await setStock(w, ada, variantId, 2);
    expect(lines(await price("EUR"))[0]?.problems).toEqual([
      { code: "price_changed", seenPriceMinor: 1000, priceMinor: 800 },
      { code: "insufficient_stock", available: 2 },
    ]);
  });

  test("stock held by checkouts in progress is not available", async () => {
    const { variantIds } = await insertProduct(w.h, ada.id, 1);
    const variantId = variantIds[0] as string;
    await setStock(w, ada, variantId, 4);
    const { reserve } = await import("../catalog/index.ts");
    await reserve(w.ctx, { holder: "chk_test", lines: [{ variantId, quantity: 3 }], ttlMs: 60_000 });
    await add(variantId, 2);
    expect(lines(await price("EUR"))[0]?.problems).toEqual([{ code: "insufficient_stock", available: 1 }]);
  });
});
