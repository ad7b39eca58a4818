import { afterEach, beforeEach, expect, test } from "bun:test";
import { createIdGenerator } from "@bazaar/contracts";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { createEvent, outboxInsert } from "../src/outbox.ts";
import { pruneEvents } from "../src/retention.ts";
import { thingHappened } from "./fixtures/effects.ts";

let database: TestDatabase;
const ids = createIdGenerator();
const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(() => database.destroy());

const scalar = async (query: string) => Number((await database.client.execute(query)).rows[0]?.[0]);

test("delivered events go after a week and dedupe records after a month; pending events are never touched", async () => {
  const events = [0, 1, 2, 3].map((n) => createEvent(thingHappened, { n }, { ids, now: NOW - 20 * DAY }));
  const [first, ...rest] = events.map((e) => outboxInsert(database.db, e));
  if (first) await database.batch([first, ...rest]);
  const deliveredAt = [NOW - 8 * DAY, NOW - 6 * DAY, null, null];
  for (const [i, event] of events.entries()) {
    await database.client.execute({ sql: "UPDATE outbox_event SET delivered_at = ? WHERE id = ?", args: [deliveredAt[i] ?? null, event.id] });
  }
  for (const [i, handledAt] of [NOW - 31 * DAY, NOW - 29 * DAY].entries()) {
    await database.client.execute({ sql: "INSERT INTO handled_event (consumer, event_id, handled_at) VALUES ('c', ?, ?)", args: [`evt_${i}`, handledAt] });
  }

  expect(await pruneEvents(database, NOW)).toBe(2); // the week-old delivery and the month-old dedupe record
  const left = await database.client.execute("SELECT id FROM outbox_event ORDER BY id");
  expect(left.rows.map((r) => r.id)).toEqual(events.slice(1).map((e) => e.id));
  expect(await scalar("SELECT count(*) FROM handled_event")).toBe(1);
  expect(await pruneEvents(database, NOW)).toBe(0);
});
