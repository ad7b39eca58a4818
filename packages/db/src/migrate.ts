import { readFileSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { Database } from "./client.ts";

/** The committed drizzle-kit output at the repo root. */
export const MIGRATIONS_FOLDER = join(import.meta.dir, "../../../drizzle");

interface Journal {
  entries: { idx: number; tag: string; when: number }[];
}

/** Applies every pending migration in order (through the write lane). */
export async function migrateDatabase(database: Database, migrationsFolder = MIGRATIONS_FOLDER): Promise<void> {
  await database.write((db) => migrate(db, { migrationsFolder }));
}

export interface MigrationStatus {
  applied: number;
  expected: number;
  pending: string[];
}

/** Compares the database's applied migrations with the committed journal (for /ready). */
export async function migrationStatus(database: Database, migrationsFolder = MIGRATIONS_FOLDER): Promise<MigrationStatus> {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, "meta/_journal.json"), "utf8")) as Journal;
  let appliedAt: number[] = [];
  try {
    const result = await database.client.execute("SELECT created_at FROM __drizzle_migrations ORDER BY created_at");
    appliedAt = result.rows.map((row) => Number(row.created_at));
  } catch {
    appliedAt = []; // no migrations table yet: nothing applied
  }
  const applied = new Set(appliedAt);
  const pending = journal.entries.filter((e) => !applied.has(e.when)).map((e) => e.tag);
  return { applied: appliedAt.length, expected: journal.entries.length, pending };
}
