// The only file that touches the two-factor tables: totp_factor, recovery_code, passkey.
import { type Database, type Queryable, schema } from "@bazaar/db";
import { and, asc, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";

export type TotpFactorRow = typeof schema.totpFactor.$inferSelect;
export type PasskeyRow = typeof schema.passkey.$inferSelect;
export type NewPasskey = typeof schema.passkey.$inferInsert;

export async function findTotpFactor(db: Queryable, userId: string): Promise<TotpFactorRow | undefined> {
  const [row] = await db.select().from(schema.totpFactor).where(eq(schema.totpFactor.userId, userId)).limit(1);
  return row;
}

/**
 * Starts enrolment with a new secret, or restarts one still waiting for its first code. One
 * statement, so a confirmed factor is never overwritten: undefined when one is in the way.
 */
export async function startTotpEnrolment(database: Database, userId: string, secretEncrypted: string, now: number): Promise<TotpFactorRow | undefined> {
  const [row] = await database.write((db) =>
    db
      .insert(schema.totpFactor)
      .values({ userId, secretEncrypted, createdAt: now })
      .onConflictDoUpdate({
        target: schema.totpFactor.userId,
        set: { secretEncrypted, createdAt: now, lastUsedStep: 0 },
        setWhere: isNull(schema.totpFactor.confirmedAt),
      })
      .returning(),
  );
  return row;
}

/**
 * Turns a pending enrolment on and spends the step its first code answered. Only if the secret is
 * still the one the code was checked against: a restart in between must not be confirmed by the old code.
 */
export async function confirmTotp(tx: Queryable, userId: string, secretEncrypted: string, step: number, now: number): Promise<boolean> {
  const rows = await tx
    .update(schema.totpFactor)
    .set({ confirmedAt: now, lastUsedStep: step })
    .where(
      and(
        eq(schema.totpFactor.userId, userId),
        isNull(schema.totpFactor.confirmedAt),
        eq(schema.totpFactor.secretEncrypted, secretEncrypted),
        lt(schema.totpFactor.lastUsedStep, step),
      ),
    )
    .returning({ userId: schema.totpFactor.userId });
  return rows.length === 1;
}

/**
 * Spends a TOTP step: the one statement that makes a code single-use. Of any number of concurrent
 * uses of the same code, exactly one finds `last_used_step < step`; the rest are replays.
 */
export async function useTotpStep(db: Queryable, userId: string, step: number): Promise<boolean> {
  const rows = await db
    .update(schema.totpFactor)
    .set({ lastUsedStep: step })
    .where(and(eq(schema.totpFactor.userId, userId), isNotNull(schema.totpFactor.confirmedAt), lt(schema.totpFactor.lastUsedStep, step)))
    .returning({ userId: schema.totpFactor.userId });
  return rows.length === 1;
}

export async function deleteTotpFactor(tx: Queryable, userId: string): Promise<boolean> {
  const rows = await tx.delete(schema.totpFactor).where(eq(schema.totpFactor.userId, userId)).returning({ userId: schema.totpFactor.userId });
  return rows.length === 1;
}

/** The old codes die with the new ones' arrival. */
export async function replaceRecoveryCodes(tx: Queryable, userId: string, codeHashes: string[], now: number): Promise<void> {
  await tx.delete(schema.recoveryCode).where(eq(schema.recoveryCode.userId, userId));
  await tx.insert(schema.recoveryCode).values(codeHashes.map((codeHash) => ({ codeHash, userId, createdAt: now })));
}

/** Spends a recovery code if it is this user's and unused: one statement, so it works exactly once. */
export async function useRecoveryCode(tx: Queryable, userId: string, codeHash: string, now: number): Promise<boolean> {
  const rows = await tx
    .update(schema.recoveryCode)
    .set({ usedAt: now })
    .where(and(eq(schema.recoveryCode.codeHash, codeHash), eq(schema.recoveryCode.userId, userId), isNull(schema.recoveryCode.usedAt)))
    .returning({ codeHash: schema.recoveryCode.codeHash });
  return rows.length === 1;
}

export async function countUnusedRecoveryCodes(db: Queryable, userId: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)` })
    .from(schema.recoveryCode)
    .where(and(eq(schema.recoveryCode.userId, userId), isNull(schema.recoveryCode.usedAt)));
  return Number(row?.count ?? 0);
}

export async function deleteRecoveryCodes(tx: Queryable, userId: string): Promise<void> {
  await tx.delete(schema.recoveryCode).where(eq(schema.recoveryCode.userId, userId));
}

export async function listPasskeys(db: Queryable, userId: string): Promise<PasskeyRow[]> {
  return db.select().from(schema.passkey).where(eq(schema.passkey.userId, userId)).orderBy(asc(schema.passkey.createdAt), asc(schema.passkey.id));
}

export async function countPasskeys(db: Queryable, userId: string): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)` }).from(schema.passkey).where(eq(schema.passkey.userId, userId));
  return Number(row?.count ?? 0);
}

export async function findPasskey(db: Queryable, id: string): Promise<PasskeyRow | undefined> {
  const [row] = await db.select().from(schema.passkey).where(eq(schema.passkey.id, id)).limit(1);
  return row;
}

export async function insertPasskey(tx: Queryable, passkey: NewPasskey): Promise<PasskeyRow> {
  const [row] = await tx.insert(schema.passkey).values(passkey).returning();
  if (!row) throw new Error("passkey insert returned nothing");
  return row;
}

export async function renamePasskey(database: Database, id: string, userId: string, name: string): Promise<PasskeyRow | undefined> {
  const [row] = await database.write((db) =>
    db
      .update(schema.passkey)
      .set({ name })
      .where(and(eq(schema.passkey.id, id), eq(schema.passkey.userId, userId)))
      .returning(),
  );
  return row;
}

export async function deletePasskey(tx: Queryable, id: string, userId: string): Promise<boolean> {
  const rows = await tx
    .delete(schema.passkey)
    .where(and(eq(schema.passkey.id, id), eq(schema.passkey.userId, userId)))
    .returning({ id: schema.passkey.id });
  return rows.length === 1;
}

/**
 * Records a sign-in with a passkey only if its signature counter moved forward, or the authenticator
 * keeps none (both zero, as synced passkeys do). A clone replaying an old counter finds no row; so
 * does the slower of two concurrent uses of one counter value.
 */
export async function usePasskey(tx: Queryable, id: string, counter: number, backedUp: boolean, now: number): Promise<boolean> {
  const rows = await tx
    .update(schema.passkey)
    .set({ counter, backedUp, lastUsedAt: now })
    .where(and(eq(schema.passkey.id, id), counter === 0 ? eq(schema.passkey.counter, 0) : lt(schema.passkey.counter, counter)))
    .returning({ id: schema.passkey.id });
  return rows.length === 1;
}
