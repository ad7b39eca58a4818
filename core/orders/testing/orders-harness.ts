// What orders' tests share: the payments harness (a real sandbox gateway posting its webhooks to the app), plus
// sellers with products and stock, buyers with an address and a cart, and checkout through the HTTP API.
import type { OrderView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { POSTAL_CODE_RULES } from "../../accounts/profile/address-rules.ts";
import { json, type Person } from "../../catalog/products/test-fixtures.ts";
import { SANDBOX_CARDS } from "../../payments/providers/sandbox.ts";
import { createPaymentsHarness, type PaymentsHarness } from "../../payments/testing/payments-harness.ts";

export interface Shopper extends Person {
  addressId: string;
}

export interface OrdersHarness extends PaymentsHarness {
  /** a seller with one stock location */
  seller(): Promise<Person & { locationId: string }>;
  /** an active product of `seller` with one variant at `priceMinor` of `currency`, `stock` on hand; returns the variant id */
  variant(seller: Person & { locationId: string }, options?: { priceMinor?: number; currency?: string; stock?: number; categoryId?: string }): Promise<string>;
  /** a buyer with one address in `country` */
  shopper(country?: string): Promise<Shopper>;
  addToCart(person: Person, variantId: string, quantity?: number): Promise<void>;
  checkout(person: Shopper, key: string, body?: Record<string, unknown>): Promise<Response>;
  /** how many units of the variant are on hand and held, summed over locations */
  stock(variantId: string): Promise<{ onHand: number; reserved: number }>;
  categoryId: string;
}

let products = 0;

export async function createOrdersHarness(env: Record<string, string> = {}): Promise<OrdersHarness> {
  const p = await createPaymentsHarness(env);
  const { h } = p;
  const categoryId = await p.category(`orders-${Date.now().toString(36)}`, 1000);
  const harness: OrdersHarness = {
    ...p,
    categoryId,
    async seller() {
      const seller = await p.person("seller");
      const locationId = h.deps.ids("location");
      await h.database.db
        .insert(schema.stockLocation)
        .values({ id: locationId, sellerId: seller.userId, name: "Warehouse", country: "PT", createdAt: h.clock.now });
      return { ...seller, locationId };
    },
    async variant(seller, options = {}) {
      const now = h.clock.now;
      const n = ++products;
      const currency = options.currency ?? "EUR";
      const productId = h.deps.ids("product");
      await h.database.db.insert(schema.product).values({
        id: productId,
        sellerId: seller.userId,
        slug: `orders-product-${n}-${now}`,
        title: `Product ${n}`,
        categoryId: options.categoryId ?? categoryId,
        status: "active",
        currency,
        createdAt: now,
        updatedAt: now,
      });
      const variantId = h.deps.ids("variant");
      await h.database.db.insert(schema.variant).values({
        id: variantId,
        productId,
        sellerId: seller.userId,
        sku: `ORD-${n}`,
        options: { size: "M" },
        priceMinor: options.priceMinor ?? 2_000,
        currency,
        weightGrams: 300,
        createdAt: now,
        updatedAt: now,
      });
      await h.database.db.insert(schema.stockLevel).values({ variantId, locationId: seller.locationId, onHand: options.stock ?? 10, updatedAt: now });
      return variantId;
    },
    async shopper(country = "PT") {
      const person = await p.person();
      // their profile's currency, which checkout charges in by default
      await h.database.db.update(schema.user).set({ currency: "EUR" }).where(eq(schema.user.id, person.userId));
      const response = await h.request("POST", "/v1/me/addresses", {
        token: person.token,
        body: { recipient: "Ada Lovelace", line1: "Rua Augusta 24", city: "Lisboa", postalCode: POSTAL_CODE_RULES[country]?.example ?? null, country },
      });
      if (response.status !== 201) throw new Error(`address: ${response.status} ${await response.text()}`);
      const { id } = await json<{ id: string }>(response);
      return { ...person, addressId: id };
    },
    async addToCart(person, variantId, quantity = 1) {
      const response = await h.request("POST", "/v1/cart/lines", { token: person.token, body: { variantId, quantity } });
      if (response.status >= 300) throw new Error(`add to cart: ${response.status} ${await response.text()}`);
    },
    checkout(person, key, body = {}) {
      return h.request("POST", "/v1/checkout", {
        token: person.token,
        headers: { "idempotency-key": key },
        body: { addressId: person.addressId, paymentMethod: SANDBOX_CARDS.success, ...body },
      });
    },
    async stock(variantId) {
      const rows = await h.database.db.select().from(schema.stockLevel);
      const mine = rows.filter((row) => row.variantId === variantId);
      return { onHand: mine.reduce((s, r) => s + r.onHand, 0), reserved: mine.reduce((s, r) => s + r.reserved, 0) };
    },
  };
  return harness;
}

export const orderOf = (response: Response) => json<OrderView>(response);
