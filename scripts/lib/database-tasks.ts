import { createIdGenerator } from "@bazaar/contracts";
import { createDatabase, migrateDatabase, migrationStatus, schema } from "@bazaar/db";
import { DEMO_ACCOUNTS } from "../demo-accounts.ts";

export async function migrate(databaseUrl: string, authToken?: string): Promise<{ applied: number }> {
  const database = createDatabase(authToken ? { url: databaseUrl, authToken } : { url: databaseUrl });
  try {
    const before = await migrationStatus(database);
    await migrateDatabase(database);
    return { applied: before.pending.length };
  } finally {
    await database.close();
  }
}

/**
 * Inserts the demo accounts that are missing; running it again changes nothing. Their
 * passwords are public, so only a local file is seeded unless `force` says otherwise.
 */
export async function seed(databaseUrl: string, authToken?: string, force = false): Promise<{ created: string[] }> {
  if (!databaseUrl.startsWith("file:") && !force) {
    throw new Error(`refusing to seed public demo accounts into ${databaseUrl} (not a local file); use \`bun run db:seed --force\` if you mean it`);
  }
  const database = createDatabase(authToken ? { url: databaseUrl, authToken } : { url: databaseUrl });
  const ids = createIdGenerator();
  const created: string[] = [];
  try {
    for (const account of DEMO_ACCOUNTS) {
      const now = Date.now();
      const passwordHash = await Bun.password.hash(account.password, { algorithm: "argon2id" });
      const rows = await database.write((db) =>
        db
          .insert(schema.user)
          .values({
            id: ids("user"),
            email: account.email,
            name: account.name,
            passwordHash,
            roles: [...account.roles],
            emailVerifiedAt: now,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing({ target: schema.user.email })
          .returning({ id: schema.user.id }),
      );
      if (rows.length) created.push(account.email);
    }
    return { created };
  } finally {
    await database.close();
  }
}
