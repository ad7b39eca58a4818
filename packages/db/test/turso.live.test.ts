// Runs against a real Turso database only when TURSO_DATABASE_URL and TURSO_AUTH_TOKEN are set
// (no network here); everywhere else the embedded libSQL file is what the suite tests. See README › Tests.
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createDatabase } from "../src/client.ts";
import { isConstraintError } from "../src/errors.ts";
import { migrateDatabase, migrationStatus } from "../src/migrate.ts";

const url = process.env.TURSO_DATABASE_URL;
const authToken = process.env.TURSO_AUTH_TOKEN;

describe.skipIf(!url || !authToken)("Turso (live)", () => {
  test("migrates; concurrent writes, transactions and atomic batches behave as on a local file", async () => {
    const database = createDatabase({ url: url ?? "", authToken: authToken ?? "" });
    const table = `probe_${Date.now().toString(36)}`;
    try {
      await migrateDatabase(database);
      expect((await migrationStatus(database)).pending).toEqual([]);
      await database.client.execute(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, value INTEGER NOT NULL CHECK (value >= 0))`);
      await database.client.execute(`INSERT INTO ${table} VALUES (1, 0)`);
      const increment = sql.raw(`UPDATE ${table} SET value = value + 1 WHERE id = 1`);
      const results = await Promise.allSettled([
        ...Array.from({ length: 40 }, () => database.write((db) => db.run(increment))),
        ...Array.from({ length: 10 }, () => database.transaction((tx) => tx.run(increment))),
      ]);
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
      const refused = await database
        .batch([database.db.run(increment), database.db.run(sql.raw(`UPDATE ${table} SET value = -1 WHERE id = 1`))])
        .catch((e: unknown) => e);
      expect(isConstraintError(refused, "CHECK")).toBe(true);
      const value = await database.client.execute(`SELECT value FROM ${table} WHERE id = 1`);
      expect(Number(value.rows[0]?.value)).toBe(50);
    } finally {
      await database.client.execute(`DROP TABLE IF EXISTS ${table}`);
      await database.close();
    }
  }, 60_000);
});
