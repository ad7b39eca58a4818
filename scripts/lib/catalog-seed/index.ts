import { type Database, type Db, type Statement, type Statements, schema } from "@bazaar/db";
import { getTableColumns, inArray } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { DEMO_SELLER_PASSWORD } from "./data/sellers.ts";
import { generateProduct, productIdAt, type SeededProduct } from "./products.ts";
import { planSkeleton, type Skeleton } from "./skeleton.ts";

export { DEMO_SELLER_PASSWORD, sellerEmail } from "./data/sellers.ts";
export { SEED_EPOCH } from "./skeleton.ts";

export const DEFAULT_PRODUCT_COUNT = 5_000;
/** Products written per atomic batch: a product never exists without its variants, attributes and stock. */
const PRODUCTS_PER_BATCH = 1_000;
/** Bound parameters per INSERT, under SQLite's 32,766 limit. */
const MAX_PARAMETERS = 30_000;

export interface SeedCatalogOptions {
  /** how many products the demo catalogue has (default 5,000); product n is the same whatever the count */
  products?: number;
  /** delete every catalog row first (the seller accounts stay) */
  reset?: boolean;
  /** do nothing when an earlier run has written the demo categories, even if it stopped part-way (`bun run dev`: first run only) */
  firstRunOnly?: boolean;
  /** how the demo sellers' password is hashed: called at most once, and only when a seller account is missing */
  hashPassword?: (password: string) => Promise<string>;
}

export interface SeedCatalogReport {
  reset: boolean;
  /** rows this run wrote, by table */
  created: {
    categories: number;
    attributes: number;
    brands: number;
    sellers: number;
    locations: number;
    products: number;
    variants: number;
    stockLevels: number;
  };
  /** products of the demo catalogue that an earlier run had already written */
  alreadyPresent: number;
  batches: number;
  statements: number;
}

const hashWithArgon2 = (password: string) => Bun.password.hash(password, { algorithm: "argon2id" });

/**
 * Writes the deterministic demo catalogue straight into the tables, in large atomic batches
 * through the write lane. Running it again adds only what is missing (a crashed run resumes; a
 * larger `products` extends the catalogue); rows it did not write are never touched unless `reset`.
 */
export async function seedCatalog(database: Database, options: SeedCatalogOptions = {}): Promise<SeedCatalogReport> {
  const count = options.products ?? DEFAULT_PRODUCT_COUNT;
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`the product count must be a whole number, got ${count}`);
  const report: SeedCatalogReport = {
    reset: options.reset ?? false,
    created: { categories: 0, attributes: 0, brands: 0, sellers: 0, locations: 0, products: 0, variants: 0, stockLevels: 0 },
    alreadyPresent: 0,
    batches: 0,
    statements: 0,
  };
  const write = async (statements: Statement[]) => {
    const [first, ...rest] = statements;
    if (!first) return;
    await database.batch([first, ...rest] as Statements);
    report.batches++;
    report.statements += statements.length;
  };

  if (options.reset) await write(resetStatements(database.db));
  const skeleton = planSkeleton();
  if (options.firstRunOnly && !options.reset) {
    const [anyCategory] = await database.db
      .select({ id: schema.category.id })
      .from(schema.category)
      .where(inArray(schema.category.id, idsOf(skeleton.categories)))
      .limit(1);
    if (anyCategory) return report;
  }
  await writeSkeleton(database, skeleton, options.hashPassword ?? hashWithArgon2, write, report);

  for (let start = 0; start < count; start += PRODUCTS_PER_BATCH) {
    const indexes = Array.from({ length: Math.min(PRODUCTS_PER_BATCH, count - start) }, (_, i) => start + i);
    const ids = indexes.map(productIdAt);
    const present = new Set(
      (await database.db.select({ id: schema.product.id }).from(schema.product).where(inArray(schema.product.id, ids))).map((row) => row.id),
    );
    report.alreadyPresent += present.size;
    const products = indexes.filter((_, i) => !present.has(ids[i] as string)).map((index) => generateProduct(skeleton, index));
    if (products.length === 0) continue;
    const variants = products.flatMap((p) => p.variants);
    const stockLevels = products.flatMap((p) => p.stockLevels);
    await write([
      ...inserts(database.db, schema.product, products.map(productRow)),
      ...inserts(database.db, schema.productAttribute, products.flatMap(attributeRows)),
      ...inserts(database.db, schema.variant, variants),
      ...inserts(database.db, schema.stockLevel, stockLevels),
    ]);
    report.created.products += products.length;
    report.created.variants += variants.length;
    report.created.stockLevels += stockLevels.length;
  }
  return report;
}

/**
 * Categories, attributes, brands, seller accounts and their locations: whichever of them an
 * earlier run has not written, in one batch. Refuses, before writing anything, a database whose
 * catalog or accounts this seed did not make (its slugs or emails under other ids): the products
 * would not fit them.
 */
async function writeSkeleton(
  database: Database,
  skeleton: Skeleton,
  hashPassword: (password: string) => Promise<string>,
  write: (statements: Statement[]) => Promise<void>,
  report: SeedCatalogReport,
): Promise<void> {
  const db = database.db;
  const categories = await db
    .select({ id: schema.category.id, key: schema.category.slug })
    .from(schema.category)
    .where(inArray(schema.category.slug, slugsOf(skeleton.categories)));
  const brands = await db
    .select({ id: schema.brand.id, key: schema.brand.slug })
    .from(schema.brand)
    .where(inArray(schema.brand.slug, slugsOf(skeleton.brands)));
  const users = await db
    .select({ id: schema.user.id, key: schema.user.email })
    .from(schema.user)
    .where(inArray(schema.user.email, emailsOf(skeleton.users)));
  const ours = new Map<string, string>([
    ...skeleton.categories.map((c): [string, string] => [c.slug, c.id]),
    ...skeleton.brands.map((b): [string, string] => [b.slug, b.id]),
    ...skeleton.users.map((u): [string, string] => [u.email, u.id]),
  ]);
  const taken = [...categories, ...brands, ...users].filter((row) => ours.get(row.key) !== row.id).map((row) => row.key);
  if (taken.length > 0) {
    throw new Error(
      `the database already has ${taken.slice(0, 5).join(", ")}${taken.length > 5 ? ` and ${taken.length - 5} more` : ""} made by something other than this seed: seed a fresh database (or --reset, which deletes every catalog row first)`,
    );
  }
  const attributes = await db
    .select({ id: schema.categoryAttribute.id })
    .from(schema.categoryAttribute)
    .where(inArray(schema.categoryAttribute.id, idsOf(skeleton.attributes)));
  const locations = await db
    .select({ id: schema.stockLocation.id })
    .from(schema.stockLocation)
    .where(inArray(schema.stockLocation.id, idsOf(skeleton.locations)));

  const present = new Set([...categories, ...brands, ...users, ...attributes, ...locations].map((row) => row.id));
  const missing = <T extends { id: string }>(rows: readonly T[]) => rows.filter((row) => !present.has(row.id));
  const newCategories = missing(skeleton.categories);
  const newAttributes = missing(skeleton.attributes);
  const newBrands = missing(skeleton.brands);
  const newUsers = missing(skeleton.users);
  const newLocations = missing(skeleton.locations);
  if (newCategories.length + newAttributes.length + newBrands.length + newUsers.length + newLocations.length === 0) return;

  const passwordHash = newUsers.length > 0 ? await hashPassword(DEMO_SELLER_PASSWORD) : "";
  await write([
    ...inserts(db, schema.user, withPassword(newUsers, passwordHash)),
    ...inserts(db, schema.category, newCategories),
    ...inserts(db, schema.categoryAttribute, newAttributes),
    ...inserts(db, schema.brand, newBrands),
    ...inserts(db, schema.stockLocation, newLocations),
  ]);
  report.created.sellers = newUsers.length;
  report.created.categories = newCategories.length;
  report.created.attributes = newAttributes.length;
  report.created.brands = newBrands.length;
  report.created.locations = newLocations.length;
}

const withPassword = <T>(users: readonly T[], passwordHash: string) => users.map((user) => ({ ...user, passwordHash }));
const idsOf = (rows: readonly { id: string }[]) => rows.map((row) => row.id);
const slugsOf = (rows: readonly { slug: string }[]) => rows.map((row) => row.slug);
const emailsOf = (rows: readonly { email: string }[]) => rows.map((row) => row.email);
const productRow = (p: SeededProduct) => p.product;
const attributeRows = (p: SeededProduct) => p.attributes;

/** Multi-row INSERTs of `rows`, as many per statement as SQLite's parameter limit allows. */
function inserts<T extends SQLiteTable>(db: Db, table: T, rows: readonly T["$inferInsert"][]): Statement[] {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMETERS / Object.keys(getTableColumns(table)).length));
  const statements: Statement[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    statements.push(db.insert(table).values(rows.slice(start, start + perStatement) as T["$inferInsert"][]) as unknown as Statement);
  }
  return statements;
}

/** Every catalog row, children before parents; the seller accounts stay. */
function resetStatements(db: Db): Statement[] {
  return [
    schema.stockReservation,
    schema.stockAdjustment,
    schema.stockLevel,
    schema.productImage,
    schema.productAttribute,
    schema.variant,
    schema.product,
    schema.catalogImport,
    schema.stockLocation,
    schema.categoryAttribute,
    schema.brand,
    schema.category,
  ].map((table) => db.delete(table) as unknown as Statement);
}
