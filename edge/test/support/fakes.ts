import type { Env } from "../../src/env.ts";

export const TEST_SECRET = "test-events-secret-0123456789";

export interface SentMessage {
  body: unknown;
  contentType?: string;
}

/** A Queue binding that records what was sent. */
export function fakeQueue(): Queue<never> & { sent: SentMessage[]; failWith?: Error } {
  const queue = {
    sent: [] as SentMessage[],
    failWith: undefined as Error | undefined,
    async send(body: unknown, options?: QueueSendOptions) {
      if (queue.failWith) throw queue.failWith;
      queue.sent.push({ body, contentType: options?.contentType });
    },
    async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
      if (queue.failWith) throw queue.failWith;
      for (const m of messages) queue.sent.push({ body: m.body, contentType: m.contentType });
    },
  };
  return queue as unknown as Queue<never> & { sent: SentMessage[]; failWith?: Error };
}

export function fakeEnv(overrides: Partial<Env> = {}): Env & { EVENTS: ReturnType<typeof fakeQueue>; EVENTS_DLQ: ReturnType<typeof fakeQueue> } {
  return {
    CORE_ORIGIN: "http://core.test:3000",
    JWKS_CACHE_SECONDS: "300",
    DEV_EVENTS_INGEST: "on",
    EVENTS_SECRET: TEST_SECRET,
    EVENTS: fakeQueue(),
    EVENTS_DLQ: fakeQueue(),
    ...overrides,
  } as Env & { EVENTS: ReturnType<typeof fakeQueue>; EVENTS_DLQ: ReturnType<typeof fakeQueue> };
}

export interface FakeMessage {
  id: string;
  body: unknown;
  attempts: number;
  acked: boolean;
  retriedWith: QueueRetryOptions | undefined;
}

/** A batch for the consumer plus its messages, whose ack/retry outcome the test reads back. */
export function fakeBatch(bodies: { body: unknown; attempts?: number }[]): { batch: MessageBatch<unknown>; messages: FakeMessage[] } {
  const messages = bodies.map(({ body, attempts = 1 }, i) => {
    const message = {
      id: `msg-${i}`,
      timestamp: new Date(),
      body,
      attempts,
      acked: false,
      retriedWith: undefined as QueueRetryOptions | undefined,
      ack() {
        message.acked = true;
      },
      retry(options: QueueRetryOptions = {}) {
        message.retriedWith = options;
      },
    };
    return message;
  });
  const batch = { queue: "bazaar-events", messages, ackAll() {}, retryAll() {} } as unknown as MessageBatch<unknown>;
  return { batch, messages };
}

export interface RecordedFetch {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

/** Replaces globalThis.fetch for one test; `respond` decides each answer. Call restore() after. */
export function stubFetch(respond: (call: RecordedFetch) => Response | Promise<Response>): { calls: RecordedFetch[]; restore(): void } {
  const original = globalThis.fetch;
  const calls: RecordedFetch[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = typeof input === "string" || input instanceof URL ? new Request(String(input), init) : new Request(input, init);
    const call = { url: request.url, method: request.method, headers: request.headers, body: await request.text() };
    calls.push(call);
    return respond(call);
  }) as typeof fetch;
  return { calls, restore: () => (globalThis.fetch = original) };
}

let counter = 0;
/** A valid envelope; ids must be Crockford base32 ULIDs. */
export function envelope(type = "user.registered", payload: unknown = { userId: "usr_1" }) {
  counter++;
  return {
    id: `evt_01JD4M3Z8Q5V7W9X1Y2Z3A${String(counter).padStart(4, "0")}`,
    type,
    version: 1,
    occurredAt: "2026-11-25T06:00:00.000Z",
    payload,
  };
}

/** Captures the Worker's JSON log lines instead of printing them; call restore() after. */
export function captureLogs(): { lines: Record<string, unknown>[]; restore(): void } {
  const lines: Record<string, unknown>[] = [];
  const original = { log: console.log, error: console.error };
  const capture = (line: unknown) => lines.push(JSON.parse(String(line)) as Record<string, unknown>);
  console.log = capture;
  console.error = capture;
  return { lines, restore: () => Object.assign(console, original) };
}
