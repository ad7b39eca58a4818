import { createIdGenerator } from "@bazaar/contracts";
import { sessionRevoked } from "@bazaar/events/catalogue";
import { EVENTS_SECRET_HEADER, type EventEnvelope } from "@bazaar/events/envelope";
import { type EdgeConfig, readConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { errorFields, log } from "../log.ts";
import { REQUEST_ID_HEADER } from "../request-context.ts";
import { isRevocationEvent, recordRevocation, UnusableRevocationError } from "../revocations/revocation-list.ts";
import { isEventEnvelope } from "./envelope-check.ts";

export const RETRY_BASE_SECONDS = 2;
export const RETRY_MAX_SECONDS = 300;
const CORE_TIMEOUT_MS = 30_000;
// the core refused the events themselves: resending the same bytes can never succeed
const PERMANENT_STATUSES = new Set([400, 413, 415, 422]);

const ids = createIdGenerator();

type Delivery = { ok: true } | { ok: false; permanent: boolean; reason: string };
type Item = { message: Message<unknown>; envelope: EventEnvelope };

/** Exponential backoff by delivery attempt (1 → base seconds), capped. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(RETRY_BASE_SECONDS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_SECONDS);
}

/**
 * Queue consumer: writes revocations to the edge's own list, then hands envelopes to the core's
 * /internal/events and acks or retries each message on its own, so one bad message never redelivers
 * the batch. Bodies that are not envelopes go straight to the dead-letter queue: no retry could fix them.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = readConfig(env);
  const deliveryId = ids("request");
  const envelopes: Item[] = [];
  const poisoned: Message<unknown>[] = [];
  for (const message of batch.messages) {
    const envelope = asEnvelope(message.body);
    if (envelope === undefined) poisoned.push(message);
    else envelopes.push({ message, envelope });
  }

  await Promise.all(poisoned.map((message) => deadLetter(env, message, "body is not an event envelope", deliveryId)));
  const recorded = await recordRevocations(config, env, envelopes, deliveryId);
  if (recorded.length > 0) await deliver(config, env, recorded, deliveryId, batch.queue);
}

/**
 * Revocations reach the edge's list before the core hears of them, so a core outage cannot delay them.
 * A message whose write failed is retried (and not forwarded until then); the rest are returned.
 */
async function recordRevocations(config: EdgeConfig, env: Env, items: Item[], deliveryId: string): Promise<Item[]> {
  const revocations = items.filter((item) => isRevocationEvent(item.envelope));
  if (revocations.length === 0) return items;
  const held = new Set<Message<unknown>>();
  const record = async ({ message, envelope }: Item) => {
    const event = { id: envelope.id, type: envelope.type, attempts: message.attempts };
    try {
      const outcome = await recordRevocation(env.REVOCATIONS, envelope, config.accessTokenTtlSeconds);
      log("info", outcome === "stale" ? "revocation superseded by a newer one" : "revocation recorded", { requestId: deliveryId, event });
    } catch (error) {
      held.add(message);
      if (error instanceof UnusableRevocationError) return deadLetter(env, message, error.message, deliveryId);
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      log("warn", "revocation write failed; retrying", { requestId: deliveryId, event, ...errorFields(error) });
    }
  };
  // one user's status changes apply oldest first (the list keeps the newest); sessions only ever get revoked
  const isSession = (item: Item) => item.envelope.type === sessionRevoked.type;
  const statusChanges = revocations.filter((item) => !isSession(item)).sort(byOccurrence);
  await Promise.all([
    ...revocations.filter(isSession).map(record),
    (async () => {
      for (const item of statusChanges) await record(item);
    })(),
  ]);
  return items.filter((item) => !held.has(item.message));
}

function byOccurrence(a: Item, b: Item): number {
  return Date.parse(a.envelope.occurredAt) - Date.parse(b.envelope.occurredAt) || (a.envelope.id < b.envelope.id ? -1 : 1);
}

async function deliver(config: EdgeConfig, env: Env, items: Item[], deliveryId: string, queue: string): Promise<void> {
  const outcome = await postToCore(
    config,
    items.map((item) => item.envelope),
    deliveryId,
  );
  const events = items.map(({ message, envelope }) => ({ id: envelope.id, type: envelope.type, attempts: message.attempts }));
  if (outcome.ok) {
    for (const { message } of items) message.ack();
    log("info", "events delivered", { requestId: deliveryId, queue, events });
    return;
  }
  if (outcome.permanent && items.length > 1) {
    // isolate the poison: each event gets its own verdict
    for (const item of items) await deliver(config, env, [item], deliveryId, queue);
    return;
  }
  if (outcome.permanent) {
    for (const { message } of items) await deadLetter(env, message, outcome.reason, deliveryId);
    return;
  }
  for (const { message } of items) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
  log("warn", "events delivery failed; retrying", { requestId: deliveryId, queue, reason: outcome.reason, events });
}

async function postToCore(config: EdgeConfig, events: EventEnvelope[], deliveryId: string): Promise<Delivery> {
  let response: Response;
  try {
    response = await fetch(`${config.coreOrigin}/internal/events`, {
      method: "POST",
      headers: { "content-type": "application/json", [EVENTS_SECRET_HEADER]: config.eventsSecret, [REQUEST_ID_HEADER]: deliveryId },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(CORE_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, permanent: false, reason: `core unreachable: ${errorFields(error).cause ?? String(error)}` };
  }
  const text = await response.text();
  if (response.ok) return { ok: true };
  return { ok: false, permanent: PERMANENT_STATUSES.has(response.status), reason: `core answered ${response.status}: ${text.slice(0, 500)}` };
}

async function deadLetter(env: Env, message: Message<unknown>, reason: string, deliveryId: string): Promise<void> {
  try {
    await env.EVENTS_DLQ.send(message.body);
    message.ack();
    log("error", "event dead-lettered", { requestId: deliveryId, messageId: message.id, attempts: message.attempts, reason });
  } catch (error) {
    // never drop it: retried, the queue's own dead_letter_queue catches it after max_retries
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    log("error", "dead-letter send failed; retrying", { requestId: deliveryId, messageId: message.id, reason, ...errorFields(error) });
  }
}

/** Producers may send JSON (our ingest) or text (the Queues HTTP API); both carry the same envelope. */
function asEnvelope(body: unknown): EventEnvelope | undefined {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return isEventEnvelope(value) ? value : undefined;
}
