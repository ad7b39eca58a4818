import { type Database, schema } from "@bazaar/db";
import { and, isNotNull, lt } from "drizzle-orm";

export interface EventRetention {
  /** delivered outbox rows older than this are deleted: they carry personal data (emails, names) in their payloads */
  deliveredMs: number;
  /** dedupe records must outlive any redelivery (Cloudflare Queues keep a message at most 14 days) */
  handledMs: number;
}

export const DEFAULT_EVENT_RETENTION: EventRetention = { deliveredMs: 7 * 86_400_000, handledMs: 30 * 86_400_000 };

/** Deletes delivered events and old dedupe records; undelivered and dead-lettered events are never touched. */
export async function pruneEvents(database: Database, now: number, retention: EventRetention = DEFAULT_EVENT_RETENTION): Promise<number> {
  const results = await database.batch([
    database.db
      .delete(schema.outboxEvent)
      .where(and(isNotNull(schema.outboxEvent.deliveredAt), lt(schema.outboxEvent.deliveredAt, now - retention.deliveredMs)))
      .returning({ id: schema.outboxEvent.id }),
    database.db
      .delete(schema.handledEvent)
      .where(lt(schema.handledEvent.handledAt, now - retention.handledMs))
      .returning({ id: schema.handledEvent.eventId }),
  ]);
  return (results as unknown[][]).reduce((sum, rows) => sum + rows.length, 0);
}
