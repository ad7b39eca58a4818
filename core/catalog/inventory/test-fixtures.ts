// Fixture rows for inventory's tests: the products part owns products and variants, so tests insert
// them directly (same service's tables) instead of going through its routes.
import { type Database, schema } from "@bazaar/db";
import { and, eq } from "drizzle-orm";
import type { Actor, Ctx } from "../../platform/deps.ts";
import type { Harness } from "../../testing/harness.ts";
import type { InventoryCtx } from "./service.ts";

let sequence = 0;
const next = () => `${Date.now().toString(36)}${(++sequence).toString(36)}`;

/** A registered user with the seller role, and the Actor the service functions take. */
export async function registerSeller(h: Harness) {
  const tokens = await h.register();
  await h.grantRole(tokens.user.id, "seller");
  const actor: Actor = { userId: tokens.user.id, sessionId: "ses_test", roles: ["buyer", "seller"] };
  return { token: tokens.accessToken, id: tokens.user.id, actor };
}

/** A category, a product of `sellerId` and `variants` variants of it; returns their ids. */
export async function insertProduct(h: Harness, sellerId: string, variants = 1): Promise<{ productId: string; variantIds: string[] }> {
  const now = h.clock.now;
  const categoryId = h.deps.ids("category");
  const productId = h.deps.ids("product");
  const tag = next();
  await h.database.db
    .insert(schema.category)
    .values({ id: categoryId, slug: `cat-${tag}`, name: "Mugs", path: `/cat-${tag}/`, depth: 0, createdAt: now, updatedAt: now });
  await h.database.db
    .insert(schema.product)
    .values({ id: productId, sellerId, slug: `mug-${tag}`, title: "Mug", categoryId, status: "active", currency: "EUR", createdAt: now, updatedAt: now });
  const variantIds: string[] = [];
  for (let i = 0; i < variants; i++) {
    const id = h.deps.ids("variant");
    await h.database.db.insert(schema.variant).values({
      id,
      productId,
      sellerId,
      sku: `SKU-${tag}-${i}`,
      options: { colour: `c${i}` },
      priceMinor: 1200,
      currency: "EUR",
      createdAt: now,
      updatedAt: now,
    });
    variantIds.push(id);
  }
  return { productId, variantIds };
}

/** A stock location of `sellerId`, inserted directly. */
export async function insertLocation(h: Harness, sellerId: string, name = "Warehouse"): Promise<string> {
  const id = h.deps.ids("location");
  await h.database.db.insert(schema.stockLocation).values({ id, sellerId, name, country: "PT", createdAt: h.clock.now });
  return id;
}

/** The ctx a request would give the service (over another Database handle when given: a second process). */
export function testCtx(h: Harness, database: Database = h.database): Ctx & InventoryCtx {
  return {
    database,
    clock: () => h.clock.now,
    ids: h.deps.ids,
    log: h.deps.log,
    requestId: "req_inventory_test",
    client: { ip: null, network: "unknown", userAgent: null, location: null },
    eventsWritten: () => {},
  };
}

export async function level(h: Harness, variantId: string, locationId: string) {
  const [row] = await h.database.db
    .select()
    .from(schema.stockLevel)
    .where(and(eq(schema.stockLevel.variantId, variantId), eq(schema.stockLevel.locationId, locationId)));
  return row;
}

export async function inStock(h: Harness, productId: string): Promise<boolean | undefined> {
  const [row] = await h.database.db.select({ inStock: schema.product.inStock }).from(schema.product).where(eq(schema.product.id, productId));
  return row?.inStock;
}

/** Inventory events in the outbox, oldest first, with their payloads parsed. */
export async function inventoryEvents(h: Harness, type?: "inventory.changed" | "inventory.low_stock") {
  const rows = await h.database.db.select().from(schema.outboxEvent).orderBy(schema.outboxEvent.id);
  return rows
    .filter((r) => (type ? r.type === type : r.type.startsWith("inventory.")))
    .map((r) => ({ id: r.id, type: r.type, requestId: r.requestId, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}
