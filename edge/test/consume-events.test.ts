import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { EVENTS_SECRET_HEADER } from "@bazaar/events/envelope";
import { consumeEvents, retryDelaySeconds } from "../src/events/consume-events.ts";
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
