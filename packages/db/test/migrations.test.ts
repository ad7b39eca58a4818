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
