// Admin reads and writes of accounts' own tables (roles, status, the audit trail).
import { type Database, type Queryable, schema } from "@bazaar/db";
import { and, desc, eq, lt, ne, or } from "drizzle-orm";

export type AuditRow = typeof schema.auditEntry.$inferSelect;

/** Compare-and-set on the roles array: a concurrent change (or the account's deletion) makes this a no-op. */
export async function replaceRoles(tx: Queryable, userId: string, from: string[], to: string[], now: number): Promise<boolean> {
  const rows = await tx
    .update(schema.user)
    .set({ roles: to, updatedAt: now })
    .where(and(eq(schema.user.id, userId), eq(schema.user.roles, from), ne(schema.user.status, "deleted")))
    .returning({ id: schema.user.id });
  return rows.length > 0;
}

export async function setStatus(tx: Queryable, userId: string, from: string, to: string, now: number): Promise<boolean> {
  const rows = await tx
    .update(schema.user)
    .set({ status: to, updatedAt: now })
    .where(and(eq(schema.user.id, userId), eq(schema.user.status, from)))
    .returning({ id: schema.user.id });
  return rows.length > 0;
}

export function insertAudit(tx: Queryable, entry: typeof schema.auditEntry.$inferInsert) {
  return tx.insert(schema.auditEntry).values(entry);
}

/** Newest first, keyset-paginated on (occurredAt, id). */
export async function auditOf(database: Database, userId: string, limit: number, after?: { occurredAt: number; id: string }): Promise<AuditRow[]> {
  const t = schema.auditEntry;
  const position = after ? or(lt(t.occurredAt, after.occurredAt), and(eq(t.occurredAt, after.occurredAt), lt(t.id, after.id))) : undefined;
  return database.db
    .select()
    .from(t)
    .where(and(eq(t.targetUserId, userId), position))
    .orderBy(desc(t.occurredAt), desc(t.id))
    .limit(limit);
}
