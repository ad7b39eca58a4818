import { constantTimeEqual } from "@bazaar/auth";
import { AppError, NotFoundError } from "@bazaar/contracts";
import { EVENTS_SECRET_HEADER, type EventEnvelope } from "@bazaar/events/envelope";
import type { Context } from "hono";
import { errorFields, log } from "../log.ts";
import type { AppEnv } from "../request-context.ts";
import { assertEventBatch } from "./envelope-check.ts";

/** Cloudflare Queues: at most 128 KB per message and 256 KB per sendBatch call. */
export const MAX_MESSAGE_BYTES = 128 * 1024;
export const MAX_INGEST_BYTES = 256 * 1024;
const SEND_BATCH_BUDGET_BYTES = 240 * 1024;
const SEND_BATCH_MAX_MESSAGES = 100;

const encoder = new TextEncoder();

/**
 * The core's outbox relay in development posts event batches here; they go onto the local queue
 * exactly as production publishes them to Cloudflare Queues.
 */
export async function ingestDevEvents(c: Context<AppEnv>): Promise<Response> {
  const { devEventsIngest, eventsSecret } = c.get("config");
  const requestId = c.get("requestId");
  // disabled looks exactly like a route that does not exist
  if (!devEventsIngest) throw new NotFoundError(`route ${c.req.method} ${c.req.path}`);
  if (!constantTimeEqual(c.req.header(EVENTS_SECRET_HEADER) ?? "", eventsSecret)) {
    log("warn", "events secret mismatch", { requestId });
    throw new AppError("UNAUTHENTICATED", `The ${EVENTS_SECRET_HEADER} header is missing or wrong`);
  }

  const body = parseJson(await readCappedText(c.req.raw, MAX_INGEST_BYTES));
  assertEventBatch(body);
  const messages = body.events.map((envelope, index) => {
    const bytes = encoder.encode(JSON.stringify(envelope)).byteLength;
    if (bytes > MAX_MESSAGE_BYTES) {
      throw new AppError("PAYLOAD_TOO_LARGE", `An event may be at most ${MAX_MESSAGE_BYTES} bytes`, [
        { path: `/events/${index}`, message: `is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES} byte queue message limit` },
      ]);
    }
    return { envelope, bytes };
  });

  try {
    for (const chunk of sendBatches(messages)) {
      await c.env.EVENTS.sendBatch(chunk.map((envelope) => ({ body: envelope, contentType: "json" as const })));
    }
  } catch (error) {
    log("error", "events queue send failed", { requestId, ...errorFields(error) });
    throw new AppError("NOT_READY", "The events queue is unavailable; retry later");
  }
  log("info", "events queued", { requestId, count: messages.length, events: body.events.map((e) => ({ id: e.id, type: e.type })) });
  return c.json({ queued: messages.length }, 202);
}

function* sendBatches(messages: { envelope: EventEnvelope; bytes: number }[]): Generator<EventEnvelope[]> {
  let chunk: EventEnvelope[] = [];
  let bytes = 0;
  for (const message of messages) {
    if (chunk.length > 0 && (chunk.length === SEND_BATCH_MAX_MESSAGES || bytes + message.bytes > SEND_BATCH_BUDGET_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(message.envelope);
    bytes += message.bytes;
  }
  if (chunk.length > 0) yield chunk;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("MALFORMED_JSON", "The request body is not valid JSON");
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `The request body may be at most ${maxBytes} bytes`);
}

/** Reads the body as text, refusing it as soon as it passes `maxBytes` (Content-Length may be absent or lie). */
async function readCappedText(request: Request, maxBytes: number): Promise<string> {
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) throw tooLarge(maxBytes);
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
