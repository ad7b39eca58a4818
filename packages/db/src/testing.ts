import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, type Database } from "./client.ts";
import { migrateDatabase } from "./migrate.ts";

export interface TestDatabase extends Database {
  path: string;
  /** Closes and deletes the file. */
  destroy(): Promise<void>;
}

/** A fresh, migrated libSQL file of its own: real engine, no sharing between test files. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "bazaar-test-"));
  const path = join(dir, "test.db");
  const database = createDatabase({ url: `file:${path}` });
  if (options.migrate !== false) await migrateDatabase(database);
  return Object.assign(database, {
    path,
    destroy: async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
