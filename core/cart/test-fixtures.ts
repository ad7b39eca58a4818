// Fixtures for the cart tests: sellers list real products through the catalog's own routes (so price changes and
// stock moves emit the events the wishlist consumes), exchange rates and shipping rates are rows of their
// services' tables (their own APIs are not what is under test here), shoppers are real sign-ups and guests.
import type { CartView, ProductView, VariantStockView } from "@bazaar/contracts";
import { CART_TOKEN_HEADER } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { type Catalog, seedCatalog } from "../catalog/products/test-fixtures.ts";
import type { Ctx } from "../platform/deps.ts";
import { createHarness, type Harness, type RequestOptions } from "../testing/harness.ts";

/** Units per US dollar the cart tests price with: round figures, so expected amounts can be worked out by hand. */
export const TEST_USD_RATES: Record<string, string> = { EUR: "0.8", GBP: "0.75", JPY: "150", KWD: "0.3" };

export interface CartWorld {
  h: Harness;
  catalog: Catalog;
  ctx: Ctx;
}

export async function createCartWorld(rates: Record<string, string> = TEST_USD_RATES): Promise<CartWorld> {
  const h = await createHarness();
  await setRates(h, rates);
  const catalog = await seedCatalog(h);
  return { h, catalog, ctx: testCtx(h) };
}

/** USD → each currency at `rates` (decimal text, as feeds publish them), published now. */
export async function setRates(h: Harness, rates: Record<string, string>): Promise<void> {
  for (const [quote, text] of Object.entries(rates)) {
    const [whole = "0", fraction = ""] = text.split(".");
    const ratePpb = Number(whole) * 1_000_000_000 + Number(fraction.padEnd(9, "0"));
    await h.database.db
      .insert(schema.fxRate)
      .values({ base: "USD", quote, ratePpb, source: "test", asOf: h.clock.now })
      .onConflictDoUpdate({ target: [schema.fxRate.base, schema.fxRate.quote], set: { ratePpb, asOf: h.clock.now } });
  }
}

/** The ctx a request would give the services. */
export function testCtx(h: Harness): Ctx {
  return {
    database: h.database,
    clock: () => h.clock.now,
    ids: h.deps.ids,
    log: h.deps.log,
    requestId: "req_cart_test",
    client: { ip: null, network: "unknown", userAgent: null, location: null },
    eventsWritten: () => {},
  };
}

export interface Party {
  token: string;
  id: string;
}

export async function shopper(h: Harness): Promise<Party> {
  const tokens = await h.register();
  return { token: tokens.accessToken, id: tokens.user.id };
}

export async function seller(h: Harness): Promise<Party & { locationId: string }> {
  const tokens = await h.register();
  await h.grantRole(tokens.user.id, "seller");
  const response = await h.request("POST", "/v1/seller/stock-locations", { token: tokens.accessToken, body: { name: "Warehouse", country: "PT" } });
  if (response.status !== 201) throw new Error(`location failed: ${response.status} ${await response.text()}`);
  const location = (await response.json()) as { id: string };
  return { token: tokens.accessToken, id: tokens.user.id, locationId: location.id };
}

const COMBINATIONS = ["red", "blue", "black"].flatMap((colour) => ["S", "M", "L"].map((size) => ({ colour, size })));

export interface ListedProduct {
  productId: string;
  variantIds: string[];
}

/**
 * An active product of the seller in `currency`, one variant per price (up to 9), each with `stock` units on hand
 * (default 100) at the seller's location.
 */
export async function listProduct(
  w: CartWorld,
  owner: Party & { locationId: string },
  options: { currency?: string; prices: number[]; stock?: number; weightGrams?: number; title?: string },
): Promise<ListedProduct> {
  const { h, catalog } = w;
  const variants = options.prices.map((priceMinor, i) => ({
    sku: `SKU-${crypto.randomUUID().slice(0, 8)}-${i}`,
    options: COMBINATIONS[i],
    priceMinor,
    ...(options.weightGrams ? { weightGrams: options.weightGrams } : {}),
  }));
  const body = {
    title: options.title ?? "Organic cotton T-shirt",
    description: "Soft.",
    categoryId: catalog.tshirts,
    currency: options.currency ?? "EUR",
    attributes: { material: "cotton", organic: true, fabric_weight: 180, fit: "regular" },
    variants,
  };
  const created = await h.request("POST", "/v1/seller/products", { token: owner.token, body });
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`);
  const product = (await created.json()) as ProductView;
  const published = await h.request("POST", `/v1/seller/products/${product.id}/publish`, { token: owner.token });
  if (published.status !== 200) throw new Error(`publish failed: ${published.status} ${await published.text()}`);
  const variantIds = product.variants.map((v) => v.id);
  for (const variantId of variantIds) await setStock(w, owner, variantId, options.stock ?? 100);
  return { productId: product.id, variantIds };
}

export async function setStock(w: CartWorld, owner: Party & { locationId: string }, variantId: string, onHand: number): Promise<VariantStockView> {
  const response = await w.h.request("PUT", `/v1/seller/variants/${variantId}/stock`, {
    token: owner.token,
    body: { levels: [{ locationId: owner.locationId, onHand, lowStockThreshold: 0 }] },
  });
  if (response.status !== 200) throw new Error(`stock failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as VariantStockView;
}

export async function setPrice(w: CartWorld, owner: Party, productId: string, variantId: string, priceMinor: number): Promise<void> {
  const response = await w.h.request("PATCH", `/v1/seller/products/${productId}/variants/${variantId}`, { token: owner.token, body: { priceMinor } });
  if (response.status !== 200) throw new Error(`price failed: ${response.status} ${await response.text()}`);
}

export async function archive(w: CartWorld, owner: Party, productId: string): Promise<void> {
  const response = await w.h.request("POST", `/v1/seller/products/${productId}/archive`, { token: owner.token });
  if (response.status !== 200) throw new Error(`archive failed: ${response.status} ${await response.text()}`);
}

/** A shipping rate row of the seller (the shipping service owns the table; its API is not under test here). */
export async function shippingRate(
  w: CartWorld,
  sellerId: string,
  rate: { countries: string[]; currency: string; baseMinor: number; kind?: "flat" | "weight"; perKgMinor?: number; freeOverMinor?: number | null },
): Promise<string> {
  const id = w.h.deps.ids("shippingRate");
  await w.h.database.db.insert(schema.shippingRate).values({
    id,
    sellerId,
    name: `Rate ${rate.countries.join(",") || "world"}`,
    countries: rate.countries,
    kind: rate.kind ?? "flat",
    baseMinor: rate.baseMinor,
    perKgMinor: rate.perKgMinor ?? 0,
    freeOverMinor: rate.freeOverMinor ?? null,
    currency: rate.currency,
    minDays: 2,
    maxDays: 5,
    createdAt: w.h.clock.now,
    updatedAt: w.h.clock.now,
  });
  return id;
}

/** Who a cart request is from: a user's access token, a guest's cart token, both, or neither. */
export interface As {
  token?: string;
  cartToken?: string;
}

export function cartRequest(h: Harness, method: string, path: string, as: As = {}, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (as.cartToken) headers[CART_TOKEN_HEADER] = as.cartToken;
  return h.request(method, path, { ...options, ...(as.token ? { token: as.token } : {}), headers });
}

export async function viewOf(response: Response, status = 200): Promise<CartView> {
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${await response.text()}`);
  return (await response.json()) as CartView;
}

/** A guest's first add: the cart it made and its token. */
export async function guestAdds(h: Harness, variantId: string, quantity: number): Promise<{ cartToken: string; view: CartView }> {
  const view = await viewOf(await cartRequest(h, "POST", "/v1/cart/lines", {}, { body: { variantId, quantity } }));
  if (!view.cartToken) throw new Error("no cart token issued");
  return { cartToken: view.cartToken, view };
}

/** The outbox rows of one event type, oldest first, payloads parsed. */
export async function outboxOf(h: Harness, type: string): Promise<Record<string, unknown>[]> {
  const { rows } = await h.database.client.execute({ sql: "SELECT payload FROM outbox_event WHERE type = ? ORDER BY id", args: [type] });
  return rows.map((r) => JSON.parse(String(r.payload)) as Record<string, unknown>);
}

/** Everything the cart service keeps, to prove a refused request changed nothing. */
export async function cartSnapshot(h: Harness) {
  return {
    carts: await h.database.db.select().from(schema.cart).orderBy(schema.cart.id),
    lines: await h.database.db.select().from(schema.cartLine).orderBy(schema.cartLine.cartId, schema.cartLine.variantId),
    wishlist: await h.database.db.select().from(schema.wishlistItem).orderBy(schema.wishlistItem.userId, schema.wishlistItem.variantId),
  };
}
