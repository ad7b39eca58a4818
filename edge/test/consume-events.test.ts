import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { EVENTS_SECRET_HEADER } from "@bazaar/events/envelope";
import { consumeEvents, retryDelaySeconds } from "../src/events/consume-events.ts";
import { CLOCK_SKEW_SECONDS, KV_MIN_EXPIRATION_TTL_SECONDS, sessionListingSeconds } from "../src/revocations/revocation-list.ts";
import { captureLogs, envelope, fakeBatch, fakeEnv, stubFetch, TEST_SECRET } from "./support/fakes.ts";

let fetchStub: ReturnType<typeof stubFetch> | undefined;
let logs: ReturnType<typeof captureLogs>;
beforeAll(() => {
  logs = captureLogs();
});
afterAll(() => logs.restore());
afterEach(() => fetchStub?.restore());

const handled = (count: number) => Response.json({ handled: count, skipped: 0 });

describe("queue consumer", () => {
  test("posts the envelopes to the core with the secret and acks each message", async () => {
    fetchStub = stubFetch(() => handled(2));
    const events = [envelope(), envelope("user.logged_in")];
    const { batch, messages } = fakeBatch(events.map((body) => ({ body })));
    await consumeEvents(batch, fakeEnv());

    expect(fetchStub.calls).toHaveLength(1);
    const [call] = fetchStub.calls;
    if (call === undefined) throw new Error("the core was not called");
    expect(call.url).toBe("http://core.test:3000/internal/events");
    expect(call.method).toBe("POST");
    expect(call.headers.get(EVENTS_SECRET_HEADER)).toBe(TEST_SECRET);
    expect(call.headers.get("x-request-id")).toMatch(/^req_/);
    expect(JSON.parse(call.body)).toEqual({ events });
    expect(messages.map((m) => [m.acked, m.retriedWith])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
  });

  test("a failing core gets every message retried with an exponential delay", async () => {
    fetchStub = stubFetch(() => new Response("down", { status: 503 }));
    const { batch, messages } = fakeBatch([
      { body: envelope(), attempts: 1 },
      { body: envelope(), attempts: 3 },
    ]);
    await consumeEvents(batch, fakeEnv());
    expect(messages.map((m) => [m.acked, m.retriedWith])).toEqual([
      [false, { delaySeconds: 2 }],
      [false, { delaySeconds: 8 }],
    ]);
  });

  test("an unreachable core is retried, not dropped", async () => {
    fetchStub = stubFetch(() => {
      throw new TypeError("connection refused");
    });
    const { batch, messages } = fakeBatch([{ body: envelope() }]);
    await consumeEvents(batch, fakeEnv());
    expect(messages[0]?.retriedWith).toEqual({ delaySeconds: 2 });
  });

  test("a body that is not an envelope goes to the DLQ and is acked; the rest are delivered", async () => {
    fetchStub = stubFetch(() => handled(1));
    const env = fakeEnv();
    const good = envelope();
    const { batch, messages } = fakeBatch([{ body: { hello: "world" } }, { body: good }, { body: "not json" }]);
    await consumeEvents(batch, env);
    expect(env.EVENTS_DLQ.sent.map((m) => m.body)).toEqual([{ hello: "world" }, "not json"]);
    expect(messages.every((m) => m.acked)).toBe(true);
    expect(JSON.parse(fetchStub.calls[0]?.body ?? "")).toEqual({ events: [good] });
  });

  test("a poison message is retried when the DLQ refuses it, never dropped", async () => {
    const env = fakeEnv();
    env.EVENTS_DLQ.failWith = new Error("dlq down");
    const { batch, messages } = fakeBatch([{ body: 42 }]);
    await consumeEvents(batch, env);
    expect(messages[0]).toMatchObject({ acked: false, retriedWith: { delaySeconds: 2 } });
  });

  test("text bodies holding an envelope (Queues HTTP API) are delivered", async () => {
    fetchStub = stubFetch(() => handled(1));
    const event = envelope();
    const { batch, messages } = fakeBatch([{ body: JSON.stringify(event) }]);
    await consumeEvents(batch, fakeEnv());
    expect(JSON.parse(fetchStub.calls[0]?.body ?? "")).toEqual({ events: [event] });
    expect(messages[0]?.acked).toBe(true);
  });

  test("when the core refuses a batch as invalid, each event gets its own verdict", async () => {
    const bad = envelope("user.registered", { broken: true });
    fetchStub = stubFetch((call) => (call.body.includes('"broken"') ? new Response("invalid payload", { status: 422 }) : handled(1)));
    const env = fakeEnv();
    const { batch, messages } = fakeBatch([{ body: envelope() }, { body: bad }, { body: envelope() }]);
    await consumeEvents(batch, env);
    expect(fetchStub.calls).toHaveLength(4);
    expect(messages.every((m) => m.acked && m.retriedWith === undefined)).toBe(true);
    expect(env.EVENTS_DLQ.sent.map((m) => m.body)).toEqual([bad]);
  });

  test("retry delays double per attempt up to five minutes", () => {
    expect([1, 2, 3, 4, 5, 8, 9, 20].map(retryDelaySeconds)).toEqual([2, 4, 8, 16, 32, 256, 300, 300]);
  });
});

describe("revocations", () => {
  const userId = "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
  const revoked = (sessionId = "ses_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", reason = "logout") => envelope("session.revoked", { userId, sessionId, reason });
  const status = (value: string, occurredAt: string) =>
    envelope("user.status_changed", { userId, status: value, actorId: "usr_admin", reason: null }, { occurredAt });
  const postedIds = (calls: { body: string }[]) => calls.flatMap((call) => (JSON.parse(call.body) as { events: { id: string }[] }).events.map((e) => e.id));

  test("session.revoked lists the session for the access-token lifetime plus clock skew, then goes to the core", async () => {
    fetchStub = stubFetch(() => handled(1));
    const env = fakeEnv({ ACCESS_TOKEN_TTL_SECONDS: "900" });
    const event = revoked();
    const { batch, messages } = fakeBatch([{ body: event }]);
    await consumeEvents(batch, env);
    expect(env.REVOCATIONS.writes).toEqual([
      { op: "put", key: "sid:ses_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", value: "logout", options: { expirationTtl: 900 + CLOCK_SKEW_SECONDS } },
    ]);
    expect(postedIds(fetchStub.calls)).toEqual([event.id]);
    expect(messages[0]?.acked).toBe(true);
  });

  test("the listing never asks KV for less than its 60 s minimum", () => {
    expect(sessionListingSeconds(1)).toBeGreaterThanOrEqual(KV_MIN_EXPIRATION_TTL_SECONDS);
    expect(sessionListingSeconds(900)).toBe(960);
  });

  test("a suspension lists the user with no expiry; reinstating unlists them", async () => {
    fetchStub = stubFetch(() => handled(1));
    const env = fakeEnv();
    await consumeEvents(fakeBatch([{ body: status("suspended", "2026-11-25T06:00:00.000Z") }]).batch, env);
    expect(env.REVOCATIONS.entries.get(`user:${userId}`)).toBe("suspended");
    expect(env.REVOCATIONS.writes.find((w) => w.key === `user:${userId}`)?.options).toBeUndefined();
    await consumeEvents(fakeBatch([{ body: status("active", "2026-11-25T06:05:00.000Z") }]).batch, env);
    expect(env.REVOCATIONS.entries.has(`user:${userId}`)).toBe(false);
    await consumeEvents(fakeBatch([{ body: status("banned", "2026-11-25T06:10:00.000Z") }]).batch, env);
    expect(env.REVOCATIONS.entries.get(`user:${userId}`)).toBe("banned");
  });

  test("a redelivered event writes the same again", async () => {
    fetchStub = stubFetch(() => handled(1));
    const env = fakeEnv();
    const event = status("suspended", "2026-11-25T06:00:00.000Z");
    for (let attempts = 1; attempts <= 2; attempts++) await consumeEvents(fakeBatch([{ body: event, attempts }]).batch, env);
    const sessionEvent = revoked();
    for (let attempts = 1; attempts <= 2; attempts++) await consumeEvents(fakeBatch([{ body: sessionEvent, attempts }]).batch, env);
    expect(Object.fromEntries([...env.REVOCATIONS.entries].filter(([key]) => !key.startsWith("user-status:")))).toEqual({
      [`user:${userId}`]: "suspended",
      "sid:ses_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C": "logout",
    });
  });

  test("an older status change arriving late cannot undo a newer one, across batches and within one", async () => {
    fetchStub = stubFetch(() => handled(2));
    const env = fakeEnv();
    const suspended = status("suspended", "2026-11-25T06:00:00.000Z");
    const reinstated = status("active", "2026-11-25T06:05:00.000Z");
    await consumeEvents(fakeBatch([{ body: reinstated }]).batch, env);
    const late = fakeBatch([{ body: suspended, attempts: 3 }]);
    await consumeEvents(late.batch, env);
    expect(env.REVOCATIONS.entries.has(`user:${userId}`)).toBe(false);
    expect(late.messages[0]?.acked).toBe(true); // still handed to the core: only the edge's list ignores it
    expect(logs.lines.some((line) => line.msg === "revocation superseded by a newer one")).toBe(true);

    const fresh = fakeEnv();
    await consumeEvents(fakeBatch([{ body: reinstated }, { body: suspended }]).batch, fresh);
    expect(fresh.REVOCATIONS.entries.has(`user:${userId}`)).toBe(false);
  });

  test("with the core down the revocation is still written; the message is retried for the core's sake", async () => {
    fetchStub = stubFetch(() => new Response("down", { status: 503 }));
    const env = fakeEnv();
    const { batch, messages } = fakeBatch([{ body: revoked() }, { body: status("banned", "2026-11-25T06:00:00.000Z") }]);
    await consumeEvents(batch, env);
    expect(env.REVOCATIONS.entries.get("sid:ses_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C")).toBe("logout");
    expect(env.REVOCATIONS.entries.get(`user:${userId}`)).toBe("banned");
    expect(messages.map((m) => [m.acked, m.retriedWith])).toEqual([
      [false, { delaySeconds: 2 }],
      [false, { delaySeconds: 2 }],
    ]);
  });

  test("a KV failure retries the revocation and holds it back from the core; the rest of the batch goes on", async () => {
    fetchStub = stubFetch(() => handled(1));
    const env = fakeEnv();
    env.REVOCATIONS.failWith = new Error("KV unavailable");
    const other = envelope("user.registered");
    const { batch, messages } = fakeBatch([{ body: revoked(), attempts: 2 }, { body: other }]);
    await consumeEvents(batch, env);
    expect(messages.map((m) => [m.acked, m.retriedWith])).toEqual([
      [false, { delaySeconds: 4 }],
      [true, undefined],
    ]);
    expect(postedIds(fetchStub.calls)).toEqual([other.id]);
  });

  test.each([
    ["a version the edge does not know", () => envelope("session.revoked", { userId, sessionId: "ses_1", reason: "logout" }, { version: 2 })],
    ["a payload off the catalogue", () => envelope("user.status_changed", { userId, status: "frozen", actorId: "usr_admin", reason: null })],
  ])("%s goes to the dead-letter queue, not to the core", async (_, make) => {
    fetchStub = stubFetch(() => handled(1));
    const env = fakeEnv();
    const event = make();
    const { batch, messages } = fakeBatch([{ body: event }]);
    await consumeEvents(batch, env);
    expect(env.EVENTS_DLQ.sent.map((m) => m.body)).toEqual([event]);
    expect(messages[0]?.acked).toBe(true);
    expect(fetchStub.calls).toHaveLength(0);
    expect(env.REVOCATIONS.writes).toEqual([]);
  });
});
