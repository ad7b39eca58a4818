import { createIdGenerator } from "@bazaar/contracts";
import { EVENTS_SECRET_HEADER, type EventEnvelope } from "@bazaar/events/envelope";
import { type EdgeConfig, readConfig } from "../config.ts";
import type { Env } from "../env.ts";
import { errorFields, log } from "../log.ts";
import { REQUEST_ID_HEADER } from "../request-context.ts";
import { isEventEnvelope } from "./envelope-check.ts";

export const RETRY_BASE_SECONDS = 2;
export const RETRY_MAX_SECONDS = 300;
const CORE_TIMEOUT_MS = 30_000;
// the core refused the events themselves: resending the same bytes can never succeed
const PERMANENT_STATUSES = new Set([400, 413, 415, 422]);

const ids = createIdGenerator();

type Delivery = { ok: true } | { ok: false; permanent: boolean; reason: string };

/** Exponential backoff by delivery attempt (1 → base seconds), capped. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(RETRY_BASE_SECONDS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_SECONDS);
}

/**
 * Queue consumer: hands envelopes to the core's /internal/events and acks or retries each message on
 * its own, so one bad message never redelivers the batch. Bodies that are not envelopes go straight
 * to the dead-letter queue: no retry could fix them.
 */
export async function consumeEvents(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = readConfig(env);
  const deliveryId = ids("request");
  const envelopes: { message: Message<unknown>; envelope: EventEnvelope }[] = [];
  const poisoned: Message<unknown>[] = [];
  for (const message of batch.messages) {
    const envelope = asEnvelope(message.body);
    if (envelope === undefined) poisoned.push(message);
    else envelopes.push({ message, envelope });
  }

  await Promise.all(poisoned.map((message) => deadLetter(env, message, "body is not an event envelope", deliveryId)));
  if (envelopes.length > 0) await deliver(config, env, envelopes, deliveryId, batch.queue);
}

async function deliver(
  config: EdgeConfig,
  env: Env,
  items: { message: Message<unknown>; envelope: EventEnvelope }[],
  deliveryId: string,
  queue: string,
): Promise<void> {
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
