// The only file that touches oauth_identity (and reads, never writes, the sign-in methods beside it).
import { type Database, type Db, type Queryable, type Statement, schema } from "@bazaar/db";
import { and, asc, eq, exists, ne, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";

export type IdentityRow = typeof schema.oauthIdentity.$inferSelect;

export async function findIdentity(database: Database, provider: string, subject: string): Promise<IdentityRow | undefined> {
  const [row] = await database.db
    .select()
    .from(schema.oauthIdentity)
    .where(and(eq(schema.oauthIdentity.provider, provider), eq(schema.oauthIdentity.subject, subject)))
    .limit(1);
  return row;
}

/** A user has at most one identity per provider: unlinking names the provider only. */
export async function findIdentityOfUser(database: Database, userId: string, provider: string): Promise<IdentityRow | undefined> {
  const [row] = await database.db
    .select()
    .from(schema.oauthIdentity)
    .where(and(eq(schema.oauthIdentity.userId, userId), eq(schema.oauthIdentity.provider, provider)))
    .limit(1);
  return row;
}

export async function identitiesOf(database: Database, userId: string): Promise<IdentityRow[]> {
  return database.db
    .select()
    .from(schema.oauthIdentity)
    .where(eq(schema.oauthIdentity.userId, userId))
    .orderBy(asc(schema.oauthIdentity.createdAt), asc(schema.oauthIdentity.provider));
}

export function insertIdentity(db: Db, identity: typeof schema.oauthIdentity.$inferInsert): Statement {
  return db.insert(schema.oauthIdentity).values(identity);
}

/** Records a sign-in with the identity, and the email the provider gave this time. */
export async function touchIdentity(database: Database, provider: string, subject: string, email: string | null, now: number): Promise<void> {
  await database.write((db) =>
    db
      .update(schema.oauthIdentity)
      .set({ lastUsedAt: now, email })
      .where(and(eq(schema.oauthIdentity.provider, provider), eq(schema.oauthIdentity.subject, subject))),
  );
}

/**
 * Unlinks only if the account keeps another way in — a password, a passkey or another identity —
 * decided in the one DELETE statement, so two concurrent unlinks can never both leave it with none.
 * False when nothing was deleted.
 */
export async function deleteIdentityKeepingASignIn(database: Database, userId: string, provider: string): Promise<boolean> {
  const other = alias(schema.oauthIdentity, "other_identity");
  const rows = await database.write((db: Queryable) =>
    db
      .delete(schema.oauthIdentity)
      .where(
        and(
          eq(schema.oauthIdentity.userId, userId),
          eq(schema.oauthIdentity.provider, provider),
          or(
            exists(
              db
                .select({ one: sql`1` })
                .from(schema.user)
                .where(and(eq(schema.user.id, userId), ne(schema.user.passwordHash, ""))),
            ),
            exists(db.select({ one: sql`1` }).from(schema.passkey).where(eq(schema.passkey.userId, userId))),
            exists(
              db
                .select({ one: sql`1` })
                .from(other)
                .where(and(eq(other.userId, userId), ne(other.provider, provider))),
            ),
          ),
        ),
      )
      .returning({ provider: schema.oauthIdentity.provider }),
  );
  return rows.length > 0;
}
