// The only file that touches the accounts tables.
import { type Database, type Db, type Queryable, type Statement, schema } from "@bazaar/db";
import { and, eq, isNull, sql } from "drizzle-orm";

export type UserRow = typeof schema.user.$inferSelect;
export type SessionRow = typeof schema.session.$inferSelect;

export async function findUserByEmail(database: Database, email: string): Promise<UserRow | undefined> {
  const [row] = await database.db.select().from(schema.user).where(eq(schema.user.email, email)).limit(1);
  return row;
}

/** The user behind a live (not revoked) session, in one read: every authenticated /v1/me, so prepared on the read path. */
export async function findUserWithLiveSession(database: Database, userId: string, sessionId: string): Promise<UserRow | undefined> {
  const query = database.preparedRead("accounts.userWithLiveSession", (read) =>
    read
      .select({ user: schema.user })
      .from(schema.session)
      .innerJoin(schema.user, eq(schema.user.id, schema.session.userId))
      .where(and(eq(schema.session.id, sql.placeholder("sessionId")), eq(schema.session.userId, sql.placeholder("userId")), isNull(schema.session.revokedAt)))
      .limit(1)
      .prepare(),
  );
  const [row] = await query.execute({ userId, sessionId });
  return row?.user;
}

export async function findUserById(database: Database, userId: string): Promise<UserRow | undefined> {
  const [row] = await database.db.select().from(schema.user).where(eq(schema.user.id, userId)).limit(1);
  return row;
}

export function insertUser(db: Db, user: typeof schema.user.$inferInsert): Statement {
  return db.insert(schema.user).values(user);
}

export function insertSession(db: Db, session: typeof schema.session.$inferInsert): Statement {
  return db.insert(schema.session).values(session);
}

export function insertRefreshToken(db: Queryable, token: typeof schema.refreshToken.$inferInsert): Statement {
  return db.insert(schema.refreshToken).values(token);
}

export async function findRefreshToken(database: Database, tokenHash: string) {
  const [row] = await database.db
    .select({ token: schema.refreshToken, session: schema.session })
    .from(schema.refreshToken)
    .innerJoin(schema.session, eq(schema.session.id, schema.refreshToken.sessionId))
    .where(eq(schema.refreshToken.tokenHash, tokenHash))
    .limit(1);
  return row;
}

/** Marks a refresh token used only if nobody has yet: the single statement that makes tokens single-use. */
export function useRefreshToken(db: Queryable, tokenHash: string, now: number) {
  return db
    .update(schema.refreshToken)
    .set({ usedAt: now })
    .where(and(eq(schema.refreshToken.tokenHash, tokenHash), isNull(schema.refreshToken.usedAt)))
    .returning({ sessionId: schema.refreshToken.sessionId });
}

export function touchSession(db: Queryable, sessionId: string, now: number): Statement {
  return db.update(schema.session).set({ lastSeenAt: now }).where(eq(schema.session.id, sessionId));
}

/**
 * Revokes a live session and burns every refresh token it still has. False when it was
 * already revoked, so concurrent revocations announce it once. Run inside a transaction.
 */
export async function revokeLiveSession(tx: Queryable, sessionId: string, now: number, reason: string): Promise<boolean> {
  const revoked = await tx
    .update(schema.session)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(schema.session.id, sessionId), isNull(schema.session.revokedAt)))
    .returning({ id: schema.session.id });
  if (!revoked.length) return false;
  await tx
    .update(schema.refreshToken)
    .set({ usedAt: now })
    .where(and(eq(schema.refreshToken.sessionId, sessionId), isNull(schema.refreshToken.usedAt)));
  return true;
}

export function insertSecurityLog(db: Db, entry: typeof schema.securityLog.$inferInsert): Statement {
  return db.insert(schema.securityLog).values(entry);
}
