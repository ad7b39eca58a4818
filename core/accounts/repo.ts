// The only file that touches the accounts tables.
import { type Database, type Db, type Queryable, type Statement, schema } from "@bazaar/db";
import { and, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";

export type UserRow = typeof schema.user.$inferSelect;
export type NewUser = typeof schema.user.$inferInsert;
export type SessionRow = typeof schema.session.$inferSelect;

/**
 * The auth check on every authenticated request: is the session live, and what is the user's
 * status and roles right now? One indexed read on the read path.
 */
export async function findLiveActor(database: Database, userId: string, sessionId: string): Promise<{ roles: string[]; status: string } | undefined> {
  const query = database.preparedRead("accounts.liveActor", (read) =>
    read
      .select({ roles: schema.user.roles, status: schema.user.status })
      .from(schema.session)
      .innerJoin(schema.user, eq(schema.user.id, schema.session.userId))
      .where(and(eq(schema.session.id, sql.placeholder("sessionId")), eq(schema.session.userId, sql.placeholder("userId")), isNull(schema.session.revokedAt)))
      .limit(1)
      .prepare(),
  );
  const [row] = await query.execute({ userId, sessionId });
  return row;
}

export async function findUserByEmail(database: Database, email: string): Promise<UserRow | undefined> {
  const [row] = await database.db.select().from(schema.user).where(eq(schema.user.email, email)).limit(1);
  return row;
}

/** On the read path (prepared): every authenticated `/v1/me` reads the user after the auth check. */
export async function findUserById(database: Database, userId: string): Promise<UserRow | undefined> {
  const query = database.preparedRead("accounts.userById", (read) =>
    read
      .select()
      .from(schema.user)
      .where(eq(schema.user.id, sql.placeholder("userId")))
      .limit(1)
      .prepare(),
  );
  const [row] = await query.execute({ userId });
  return row;
}

export function insertUser(db: Db, user: NewUser): Statement {
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

/** True when the user has signed in before from this device (same device name and address). */
export async function hasUsedDevice(database: Database, userId: string, deviceName: string, ip: string | null): Promise<boolean> {
  const [row] = await database.db
    .select({ id: schema.session.id })
    .from(schema.session)
    .where(
      and(eq(schema.session.userId, userId), eq(schema.session.deviceName, deviceName), ip === null ? isNull(schema.session.ip) : eq(schema.session.ip, ip)),
    )
    .limit(1);
  return row !== undefined;
}

/** The second factors a user can answer with; empty when two-factor is off. */
export async function secondFactorsOf(database: Database, userId: string): Promise<("totp" | "recovery_code" | "passkey")[]> {
  const [totp, recovery, passkeys] = await Promise.all([
    database.db
      .select({ userId: schema.totpFactor.userId })
      .from(schema.totpFactor)
      .where(and(eq(schema.totpFactor.userId, userId), isNotNull(schema.totpFactor.confirmedAt))),
    database.db
      .select({ count: sql<number>`count(*)` })
      .from(schema.recoveryCode)
      .where(and(eq(schema.recoveryCode.userId, userId), isNull(schema.recoveryCode.usedAt))),
    database.db.select({ count: sql<number>`count(*)` }).from(schema.passkey).where(eq(schema.passkey.userId, userId)),
  ]);
  const methods: ("totp" | "recovery_code" | "passkey")[] = [];
  if (totp.length) methods.push("totp");
  if ((passkeys[0]?.count ?? 0) > 0) methods.push("passkey");
  // recovery codes stand in for a lost factor; alone they do not make sign-in two-step
  if (methods.length && (recovery[0]?.count ?? 0) > 0) methods.push("recovery_code");
  return methods;
}

export async function liveSessions(database: Database, userId: string): Promise<SessionRow[]> {
  return database.db
    .select()
    .from(schema.session)
    .where(and(eq(schema.session.userId, userId), isNull(schema.session.revokedAt)))
    .orderBy(desc(schema.session.lastSeenAt), desc(schema.session.id));
}

export async function liveSessionIds(database: Database, userId: string): Promise<string[]> {
  return (await liveSessions(database, userId)).map((s) => s.id);
}

export async function findSession(database: Database, sessionId: string): Promise<SessionRow | undefined> {
  const [row] = await database.db.select().from(schema.session).where(eq(schema.session.id, sessionId)).limit(1);
  return row;
}

/** Revokes every live session of the user (but `except`) inside `tx`; returns their ids (for one event each). */
export async function revokeAllLiveSessions(tx: Queryable, userId: string, now: number, reason: string, except?: string): Promise<string[]> {
  const sessions = await tx
    .select({ id: schema.session.id })
    .from(schema.session)
    .where(and(eq(schema.session.userId, userId), isNull(schema.session.revokedAt)));
  const revoked: string[] = [];
  for (const { id } of sessions) if (id !== except && (await revokeLiveSession(tx, id, now, reason))) revoked.push(id);
  return revoked;
}

export function setPassword(db: Queryable, userId: string, passwordHash: string, now: number) {
  return db.update(schema.user).set({ passwordHash, updatedAt: now }).where(eq(schema.user.id, userId));
}

/** Verifies the email only if the account still has the address the link was sent to. */
export async function markEmailVerified(tx: Queryable, userId: string, email: string, now: number): Promise<UserRow | undefined> {
  const [row] = await tx
    .update(schema.user)
    .set({ emailVerifiedAt: sql`coalesce(${schema.user.emailVerifiedAt}, ${now})`, updatedAt: now })
    .where(and(eq(schema.user.id, userId), eq(schema.user.email, email)))
    .returning();
  return row;
}

/**
 * Removes every way in but the password (linked providers, passkeys, authenticator app, recovery
 * codes). Used when a reset proves the mailbox of an account whose email was never verified:
 * whoever set those up may not have been the owner.
 */
export async function dropSignInMethods(tx: Queryable, userId: string): Promise<void> {
  await tx.delete(schema.oauthIdentity).where(eq(schema.oauthIdentity.userId, userId));
  await tx.delete(schema.passkey).where(eq(schema.passkey.userId, userId));
  await tx.delete(schema.totpFactor).where(eq(schema.totpFactor.userId, userId));
  await tx.delete(schema.recoveryCode).where(eq(schema.recoveryCode.userId, userId));
}
