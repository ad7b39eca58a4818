import { createEvent, type EventDefinition } from "@bazaar/events";
import type { Static, TSchema } from "@sinclair/typebox";
import type { Ctx } from "../platform/deps.ts";

/** An event envelope stamped with this request's ids, clock and request id, ready for `outboxInsert`. */
export function eventFor<S extends TSchema>(ctx: Ctx, definition: EventDefinition<string, S>, payload: Static<S>, now = ctx.clock()) {
  return createEvent(definition, payload, { ids: ctx.ids, now, requestId: ctx.requestId });
}
