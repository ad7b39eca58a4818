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

export interface KvWrite {
  op: "put" | "delete";
  key: string;
  value?: string;
  options?: KVNamespacePutOptions;
}

/** A KV binding over a Map that records every write; `failWith` makes every call throw, as KV does when it is down. */
export function fakeKv(): KVNamespace & { entries: Map<string, string>; writes: KvWrite[]; failWith?: Error } {
  const kv = {
    entries: new Map<string, string>(),
    writes: [] as KvWrite[],
    failWith: undefined as Error | undefined,
    async get(key: string) {
      if (kv.failWith) throw kv.failWith;
      return kv.entries.get(key) ?? null;
    },
    async put(key: string, value: string, options?: KVNamespacePutOptions) {
      if (kv.failWith) throw kv.failWith;
      kv.entries.set(key, value);
      kv.writes.push({ op: "put", key, value, options });
    },
    async delete(key: string) {
      if (kv.failWith) throw kv.failWith;
      kv.entries.delete(key);
      kv.writes.push({ op: "delete", key });
    },
  };
  return kv as unknown as KVNamespace & { entries: Map<string, string>; writes: KvWrite[]; failWith?: Error };
}

type FakeEnv = Env & { EVENTS: ReturnType<typeof fakeQueue>; EVENTS_DLQ: ReturnType<typeof fakeQueue>; REVOCATIONS: ReturnType<typeof fakeKv> };

export function fakeEnv(overrides: Partial<Env> = {}): FakeEnv {
  return {
    CORE_ORIGIN: "http://core.test:3000",
    JWKS_CACHE_SECONDS: "300",
    JWKS_REFETCH_COOLDOWN_SECONDS: "10",
    ACCESS_TOKEN_TTL_SECONDS: "900",
    DEV_EVENTS_INGEST: "on",
    EVENTS_SECRET: TEST_SECRET,
    EVENTS: fakeQueue(),
    EVENTS_DLQ: fakeQueue(),
    REVOCATIONS: fakeKv(),
    ...overrides,
  } as FakeEnv;
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
export function envelope(type = "user.registered", payload: unknown = { userId: "usr_1" }, overrides: { occurredAt?: string; version?: number } = {}) {
  counter++;
  return {
    id: `evt_01JD4M3Z8Q5V7W9X1Y2Z3A${String(counter).padStart(4, "0")}`,
    type,
    version: 1,
    occurredAt: "2026-11-25T06:00:00.000Z",
    payload,
    ...overrides,
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
