import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createIdGenerator } from "@bazaar/contracts";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { sessionRevoked, userRegistered } from "../src/catalogue.ts";
import { EVENTS_SECRET_HEADER, type EventEnvelope } from "../src/envelope.ts";
import { createEvent, outboxInsert } from "../src/outbox.ts";
import { OutboxRelay } from "../src/relay.ts";
import { CloudflareQueuesTransport, EdgeIngestTransport, InProcessTransport } from "../src/transports.ts";
import { busWithEffectConsumer, createEffectTable, thingHappened } from "./fixtures/effects.ts";

const ids = createIdGenerator();
const NOW = Date.parse("2026-11-25T06:00:00.000Z");

function sampleEvents(): EventEnvelope[] {
  return [
    createEvent(userRegistered, { userId: "usr_1", email: "ada@example.com", name: "Ada" }, { ids, now: NOW, requestId: "req_1" }),
    createEvent(sessionRevoked, { userId: "usr_1", sessionId: "ses_1", reason: "logout" }, { ids, now: NOW + 1 }),
  ];
}

interface Captured {
  method: string;
  path: string;
  headers: Headers;
  body: unknown;
}

/** Answers in Cloudflare's v4 envelope. */
function envelope(status: number, success: boolean, errors: { code: number; message: string }[] = [], result: unknown = null): Response {
  return Response.json({ success, errors, messages: [], result }, { status });
}

describe("CloudflareQueuesTransport", () => {
  const ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353";
  const QUEUE = "6f1e9c5a0b2d4e8f9a7b3c1d5e2f4a6b";
  const TOKEN = "cf-queues-edit-token";
  const captured: Captured[] = [];
  /** When set, the fake answers with this instead of its normal behaviour (outages, refusals). */
  let override: (() => Response) | null = null;

  // A stand-in for api.cloudflare.com speaking the real wire format of
  // POST /client/v4/accounts/{account_id}/queues/{queue_id}/messages/batch
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      const text = await request.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      captured.push({ method: request.method, path, headers: request.headers, body });
      if (override) return override();
      const route = path.match(/^\/client\/v4\/accounts\/([0-9a-f]{32})\/queues\/([0-9a-f]{32})\/messages\/batch$/);
      if (!route || request.method !== "POST") {
        return envelope(404, false, [{ code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` }]);
      }
      if (request.headers.get("authorization") !== `Bearer ${TOKEN}`) return envelope(401, false, [{ code: 10000, message: "Authentication error" }]);
      if (route[1] !== ACCOUNT || route[2] !== QUEUE) return envelope(404, false, [{ code: 11000, message: "Queue not found" }]);
      const messages = (body as { messages?: unknown } | null)?.messages;
      const wellFormed =
        Array.isArray(messages) &&
        messages.length > 0 &&
        messages.length <= 100 &&
        messages.every((m) => m && typeof m === "object" && "body" in m && (m as { content_type?: unknown }).content_type === "json");
      if (!wellFormed) return envelope(400, false, [{ code: 10104, message: "Invalid request body" }]);
      return envelope(200, true);
    },
  });
  const apiBase = `http://127.0.0.1:${server.port}/client/v4`;
  const transport = (token = TOKEN) => new CloudflareQueuesTransport({ accountId: ACCOUNT, queueId: QUEUE, apiToken: token, apiBase });

  beforeEach(() => {
    captured.length = 0;
    override = null;
  });
  afterAll(() => server.stop(true));

  test("POSTs the batch to the queue's messages/batch path with the Bearer token", async () => {
    const events = sampleEvents();
    expect(await transport().deliver(events)).toEqual(new Map());
    expect(captured).toHaveLength(1);
    const [request] = captured;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(`/client/v4/accounts/${ACCOUNT}/queues/${QUEUE}/messages/batch`);
    expect(request?.headers.get("authorization")).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers.get("content-type")).toBe("application/json");
  });

  test("each message's body is the full event envelope, as JSON content", async () => {
    const events = sampleEvents();
    await transport().deliver(events);
    const body = captured[0]?.body as { messages: Record<string, unknown>[] };
    expect(Object.keys(body)).toEqual(["messages"]);
    expect(body.messages).toEqual(events.map((event) => ({ body: event, content_type: "json" })));
    expect(body.messages[0]?.body).toMatchObject({ id: events[0]?.id, type: "user.registered", version: 1, requestId: "req_1" });
  });

  test("a 401 throws with Cloudflare's error message", async () => {
    await expect(transport("wrong-token").deliver(sampleEvents())).rejects.toThrow("Cloudflare Queues refused the batch: Authentication error");
  });

  test("success:false on a 200 throws, joining every error message", async () => {
    override = () =>
      envelope(200, false, [
        { code: 11107, message: "Message too large" },
        { code: 10001, message: "Rate limited" },
      ]);
    await expect(transport().deliver(sampleEvents())).rejects.toThrow("Message too large; Rate limited");
  });

  test("a 5xx throws: with Cloudflare's message when it sends one, with the status when it sends HTML", async () => {
    override = () => envelope(503, false, [{ code: 10013, message: "Service temporarily unavailable" }]);
    await expect(transport().deliver(sampleEvents())).rejects.toThrow("Service temporarily unavailable");
    override = () => new Response("<html><body>502 Bad Gateway</body></html>", { status: 502, headers: { "content-type": "text/html" } });
    await expect(transport().deliver(sampleEvents())).rejects.toThrow("HTTP 502");
  });

  test("a 5xx that still says success:true is not taken as delivered", async () => {
    override = () => envelope(500, true);
    await expect(transport().deliver(sampleEvents())).rejects.toThrow("HTTP 500");
  });

  test("a wrong account or queue id is refused by the API and surfaces as an error", async () => {
    const wrongQueue = new CloudflareQueuesTransport({ accountId: ACCOUNT, queueId: "f".repeat(32), apiToken: TOKEN, apiBase });
    await expect(wrongQueue.deliver(sampleEvents())).rejects.toThrow("Queue not found");
  });

  test("without apiBase it talks to api.cloudflare.com", async () => {
    const urls: string[] = [];
    const recordingFetch = (async (input: string | URL | Request) => {
      urls.push(String(input));
      return envelope(200, true);
    }) as typeof fetch;
    await new CloudflareQueuesTransport({ accountId: ACCOUNT, queueId: QUEUE, apiToken: TOKEN }, recordingFetch).deliver(sampleEvents());
    expect(urls).toEqual([`https://api.cloudflare.com/client/v4/accounts/${ACCOUNT}/queues/${QUEUE}/messages/batch`]);
  });

  describe("behind the outbox relay", () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(() => database.destroy());

    test("a refused batch is retried with Cloudflare's reason recorded, then delivered once", async () => {
      const events = sampleEvents();
      const [first, ...rest] = events.map((e) => outboxInsert(database.db, e));
      if (first) await database.batch([first, ...rest]);
      let now = NOW + 10_000;
      const relay = new OutboxRelay(database, transport(), { clock: () => now });

      override = () => envelope(503, false, [{ code: 10013, message: "Service temporarily unavailable" }]);
      expect(await relay.runOnce()).toMatchObject({ claimed: 2, retried: 2, delivered: 0 });
      const lastErrors = await database.client.execute("SELECT last_error FROM outbox_event ORDER BY id");
      expect(lastErrors.rows.map((r) => r[0])).toEqual([
        "Cloudflare Queues refused the batch: Service temporarily unavailable",
        "Cloudflare Queues refused the batch: Service temporarily unavailable",
      ]);

      override = null;
      captured.length = 0;
      now += 60_000;
      expect(await relay.runOnce()).toMatchObject({ claimed: 2, delivered: 2 });
      const sent = captured[0]?.body as { messages: { body: EventEnvelope }[] } | undefined;
      expect(sent?.messages.map((m) => m.body)).toEqual(events);
      expect((await relay.runOnce()).claimed).toBe(0);
    });
  });
});

describe("EdgeIngestTransport", () => {
  const SECRET = "dev-events-secret";
  const captured: Captured[] = [];
  let override: (() => Response) | null = null;

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/login") return new Response("<html>Sign in</html>", { headers: { "content-type": "text/html" } });
      captured.push({ method: request.method, path, headers: request.headers, body: await request.json().catch(() => null) });
      if (override) return override();
      if (request.method !== "POST" || path !== "/edge/dev/events") return new Response("not found", { status: 404 });
      if (request.headers.get(EVENTS_SECRET_HEADER) !== SECRET) return new Response("bad events secret", { status: 401 });
      const events = (captured.at(-1)?.body as { events?: unknown[] } | undefined)?.events ?? [];
      return Response.json({ queued: events.length }, { status: 202 });
    },
  });
  const edgeUrl = `http://127.0.0.1:${server.port}`;

  beforeEach(() => {
    captured.length = 0;
    override = null;
  });
  afterAll(() => server.stop(true));

  test("POSTs {events} to /edge/dev/events with the shared secret header", async () => {
    const events = sampleEvents();
    expect(EVENTS_SECRET_HEADER).toBe("x-bazaar-events-secret");
    expect(await new EdgeIngestTransport(edgeUrl, SECRET).deliver(events)).toEqual(new Map());
    expect(captured).toHaveLength(1);
    expect(captured[0]?.method).toBe("POST");
    expect(captured[0]?.path).toBe("/edge/dev/events");
    expect(captured[0]?.headers.get("x-bazaar-events-secret")).toBe(SECRET);
    expect(captured[0]?.headers.get("content-type")).toBe("application/json");
    expect(captured[0]?.body).toEqual({ events });
  });

  test("a trailing slash on the edge URL changes nothing", async () => {
    await new EdgeIngestTransport(`${edgeUrl}/`, SECRET).deliver(sampleEvents());
    expect(captured[0]?.path).toBe("/edge/dev/events");
  });

  test("a non-2xx answer throws with the status and the edge's words", async () => {
    await expect(new EdgeIngestTransport(edgeUrl, "wrong-secret").deliver(sampleEvents())).rejects.toThrow("edge ingest answered 401: bad events secret");
    override = () => new Response("queue send failed", { status: 500 });
    await expect(new EdgeIngestTransport(edgeUrl, SECRET).deliver(sampleEvents())).rejects.toThrow("edge ingest answered 500: queue send failed");
    override = () => new Response("", { status: 404 });
    await expect(new EdgeIngestTransport(edgeUrl, SECRET).deliver(sampleEvents())).rejects.toThrow("edge ingest answered 404");
  });

  test("a redirect to a login page (an access proxy in front of the edge) is not a delivery", async () => {
    override = () => new Response(null, { status: 302, headers: { location: "/login" } });
    await expect(new EdgeIngestTransport(edgeUrl, SECRET).deliver(sampleEvents())).rejects.toThrow(/edge ingest answered 30\d/);
  });
});

describe("InProcessTransport", () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase();
    await createEffectTable(database);
  });
  afterEach(() => database.destroy());

  const scalar = async (query: string) => Number((await database.client.execute(query)).rows[0]?.[0]);

  function busWithPickyConsumer() {
    return busWithEffectConsumer(database, "inprocess").subscribe("test.picky", thingHappened, async (payload) => {
      if (payload.n === 2) throw new Error("n=2 refused");
      return undefined;
    });
  }

  function threeThings(): [EventEnvelope, EventEnvelope, EventEnvelope] {
    const make = (n: number) => createEvent(thingHappened, { n }, { ids, now: NOW });
    return [make(1), make(2), make(3)];
  }

  test("reports exactly the events that failed, with why; the others are handled", async () => {
    const events = threeThings();
    const failed = await new InProcessTransport(busWithPickyConsumer()).deliver(events);
    expect([...failed.keys()]).toEqual([events[1].id]);
    expect(failed.get(events[1].id)).toContain("test.picky: n=2 refused");
    expect(await scalar("SELECT count(*) FROM effect")).toBe(3);
    expect(await scalar("SELECT count(*) FROM handled_event WHERE consumer = 'test.picky'")).toBe(2);
  });

  test("redelivering the batch retries only what failed; nothing is handled twice", async () => {
    const events = threeThings();
    const transport = new InProcessTransport(busWithPickyConsumer());
    await transport.deliver(events);
    const again = await transport.deliver(events);
    expect([...again.keys()]).toEqual([events[1].id]);
    expect(await scalar("SELECT count(*) FROM effect")).toBe(3);
    expect(await scalar("SELECT count(*) FROM handled_event")).toBe(5);
  });

  test("a payload that breaks its schema or an unknown version fails that event only", async () => {
    const good = createEvent(thingHappened, { n: 1 }, { ids, now: NOW });
    const badPayload: EventEnvelope = { ...createEvent(thingHappened, { n: 2 }, { ids, now: NOW }), payload: { n: "two" } };
    const v2: EventEnvelope = { ...createEvent(thingHappened, { n: 3 }, { ids, now: NOW }), version: 2 };
    const failed = await new InProcessTransport(busWithEffectConsumer(database, "strict")).deliver([good, badPayload, v2]);
    expect(new Set(failed.keys())).toEqual(new Set([badPayload.id, v2.id]));
    expect(failed.get(badPayload.id)).toContain("payload does not match its schema");
    expect(failed.get(v2.id)).toContain("got v2");
    expect(await scalar("SELECT count(*) FROM effect")).toBe(1);
  });

  test("an event nobody subscribes to is not a failure, and an empty batch is an empty map", async () => {
    const transport = new InProcessTransport(busWithEffectConsumer(database, "only-things"));
    const orphan = createEvent(userRegistered, { userId: "usr_1", email: "ada@example.com", name: "Ada" }, { ids, now: NOW });
    expect(await transport.deliver([orphan])).toEqual(new Map());
    expect(await transport.deliver([])).toEqual(new Map());
    expect(await scalar("SELECT count(*) FROM handled_event")).toBe(0);
  });
});
