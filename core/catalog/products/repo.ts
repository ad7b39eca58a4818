// Products' SQL: product, product_attribute and variant rows; whether a brand exists (the categories
// part owns brands); and, when a draft or a variant goes, the stock levels and image rows that would
// otherwise block it by foreign key.
import { type Queryable, schema } from "@bazaar/db";
import { and, desc, eq, inArray, lt, max, min, ne, or, sql } from "drizzle-orm";

const { product, productAttribute, variant, brand, stockLevel, productImage } = schema;

export type ProductRow = typeof product.$inferSelect;
export type NewProduct = typeof product.$inferInsert;
export type VariantRow = typeof variant.$inferSelect;
export type NewVariant = typeof variant.$inferInsert;
export type AttributeRow = typeof productAttribute.$inferSelect;
export type ProductChanges = Partial<Pick<NewProduct, "title" | "description" | "brandId" | "categoryId" | "currency" | "status" | "publishedAt">>;
export type VariantChanges = Partial<Omit<NewVariant, "id" | "productId" | "sellerId" | "createdAt">>;

// ---- brands (read only) ----

export async function brandExists(db: Queryable, brandId: string): Promise<boolean> {
  const [row] = await db.select({ id: brand.id }).from(brand).where(eq(brand.id, brandId)).limit(1);
  return row !== undefined;
}

// ---- products ----

export async function findProduct(db: Queryable, productId: string): Promise<ProductRow | undefined> {
  const [row] = await db.select().from(product).where(eq(product.id, productId)).limit(1);
  return row;
}

export function attributesOf(db: Queryable, productId: string): Promise<AttributeRow[]> {
  return db.select().from(productAttribute).where(eq(productAttribute.productId, productId)).orderBy(productAttribute.key);
}

export function variantsOf(db: Queryable, productId: string): Promise<VariantRow[]> {
  return db.select().from(variant).where(eq(variant.productId, productId)).orderBy(variant.position, variant.id);
}

/** Slugs already taken that start with `prefix`: the candidates a new slug must avoid. */
export async function slugsStartingWith(db: Queryable, prefix: string): Promise<Set<string>> {
  // slugs are [a-z0-9-] only, so the prefix holds no GLOB metacharacters
  const rows = await db
    .select({ slug: product.slug })
    .from(product)
    .where(sql`${product.slug} GLOB ${`${prefix}*`}`);
  return new Set(rows.map((r) => r.slug));
}

export async function insertProduct(tx: Queryable, row: NewProduct, attributes: AttributeRow[], variants: NewVariant[]): Promise<void> {
  await tx.insert(product).values(row);
  if (attributes.length) await tx.insert(productAttribute).values(attributes);
  if (variants.length) await tx.insert(variant).values(variants);
}

/** Applies `changes` and moves the version on by one; the version is what optimistic concurrency compares. */
export async function updateProduct(tx: Queryable, productId: string, changes: ProductChanges, now: number): Promise<ProductRow | undefined> {
  const [row] = await tx
    .update(product)
    .set({ ...changes, version: sql`${product.version} + 1`, updatedAt: now })
    .where(eq(product.id, productId))
    .returning();
  return row;
}

export async function replaceAttributes(tx: Queryable, productId: string, rows: AttributeRow[]): Promise<void> {
  await tx.delete(productAttribute).where(eq(productAttribute.productId, productId));
  if (rows.length) await tx.insert(productAttribute).values(rows);
}

/**
 * Recomputes the denormalised price range and in-stock flag from the variants as they now are, in
 * the caller's transaction, and moves the product's version on: a variant write changes the product.
 */
export async function refreshFromVariants(tx: Queryable, productId: string, now: number): Promise<ProductRow | undefined> {
  const anyAvailable = sql`EXISTS (SELECT 1 FROM "stock_level" JOIN "variant" ON "variant"."id" = "stock_level"."variant_id"
    WHERE "variant"."product_id" = ${productId} AND "stock_level"."on_hand" - "stock_level"."reserved" > 0)`;
  const [range] = await tx
    .select({ low: min(variant.priceMinor), high: max(variant.priceMinor) })
    .from(variant)
    .where(eq(variant.productId, productId));
  const [row] = await tx
    .update(product)
    .set({ minPriceMinor: range?.low ?? null, maxPriceMinor: range?.high ?? null, inStock: anyAvailable, version: sql`${product.version} + 1`, updatedAt: now })
    .where(eq(product.id, productId))
    .returning();
  return row;
}

/** What the public list keeps on a product for itself (triggers maintain them): no business of the seller's views. */
type PublicListColumns = "listCompareAtMinor" | "listThumbnailImageId" | "listSummary";

export type ProductListItem = Omit<ProductRow, "description" | "popularity" | "ratingAverageX100" | "ratingCount" | PublicListColumns> & {
  variantCount: number;
};

/** A seller's products, newest first, keyset-paginated on (created_at, id). */
export function productsOf(
  db: Queryable,
  sellerId: string,
  options: { status?: string; limit: number; after?: { createdAt: number; id: string } },
): Promise<ProductListItem[]> {
  const { after } = options;
  return db
    .select({
      id: product.id,
      sellerId: product.sellerId,
      slug: product.slug,
      title: product.title,
      brandId: product.brandId,
      categoryId: product.categoryId,
      status: product.status,
      version: product.version,
      currency: product.currency,
      minPriceMinor: product.minPriceMinor,
      maxPriceMinor: product.maxPriceMinor,
      inStock: product.inStock,
      createdAt: product.createdAt,
      updatedAt: product.updatedAt,
      publishedAt: product.publishedAt,
      // spelled out: drizzle leaves columns unqualified here, and a bare "id" would be the variant's
      variantCount: sql<number>`(SELECT count(*) FROM "variant" WHERE "variant"."product_id" = "product"."id")`.mapWith(Number),
    })
    .from(product)
    .where(
      and(
        eq(product.sellerId, sellerId),
        options.status ? eq(product.status, options.status) : undefined,
        after ? or(lt(product.createdAt, after.createdAt), and(eq(product.createdAt, after.createdAt), lt(product.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(product.createdAt), desc(product.id))
    .limit(options.limit);
}

/**
 * Deletes a draft and what hangs off it by foreign key: attribute values, image rows (their files go
 * when images hears product.deleted), stock levels and variants. The stock adjustment trail stays.
 */
export async function deleteProduct(tx: Queryable, productId: string): Promise<void> {
  const variantIds = tx.select({ id: variant.id }).from(variant).where(eq(variant.productId, productId));
  await tx.delete(productAttribute).where(eq(productAttribute.productId, productId));
  await tx.delete(productImage).where(eq(productImage.productId, productId));
  await tx.delete(stockLevel).where(inArray(stockLevel.variantId, variantIds));
  await tx.delete(variant).where(eq(variant.productId, productId));
  await tx.delete(product).where(eq(product.id, productId));
}

// ---- variants ----

export async function findVariant(db: Queryable, productId: string, variantId: string): Promise<VariantRow | undefined> {
  const [row] = await db
    .select()
    .from(variant)
    .where(and(eq(variant.id, variantId), eq(variant.productId, productId)))
    .limit(1);
  return row;
}

/** Which of `skus` the seller already uses, on any product (optionally not counting one variant). */
export async function skusTaken(db: Queryable, sellerId: string, skus: string[], exceptVariantId?: string): Promise<Set<string>> {
  if (!skus.length) return new Set();
  const rows = await db
    .select({ sku: variant.sku })
    .from(variant)
    .where(and(eq(variant.sellerId, sellerId), inArray(variant.sku, skus), exceptVariantId ? ne(variant.id, exceptVariantId) : undefined));
  return new Set(rows.map((r) => r.sku));
}

export async function insertVariant(tx: Queryable, row: NewVariant): Promise<VariantRow | undefined> {
  const [created] = await tx.insert(variant).values(row).returning();
  return created;
}

export async function updateVariant(tx: Queryable, variantId: string, changes: VariantChanges, now: number): Promise<VariantRow | undefined> {
  const [row] = await tx
    .update(variant)
    .set({ ...changes, version: sql`${variant.version} + 1`, updatedAt: now })
    .where(eq(variant.id, variantId))
    .returning();
  return row;
}

/** Units of the variant held for checkouts right now: such a variant cannot be deleted. */
export async function reservedUnits(tx: Queryable, variantId: string): Promise<number> {
  const [row] = await tx
    .select({ reserved: sql<number>`coalesce(sum(${stockLevel.reserved}), 0)`.mapWith(Number) })
    .from(stockLevel)
    .where(eq(stockLevel.variantId, variantId));
  return row?.reserved ?? 0;
}

/** Deletes a variant with its stock levels; images shown for it stay in the product's gallery. */
export async function deleteVariant(tx: Queryable, variantId: string): Promise<void> {
  await tx.update(productImage).set({ variantId: null }).where(eq(productImage.variantId, variantId));
  await tx.delete(stockLevel).where(eq(stockLevel.variantId, variantId));
  await tx.delete(variant).where(eq(variant.id, variantId));
}

/** The seller's variants with these SKUs: which product each belongs to, so a re-import updates it. */
export async function variantsBySku(db: Queryable, sellerId: string, skus: string[]) {
  if (!skus.length) return [];
  return db
    .select({ id: variant.id, sku: variant.sku, productId: variant.productId, version: variant.version })
    .from(variant)
    .where(and(eq(variant.sellerId, sellerId), inArray(variant.sku, skus)));
}
