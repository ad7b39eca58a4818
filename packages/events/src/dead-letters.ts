import { type Database, schema } from "@bazaar/db";
import { count, desc, eq, isNull } from "drizzle-orm";

export async function listDeadLetters(database: Database, limit = 50) {
  return database.db.select().from(schema.deadLetterEvent).orderBy(desc(schema.deadLetterEvent.deadAt)).limit(limit);
}

/** Puts a dead event back in the outbox with a fresh attempt budget; one atomic batch. */
export async function replayDeadLetter(database: Database, eventId: string, now: number): Promise<boolean> {
  const [row] = await database.db.select().from(schema.deadLetterEvent).where(eq(schema.deadLetterEvent.id, eventId));
  if (!row) return false;
  const { db } = database;
  await database.batch([
    db.insert(schema.outboxEvent).values({
      id: row.id,
      type: row.type,
      version: row.version,
      payload: row.payload,
      requestId: row.requestId,
      occurredAt: row.occurredAt,
      availableAt: now,
      attempts: 0,
    }),
    db.delete(schema.deadLetterEvent).where(eq(schema.deadLetterEvent.id, eventId)),
  ]);
  return true;
}

/** Outbox events not yet delivered: the relay's backlog (a /metrics gauge). */
export async function outboxBacklog(database: Database): Promise<number> {
  const [row] = await database.read.select({ n: count() }).from(schema.outboxEvent).where(isNull(schema.outboxEvent.deliveredAt));
  return row?.n ?? 0;
}

export async function deadLetterCount(database: Database): Promise<number> {
  const [row] = await database.read.select({ n: count() }).from(schema.deadLetterEvent);
  return row?.n ?? 0;
}
