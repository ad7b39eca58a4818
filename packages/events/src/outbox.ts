import { assertValid, type IdGenerator } from "@bazaar/contracts";
import { type Queryable, schema } from "@bazaar/db";
import type { Static, TSchema } from "@sinclair/typebox";
import type { EventDefinition, EventEnvelope } from "./envelope.ts";

export interface EventContext {
  ids: IdGenerator;
  now: number;
  requestId?: string;
}

/** Builds a validated envelope: an event with a payload its schema rejects is a bug, caught here. */
export function createEvent<S extends TSchema>(definition: EventDefinition<string, S>, payload: Static<S>, ctx: EventContext): EventEnvelope {
  assertValid(definition.payload, payload);
  const envelope: EventEnvelope = {
    id: ctx.ids("event"),
    type: definition.type,
    version: definition.version,
    occurredAt: new Date(ctx.now).toISOString(),
    payload,
  };
  if (ctx.requestId) envelope.requestId = ctx.requestId;
  return envelope;
}

/**
 * The outbox row for an event, as a statement to put in the same `batch()` (or
 * transaction) as the state change it announces: both commit or neither does.
 */
export function outboxInsert(db: Queryable, event: EventEnvelope) {
  const occurredAt = Date.parse(event.occurredAt);
  return db.insert(schema.outboxEvent).values({
    id: event.id,
    type: event.type,
    version: event.version,
    payload: JSON.stringify(event.payload),
    requestId: event.requestId ?? null,
    occurredAt,
    availableAt: occurredAt,
  });
}

export function envelopeFromRow(row: typeof schema.outboxEvent.$inferSelect): EventEnvelope {
  const envelope: EventEnvelope = {
    id: row.id,
    type: row.type,
    version: row.version,
    occurredAt: new Date(row.occurredAt).toISOString(),
    payload: JSON.parse(row.payload),
  };
  if (row.requestId) envelope.requestId = row.requestId;
  return envelope;
}
