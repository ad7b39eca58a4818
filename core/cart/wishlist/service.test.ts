import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { schema } from "@bazaar/db";
import { envelopeFromRow } from "@bazaar/events";
import { eq } from "drizzle-orm";
import {
  type CartWorld,
  createCartWorld,
  type ListedProduct,
  listProduct,
  outboxOf,
  type Party,
  seller,
  setPrice,
  setStock,
  shopper,
} from "../test-fixtures.ts";
import { addToWishlist, notifyBackInStock, notifyPriceDrops } from "./service.ts";

let w: CartWorld;
let shop: Party & { locationId: string };
let ada: Party;
let bob: Party;
let tee: ListedProduct;
let variantId: string;
beforeEach(async () => {
  w = await createCartWorld();
  shop = await seller(w.h);
  ada = await shopper(w.h);
  bob = await shopper(w.h);
  tee = await listProduct(w, shop, { currency: "EUR", prices: [2000], stock: 5 });
  variantId = tee.variantIds[0] as string;
});
afterEach(() => w.h.destroy());

const wish = (who: Party) => addToWishlist(w.ctx, who.id, variantId);
const reprice = async (priceMinor: number) => {
  await setPrice(w, shop, tee.productId, variantId, priceMinor);
  await w.h.deliverEvents();
};
const restock = async (onHand: number) => {
  await setStock(w, shop, variantId, onHand);
  await w.h.deliverEvents();
};
const drops = () => outboxOf(w.h, "wishlist.price_dropped");
const returns = () => outboxOf(w.h, "wishlist.back_in_stock");
const item = async (who: Party) =>
  (await w.h.database.db.select().from(schema.wishlistItem).where(eq(schema.wishlistItem.userId, who.id))).find((r) => r.variantId === variantId);

describe("wishlist.price_dropped", () => {
  test("a cut below what the wisher was told: one event, old → new, and the new price becomes what they were told", async () => {
    await wish(ada);
    await reprice(1500);
    expect(await drops()).toEqual([{ userId: ada.id, productId: tee.productId, variantId, currency: "EUR", oldPriceMinor: 2000, newPriceMinor: 1500 }]);
    expect((await item(ada))?.notifiedPriceMinor).toBe(1500);
    // delivered again, or handled again by hand: nothing more
    await w.h.deliverEvents();
    expect(await notifyPriceDrops(w.ctx, variantId)).toBe(0);
    expect(await drops()).toHaveLength(1);
  });

  test("a rise only updates what they were told, silently; the next cut is measured from the higher price", async () => {
    await wish(ada);
    await reprice(2500);
    expect(await drops()).toEqual([]);
    expect((await item(ada))?.notifiedPriceMinor).toBe(2500);
    await reprice(2200);
    expect((await drops()).map((e) => [e.oldPriceMinor, e.newPriceMinor])).toEqual([[2500, 2200]]);
  });

  test("only wishers told a higher price hear of it: one who wished at today's price hears nothing", async () => {
    await wish(ada);
    await setPrice(w, shop, tee.productId, variantId, 1800);
    await wish(bob); // wishes at 1800, before the event is delivered
    await w.h.deliverEvents();
    expect((await drops()).map((e) => [e.userId, e.oldPriceMinor, e.newPriceMinor])).toEqual([[ada.id, 2000, 1800]]);
    expect((await item(bob))?.notifiedPriceMinor).toBe(1800);
  });

  test("two cuts delivered together tell each wisher once, of the price that holds now (re-read, not taken from a stale event)", async () => {
    await wish(ada);
    await wish(bob);
    await setPrice(w, shop, tee.productId, variantId, 1800);
    await setPrice(w, shop, tee.productId, variantId, 1600);
    await w.h.deliverEvents();
    expect((await drops()).map((e) => [e.userId, e.oldPriceMinor, e.newPriceMinor]).sort()).toEqual(
      [
        [ada.id, 2000, 1600],
        [bob.id, 2000, 1600],
      ].sort(),
    );
  });

  test("each event is written in the transaction that records it, with the triggering request's id", async () => {
    await wish(ada);
    await reprice(1000);
    const [row] = await w.h.database.db.select().from(schema.outboxEvent).where(eq(schema.outboxEvent.type, "wishlist.price_dropped"));
    const [cause] = await w.h.database.db.select().from(schema.outboxEvent).where(eq(schema.outboxEvent.type, "variant.price_changed"));
    expect(row && envelopeFromRow(row).requestId).toBe(cause?.requestId ?? "missing");
  });
});

describe("wishlist.back_in_stock", () => {
  test("once per return to stock: out → in emits, staying in does not, out again and back emits again", async () => {
    await restock(0);
    await wish(ada);
    expect((await item(ada))?.notifiedInStock).toBe(false);
    await restock(4);
    expect(await returns()).toEqual([{ userId: ada.id, productId: tee.productId, variantId }]);
    await restock(2);
    await w.h.deliverEvents();
    expect(await notifyBackInStock(w.ctx, variantId)).toBe(0);
    expect(await returns()).toHaveLength(1);
    await restock(0);
    expect((await item(ada))?.notifiedInStock).toBe(false);
    expect(await returns()).toHaveLength(1);
    await restock(1);
    expect(await returns()).toHaveLength(2);
  });

  test("a wisher who was told it is in stock hears nothing; stock counted over all the seller's locations", async () => {
    await wish(ada); // in stock (5)
    await restock(3);
    expect(await returns()).toEqual([]);
    // stock moves at a second location while the first is empty: still in stock, nothing to say
    const second = await w.h.request("POST", "/v1/seller/stock-locations", { token: shop.token, body: { name: "Shop", country: "ES" } });
    const location = (await second.json()) as { id: string };
    await w.h.request("POST", `/v1/seller/variants/${variantId}/stock/adjustments`, {
      token: shop.token,
      body: { locationId: location.id, delta: 2, reason: "received" },
    });
    await restock(0);
    expect((await item(ada))?.notifiedInStock).toBe(true);
    expect(await returns()).toEqual([]);
  });

  test("stock of a product off sale announces nothing", async () => {
    await restock(0);
    await wish(ada);
    await w.h.request("POST", `/v1/seller/products/${tee.productId}/archive`, { token: shop.token });
    await restock(10);
    expect(await returns()).toEqual([]);
    expect((await item(ada))?.notifiedInStock).toBe(false);
  });

  test("stock moves of variants nobody wishes for write nothing", async () => {
    await restock(0);
    await restock(7);
    expect(await returns()).toEqual([]);
    expect(await w.h.database.db.select().from(schema.wishlistItem)).toEqual([]);
  });
});
