// Fixture rows and actors for the products tests: categories, attribute definitions and a brand
// inserted directly (the categories part owns their API), and signed-in sellers, buyers and admins.
import type { ProductView, VariantView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import type { Harness } from "../../testing/harness.ts";

export interface Catalog {
  /** /apparel/: material (text), organic (boolean) */
  apparel: string;
  /** /apparel/t-shirts/: inherits apparel's; fabric_weight (number, g/m²), fit (enum); colour and size (enums) define variants */
  tshirts: string;
  /** /books/: isbn (text), no variant-defining attribute: a book has one variant */
  books: string;
  brand: string;
}

export async function seedCatalog(h: Harness): Promise<Catalog> {
  const now = h.clock.now;
  const ids = h.deps.ids;
  const catalog: Catalog = { apparel: ids("category"), tshirts: ids("category"), books: ids("category"), brand: ids("brand") };
  const category = (id: string, parentId: string | null, slug: string, path: string, depth: number) => ({
    id,
    parentId,
    slug,
    name: slug,
    path,
    depth,
    createdAt: now,
    updatedAt: now,
  });
  await h.database.db
    .insert(schema.category)
    .values([
      category(catalog.apparel, null, "apparel", "/apparel/", 1),
      category(catalog.tshirts, catalog.apparel, "t-shirts", "/apparel/t-shirts/", 2),
      category(catalog.books, null, "books", "/books/", 1),
    ]);
  const attribute = (categoryId: string, key: string, type: string, extra: Partial<typeof schema.categoryAttribute.$inferInsert> = {}) => ({
    id: ids("attribute"),
    categoryId,
    key,
    label: key,
    type,
    ...extra,
  });
  await h.database.db
    .insert(schema.categoryAttribute)
    .values([
      attribute(catalog.apparel, "material", "text"),
      attribute(catalog.apparel, "organic", "boolean"),
      attribute(catalog.tshirts, "fabric_weight", "number", { unit: "g/m²" }),
      attribute(catalog.tshirts, "fit", "enum", { options: ["regular", "slim", "relaxed"] }),
      attribute(catalog.tshirts, "colour", "enum", { options: ["red", "blue", "black"], variantDefining: true }),
      attribute(catalog.tshirts, "size", "enum", { options: ["S", "M", "L"], variantDefining: true }),
      attribute(catalog.books, "isbn", "text"),
    ]);
  await h.database.db.insert(schema.brand).values({ id: catalog.brand, slug: "acme", name: "Acme", createdAt: now });
  return catalog;
}

export interface Person {
  token: string;
  userId: string;
}

export async function signUp(h: Harness, ...roles: string[]): Promise<Person> {
  const { accessToken, user } = await h.register();
  for (const role of roles) await h.grantRole(user.id, role);
  return { token: accessToken, userId: user.id };
}

export const tshirt = (catalog: Catalog, overrides: Record<string, unknown> = {}) => ({
  title: "Organic cotton T-shirt",
  description: "**Soft** organic cotton.",
  categoryId: catalog.tshirts,
  brandId: catalog.brand,
  currency: "EUR",
  attributes: { material: "cotton", organic: true, fabric_weight: 180, fit: "regular" },
  variants: [
    { sku: "TEE-RED-M", options: { colour: "red", size: "M" }, priceMinor: 1999, compareAtMinor: 2499, weightGrams: 180, barcode: "4006381333931" },
    { sku: "TEE-BLUE-L", options: { colour: "blue", size: "L" }, priceMinor: 2199 },
  ],
  ...overrides,
});

export const json = async <T>(response: Response) => (await response.json()) as T;

export async function createProduct(h: Harness, token: string, body: Record<string, unknown>): Promise<ProductView> {
  const response = await h.request("POST", "/v1/seller/products", { token, body });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`);
  return json<ProductView>(response);
}

export async function createVariant(h: Harness, token: string, productId: string, body: Record<string, unknown>): Promise<VariantView> {
  const response = await h.request("POST", `/v1/seller/products/${productId}/variants`, { token, body });
  if (response.status !== 201) throw new Error(`variant create failed: ${response.status} ${await response.text()}`);
  return json<VariantView>(response);
}

/** The outbox rows of one event type, oldest first, payloads parsed. */
export async function outbox(h: Harness, type: string): Promise<{ payload: Record<string, unknown>; requestId: string | null }[]> {
  const { rows } = await h.database.client.execute({ sql: "SELECT payload, request_id FROM outbox_event WHERE type = ? ORDER BY id", args: [type] });
  return rows.map((r) => ({ payload: JSON.parse(String(r.payload)), requestId: (r.request_id as string | null) ?? null }));
}

export async function count(h: Harness, table: string): Promise<number> {
  return Number((await h.database.client.execute(`SELECT count(*) FROM ${table}`)).rows[0]?.[0]);
}
