// Owned by the catalog service (core/catalog): categories, brands, products, variants, images,
// and by its inventory part: stock locations, levels, reservations, adjustments.
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A node of the category tree. `path` is the materialised chain of slugs ("/electronics/phones/")
 * so "this category and its descendants" is one indexed prefix match; moving a subtree rewrites
 * the paths under it in one transaction.
 */
export const category = sqliteTable(
  "category",
  {
    id: text("id").primaryKey(),
    parentId: text("parent_id"),
    slug: text("slug").notNull().unique(),
    name: text("name").notNull(),
    path: text("path").notNull(),
    depth: integer("depth").notNull(),
    sortOrder: integer("sort_order").notNull().default(0),
    /**
     * platform commission in basis points on sales in this category and the subcategories without a rate of their
     * own (null: the parent's, up to the platform default); payments reads it at sale time and freezes it there
     */
    commissionBps: integer("commission_bps"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("category_parent_idx").on(t.parentId, t.sortOrder), index("category_path_idx").on(t.path)],
);

/** What products in a category may say about themselves, and how search and variants use it. */
export const categoryAttribute = sqliteTable(
  "category_attribute",
  {
    id: text("id").primaryKey(),
    categoryId: text("category_id")
      .notNull()
      .references(() => category.id),
    /** machine name, unique within the category ("screen_size") */
    key: text("key").notNull(),
    label: text("label").notNull(),
    /** text | number | enum | boolean */
    type: text("type").notNull(),
    unit: text("unit"),
    /** the allowed values of an enum */
    options: text("options", { mode: "json" }).$type<string[]>(),
    filterable: integer("filterable", { mode: "boolean" }).notNull().default(false),
    searchable: integer("searchable", { mode: "boolean" }).notNull().default(false),
    variantDefining: integer("variant_defining", { mode: "boolean" }).notNull().default(false),
    sortOrder: integer("sort_order").notNull().default(0),
  },
  (t) => [uniqueIndex("category_attribute_key_idx").on(t.categoryId, t.key)],
);

export const brand = sqliteTable("brand", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** A seller's product. Price range, stock flag, "was" price, thumbnail and the whole list entry are denormalised for the list queries. */
export const product = sqliteTable(
  "product",
  {
    id: text("id").primaryKey(),
    sellerId: text("seller_id").notNull(),
    slug: text("slug").notNull().unique(),
    title: text("title").notNull(),
    /** Markdown as the seller wrote it; sanitised when rendered */
    description: text("description").notNull().default(""),
    brandId: text("brand_id").references(() => brand.id),
    categoryId: text("category_id")
      .notNull()
      .references(() => category.id),
    /** draft | active | archived | suspended */
    status: text("status").notNull().default("draft"),
    /** optimistic concurrency: every update must name the version it read */
    version: integer("version").notNull().default(1),
    currency: text("currency").notNull(),
    minPriceMinor: integer("min_price_minor"),
    maxPriceMinor: integer("max_price_minor"),
    inStock: integer("in_stock", { mode: "boolean" }).notNull().default(false),
    /** the list's "was" price: the highest compare-at of the variants at min_price_minor, when above it (kept by triggers, migration 0005) */
    listCompareAtMinor: integer("list_compare_at_minor"),
    /** the list's thumbnail: the gallery's first image, the product's own before any variant's (kept by triggers, migration 0005) */
    listThumbnailImageId: text("list_thumbnail_image_id"),
    /** the product as the public list shows it: a PublicProductSummary's JSON (kept by triggers from the view product_list_summary, migration 0005) */
    listSummary: text("list_summary"),
    /** sales-and-views score the "popular" sort uses (analytics keeps it current) */
    popularity: integer("popularity").notNull().default(0),
    /** average rating × 100 (4.37 → 437): integers, like money */
    ratingAverageX100: integer("rating_average_x100"),
    ratingCount: integer("rating_count").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    publishedAt: integer("published_at"),
  },
  (t) => [
    index("product_seller_idx").on(t.sellerId, t.createdAt),
    index("product_category_idx").on(t.categoryId, t.status),
    // The public list's keysets, (status, sort key, id), each followed by every column a list filter reads: the
    // filters are then checked in the index itself, without a table lookup per skipped row.
    index("product_list_newest_idx").on(t.status, t.publishedAt, t.id, t.categoryId, t.minPriceMinor, t.brandId, t.inStock, t.sellerId),
    index("product_list_price_idx").on(t.status, t.minPriceMinor, t.id, t.categoryId, t.publishedAt, t.brandId, t.inStock, t.sellerId),
    index("product_list_popular_idx").on(t.status, t.popularity, t.id, t.categoryId, t.minPriceMinor, t.publishedAt, t.brandId, t.inStock, t.sellerId),
    index("product_brand_idx").on(t.brandId, t.status),
  ],
);

/** One attribute value of a product, one row each, so filters by attribute are indexed lookups. */
export const productAttribute = sqliteTable(
  "product_attribute",
  {
    productId: text("product_id")
      .notNull()
      .references(() => product.id),
    key: text("key").notNull(),
    /** text, enum and boolean values ("true"/"false") */
    valueText: text("value_text"),
    /** number values, in the attribute's unit */
    valueNumber: integer("value_number"),
  },
  (t) => [
    primaryKey({ columns: [t.productId, t.key] }),
    index("product_attribute_text_idx").on(t.key, t.valueText),
    index("product_attribute_number_idx").on(t.key, t.valueNumber),
  ],
);

/** A buyable version of a product (a colour and size). Money in minor units with the product's currency. */
export const variant = sqliteTable(
  "variant",
  {
    id: text("id").primaryKey(),
    productId: text("product_id")
      .notNull()
      .references(() => product.id),
    sellerId: text("seller_id").notNull(),
    sku: text("sku").notNull(),
    /** option values by variant-defining attribute key ({ colour: "red", size: "M" }) */
    options: text("options", { mode: "json" }).$type<Record<string, string>>().notNull(),
    priceMinor: integer("price_minor").notNull(),
    compareAtMinor: integer("compare_at_minor"),
    currency: text("currency").notNull(),
    weightGrams: integer("weight_grams"),
    lengthMm: integer("length_mm"),
    widthMm: integer("width_mm"),
    heightMm: integer("height_mm"),
    barcode: text("barcode"),
    position: integer("position").notNull().default(0),
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("variant_seller_sku_idx").on(t.sellerId, t.sku),
    index("variant_product_idx").on(t.productId, t.position),
    check("variant_price_nonnegative", sql`${t.priceMinor} >= 0`),
  ],
);

/** An image in a product's (or one variant's) gallery; derived sizes are stored beside the original. */
export const productImage = sqliteTable(
  "product_image",
  {
    id: text("id").primaryKey(),
    productId: text("product_id")
      .notNull()
      .references(() => product.id),
    variantId: text("variant_id").references(() => variant.id),
    /** file-store key of the original; derived sizes are `<key>.<size>` */
    key: text("key").notNull(),
    contentType: text("content_type").notNull(),
    width: integer("width").notNull(),
    height: integer("height").notNull(),
    alt: text("alt").notNull().default(""),
    position: integer("position").notNull().default(0),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("product_image_product_idx").on(t.productId, t.variantId, t.position)],
);

/** Where a seller keeps stock (a warehouse, a shop). */
export const stockLocation = sqliteTable(
  "stock_location",
  {
    id: text("id").primaryKey(),
    sellerId: text("seller_id").notNull(),
    name: text("name").notNull(),
    country: text("country").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("stock_location_seller_idx").on(t.sellerId)],
);

/**
 * Stock of one variant at one location. The CHECKs make the database itself refuse an oversell
 * whatever the code forgot: available (on_hand - reserved) can never go below zero.
 */
export const stockLevel = sqliteTable(
  "stock_level",
  {
    variantId: text("variant_id")
      .notNull()
      .references(() => variant.id),
    locationId: text("location_id")
      .notNull()
      .references(() => stockLocation.id),
    onHand: integer("on_hand").notNull().default(0),
    reserved: integer("reserved").notNull().default(0),
    lowStockThreshold: integer("low_stock_threshold").notNull().default(0),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.variantId, t.locationId] }),
    check("stock_level_on_hand_nonnegative", sql`${t.onHand} >= 0`),
    check("stock_level_reserved_range", sql`${t.reserved} >= 0 AND ${t.reserved} <= ${t.onHand}`),
  ],
);

/** Stock held for a checkout until it is committed (turned into a deduction), released, or expires. */
export const stockReservation = sqliteTable(
  "stock_reservation",
  {
    id: text("id").primaryKey(),
    variantId: text("variant_id").notNull(),
    locationId: text("location_id").notNull(),
    quantity: integer("quantity").notNull(),
    /** who holds it (a checkout id): releasing or committing names it */
    holder: text("holder").notNull(),
    /** held | committed | released | expired */
    status: text("status").notNull(),
    expiresAt: integer("expires_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("stock_reservation_expiry_idx").on(t.expiresAt).where(sql`status = 'held'`),
    index("stock_reservation_holder_idx").on(t.holder),
    check("stock_reservation_quantity_positive", sql`${t.quantity} > 0`),
  ],
);

/** Every change of on-hand stock, with why and by whom: the audit trail of inventory. */
export const stockAdjustment = sqliteTable(
  "stock_adjustment",
  {
    id: text("id").primaryKey(),
    variantId: text("variant_id").notNull(),
    locationId: text("location_id").notNull(),
    delta: integer("delta").notNull(),
    onHandAfter: integer("on_hand_after").notNull(),
    /** received | sold | returned | damaged | correction | import */
    reason: text("reason").notNull(),
    note: text("note"),
    actorId: text("actor_id").notNull(),
    occurredAt: integer("occurred_at").notNull(),
  },
  (t) => [index("stock_adjustment_variant_idx").on(t.variantId, t.occurredAt)],
);

/** A bulk upload (CSV or JSON) running in the background; its per-row report is a file. */
export const catalogImport = sqliteTable(
  "catalog_import",
  {
    id: text("id").primaryKey(),
    sellerId: text("seller_id").notNull(),
    format: text("format").notNull(),
    /** the uploaded file in the file store */
    sourceKey: text("source_key").notNull(),
    /** queued | running | succeeded | failed */
    status: text("status").notNull(),
    rowsTotal: integer("rows_total").notNull().default(0),
    rowsDone: integer("rows_done").notNull().default(0),
    rowsFailed: integer("rows_failed").notNull().default(0),
    reportKey: text("report_key"),
    error: text("error"),
    /** a worker holds the job until then; a crashed worker's lease runs out and another resumes */
    leaseUntil: integer("lease_until"),
    /** how many times a worker has taken the job: one that keeps failing is given up on, not retried forever */
    attempts: integer("attempts").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("catalog_import_seller_idx").on(t.sellerId, t.createdAt), index("catalog_import_status_idx").on(t.status)],
);

/**
 * The public product page, as served: the JSON body of `GET /v1/products/{idOrSlug}` for an active product,
 * built on its first view. The database keeps it true: triggers (migration 0005) delete a product's page in
 * the same transaction as any change to what the page shows (product, variants, images, attributes, stock
 * status, category chain, brand, seller name) and advance `catalog_epoch`. No foreign key on purpose:
 * a product's delete trigger removes its page.
 */
export const productPage = sqliteTable("product_page", {
  productId: text("product_id").primaryKey(),
  document: text("document").notNull(),
  etag: text("etag").notNull(),
  builtAt: integer("built_at").notNull(),
});

/**
 * One row, advanced (in the same transaction) by every change to what the public catalog reads show: each trigger
 * that deletes pages, and a product added, its popularity changed, a brand or category deleted (lists). Two
 * uses: a page is stored only if the epoch read before building it has not moved (a change committed meanwhile,
 * whose trigger found no page yet to delete, cannot leave a stale page behind); and a process keeps responses in
 * memory while it stays put.
 */
export const catalogEpoch = sqliteTable(
  "catalog_epoch",
  {
    id: integer("id").primaryKey(),
    value: integer("value").notNull(),
  },
  (t) => [check("catalog_epoch_single_row", sql`${t.id} = 1`)],
);
