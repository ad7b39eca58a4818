import { afterEach, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIGRATIONS_FOLDER, migrateDatabase, migrationStatus } from "../src/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";

let database: TestDatabase;
let folder: string;
afterEach(async () => {
  await database.destroy();
  rmSync(folder, { recursive: true, force: true });
});

/** A copy of the committed migrations whose journal stops after the first `count` entries. */
function firstMigrations(count: number): string {
  folder = mkdtempSync(join(tmpdir(), "bazaar-migrations-"));
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, count);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

// SQLite can't ALTER most columns, so drizzle-kit may recreate a table; with foreign keys on
// that has cascade-deleted rows elsewhere. Later migrations must keep the data already there.
test("every later migration applies on a database that already holds data, and keeps it", async () => {
  database = await createTestDatabase({ migrate: false });
  await migrateDatabase(database, firstMigrations(1));
  await database.client.batch([
    "INSERT INTO user (id, email, name, password_hash, created_at, updated_at) VALUES ('usr_1', 'a@b.co', 'A', 'h', 1, 1)",
    "INSERT INTO session (id, user_id, created_at, last_seen_at) VALUES ('ses_1', 'usr_1', 1, 1)",
    "INSERT INTO refresh_token (token_hash, session_id, created_at, expires_at) VALUES ('t', 'ses_1', 1, 2)",
    "INSERT INTO outbox_event (id, type, version, payload, occurred_at, available_at) VALUES ('evt_1', 'user.registered', 1, '{}', 1, 1)",
  ]);
  await migrateDatabase(database);
  expect((await migrationStatus(database)).pending).toEqual([]);
  for (const table of ["user", "session", "refresh_token", "outbox_event"]) {
    const rows = await database.client.execute(`SELECT count(*) AS n FROM ${table}`);
    expect(Number(rows.rows[0]?.n), table).toBe(1);
  }
  const fk = await database.client.execute("PRAGMA foreign_key_check");
  expect(fk.rows).toEqual([]);
});

// 0005 adds the catalog's read models to tables that may already hold products: its backfill must give every
// existing product the list entry, "was" price and thumbnail its triggers would have written.
test("0005's backfill gives products already there their list entries, and its triggers keep them from then on", async () => {
  database = await createTestDatabase({ migrate: false });
  await migrateDatabase(database, firstMigrations(5));
  await database.client.batch([
    "INSERT INTO user (id, email, name, password_hash, created_at, updated_at) VALUES ('usr_1', 'a@b.co', 'Seller A', 'h', 1, 1)",
    "INSERT INTO category (id, slug, name, path, depth, created_at, updated_at) VALUES ('cat_1', 'tees', 'Tees', '/tees/', 1, 1, 1)",
    "INSERT INTO brand (id, slug, name, created_at) VALUES ('brd_1', 'acme', 'Acme', 1)",
    `INSERT INTO product (id, seller_id, slug, title, brand_id, category_id, status, currency, min_price_minor, max_price_minor, in_stock, rating_average_x100, rating_count, created_at, updated_at, published_at)
      VALUES ('prd_1', 'usr_1', 'tee', 'Tee', 'brd_1', 'cat_1', 'active', 'EUR', 1000, 1500, 1, 437, 3, 1, 1, 1)`,
    `INSERT INTO variant (id, product_id, seller_id, sku, options, price_minor, compare_at_minor, currency, position, created_at, updated_at)
      VALUES ('var_1', 'prd_1', 'usr_1', 'T-1', '{}', 1000, 1200, 'EUR', 0, 1, 1), ('var_2', 'prd_1', 'usr_1', 'T-2', '{}', 1500, NULL, 'EUR', 1, 1, 1)`,
    `INSERT INTO product_image (id, product_id, variant_id, key, content_type, width, height, position, created_at)
      VALUES ('img_2', 'prd_1', 'var_1', 'k2', 'image/png', 1, 1, 0, 1), ('img_1', 'prd_1', NULL, 'k1', 'image/png', 1, 1, 5, 1)`,
  ]);
  await migrateDatabase(database);
  const summaryOf = async () =>
    JSON.parse(String((await database.client.execute("SELECT list_summary FROM product WHERE id = 'prd_1'")).rows[0]?.list_summary)) as unknown;
  expect(await summaryOf()).toEqual({
    id: "prd_1",
    slug: "tee",
    title: "Tee",
    brand: { slug: "acme", name: "Acme" },
    category: { slug: "tees", name: "Tees" },
    price: { currency: "EUR", min: 1000, max: 1500 },
    compareAt: 1200,
    inStock: true,
    // the product's own image comes before a variant's, whatever their positions
    thumbnailUrl: "/v1/images/img_1/thumb",
    rating: { average: 4.37, count: 3 },
  });
  // from now on the triggers follow every change
  await database.client.batch([
    "UPDATE brand SET name = 'Acme Co' WHERE id = 'brd_1'",
    "UPDATE variant SET compare_at_minor = NULL WHERE id = 'var_1'",
    "DELETE FROM product_image WHERE id = 'img_1'",
  ]);
  expect(await summaryOf()).toMatchObject({ brand: { name: "Acme Co" }, thumbnailUrl: "/v1/images/img_2/thumb" });
  expect(await summaryOf()).not.toHaveProperty("compareAt");
});
