// The category tree, category attributes and brands: the only file that touches those tables.
import { type Queryable, type ReadDb, schema } from "@bazaar/db";
import { and, asc, eq, gt, inArray, ne, or, type SQL, sql } from "drizzle-orm";

export type CategoryRow = typeof schema.category.$inferSelect;
export type AttributeRow = typeof schema.categoryAttribute.$inferSelect;
export type BrandRow = typeof schema.brand.$inferSelect;
/** Anything that can read: the database's `db` or `read`, or an open transaction. */
export type Reader = ReadDb;

const category = schema.category;
const attribute = schema.categoryAttribute;
const brand = schema.brand;

const PATH = /^(\/[a-z0-9-]+)+\/$/;

/**
 * `category.path` is `path` or below it. This is `path LIKE '<path>%'`, written as GLOB because
 * SQLite's LIKE ignores case and so cannot use the BINARY index on path (GLOB, bound as one
 * parameter, is a range search on it). Slugs hold no GLOB metacharacters; the check keeps it so.
 */
export function subtreeCondition(path: string): SQL {
  if (!PATH.test(path)) throw new Error(`not a category path: ${path}`);
  return sql`${category.path} GLOB ${`${path}*`}`;
}

/** Siblings by sortOrder, then name (case-insensitive), then id so equal names list the same way every time. */
const SIBLING_ORDER = [asc(category.sortOrder), sql`${category.name} COLLATE NOCASE`, asc(category.id)];

export function allCategories(db: Reader): Promise<CategoryRow[]> {
  return db
    .select()
    .from(category)
    .orderBy(...SIBLING_ORDER);
}

export async function categoryById(db: Reader, id: string): Promise<CategoryRow | undefined> {
  return (await db.select().from(category).where(eq(category.id, id)).limit(1))[0];
}

export async function categoryBySlug(db: Reader, slug: string): Promise<CategoryRow | undefined> {
  return (await db.select().from(category).where(eq(category.slug, slug)).limit(1))[0];
}

/** The categories on a path, root first: a path's slugs name its ancestors and itself. */
export function categoriesOnPath(db: Reader, path: string): Promise<CategoryRow[]> {
  return db
    .select()
    .from(category)
    .where(inArray(category.slug, slugsOf(path)))
    .orderBy(asc(category.depth));
}

export function childrenOf(db: Reader, id: string): Promise<CategoryRow[]> {
  return db
    .select()
    .from(category)
    .where(eq(category.parentId, id))
    .orderBy(...SIBLING_ORDER);
}

export async function subtreeIds(db: Reader, path: string): Promise<string[]> {
  return (await db.select({ id: category.id }).from(category).where(subtreeCondition(path))).map((r) => r.id);
}

export async function deepestIn(db: Reader, path: string): Promise<number> {
  const [row] = await db
    .select({ depth: sql<number>`max(${category.depth})` })
    .from(category)
    .where(subtreeCondition(path));
  return row?.depth ?? 0;
}

export async function hasChildren(db: Reader, id: string): Promise<boolean> {
  return (await db.select({ id: category.id }).from(category).where(eq(category.parentId, id)).limit(1)).length > 0;
}

export async function hasProducts(db: Reader, categoryId: string): Promise<boolean> {
  return (await db.select({ id: schema.product.id }).from(schema.product).where(eq(schema.product.categoryId, categoryId)).limit(1)).length > 0;
}

export function insertCategory(tx: Queryable, row: typeof category.$inferInsert) {
  return tx.insert(category).values(row).returning();
}

/**
 * Re-roots everything strictly below `from` at `to` (one statement for the whole subtree),
 * shifting depths by `depthDelta`. The category at `from` itself is the caller's to update.
 */
export function rewriteDescendants(tx: Queryable, from: string, to: string, depthDelta: number, now: number) {
  return tx
    .update(category)
    .set({
      path: sql`${to} || substr(${category.path}, ${from.length + 1})`,
      depth: sql`${category.depth} + ${depthDelta}`,
      updatedAt: now,
    })
    .where(and(subtreeCondition(from), ne(category.path, from)));
}

export async function updateCategory(tx: Queryable, id: string, fields: Partial<typeof category.$inferInsert>): Promise<CategoryRow | undefined> {
  return (await tx.update(category).set(fields).where(eq(category.id, id)).returning())[0];
}

export async function deleteCategory(tx: Queryable, id: string): Promise<void> {
  await tx.delete(attribute).where(eq(attribute.categoryId, id));
  await tx.delete(category).where(eq(category.id, id));
}

// ---- attributes ----

/** The attributes defined on the categories of a path, root first, each category's by sortOrder then key. */
export function attributesOnPath(db: Reader, path: string): Promise<AttributeRow[]> {
  return db
    .select({ attribute })
    .from(attribute)
    .innerJoin(category, eq(category.id, attribute.categoryId))
    .where(inArray(category.slug, slugsOf(path)))
    .orderBy(asc(category.depth), asc(attribute.sortOrder), asc(attribute.key))
    .then((rows) => rows.map((r) => r.attribute));
}

/** Attribute keys defined anywhere in the subtree at `path` (itself included). */
export async function keysInSubtree(db: Reader, path: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ key: attribute.key })
    .from(attribute)
    .innerJoin(category, eq(category.id, attribute.categoryId))
    .where(subtreeCondition(path));
  return rows.map((r) => r.key);
}

/** Where `key` is already defined on the path above `path` or anywhere in its subtree, if it is. */
export async function keyDefinedAround(db: Reader, path: string, key: string): Promise<string | undefined> {
  const rows = await db
    .select({ path: category.path })
    .from(attribute)
    .innerJoin(category, eq(category.id, attribute.categoryId))
    .where(and(eq(attribute.key, key), or(inArray(category.slug, slugsOf(path)), subtreeCondition(path))))
    .limit(1);
  return rows[0]?.path;
}

export async function attributeOf(db: Reader, categoryId: string, attributeId: string): Promise<AttributeRow | undefined> {
  return (
    await db
      .select()
      .from(attribute)
      .where(and(eq(attribute.id, attributeId), eq(attribute.categoryId, categoryId)))
      .limit(1)
  )[0];
}

export async function insertAttribute(tx: Queryable, row: typeof attribute.$inferInsert): Promise<AttributeRow> {
  const [inserted] = await tx.insert(attribute).values(row).returning();
  if (!inserted) throw new Error("insert returned no row");
  return inserted;
}

export async function updateAttribute(tx: Queryable, id: string, fields: Partial<typeof attribute.$inferInsert>): Promise<AttributeRow | undefined> {
  return (await tx.update(attribute).set(fields).where(eq(attribute.id, id)).returning())[0];
}

export function deleteAttribute(tx: Queryable, id: string) {
  return tx.delete(attribute).where(eq(attribute.id, id));
}

/** Whether a product in the subtree at `path` has a value for `key`. */
export async function attributeInUse(db: Reader, path: string, key: string): Promise<boolean> {
  const rows = await db
    .select({ productId: schema.productAttribute.productId })
    .from(schema.productAttribute)
    .innerJoin(schema.product, eq(schema.product.id, schema.productAttribute.productId))
    .innerJoin(category, eq(category.id, schema.product.categoryId))
    .where(and(eq(schema.productAttribute.key, key), subtreeCondition(path)))
    .limit(1);
  return rows.length > 0;
}

// ---- brands ----

export async function insertBrand(tx: Queryable, row: typeof brand.$inferInsert): Promise<BrandRow> {
  const [inserted] = await tx.insert(brand).values(row).returning();
  if (!inserted) throw new Error("insert returned no row");
  return inserted;
}

export async function brandById(db: Reader, id: string): Promise<BrandRow | undefined> {
  return (await db.select().from(brand).where(eq(brand.id, id)).limit(1))[0];
}

export async function updateBrand(tx: Queryable, id: string, fields: Partial<typeof brand.$inferInsert>): Promise<BrandRow | undefined> {
  return (await tx.update(brand).set(fields).where(eq(brand.id, id)).returning())[0];
}

export async function brandInUse(db: Reader, id: string): Promise<boolean> {
  return (await db.select({ id: schema.product.id }).from(schema.product).where(eq(schema.product.brandId, id)).limit(1)).length > 0;
}

export function deleteBrand(tx: Queryable, id: string) {
  return tx.delete(brand).where(eq(brand.id, id));
}

const BRAND_NAME = sql`${brand.name} COLLATE NOCASE`;

/**
 * Alphabetical (case-insensitive, id breaking ties), keyset-paginated after `after`. `prefix` matches
 * the start of the name, or of the slug as `slugPrefix` (so "ele" finds "Électronique").
 */
export function listBrands(
  db: Reader,
  options: { prefix?: string; slugPrefix?: string; after?: { name: string; id: string }; limit: number },
): Promise<BrandRow[]> {
  const { prefix, slugPrefix, after, limit } = options;
  const matches = prefix
    ? or(sql`${brand.name} LIKE ${`${escapeLike(prefix)}%`} ESCAPE '\\'`, slugPrefix ? sql`${brand.slug} GLOB ${`${slugPrefix}*`}` : undefined)
    : undefined;
  const position = after ? or(sql`${BRAND_NAME} > ${after.name}`, and(sql`${BRAND_NAME} = ${after.name}`, gt(brand.id, after.id))) : undefined;
  return db.select().from(brand).where(and(matches, position)).orderBy(BRAND_NAME, asc(brand.id)).limit(limit);
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function slugsOf(path: string): string[] {
  return path.split("/").filter(Boolean);
}
