import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import type { Database } from "../src/client.ts";
import { isConstraintError } from "../src/errors.ts";
import { migrationStatus } from "../src/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";
import { isBusyError, retryBusy, WriteLane } from "../src/write-lane.ts";
import { writeMix } from "./fixtures/write-mix.ts";

let database: TestDatabase;

beforeEach(async () => {
  database = await createTestDatabase();
  await database.client.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL CHECK (value >= 0))");
  await database.client.execute("INSERT INTO counter (id, value) VALUES (1, 0)");
  await database.client.execute("CREATE TABLE entry (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL)");
});
afterEach(() => database.destroy());

const count = async (db: Database, table: string) => Number((await db.client.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);

describe("one writer at a time", () => {
  test("500 concurrent interactive transactions all commit (the raw client gives SQLITE_BUSY)", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 500 }, (_, i) =>
        database.transaction(async (tx) => {
          const [row] = await tx.all<{ value: number }>(sql`SELECT value FROM counter WHERE id = 1`);
          await tx.run(sql`UPDATE counter SET value = ${(row?.value ?? 0) + 1} WHERE id = 1`);
          await tx.run(sql`INSERT INTO entry (source) VALUES (${`tx-${i}`})`);
        }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    // read-modify-write inside each transaction: no lost update means the lane serialised them
    expect(Number((await database.client.execute("SELECT value FROM counter")).rows[0]?.value)).toBe(500);
    expect(await count(database, "entry")).toBe(500);
  });

  test("500 concurrent writes of every kind, half from another process on the same file, none fails", async () => {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures/concurrent-writer.ts"), database.path, "250"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const ours = await writeMix(database, 250, "parent");
    const [out, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    expect(exitCode).toBe(0);
    expect(ours).toEqual([]);
    expect(JSON.parse(out).failures).toEqual([]);
    expect(await count(database, "entry")).toBe(500);
    // 100 transactions + 100 batches, each adding one
    expect(Number((await database.client.execute("SELECT value FROM counter")).rows[0]?.value)).toBe(200);
  }, 30_000);

  test("a CHECK refusal aborts the whole batch and is recognisable as a constraint error", async () => {
    const { db } = database;
    const error = await database
      .batch([db.run(sql`INSERT INTO entry (source) VALUES ('before')`), db.run(sql`UPDATE counter SET value = value - 1`)])
      .catch((e: unknown) => e);
    expect(isConstraintError(error, "CHECK")).toBe(true);
    expect(await count(database, "entry")).toBe(0);
  });

  test("local files run in WAL, and every pooled connection has the busy timeout and foreign keys", async () => {
    expect(String((await database.client.execute("PRAGMA journal_mode")).rows[0]?.[0])).toBe("wal");
    // concurrent read transactions each get a connection of their own from the client's pool
    const transactions = await Promise.all(Array.from({ length: 6 }, () => database.client.transaction("read")));
    try {
      for (const tx of transactions) {
        expect(Number((await tx.execute("PRAGMA busy_timeout")).rows[0]?.[0])).toBe(5000);
        expect(Number((await tx.execute("PRAGMA foreign_keys")).rows[0]?.[0])).toBe(1);
      }
    } finally {
      for (const tx of transactions) tx.close();
    }
  });
});

describe("retryBusy", () => {
  test("retries SQLITE_BUSY and nothing else", async () => {
    let calls = 0;
    const value = await retryBusy(async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
      return "ok";
    });
    expect(value).toBe("ok");
    expect(calls).toBe(3);

    let other = 0;
    const error = await retryBusy(async () => {
      other++;
      throw new Error("no such table");
    }).catch((e: Error) => e);
    expect(other).toBe(1);
    expect(isBusyError(error)).toBe(false);
  });

  test("the raw client without the lane really does hit SQLITE_BUSY (why the lane exists)", async () => {
    const raw = createClient({ url: `file:${database.path}` });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, async () => {
        const tx = await raw.transaction("write");
        await tx.execute("INSERT INTO entry (source) VALUES ('raw')");
        await new Promise((r) => setTimeout(r, 5));
        await tx.commit();
      }),
    );
    raw.close();
    const busy = results.filter((r) => r.status === "rejected" && isBusyError((r as PromiseRejectedResult).reason));
    expect(busy.length).toBeGreaterThan(0);
  });

  test("the lane runs tasks one at a time, in order, and survives a failing task", async () => {
    const lane = new WriteLane();
    const order: number[] = [];
    let active = 0;
    let maxActive = 0;
    const tasks = Array.from({ length: 20 }, (_, i) =>
      lane.run(async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 1));
        order.push(i);
        active--;
        if (i === 5) throw new Error("boom");
      }),
    );
    const results = await Promise.allSettled(tasks);
    expect(maxActive).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
  });
});

describe("migrations", () => {
  test("an unmigrated database reports every migration pending; a migrated one none", async () => {
    const fresh = await createTestDatabase({ migrate: false });
    const before = await migrationStatus(fresh);
    expect(before.applied).toBe(0);
    expect(before.pending.length).toBeGreaterThan(0);
    await fresh.destroy();
    const after = await migrationStatus(database);
    expect(after.pending).toEqual([]);
    expect(after.applied).toBe(after.expected);
  });
});

describe("the read path", () => {
  test("on a local file it is a separate connection that sees every committed write at once", async () => {
    expect(database.read).not.toBe(database.db);
    const readValue = async () => (await database.read.all<{ value: number }>(sql`SELECT value FROM counter WHERE id = 1`))[0]?.value;
    expect(await readValue()).toBe(0);
    for (let i = 1; i <= 20; i++) {
      await database.batch([database.db.run(sql`UPDATE counter SET value = value + 1`)]);
      expect(await readValue()).toBe(i);
    }
    await database.transaction((tx) => tx.run(sql`UPDATE counter SET value = 100`));
    expect(await readValue()).toBe(100);
  });

  test("refuses writes: it is query-only", async () => {
    let error: unknown;
    try {
      await database.read.run(sql`UPDATE counter SET value = 5`);
    } catch (e) {
      error = e;
    }
    expect(String((error as { cause?: unknown })?.cause)).toMatch(/readonly|query_only|attempt to write/i);
    expect(Number((await database.client.execute("SELECT value FROM counter")).rows[0]?.value)).toBe(0);
  });

  test("prepared reads are built once and reused", async () => {
    let builds = 0;
    const build = () =>
      database.preparedRead("test.counter", (read) => {
        builds++;
        return read.all<{ value: number }>(sql`SELECT value FROM counter`);
      });
    build();
    build();
    expect(builds).toBe(1);
  });
});
