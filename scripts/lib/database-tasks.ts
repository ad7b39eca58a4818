import { createIdGenerator, Role } from "@bazaar/contracts";
import { createDatabase, migrateDatabase, migrationStatus, schema } from "@bazaar/db";
import { createEvent, outboxInsert, userRolesChanged } from "@bazaar/events";
import { and, eq } from "drizzle-orm";
import { DEMO_ACCOUNTS } from "../demo-accounts.ts";
import { type SeedCatalogOptions, type SeedCatalogReport, seedCatalog } from "./catalog-seed/index.ts";

const ROLES = Role.anyOf.map((literal) => literal.const);

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

/**
 * Writes the demo catalogue (categories, brands, 50 sellers, products with variants and stock);
 * what is already there is kept. The sellers' password is public, so only a local file is
 * seeded unless `force` says otherwise.
 */
export async function seedDemoCatalog(
  databaseUrl: string,
  authToken: string | undefined,
  options: SeedCatalogOptions & { force?: boolean } = {},
): Promise<SeedCatalogReport> {
  if (!databaseUrl.startsWith("file:") && !options.force) {
    throw new Error(`refusing to seed the demo catalog and its public seller accounts into ${databaseUrl} (not a local file); use --force if you mean it`);
  }
  const database = createDatabase(authToken ? { url: databaseUrl, authToken } : { url: databaseUrl });
  try {
    return await seedCatalog(database, options);
  } finally {
    await database.close();
  }
}

/**
 * Grants a role from the command line: how the first admin of a fresh database is made (every
 * later grant goes through the admin API). Audited like an API grant, with actor "cli".
 */
export async function grantRole(databaseUrl: string, authToken: string | undefined, email: string, role: string): Promise<"granted" | "already"> {
  if (!(ROLES as readonly string[]).includes(role)) throw new Error(`unknown role "${role}"; roles are ${ROLES.join(", ")}`);
  const database = createDatabase(authToken ? { url: databaseUrl, authToken } : { url: databaseUrl });
  const ids = createIdGenerator();
  try {
    const [user] = await database.db.select().from(schema.user).where(eq(schema.user.email, email.trim().toLowerCase()));
    if (!user || user.status === "deleted") throw new Error(`no account with email ${email}`);
    if (user.roles.includes(role)) return "already";
    const now = Date.now();
    const roles = [...user.roles, role];
    const event = createEvent(userRolesChanged, { userId: user.id, roles, granted: [role], revoked: [], actorId: "cli" }, { ids, now });
    await database.transaction(async (tx) => {
      // compare-and-set: an API change of the roles since the read above makes this run fail, not undo it
      const changed = await tx
        .update(schema.user)
        .set({ roles, updatedAt: now })
        .where(and(eq(schema.user.id, user.id), eq(schema.user.roles, user.roles)))
        .returning({ id: schema.user.id });
      if (!changed.length) throw new Error(`the roles of ${email} changed while granting; run it again`);
      await tx.insert(schema.auditEntry).values({
        id: ids("audit"),
        actorId: "cli",
        action: "role.granted",
        targetUserId: user.id,
        detail: { role, before: user.roles, after: roles },
        ip: null,
        occurredAt: now,
      });
      await outboxInsert(tx, event);
    });
    return "granted";
  } finally {
    await database.close();
  }
}
