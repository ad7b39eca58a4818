import { type Static, type TSchema, Type } from "@sinclair/typebox";

/**
 * What travels on every transport (in-process, Cloudflare Queues, the dev ingest
 * endpoint): the event's id is the dedupe key for every consumer.
 */
export const EventEnvelope = Type.Object(
  {
    id: Type.String({ pattern: "^evt_[0-9A-HJKMNP-TV-Z]{26}$" }),
    type: Type.String({ pattern: "^[a-z_]+(\\.[a-z_]+)+$", examples: ["user.registered"] }),
    version: Type.Integer({ minimum: 1 }),
    occurredAt: Type.String({ format: "date-time" }),
    requestId: Type.Optional(Type.String({ maxLength: 100 })),
    payload: Type.Unknown(),
  },
  { additionalProperties: false },
);
export type EventEnvelope = Static<typeof EventEnvelope>;

/** A batch as POSTed to the edge's dev ingest endpoint and to the core's /internal/events. */
export const EventBatch = Type.Object(
  { events: Type.Array(EventEnvelope, { minItems: 1, maxItems: 100 }) },
  {
    additionalProperties: false,
    example: {
      events: [
        {
          id: "evt_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
          type: "user.registered",
          version: 1,
          occurredAt: "2026-11-25T06:00:00.000Z",
          requestId: "req_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D",
          payload: { userId: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5E", email: "ada@example.com", name: "Ada Lovelace" },
        },
      ],
    },
  },
);
export type EventBatch = Static<typeof EventBatch>;

/** Header carrying the shared secret on internal event hops (edge ↔ core). */
export const EVENTS_SECRET_HEADER = "x-bazaar-events-secret";

export interface EventDefinition<Name extends string = string, S extends TSchema = TSchema> {
  type: Name;
  version: number;
  payload: S;
}

export function defineEvent<Name extends string, S extends TSchema>(type: Name, version: number, payload: S): EventDefinition<Name, S> {
  return { type, version, payload };
}
