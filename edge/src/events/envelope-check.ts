// @bazaar/contracts registers the string formats (date-time) the envelope schema uses.
import { assertValid } from "@bazaar/contracts";
import { EventBatch, EventEnvelope } from "@bazaar/events/envelope";
import { Value } from "@sinclair/typebox/value";

export function assertEventBatch(value: unknown): asserts value is EventBatch {
  assertValid(EventBatch, value);
}

export function isEventEnvelope(value: unknown): value is EventEnvelope {
  return Value.Check(EventEnvelope, value);
}
