import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createIdGenerator } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { Type } from "@sinclair/typebox";
import { listDeadLetters, replayDeadLetter } from "../src/dead-letters.ts";
import { defineEvent, type EventEnvelope } from "../src/envelope.ts";
import { EventBus } from "../src/event-bus.ts";
import { createEvent, outboxInsert } from "../src/outbox.ts";
import { OutboxRelay } from "../src/relay.ts";
import { type EventTransport, InProcessTransport, PermanentDeliveryError } from "../src/transports.ts";
import { busWithEffectConsumer, createEffectTable, thingHappened } from "./fixtures/effects.ts";

let database: TestDatabase;
const ids = createIdGenerator();

beforeEach(async () => {
  database = await createTestDatabase();
  await createEffectTable(database);
});
afterEach(() => database.destroy());

async function emit(count: number, now = Date.now()): Promise<EventEnvelope[]> {
  const events = Array.from({ length: count }, (_, n) => createEvent(thingHappened, { n }, { ids, now }));
  const [first, ...rest] = events.map((e) => outboxInsert(database.db, e));
  if (first) await database.batch([first, ...rest]);
  return events;
}

const scalar = async (query: string) => Number((await database.client.execute(query)).rows[0]?.[0]);

describe("outbox relay", () => {
  test("killed mid-batch: no event is lost and none is handled twice", async () => {
    await emit(30);
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/relay-process.ts"), database.path], { stdout: "pipe", stderr: "inherit" });
    // wait until the doomed relay has handled part of its one batch, then kill it without warning
    const deadline = Date.now() + 10_000;
    while ((await scalar("SELECT count(*) FROM effect")) < 8 && Date.now() < deadline) await Bun.sleep(5);
    child.kill("SIGKILL");
    await child.exited;

    const handledBeforeCrash = await scalar("SELECT count(*) FROM effect");
    expect(handledBeforeCrash).toBeGreaterThanOrEqual(8);
    expect(handledBeforeCrash).toBeLessThan(30);
    expect(await scalar("SELECT count(*) FROM outbox_event WHERE delivered_at IS NOT NULL")).toBe(0); // it never got to mark them

    // a new relay: the dead one's lease must run out before the rows are claimed again
    let now = Date.now();
    const survivor = new OutboxRelay(database, new InProcessTransport(busWithEffectConsumer(database, "survivor")), { clock: () => now, batchSize: 100 });
    expect((await survivor.runOnce()).claimed).toBe(0);
    now += 61_000;
    await survivor.flush();

    expect(await scalar("SELECT count(*) FROM effect")).toBe(30);
    expect(await scalar("SELECT count(DISTINCT event_id) FROM effect")).toBe(30);
    expect(await scalar("SELECT count(*) FROM handled_event")).toBe(30);
    expect(await scalar("SELECT count(*) FROM outbox_event WHERE delivered_at IS NULL")).toBe(0);
    expect(await scalar("SELECT count(*) FROM dead_letter_event")).toBe(0);
  }, 20_000);

  test("a failing consumer is retried with backoff, then dead-lettered; replay puts it back", async () => {
    const flaky = defineEvent("test.flaky", 1, Type.Object({}));
    let calls = 0;
    const bus = new EventBus(database).subscribe("test.always-fails", flaky, async () => {
      calls++;
      throw new Error("downstream is down");
    });
    let now = 1_000_000;
    const relay = new OutboxRelay(database, new InProcessTransport(bus), { clock: () => now, maxAttempts: 3, backoffMs: (a) => a * 1000 });
    const event = createEvent(flaky, {}, { ids, now });
    await database.batch([outboxInsert(database.db, event)]);

    expect(await relay.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
    expect((await relay.runOnce()).claimed).toBe(0); // backing off: not due yet
    now += 1000;
    expect(await relay.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
    now += 2000;
    expect(await relay.runOnce()).toMatchObject({ claimed: 1, dead: 1 });
    expect(calls).toBe(3);

    const dead = await listDeadLetters(database);
    expect(dead.map((d) => [d.id, d.attempts, d.lastError])).toEqual([[event.id, 3, expect.stringContaining("downstream is down")]]);
    expect(await scalar("SELECT count(*) FROM outbox_event")).toBe(0);

    expect(await replayDeadLetter(database, event.id, now)).toBe(true);
    expect(await scalar("SELECT count(*) FROM dead_letter_event")).toBe(0);
    expect(await relay.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
    expect(calls).toBe(4);
  });

  test("a transport that throws fails the whole batch, which is redelivered later", async () => {
    await emit(3);
    let up = false;
    const delivered: string[] = [];
    const transport: EventTransport = {
      name: "flaky-network",
      deliver: async (events) => {
        if (!up) throw new Error("ECONNREFUSED");
        delivered.push(...events.map((e) => e.id));
        return new Map();
      },
    };
    let now = Date.now();
    const relay = new OutboxRelay(database, transport, { clock: () => now });
    expect(await relay.runOnce()).toMatchObject({ claimed: 3, retried: 3, delivered: 0 });
    up = true;
    now += 60_000;
    expect(await relay.runOnce()).toMatchObject({ claimed: 3, delivered: 3 });
    expect(delivered).toHaveLength(3);
  });

  test("the running relay delivers events written after it started, and stop() waits for the batch in flight", async () => {
    const bus = busWithEffectConsumer(database, "live");
    const relay = new OutboxRelay(database, new InProcessTransport(bus), { pollIntervalMs: 10 });
    relay.start();
    await emit(5);
    relay.kick();
    const deadline = Date.now() + 5000;
    while ((await scalar("SELECT count(*) FROM effect")) < 5 && Date.now() < deadline) await Bun.sleep(10);
    await relay.stop();
    expect(await scalar("SELECT count(*) FROM effect")).toBe(5);
  });
});

describe("consumer dedupe", () => {
  test("the same event delivered many times, even concurrently, takes effect once", async () => {
    const [event] = await emit(1);
    if (!event) throw new Error("no event");
    const bus = busWithEffectConsumer(database, "dup", 5);
    const results = await Promise.all(Array.from({ length: 20 }, () => bus.dispatch(event)));
    expect(results.reduce((n, r) => n + r.handled, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.skipped, 0)).toBe(19);
    expect(await scalar("SELECT count(*) FROM effect")).toBe(1);
  });

  test("two consumers of one event each handle it once, independently", async () => {
    const [event] = await emit(1);
    if (!event) throw new Error("no event");
    const seen: string[] = [];
    const bus = busWithEffectConsumer(database, "a").subscribe("test.second", thingHappened, async () => {
      seen.push("second");
      return undefined;
    });
    expect(await bus.dispatch(event)).toEqual({ handled: 2, skipped: 0 });
    expect(await bus.dispatch(event)).toEqual({ handled: 0, skipped: 2 });
    expect(seen).toEqual(["second"]);
  });

  test("a payload that breaks its schema is refused, not half-handled", async () => {
    const bus = busWithEffectConsumer(database, "strict");
    const bad: EventEnvelope = { id: ids("event"), type: thingHappened.type, version: 1, occurredAt: new Date().toISOString(), payload: { n: "seven" } };
    await expect(bus.dispatch(bad)).rejects.toThrow(/failed/);
    expect(await scalar("SELECT count(*) FROM effect")).toBe(0);
    expect(await scalar("SELECT count(*) FROM handled_event")).toBe(0);
  });

  test("createEvent refuses a payload its schema rejects", () => {
    expect(() => createEvent(thingHappened, { n: 1.5 }, { ids, now: Date.now() })).toThrow();
  });

  test("the outbox row and the state change commit together or not at all", async () => {
    const event = createEvent(thingHappened, { n: 1 }, { ids, now: Date.now() });
    const { db } = database;
    const duplicateUser = { id: "usr_x", email: "a@b.co", name: "A", passwordHash: "h", createdAt: 1, updatedAt: 1 };
    await database.batch([db.insert(schema.user).values(duplicateUser)]);
    await expect(database.batch([outboxInsert(db, event), db.insert(schema.user).values(duplicateUser)])).rejects.toThrow();
    expect(await scalar("SELECT count(*) FROM outbox_event")).toBe(0);
  });
});

describe("content the receiver refuses", () => {
  test("a 413 for one event in a batch dead-letters that event at once and delivers its neighbours", async () => {
    const events = await emit(3);
    const poison = events[1]?.id ?? "";
    const received: string[] = [];
    const transport: EventTransport = {
      name: "picky",
      deliver: async (batch) => {
        if (batch.some((e) => e.id === poison)) throw new PermanentDeliveryError("edge ingest answered 413: too large");
        received.push(...batch.map((e) => e.id));
        return new Map();
      },
    };
    const relay = new OutboxRelay(database, transport);
    expect(await relay.runOnce()).toMatchObject({ claimed: 3, delivered: 2, dead: 1, retried: 0 });
    expect(received).toEqual([events[0]?.id ?? "", events[2]?.id ?? ""]);
    expect((await listDeadLetters(database)).map((d) => [d.id, d.attempts])).toEqual([[poison, 1]]);
  });
});

describe("leases", () => {
  test("a relay whose delivery outlived its lease does not overrule the relay that re-claimed the event", async () => {
    const [event] = await emit(1);
    let now = Date.now();
    const received: string[] = [];
    const healthy: EventTransport = {
      name: "healthy",
      deliver: async (events) => {
        received.push(...events.map((e) => e.id));
        return new Map();
      },
    };
    const rescuer = new OutboxRelay(database, healthy, { clock: () => now, leaseMs: 1000 });
    const slow: EventTransport = {
      name: "slow-then-refused",
      deliver: async () => {
        now += 5000; // our lease runs out while we wait…
        await rescuer.runOnce(); // …and another relay claims and delivers the event
        throw new PermanentDeliveryError("edge ingest answered 413");
      },
    };
    const stale = new OutboxRelay(database, slow, { clock: () => now, leaseMs: 1000 });
    await stale.runOnce();
    expect(received).toEqual([event?.id ?? ""]);
    expect(await scalar("SELECT count(*) FROM dead_letter_event")).toBe(0);
    expect(await scalar("SELECT count(*) FROM outbox_event WHERE delivered_at IS NOT NULL")).toBe(1);
  });
});
