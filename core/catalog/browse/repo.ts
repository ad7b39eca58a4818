// The public read side of the catalog: reads products, variants, images, attributes, categories, brands and
// stock; writes only `product_page`, its read model of product pages. Every hot statement is prepared once on
// the read path (bun:sqlite on a local file).
import type { PublicProductSort } from "@bazaar/contracts";
import { type Database, type ReadDb, schema } from "@bazaar/db";
import { and, asc, desc, eq, isNotNull, type SQL, sql } from "drizzle-orm";

const product = schema.product;
const productPage = schema.productPage;
const category = schema.category;
const brand = schema.brand;
const placeholder = sql.placeholder;

/**
 * The seller's display name for the public product page. `user` is accounts' table: this is the one
 * place the catalog reads it, read-only, and only the name, which accounts shows publicly anyway.
 */
export function sellerNameOf(sellerId: SQL | typeof product.sellerId): SQL<string | null> {
  return sql<string | null>`(SELECT "name" FROM "user" WHERE "id" = ${sellerId})`;
}

// ---- what filters resolve against ----

/** A category named by a list filter: the products of it and of every category under it are listed. */
export async function categoryPathBySlug(database: Database, slug: string): Promise<string | undefined> {
  const query = database.preparedRead("browse.categoryPath", (read) =>
    read
      .select({ path: category.path })
      .from(category)
      .where(eq(category.slug, placeholder("slug")))
      .limit(1)
      .prepare(),
  );
  const [row] = await query.execute({ slug });
  return row?.path;
}

/** The ids of those of `slugs` that are brands. */
export async function brandsBySlugs(database: Database, slugs: string[]): Promise<{ id: string; slug: string }[]> {
  const query = database.preparedRead("browse.brandsBySlugs", (read) =>
    read
      .select({ id: brand.id, slug: brand.slug })
      .from(brand)
      .where(sql`${brand.slug} IN (SELECT value FROM json_each(${placeholder("slugs")}))`)
      .prepare(),
  );
  return query.execute({ slugs: JSON.stringify(slugs) });
}

export interface AttributeDefinition {
  type: string;
  options: string[] | null;
}

/** How the categories that let buyers filter by `key` define it (one key may mean different things in different trees). */
export async function filterableAttributes(database: Database, key: string): Promise<AttributeDefinition[]> {
  const query = database.preparedRead("browse.filterableAttributes", (read) =>
    read
      .selectDistinct({ type: schema.categoryAttribute.type, options: schema.categoryAttribute.options })
      .from(schema.categoryAttribute)
      .where(and(eq(schema.categoryAttribute.key, placeholder("key")), eq(schema.categoryAttribute.filterable, true)))
      .prepare(),
  );
  return query.execute({ key });
}

// ---- the list ----

export type AttributeCondition = { key: string; kind: "equals"; value: string } | { key: string; kind: "between"; min: number; max: number };

export interface ListConditions {
  sort: PublicProductSort;
  /** `category.path` of the category whose subtree is listed */
  categoryPath?: string;
  brandIds?: string[];
  sellerId?: string;
  priceMin?: number;
  priceMax?: number;
  inStock: boolean;
  attributes: AttributeCondition[];
  /** keyset position: rows strictly after (key, id) in the sort's order */
  after?: { key: number; id: string };
  /** rows to read: the page size plus one, which says whether a next page exists */
  take: number;
}

/**
 * A listed product: its summary, already JSON (a PublicProductSummary, kept in `product.list_summary` by the
 * database, migration 0005), and where it stands in the sort.
 */
export interface ListRow {
  id: string;
  /** the sort's key (published_at, min price or popularity): what a cursor after this row carries */
  sortKey: number;
  summary: string;
}

/** Each sort is a keyset over (key, id), served by the index `product_list_*_idx` (status, key, id). */
const SORTS = {
  newest: { key: product.publishedAt, descending: true },
  price_asc: { key: product.minPriceMinor, descending: false },
  price_desc: { key: product.minPriceMinor, descending: true },
  popular: { key: product.popularity, descending: true },
} as const;

/** Attribute filters make many statement shapes; only this many of them stay prepared per database. */
const MAX_PREPARED_ATTRIBUTE_SHAPES = 256;
const attributeShapes = new WeakMap<Database, Map<string, PreparedList>>();

type PreparedList = { execute(values: Record<string, unknown>): Promise<ListRow[]> | ListRow[] };

/**
 * One page of public products. The statement's shape (which filters, which sort, cursor or not) names a
 * prepared statement; values are bound. Unfiltered-by-attribute shapes are few (4 sorts × 2^7) and stay
 * prepared; attribute-filtered ones go through a small LRU so no query string can grow memory without bound.
 */
export async function listPublicProducts(database: Database, conditions: ListConditions): Promise<ListRow[]> {
  const attributes = [...conditions.attributes].sort((a, b) => (a.kind === b.kind ? a.key.localeCompare(b.key) : a.kind === "equals" ? -1 : 1));
  const shape = [
    conditions.sort,
    conditions.categoryPath === undefined ? "" : "c",
    conditions.brandIds === undefined ? "" : "b",
    conditions.sellerId === undefined ? "" : "s",
    conditions.priceMin === undefined ? "" : "l",
    conditions.priceMax === undefined ? "" : "h",
    conditions.inStock ? "i" : "",
    conditions.after === undefined ? "" : "a",
    attributes.map((a) => (a.kind === "equals" ? "e" : "r")).join(""),
  ].join(":");
  const build = (read: ReadDb) => listStatement(read, { ...conditions, attributes }).prepare() as unknown as PreparedList;
  const query = attributes.length === 0 ? database.preparedRead(`browse.list:${shape}`, build) : preparedAttributeShape(database, shape, build);

  const values: Record<string, unknown> = { take: conditions.take };
  if (conditions.categoryPath !== undefined) Object.assign(values, subtreeBounds(conditions.categoryPath));
  if (conditions.brandIds !== undefined) values.brandIds = JSON.stringify(conditions.brandIds);
  if (conditions.sellerId !== undefined) values.sellerId = conditions.sellerId;
  if (conditions.priceMin !== undefined) values.priceMin = conditions.priceMin;
  if (conditions.priceMax !== undefined) values.priceMax = conditions.priceMax;
  if (conditions.after !== undefined) Object.assign(values, { afterKey: conditions.after.key, afterId: conditions.after.id });
  attributes.forEach((attribute, i) => {
    values[`attributeKey${i}`] = attribute.key;
    if (attribute.kind === "equals") values[`attributeValue${i}`] = attribute.value;
    else Object.assign(values, { [`attributeMin${i}`]: attribute.min, [`attributeMax${i}`]: attribute.max });
  });
  return query.execute(values);
}

function preparedAttributeShape(database: Database, shape: string, build: (read: ReadDb) => PreparedList): PreparedList {
  const shapes = attributeShapes.get(database) ?? new Map<string, PreparedList>();
  attributeShapes.set(database, shapes);
  let query = shapes.get(shape);
  if (query) shapes.delete(shape); // re-inserted below: most recently used last
  query ??= build(database.read);
  shapes.set(shape, query);
  if (shapes.size > MAX_PREPARED_ATTRIBUTE_SHAPES) shapes.delete(shapes.keys().next().value as string);
  return query;
}

/**
 * `path LIKE '<path>%'` as a range, [path, path with its last character raised by one): the same rows (a
 * path ends in "/", so every path under it continues past that character), but a range on the BINARY
 * index `category_path_idx`, which SQLite's case-insensitive LIKE could not use.
 */
export function subtreeBounds(path: string): { subtreeFrom: string; subtreeTo: string } {
  const last = path.charCodeAt(path.length - 1);
  return { subtreeFrom: path, subtreeTo: path.slice(0, -1) + String.fromCharCode(last + 1) };
}

/** The list's statement for a shape, not yet prepared (tests read its query plan). */
export function listStatement(read: ReadDb, conditions: ListConditions) {
  const sort = SORTS[conditions.sort];
  const where: SQL[] = [
    eq(product.status, "active"),
    // a listed product has been published and has a price: both are keys the sorts page over
    isNotNull(product.publishedAt),
    isNotNull(product.minPriceMinor),
  ];
  if (conditions.categoryPath !== undefined) {
    where.push(sql`${product.categoryId} IN (SELECT id FROM category WHERE path >= ${placeholder("subtreeFrom")} AND path < ${placeholder("subtreeTo")})`);
  }
  if (conditions.brandIds !== undefined) where.push(sql`${product.brandId} IN (SELECT value FROM json_each(${placeholder("brandIds")}))`);
  if (conditions.sellerId !== undefined) where.push(eq(product.sellerId, placeholder("sellerId")));
  // Unless the list is sorted by price, a price range must not drive the query: SQLite would read every product
  // in the range through the price index and sort them all. Unary + keeps the sort's index in charge.
  const price = sort.key === product.minPriceMinor ? sql`${product.minPriceMinor}` : sql`+${product.minPriceMinor}`;
  if (conditions.priceMin !== undefined) where.push(sql`${price} >= ${placeholder("priceMin")}`);
  if (conditions.priceMax !== undefined) where.push(sql`${price} <= ${placeholder("priceMax")}`);
  if (conditions.inStock) where.push(eq(product.inStock, true));
  conditions.attributes.forEach((attribute, i) => {
    const key = placeholder(`attributeKey${i}`);
    where.push(
      attribute.kind === "equals"
        ? sql`${product.id} IN (SELECT product_id FROM product_attribute WHERE key = ${key} AND value_text = ${placeholder(`attributeValue${i}`)})`
        : sql`${product.id} IN (SELECT product_id FROM product_attribute WHERE key = ${key} AND value_number BETWEEN ${placeholder(`attributeMin${i}`)} AND ${placeholder(`attributeMax${i}`)})`,
    );
  });
  if (conditions.after !== undefined) {
    const position = sql`(${sort.key}, ${product.id})`;
    const after = sql`(${placeholder("afterKey")}, ${placeholder("afterId")})`;
    where.push(sort.descending ? sql`${position} < ${after}` : sql`${position} > ${after}`);
  }
  const order = sort.descending ? [desc(sort.key), desc(product.id)] : [asc(sort.key), asc(product.id)];

  return read
    .select({ id: product.id, sortKey: sql<number>`${sort.key}`, summary: sql<string>`${product.listSummary}` })
    .from(product)
    .where(and(...where))
    .orderBy(...order)
    .limit(placeholder("take"));
}

// ---- one product ----

export interface DetailRow {
  id: string;
  slug: string;
  title: string;
  description: string;
  sellerId: string;
  sellerName: string | null;
  currency: string;
  minPriceMinor: number | null;
  maxPriceMinor: number | null;
  inStock: boolean;
  ratingAverageX100: number | null;
  ratingCount: number;
  publishedAt: number | null;
  updatedAt: number;
  brandSlug: string | null;
  brandName: string | null;
  categorySlug: string;
  categoryName: string;
  /** JSON arrays, built by the database in the same statement */
  breadcrumbs: string;
  variants: string;
  images: string;
  attributes: string;
}

/** The ancestors of the product's category and itself (the categories' `parent_id` chain), as a CTE. */
const CATEGORY_CHAIN = sql`WITH RECURSIVE chain(id, parent_id, slug, name, depth) AS (
  SELECT c.id, c.parent_id, c.slug, c.name, c.depth FROM category c WHERE c.id = ${product.categoryId}
  UNION ALL
  SELECT c.id, c.parent_id, c.slug, c.name, c.depth FROM category c JOIN chain ON c.id = chain.parent_id)`;

/**
 * An active product with everything its page shows, in one prepared read: variants with a stock status
 * (summed over locations, never the counts), gallery, attributes labelled by the category tree that
 * defines them, breadcrumbs. By id when it looks like one, else by slug.
 */
export async function findPublicProduct(database: Database, idOrSlug: string, by: "id" | "slug"): Promise<DetailRow | undefined> {
  const query = database.preparedRead(`browse.detailBy:${by}`, (read) => detailStatement(read, by).prepare());
  const [row] = await query.execute({ key: idOrSlug });
  return row;
}

/** The product page's statement, not yet prepared (tests read its query plan). */
export function detailStatement(read: ReadDb, by: "id" | "slug") {
  return read
    .select({
      id: product.id,
      slug: product.slug,
      title: product.title,
      description: product.description,
      sellerId: product.sellerId,
      sellerName: sellerNameOf(product.sellerId),
      currency: product.currency,
      minPriceMinor: product.minPriceMinor,
      maxPriceMinor: product.maxPriceMinor,
      inStock: product.inStock,
      ratingAverageX100: product.ratingAverageX100,
      ratingCount: product.ratingCount,
      publishedAt: product.publishedAt,
      updatedAt: product.updatedAt,
      brandSlug: brand.slug,
      brandName: brand.name,
      categorySlug: category.slug,
      categoryName: category.name,
      breadcrumbs: sql<string>`(${CATEGORY_CHAIN}
        SELECT json_group_array(json_object('slug', slug, 'name', name) ORDER BY depth) FROM chain)`,
      variants: sql<string>`(SELECT json_group_array(json_object(
          'id', v.id, 'sku', v.sku, 'options', json(v.options), 'price', v.price_minor, 'compareAt', v.compare_at_minor,
          'stock', (SELECT CASE
              WHEN coalesce(sum(s.on_hand - s.reserved), 0) <= 0 THEN 'out'
              WHEN sum(s.on_hand - s.reserved) <= sum(s.low_stock_threshold) THEN 'low'
              ELSE 'in_stock' END
            FROM stock_level s WHERE s.variant_id = v.id)
        ) ORDER BY v.position, v.id)
        FROM variant v WHERE v.product_id = ${product.id})`,
      images: sql<string>`(SELECT json_group_array(json_object(
          'id', i.id, 'alt', i.alt, 'width', i.width, 'height', i.height, 'variantId', i.variant_id
        ) ORDER BY i.variant_id IS NOT NULL, i.position, i.id)
        FROM product_image i WHERE i.product_id = ${product.id})`,
      // inherited definitions first (root down), then by the category's order, as the category lists them
      attributes: sql<string>`(${CATEGORY_CHAIN}
        SELECT json_group_array(json_object(
          'key', a.key, 'label', d.label, 'unit', d.unit, 'type', d.type, 'text', a.value_text, 'number', a.value_number
        ) ORDER BY coalesce(d.depth, 1000), coalesce(d.sort_order, 0), a.key)
        FROM product_attribute a
        LEFT JOIN (SELECT ca.key, ca.label, ca.unit, ca.type, ca.sort_order, chain.depth FROM category_attribute ca JOIN chain ON chain.id = ca.category_id) d
          ON d.key = a.key
        WHERE a.product_id = ${product.id})`,
    })
    .from(product)
    .innerJoin(category, eq(category.id, product.categoryId))
    .leftJoin(brand, eq(brand.id, product.brandId))
    .where(and(by === "id" ? eq(product.id, placeholder("key")) : eq(product.slug, placeholder("key")), eq(product.status, "active")))
    .limit(1);
}

// ---- stored pages (product_page) ----

/** A serialised page: its exact body and strong ETag (http-cache's CacheableBody). */
export interface StoredPage {
  json: string;
  etag: string;
}

/** The stored page of an active product, by id or slug; none when it was never built or a change deleted it. */
export async function findStoredPage(database: Database, idOrSlug: string, by: "id" | "slug"): Promise<StoredPage | undefined> {
  const query = database.preparedRead(`browse.storedPageBy:${by}`, (read) =>
    by === "id"
      ? read
          .select({ json: productPage.document, etag: productPage.etag })
          .from(productPage)
          .where(eq(productPage.productId, placeholder("key")))
          .prepare()
      : read
          .select({ json: productPage.document, etag: productPage.etag })
          .from(product)
          .innerJoin(productPage, eq(productPage.productId, product.id))
          .where(eq(product.slug, placeholder("key")))
          .prepare(),
  );
  const [row] = await query.execute({ key: idOrSlug });
  return row;
}

/** Read before building a page: storing it is allowed only while the epoch still has this value. */
export async function catalogEpoch(database: Database): Promise<number> {
  const query = database.preparedRead("browse.catalogEpoch", (read) => read.select({ value: schema.catalogEpoch.value }).from(schema.catalogEpoch).prepare());
  const [row] = await query.execute();
  return row?.value ?? 0;
}

/**
 * Stores a page built from reads made after the epoch was `epochReadBefore`, unless a change to the catalog
 * has committed since (its trigger advanced the epoch): then the page may already be stale and is dropped.
 * Says whether it was stored.
 */
export async function storePage(database: Database, productId: string, page: StoredPage, epochReadBefore: number, now: number): Promise<boolean> {
  const result = await database.write((db) =>
    db.run(sql`INSERT OR REPLACE INTO ${productPage} (product_id, document, etag, built_at)
      SELECT ${productId}, ${page.json}, ${page.etag}, ${now}
      WHERE (SELECT value FROM ${schema.catalogEpoch}) = ${epochReadBefore}`),
  );
  return result.rowsAffected > 0;
}
