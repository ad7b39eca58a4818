// Owned by packages/events: the transactional outbox, consumer dedupe and dead letters.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Written in the same batch as the state change it announces; the relay delivers it. */
export const outboxEvent = sqliteTable(
  "outbox_event",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    version: integer("version").notNull(),
    payload: text("payload").notNull(),
    requestId: text("request_id"),
    occurredAt: integer("occurred_at").notNull(),
    /** next time the relay may try it (backoff) */
    availableAt: integer("available_at").notNull(),
    /** a relay holds the row until then; a crashed relay's lease simply runs out */
    leaseUntil: integer("lease_until"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    deliveredAt: integer("delivered_at"),
  },
  // partial: the relay only ever scans undelivered rows
  (t) => [index("outbox_event_pending_idx").on(t.availableAt).where(sql`delivered_at IS NULL`)],
);

/** One row per (consumer, event) handled: the dedupe record that makes consumers idempotent. */
export const handledEvent = sqliteTable(
  "handled_event",
  {
    consumer: text("consumer").notNull(),
    eventId: text("event_id").notNull(),
    handledAt: integer("handled_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

/** Events that exhausted their retries; kept whole so an operator can inspect and replay them. */
export const deadLetterEvent = sqliteTable("dead_letter_event", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  version: integer("version").notNull(),
  payload: text("payload").notNull(),
  requestId: text("request_id"),
  occurredAt: integer("occurred_at").notNull(),
  attempts: integer("attempts").notNull(),
  lastError: text("last_error"),
  deadAt: integer("dead_at").notNull(),
});
