import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { idPattern } from "@bazaar/contracts";
import type { Database } from "@bazaar/db";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { describeCatalogSeed, parseSeedArgs } from "./catalog-seed/cli.ts";
import { DEMO_SELLER_PASSWORD, type SeedCatalogOptions, seedCatalog } from "./catalog-seed/index.ts";
import { seedDemoCatalog } from "./database-tasks.ts";

const PRODUCTS = 200;
const CATALOG_TABLES = {
  category: "id",
  category_attribute: "id",
  brand: "id",
  stock_location: "id",
  product: "id",
  product_attribute: "product_id, key",
  variant: "id",
  stock_level: "variant_id, location_id",
} as const;

type Row = Record<string, unknown>;
const rows = async (database: Database, sql: string): Promise<Row[]> => (await database.client.execute(sql)).rows as unknown as Row[];
const count = async (database: Database, table: string): Promise<number> =>
  Number((await database.client.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);

/** Every catalog row and the seller accounts, in key order: equal strings mean equal databases. */
async function snapshot(database: Database): Promise<Record<string, string>> {
  const tables: Record<string, string> = {};
  for (const [table, key] of Object.entries(CATALOG_TABLES)) {
    tables[table] = new Bun.CryptoHasher("sha256").update(JSON.stringify(await rows(database, `SELECT * FROM ${table} ORDER BY ${key}`))).digest("hex");
  }
  tables.user = new Bun.CryptoHasher("sha256").update(JSON.stringify(await rows(database, "SELECT * FROM user ORDER BY id"))).digest("hex");
  return tables;
}

/** The real database, with every write the seed makes counted on the way through. */
function counted(database: Database) {
  const counts = { batches: 0, statements: 0, otherWrites: 0 };
  const wrapped: Database = {
    ...database,
    batch: (statements) => {
      counts.batches++;
      counts.statements += statements.length;
      return database.batch(statements);
    },
    write: (fn) => {
      counts.otherWrites++;
      return database.write(fn);
    },
    transaction: (fn) => {
      counts.otherWrites++;
      return database.transaction(fn);
    },
  };
  return { database: wrapped, counts };
}

let sellerHash = "";
let hashCalls = 0;
const options = (extra: SeedCatalogOptions = {}): SeedCatalogOptions => ({
  products: PRODUCTS,
  hashPassword: async () => {
    hashCalls++;
    return sellerHash;
  },
  ...extra,
});

let first: TestDatabase;
let second: TestDatabase;
let firstWrites: ReturnType<typeof counted>["counts"];
let firstReport: Awaited<ReturnType<typeof seedCatalog>>;

beforeAll(async () => {
  // hashed once here so both databases get the same row (the seed's own default hashes with a fresh salt)
  sellerHash = await Bun.password.hash(DEMO_SELLER_PASSWORD, { algorithm: "argon2id", memoryCost: 4096, timeCost: 2 });
  [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const instrumented = counted(first);
  firstReport = await seedCatalog(instrumented.database, options());
  firstWrites = instrumented.counts;
});
afterAll(async () => {
  await Promise.all([first.destroy(), second.destroy()]);
});

test("two runs into two databases write identical rows, ids and timestamps included", async () => {
  await seedCatalog(second, options());
  const [a, b] = [await snapshot(first), await snapshot(second)];
  expect(a).toEqual(b);
  expect(await count(first, "product")).toBe(PRODUCTS);
});

test("the whole catalogue goes in a few large batches through the write lane, and the password is hashed once", () => {
  // one batch for categories, brands, sellers and locations, one per 1,000 products
  expect(firstWrites.batches).toBe(2);
  expect(firstWrites.otherWrites).toBe(0);
  expect(firstWrites.statements).toBeLessThan(15);
  expect(firstWrites.statements / PRODUCTS).toBeLessThan(0.1);
  expect(firstReport.created).toMatchObject({ products: PRODUCTS, sellers: 50, brands: 20 });
  expect(hashCalls).toBe(2); // once for each of the two databases, not once per seller
  expect(describeCatalogSeed(firstReport, 1.23)).toContain(`added ${PRODUCTS} products`);
});

describe("the catalogue keeps every invariant the catalog services rely on", () => {
  test("categories: at least 50 in three levels, paths and depths follow the parents, products only in leaves", async () => {
    const categories = await rows(first, "SELECT id, parent_id, slug, path, depth FROM category");
    expect(categories.length).toBeGreaterThanOrEqual(50);
    const byId = new Map(categories.map((c) => [c.id, c]));
    for (const category of categories) {
      expect(String(category.id)).toMatch(new RegExp(idPattern("category")));
      expect(String(category.slug)).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      const parent = category.parent_id === null ? undefined : byId.get(category.parent_id);
      if (category.parent_id !== null) expect(parent).toBeDefined();
      expect(category.path).toBe(`${parent?.path ?? "/"}${category.slug}/`);
      expect(category.depth).toBe(Number(parent?.depth ?? 0) + 1);
    }
    expect(new Set(categories.map((c) => c.depth))).toEqual(new Set([1, 2, 3]));
    const inNonLeaf = await rows(
      first,
      "SELECT p.id FROM product p JOIN category c ON c.id = p.category_id WHERE EXISTS (SELECT 1 FROM category k WHERE k.parent_id = c.id)",
    );
    expect(inNonLeaf).toEqual([]);
  });

  test("attributes: keys never repeat along a path; variant-defining ones are enums with options; numbers have units", async () => {
    const attributes = await rows(
      first,
      "SELECT a.key, a.type, a.unit, a.options, a.variant_defining, c.path FROM category_attribute a JOIN category c ON c.id = a.category_id",
    );
    expect(attributes.some((a) => a.key === "colour" && a.variant_defining === 1 && String(a.path).startsWith("/fashion/"))).toBe(true);
    expect(attributes.some((a) => a.key === "size" && a.variant_defining === 1 && String(a.path).startsWith("/fashion/"))).toBe(true);
    expect(attributes.some((a) => a.key === "screen_size" && a.type === "number" && a.unit === "in" && String(a.path).startsWith("/electronics/"))).toBe(true);
    for (const attribute of attributes) {
      if (attribute.variant_defining === 1) expect(attribute.type).toBe("enum");
      if (attribute.type === "enum") expect(JSON.parse(String(attribute.options)).length).toBeGreaterThan(0);
      else expect(attribute.options).toBeNull();
    }
    const leafPaths = (await rows(first, "SELECT path FROM category c WHERE NOT EXISTS (SELECT 1 FROM category k WHERE k.parent_id = c.id)")).map((c) =>
      String(c.path),
    );
    for (const path of leafPaths) {
      const keys = attributes.filter((a) => path.startsWith(String(a.path))).map((a) => a.key);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  test("20 brands and 50 sellers who can sign in with the documented password", async () => {
    expect(await count(first, "brand")).toBe(20);
    const sellers = await rows(first, "SELECT id, email, roles, password_hash, status, email_verified_at FROM user ORDER BY email");
    expect(sellers.length).toBe(50);
    expect(sellers[0]?.email).toBe("seller-01@bazaar.test");
    expect(sellers[49]?.email).toBe("seller-50@bazaar.test");
    for (const seller of sellers) {
      expect(JSON.parse(String(seller.roles))).toEqual(["buyer", "seller"]);
      expect(seller.status).toBe("active");
      expect(seller.email_verified_at).not.toBeNull();
      expect(seller.password_hash).toBe(sellerHash);
    }
    expect(await Bun.password.verify(DEMO_SELLER_PASSWORD, String(sellers[0]?.password_hash))).toBe(true);
    const locationsPerSeller = await rows(first, "SELECT u.id, count(l.id) AS n FROM user u LEFT JOIN stock_location l ON l.seller_id = u.id GROUP BY u.id");
    for (const seller of locationsPerSeller) expect([1, 2]).toContain(Number(seller.n));
  });

  test("products: price range, currency and in_stock agree with their variants and stock", async () => {
    const products = await rows(
      first,
      `SELECT p.id, p.min_price_minor, p.max_price_minor, p.in_stock, p.currency,
              (SELECT min(price_minor) FROM variant v WHERE v.product_id = p.id) AS min_variant,
              (SELECT max(price_minor) FROM variant v WHERE v.product_id = p.id) AS max_variant,
              (SELECT count(*) FROM variant v WHERE v.product_id = p.id) AS variants,
              (SELECT count(*) FROM variant v WHERE v.product_id = p.id AND v.currency <> p.currency) AS other_currency,
              (SELECT count(*) FROM variant v WHERE v.product_id = p.id AND v.seller_id <> p.seller_id) AS other_seller,
              EXISTS (SELECT 1 FROM stock_level s JOIN variant v ON v.id = s.variant_id WHERE v.product_id = p.id AND s.on_hand > s.reserved) AS available
       FROM product p`,
    );
    expect(products.length).toBe(PRODUCTS);
    for (const product of products) {
      expect(product.min_price_minor).toBe(product.min_variant);
      expect(product.max_price_minor).toBe(product.max_variant);
      expect(product.in_stock).toBe(product.available);
      expect(Number(product.variants)).toBeGreaterThanOrEqual(1);
      expect(Number(product.variants)).toBeLessThanOrEqual(4);
      expect(product.other_currency).toBe(0);
      expect(product.other_seller).toBe(0);
    }
    // the list shows both sides of every flag
    expect(products.some((p) => p.in_stock === 1) && products.some((p) => p.in_stock === 0)).toBe(true);
    expect(products.some((p) => Number(p.variants) > 1)).toBe(true);
    expect(new Set(products.map((p) => p.currency)).size).toBeGreaterThan(3);
  });

  test("products: mostly active and published, some drafts and archived; unique slugs; titles of one line, a few in other scripts", async () => {
    const products = await rows(first, "SELECT id, slug, title, status, published_at, popularity, rating_average_x100, rating_count FROM product");
    const byStatus = (status: string) => products.filter((p) => p.status === status);
    expect(byStatus("active").length).toBeGreaterThan(PRODUCTS * 0.8);
    expect(byStatus("draft").length).toBeGreaterThan(0);
    expect(byStatus("archived").length).toBeGreaterThan(0);
    expect(byStatus("active").length + byStatus("draft").length + byStatus("archived").length).toBe(PRODUCTS);
    for (const product of products) {
      expect(String(product.id)).toMatch(new RegExp(idPattern("product")));
      expect(String(product.slug)).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(String(product.slug).length).toBeLessThanOrEqual(80);
      const title = String(product.title);
      expect(title.trim()).not.toBe("");
      expect([...title].filter((char) => (char.codePointAt(0) ?? 0) < 0x20 || char === "\u007F")).toEqual([]);
      expect(product.published_at === null).toBe(product.status === "draft");
      if (product.rating_count === 0) expect(product.rating_average_x100).toBeNull();
      else expect(Number(product.rating_average_x100)).toBeWithin(100, 501);
    }
    expect(new Set(products.map((p) => p.slug)).size).toBe(PRODUCTS);
    expect(products.some((p) => /[^\u0020-\u007E]/.test(String(p.title)))).toBe(true);
    expect(products.some((p) => Number(p.popularity) > 1000)).toBe(true);
  });

  test("variants and attributes fit their category: options name every variant-defining key, values are allowed", async () => {
    const attributes = await rows(
      first,
      "SELECT a.key, a.type, a.options, a.variant_defining, c.path FROM category_attribute a JOIN category c ON c.id = a.category_id",
    );
    const effective = (path: string) => attributes.filter((a) => path.startsWith(String(a.path)));
    const variants = await rows(first, "SELECT v.options, c.path FROM variant v JOIN product p ON p.id = v.product_id JOIN category c ON c.id = p.category_id");
    for (const variant of variants) {
      const defining = effective(String(variant.path)).filter((a) => a.variant_defining === 1);
      const options = JSON.parse(String(variant.options)) as Record<string, string>;
      expect(Object.keys(options).sort()).toEqual(defining.map((a) => String(a.key)).sort());
      for (const attribute of defining) expect(JSON.parse(String(attribute.options))).toContain(options[String(attribute.key)]);
    }
    const distinctOptions = await rows(first, "SELECT product_id, count(*) AS n, count(DISTINCT options) AS distinct_options FROM variant GROUP BY product_id");
    for (const product of distinctOptions) expect(product.distinct_options).toBe(product.n);

    const values = await rows(
      first,
      "SELECT pa.key, pa.value_text, pa.value_number, c.path FROM product_attribute pa JOIN product p ON p.id = pa.product_id JOIN category c ON c.id = p.category_id",
    );
    expect(values.length).toBeGreaterThan(PRODUCTS);
    for (const value of values) {
      const attribute = effective(String(value.path)).find((a) => a.key === value.key);
      expect(attribute).toBeDefined();
      expect(attribute?.variant_defining).toBe(0);
      if (attribute?.type === "number") expect(Number.isInteger(value.value_number)).toBe(true);
      if (attribute?.type === "enum") expect(JSON.parse(String(attribute.options))).toContain(value.value_text);
      if (attribute?.type === "boolean") expect(["true", "false"]).toContain(String(value.value_text));
    }
  });

  test("SKUs are unique per seller; stock is at the seller's own 1–2 locations, none reserved", async () => {
    const duplicates = await rows(first, "SELECT seller_id, sku FROM variant GROUP BY seller_id, sku HAVING count(*) > 1");
    expect(duplicates).toEqual([]);
    const levels = await rows(
      first,
      "SELECT s.on_hand, s.reserved, v.seller_id AS variant_seller, l.seller_id AS location_seller FROM stock_level s JOIN variant v ON v.id = s.variant_id JOIN stock_location l ON l.id = s.location_id",
    );
    for (const level of levels) {
      expect(level.reserved).toBe(0);
      expect(Number(level.on_hand)).toBeGreaterThanOrEqual(0);
      expect(level.location_seller).toBe(level.variant_seller);
    }
    const perVariant = await rows(first, "SELECT v.id, count(s.location_id) AS n FROM variant v LEFT JOIN stock_level s ON s.variant_id = v.id GROUP BY v.id");
    for (const variant of perVariant) expect([1, 2]).toContain(Number(variant.n));
  });
});

describe("running it again", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    await seedCatalog(database, options());
  });
  afterAll(() => database.destroy());

  test("adds nothing, hashes nothing and writes nothing", async () => {
    const before = await snapshot(database);
    const calls = hashCalls;
    const instrumented = counted(database);
    const report = await seedCatalog(instrumented.database, options());
    expect(report.created).toEqual({ categories: 0, attributes: 0, brands: 0, sellers: 0, locations: 0, products: 0, variants: 0, stockLevels: 0 });
    expect(report.alreadyPresent).toBe(PRODUCTS);
    expect(instrumented.counts).toEqual({ batches: 0, statements: 0, otherWrites: 0 });
    expect(hashCalls).toBe(calls);
    expect(await snapshot(database)).toEqual(before);
  });

  test("a larger count extends the catalogue to exactly what one run of that size writes", async () => {
    const report = await seedCatalog(database, options({ products: 300 }));
    expect(report.created.products).toBe(100);
    expect(report.alreadyPresent).toBe(PRODUCTS);
    const fresh = await createTestDatabase();
    try {
      await seedCatalog(fresh, options({ products: 300 }));
      expect(await snapshot(database)).toEqual(await snapshot(fresh));
    } finally {
      await fresh.destroy();
    }
  });

  test("--reset rewrites the catalogue and keeps the seller accounts", async () => {
    const before = await snapshot(database);
    const calls = hashCalls;
    const report = await seedCatalog(database, options({ products: 300, reset: true }));
    expect(report.reset).toBe(true);
    expect(report.created).toMatchObject({ products: 300, categories: await count(database, "category"), sellers: 0 });
    expect(hashCalls).toBe(calls);
    expect(await snapshot(database)).toEqual(before);
  });

  test("a product deleted since comes back on a plain run (a stopped run resumes), but not on a first-run-only one (bun run dev)", async () => {
    const [victim] = await rows(database, "SELECT min(id) AS id FROM product");
    await database.client.batch([
      `DELETE FROM stock_level WHERE variant_id IN (SELECT id FROM variant WHERE product_id = '${victim?.id}')`,
      `DELETE FROM variant WHERE product_id = '${victim?.id}'`,
      `DELETE FROM product_attribute WHERE product_id = '${victim?.id}'`,
      `DELETE FROM product WHERE id = '${victim?.id}'`,
    ]);
    const instrumented = counted(database);
    await seedCatalog(instrumented.database, options({ products: 300, firstRunOnly: true }));
    expect(instrumented.counts.batches).toBe(0);
    expect(await count(database, "product")).toBe(299);

    const report = await seedCatalog(database, options({ products: 300 }));
    expect(report.created.products).toBe(1);
    expect((await rows(database, "SELECT min(id) AS id FROM product"))[0]?.id).toBe(victim?.id);
  });
});

test("a catalog made by someone else is refused before anything is written", async () => {
  const database = await createTestDatabase();
  try {
    await database.client.execute(
      "INSERT INTO category (id, slug, name, path, depth, created_at, updated_at) VALUES ('cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C', 'electronics', 'Electronics', '/electronics/', 1, 0, 0)",
    );
    await expect(seedCatalog(database, options())).rejects.toThrow("electronics");
    expect(await count(database, "user")).toBe(0);
    expect(await count(database, "product")).toBe(0);
    // --reset clears the catalog tables first, so the demo one can go in
    const report = await seedCatalog(database, options({ reset: true }));
    expect(report.created.products).toBe(PRODUCTS);
  } finally {
    await database.destroy();
  }
});

test("only a local file is seeded with the public demo password unless --force", async () => {
  await expect(seedDemoCatalog("libsql://bazaar-example.turso.io", undefined, {})).rejects.toThrow("refusing to seed");
});

test("command-line options", () => {
  expect(parseSeedArgs([])).toEqual({ products: 5000, reset: false, force: false });
  expect(parseSeedArgs(["--products", "200", "--reset"])).toEqual({ products: 200, reset: true, force: false });
  expect(parseSeedArgs(["--scale=100_000", "--force"])).toEqual({ products: 100_000, reset: false, force: true });
  expect(() => parseSeedArgs(["--products", "many"])).toThrow("--products needs a whole number");
  expect(() => parseSeedArgs(["--products"])).toThrow("got nothing");
  expect(() => parseSeedArgs(["--bogus"])).toThrow("unknown option --bogus");
});
