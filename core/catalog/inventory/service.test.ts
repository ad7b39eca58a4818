import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type AppError, ConflictError } from "@bazaar/contracts";
import { isConstraintError, schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { releaseExpiredReservationsJob } from "./jobs.ts";
import {
  adjustStock,
  commit,
  OutOfStockError,
  ReservationExpiredError,
  ReservationReleasedError,
  release,
  releaseExpired,
  reserve,
  setVariantStock,
} from "./service.ts";
import { inStock, insertLocation, insertProduct, inventoryEvents, level, registerSeller, testCtx } from "./test-fixtures.ts";
import { inAnotherProcess, startTogether, waitUntil } from "./test-process.ts";

let h: Harness;
let seller: Awaited<ReturnType<typeof registerSeller>>;
beforeEach(async () => {
  h = await createHarness();
  seller = await registerSeller(h);
});
afterEach(() => h.destroy());

const ctx = () => testCtx(h);
const receive = (variantId: string, locationId: string, delta: number) =>
  adjustStock(ctx(), seller.actor, variantId, { locationId, delta, reason: "received" });
const reservations = (holder: string) => h.database.db.select().from(schema.stockReservation).where(eq(schema.stockReservation.holder, holder));
const adjustments = () => h.database.db.select().from(schema.stockAdjustment);
const MINUTE = 60_000;

async function stocked(onHand: number[], variants = 1) {
  const { productId, variantIds } = await insertProduct(h, seller.id, variants);
  const locationIds: string[] = [];
  for (const _ of onHand) locationIds.push(await insertLocation(h, seller.id));
  for (const variantId of variantIds) {
    for (const [i, units] of onHand.entries()) if (units > 0) await receive(variantId, locationIds[i] as string, units);
  }
  return { productId, variantIds, locationIds, variantId: variantIds[0] as string, locationId: locationIds[0] as string };
}

describe("reserve", () => {
  test("200 concurrent reservations of 1 unit against 10 units, from two processes: exactly 10 succeed, available never below zero", async () => {
    const { variantId, locationIds } = await stocked([6, 4]);
    let done = false;
    let lowestAvailable = Number.POSITIVE_INFINITY;
    const watch = (async () => {
      while (!done) {
        const rows = await h.database.read.select().from(schema.stockLevel).where(eq(schema.stockLevel.variantId, variantId));
        for (const row of rows) lowestAvailable = Math.min(lowestAvailable, row.onHand - row.reserved);
        await Bun.sleep(1);
      }
    })();
    const holders = Array.from({ length: 200 }, (_, i) => `chk_${i}`);
    const startAt = startTogether();
    const [here, there] = await Promise.all([
      waitUntil(startAt).then(() =>
        Promise.allSettled(holders.slice(0, 100).map((holder) => reserve(ctx(), { holder, lines: [{ variantId, quantity: 1 }], ttlMs: 10 * MINUTE }))),
      ),
      inAnotherProcess({
        op: "reserve",
        url: h.database.url,
        now: h.clock.now,
        startAt,
        variantId,
        holders: holders.slice(100),
        ttlMs: 10 * MINUTE,
      }) as Promise<string[]>,
    ]);
    done = true;
    await watch;

    const lost = here.filter((a): a is PromiseRejectedResult => a.status === "rejected");
    for (const failure of lost) expect(failure.reason).toBeInstanceOf(OutOfStockError);
    expect(there).toHaveLength(100);
    expect(there.every((outcome) => outcome === "reserved" || outcome === "OUT_OF_STOCK")).toBe(true);
    expect(here.length - lost.length + there.filter((o) => o === "reserved").length).toBe(10);
    expect(lowestAvailable).toBeGreaterThanOrEqual(0);
    for (const locationId of locationIds) {
      const row = await level(h, variantId, locationId);
      expect(row?.reserved).toBe(row?.onHand);
    }
    const held = await h.database.db.select().from(schema.stockReservation);
    expect(held).toHaveLength(10);
    expect(held.every((r) => r.status === "held" && r.quantity === 1)).toBe(true);
    expect(await inventoryEvents(h, "inventory.changed")).toHaveLength(2 + 10);
  }, 60_000);

  test("a failed reservation names every short variant", async () => {
    const { variantId } = await stocked([1]);
    await reserve(ctx(), { holder: "chk_1", lines: [{ variantId, quantity: 1 }], ttlMs: MINUTE });
    const error = (await reserve(ctx(), { holder: "chk_2", lines: [{ variantId, quantity: 1 }], ttlMs: MINUTE }).catch((e: unknown) => e)) as OutOfStockError;
    expect(error).toMatchObject({ kind: "OUT_OF_STOCK", code: "CONFLICT", status: 409, shortages: [{ variantId, requested: 1, available: 0 }] });
  });

  test("the database itself refuses a hand-written oversell: the CHECKs reject reserved > on_hand and on_hand < 0", async () => {
    const { variantId, locationId } = await stocked([3]);
    const oversell = h.database.client.execute({
      sql: "UPDATE stock_level SET reserved = reserved + 4 WHERE variant_id = ? AND location_id = ?",
      args: [variantId, locationId],
    });
    expect(
      await oversell.then(
        () => null,
        (error: unknown) => isConstraintError(error, "CHECK"),
      ),
    ).toBe(true);
    const negative = h.database.client.execute({ sql: "UPDATE stock_level SET on_hand = -1, reserved = 0 WHERE variant_id = ?", args: [variantId] });
    expect(
      await negative.then(
        () => null,
        (error: unknown) => isConstraintError(error, "CHECK"),
      ),
    ).toBe(true);
    expect(await level(h, variantId, locationId)).toMatchObject({ onHand: 3, reserved: 0 });
  });

  test("all or nothing across lines: one line short → nothing reserved anywhere, and the error names that variant and line", async () => {
    const { variantIds, locationIds } = await stocked([2, 1], 2);
    const [mug, cup] = variantIds as [string, string];
    await receive(mug, locationIds[0] as string, 5); // mug: 7 + 1; cup: 2 + 1
    const eventsBefore = (await inventoryEvents(h)).length;

    const error = await reserve(ctx(), {
      holder: "chk_short",
      lines: [
        { variantId: mug, quantity: 4 },
        { variantId: cup, quantity: 4 },
      ],
      ttlMs: MINUTE,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutOfStockError);
    expect((error as OutOfStockError).shortages).toEqual([{ variantId: cup, requested: 4, available: 3 }]);
    expect((error as OutOfStockError).errors).toEqual([{ path: "/lines/1/quantity", message: "only 3 of 4 available" }]);
    expect((error as OutOfStockError).status).toBe(409);

    for (const variantId of variantIds) for (const locationId of locationIds) expect((await level(h, variantId, locationId))?.reserved).toBe(0);
    expect(await reservations("chk_short")).toHaveLength(0);
    expect(await inventoryEvents(h)).toHaveLength(eventsBefore);
  });

  test("two lines naming one stock item draw on the same units; an unknown variant is simply out of stock", async () => {
    const { variantId, locationId } = await stocked([5]);
    const twice = (a: number, b: number, holder: string) =>
      reserve(ctx(), {
        holder,
        lines: [
          { variantId, quantity: a },
          { variantId, quantity: b },
        ],
        ttlMs: MINUTE,
      });
    expect(await twice(3, 3, "chk_a").catch((e: unknown) => e)).toBeInstanceOf(OutOfStockError);
    expect((await level(h, variantId, locationId))?.reserved).toBe(0);
    await twice(2, 3, "chk_b");
    expect((await level(h, variantId, locationId))?.reserved).toBe(5);

    const ghost = "var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
    const error = (await reserve(ctx(), { holder: "chk_c", lines: [{ variantId: ghost, quantity: 1 }], ttlMs: MINUTE }).catch(
      (e: unknown) => e,
    )) as OutOfStockError;
    expect(error.shortages).toEqual([{ variantId: ghost, requested: 1, available: 0 }]);
  });

  test("locations are picked deterministically: the first (by id) that has it all, else location by location", async () => {
    const { variantId, locationIds } = await stocked([2, 5]);
    const [first, second] = locationIds as [string, string];
    const whole = await reserve(ctx(), { holder: "chk_1", lines: [{ variantId, quantity: 4 }], ttlMs: MINUTE });
    expect(whole.lines).toEqual([{ variantId, locationId: second, quantity: 4 }]);
    const split = await reserve(ctx(), { holder: "chk_2", lines: [{ variantId, quantity: 3 }], ttlMs: MINUTE });
    expect(split.lines).toEqual([
      { variantId, locationId: first, quantity: 2 },
      { variantId, locationId: second, quantity: 1 },
    ]);
    expect(split).toMatchObject({ holder: "chk_2", status: "held", expiresAt: h.clock.now + MINUTE });
  });

  test("reserving again with the same holder replays the hold; with other lines it is a conflict", async () => {
    const { variantId, locationId } = await stocked([5]);
    const input = { holder: "chk_1", lines: [{ variantId, quantity: 2 }], ttlMs: MINUTE };
    const first = await reserve(ctx(), input);
    expect(await reserve(ctx(), input)).toEqual(first);
    expect((await level(h, variantId, locationId))?.reserved).toBe(2);
    const other = await reserve(ctx(), { ...input, lines: [{ variantId, quantity: 3 }] }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(ConflictError);
  });

  test("bad input is a validation error naming the field, and nothing is written", async () => {
    const { variantId } = await stocked([5]);
    for (const [input, path] of [
      [{ holder: "", lines: [{ variantId, quantity: 1 }], ttlMs: MINUTE }, "/holder"],
      [{ holder: "x", lines: [], ttlMs: MINUTE }, "/lines"],
      [{ holder: "x", lines: [{ variantId, quantity: 0 }], ttlMs: MINUTE }, "/lines/0/quantity"],
      [{ holder: "x", lines: [{ variantId, quantity: 1.5 }], ttlMs: MINUTE }, "/lines/0/quantity"],
      [{ holder: "x", lines: [{ variantId: "prd_nope", quantity: 1 }], ttlMs: MINUTE }, "/lines/0/variantId"],
      [{ holder: "x", lines: [{ variantId, quantity: 1 }], ttlMs: 0 }, "/ttlMs"],
    ] as const) {
      const error = (await reserve(ctx(), input as never).catch((e: unknown) => e)) as AppError;
      expect(error.code, JSON.stringify(input)).toBe("VALIDATION_FAILED");
      expect(error.errors?.map((e) => e.path)).toContain(path);
    }
    expect(await h.database.db.select().from(schema.stockReservation)).toHaveLength(0);
  });
});

describe("commit and release", () => {
  test("commit turns the hold into a sale (a 'sold' adjustment) and is idempotent; release after it is a no-op", async () => {
    const { variantId, locationId } = await stocked([5]);
    await reserve(ctx(), { holder: "chk_1", lines: [{ variantId, quantity: 2 }], ttlMs: MINUTE });
    const committed = await commit(ctx(), "chk_1");
    expect(committed).toMatchObject({ holder: "chk_1", status: "committed", lines: [{ variantId, locationId, quantity: 2 }] });
    expect(await level(h, variantId, locationId)).toMatchObject({ onHand: 3, reserved: 0 });
    const sold = (await adjustments()).filter((a) => a.reason === "sold");
    expect(sold).toMatchObject([{ variantId, locationId, delta: -2, onHandAfter: 3, actorId: "chk_1" }]);

    const events = (await inventoryEvents(h)).length;
    expect(await commit(ctx(), "chk_1")).toEqual(committed);
    expect(await release(ctx(), "chk_1")).toBe(0);
    expect(await level(h, variantId, locationId)).toMatchObject({ onHand: 3, reserved: 0 });
    expect((await adjustments()).filter((a) => a.reason === "sold")).toHaveLength(1);
    expect(await inventoryEvents(h)).toHaveLength(events);
  });

  test("release gives the stock back once; a commit after it fails clearly; unknown holders are a no-op to release, 404 to commit", async () => {
    const { variantId, locationId } = await stocked([5]);
    await reserve(ctx(), { holder: "chk_1", lines: [{ variantId, quantity: 2 }], ttlMs: MINUTE });
    const [first, second] = await Promise.all([release(ctx(), "chk_1"), release(ctx(), "chk_1")]);
    expect([first, second].sort()).toEqual([0, 1]);
    expect(await level(h, variantId, locationId)).toMatchObject({ onHand: 5, reserved: 0 });
    expect((await reservations("chk_1")).map((r) => r.status)).toEqual(["released"]);
    expect(await commit(ctx(), "chk_1").catch((e: unknown) => e)).toBeInstanceOf(ReservationReleasedError);
    expect(await release(ctx(), "chk_nobody")).toBe(0);
    expect(((await commit(ctx(), "chk_nobody").catch((e: unknown) => e)) as AppError).status).toBe(404);
  });

  test("a commit after the hold expired fails with ReservationExpiredError and gives the stock back, even before the job runs", async () => {
    const { variantId, locationId } = await stocked([5]);
    await reserve(ctx(), { holder: "chk_1", lines: [{ variantId, quantity: 2 }], ttlMs: MINUTE });
    h.clock.advance(MINUTE);
    expect(await commit(ctx(), "chk_1").catch((e: unknown) => e)).toBeInstanceOf(ReservationExpiredError);
    expect(await level(h, variantId, locationId)).toMatchObject({ onHand: 5, reserved: 0 });
    expect((await reservations("chk_1")).map((r) => r.status)).toEqual(["expired"]);
    expect(await commit(ctx(), "chk_1").catch((e: unknown) => e)).toBeInstanceOf(ReservationExpiredError);
    expect(await releaseExpired(ctx())).toBe(0);
    expect((await adjustments()).filter((a) => a.reason === "sold")).toHaveLength(0);
  });
});

describe("expiry job", () => {
  test("releases expired holds only; three runs at once, one in another process, release each hold once", async () => {
    const { variantIds, locationId } = await stocked([10], 2);
    const [mug, cup] = variantIds as [string, string];
    await reserve(ctx(), { holder: "chk_old", lines: [{ variantId: mug, quantity: 3 }], ttlMs: MINUTE });
    await reserve(ctx(), { holder: "chk_old2", lines: [{ variantId: cup, quantity: 1 }], ttlMs: MINUTE });
    await reserve(ctx(), { holder: "chk_new", lines: [{ variantId: mug, quantity: 2 }], ttlMs: 10 * MINUTE });
    h.clock.advance(MINUTE + 1);
    const before = (await inventoryEvents(h, "inventory.changed")).length;

    const startAt = startTogether();
    const runs = await Promise.all([
      waitUntil(startAt).then(() => releaseExpired(ctx())),
      waitUntil(startAt).then(() => releaseExpired(ctx())),
      inAnotherProcess({ op: "releaseExpired", url: h.database.url, now: h.clock.now, startAt }) as Promise<number>,
    ]);
    expect(runs.reduce((a, b) => a + b)).toBe(2);
    expect(await level(h, mug, locationId)).toMatchObject({ onHand: 10, reserved: 2 });
    expect(await level(h, cup, locationId)).toMatchObject({ onHand: 10, reserved: 0 });
    expect((await reservations("chk_old")).map((r) => r.status)).toEqual(["expired"]);
    expect((await reservations("chk_new")).map((r) => r.status)).toEqual(["held"]);
    const expired = (await inventoryEvents(h, "inventory.changed")).slice(before);
    expect(expired.map((e) => e.payload)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ variantId: mug, locationId, onHand: 10, reserved: 2, available: 8, reason: "expired" }),
        expect.objectContaining({ variantId: cup, locationId, onHand: 10, reserved: 0, available: 10, reason: "expired" }),
      ]),
    );
    expect(expired).toHaveLength(2);
    expect(await releaseExpired(ctx())).toBe(0);
  });

  test("the catalog job runs it every 30 s through the platform's Job interface", async () => {
    const { variantId, locationId } = await stocked([3]);
    await reserve(ctx(), { holder: "chk_1", lines: [{ variantId, quantity: 3 }], ttlMs: MINUTE });
    expect(releaseExpiredReservationsJob.everyMs).toBe(30_000);
    expect(await releaseExpiredReservationsJob.run(h.deps)).toBe(0);
    h.clock.advance(2 * MINUTE);
    expect(await releaseExpiredReservationsJob.run(h.deps)).toBe(1);
    expect(await level(h, variantId, locationId)).toMatchObject({ reserved: 0 });
  });
});

describe("invariants under concurrency", () => {
  test("50 concurrent mixed adjust/reserve/release/commit keep on_hand ≥ reserved ≥ 0, and the adjustment trail sums to on_hand", async () => {
    const { variantIds, locationIds } = await stocked([4, 3], 2);
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(items: T[]) => items[random(items.length)] as T;
    const holders = Array.from({ length: 10 }, (_, i) => `chk_${i}`);
    const operations: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 50; i++) {
      const on = ctx();
      const kind = i % 4;
      if (kind === 0) {
        const delta = pick([-3, -2, -1, 1, 2, 5]);
        operations.push(() =>
          adjustStock(on, seller.actor, pick(variantIds), { locationId: pick(locationIds), delta, reason: delta > 0 ? "received" : "damaged" }),
        );
      } else if (kind === 1) {
        const lines = [{ variantId: pick(variantIds), quantity: 1 + random(3) }, ...(random(2) ? [{ variantId: pick(variantIds), quantity: 1 }] : [])];
        operations.push(() => reserve(on, { holder: pick(holders), lines, ttlMs: MINUTE }));
      } else if (kind === 2) operations.push(() => release(on, pick(holders)));
      else operations.push(() => commit(on, pick(holders)));
    }
    const outcomes = await Promise.allSettled(operations.map((operation) => operation()));
    for (const outcome of outcomes) {
      // refusals are expected (out of stock, below reserved, not yet reserved, already released); anything else is a bug
      if (outcome.status === "rejected") expect([404, 409]).toContain((outcome.reason as AppError).status);
    }
    expect(outcomes.filter((o) => o.status === "fulfilled").length).toBeGreaterThan(10);

    const levels = await h.database.db.select().from(schema.stockLevel);
    const trail = await adjustments();
    const held = await h.database.db.select().from(schema.stockReservation).where(eq(schema.stockReservation.status, "held"));
    for (const row of levels) {
      const here = (r: { variantId: string; locationId: string }) => r.variantId === row.variantId && r.locationId === row.locationId;
      expect(row.reserved).toBeGreaterThanOrEqual(0);
      expect(row.onHand).toBeGreaterThanOrEqual(row.reserved);
      expect(trail.filter(here).reduce((sum, a) => sum + a.delta, 0)).toBe(row.onHand);
      expect(held.filter(here).reduce((sum, r) => sum + r.quantity, 0)).toBe(row.reserved);
    }
    // each adjustment's on_hand_after is the running sum of the trail before it at its level
    for (const row of levels) {
      let running = 0;
      for (const a of trail.filter((t) => t.variantId === row.variantId && t.locationId === row.locationId).sort((x, y) => x.id.localeCompare(y.id))) {
        running += a.delta;
        expect(a.onHandAfter).toBe(running);
      }
    }
  });
});

describe("low stock and in_stock", () => {
  test("inventory.low_stock is emitted once per crossing from above the threshold, in the transaction of the change", async () => {
    const { productId, variantId, locationId } = await stocked([0]);
    await setVariantStock(ctx(), seller.actor, variantId, { levels: [{ locationId, onHand: 10, lowStockThreshold: 3 }] });
    const lows = async () => (await inventoryEvents(h, "inventory.low_stock")).map((e) => e.payload);
    const hold = (holder: string, quantity: number) => reserve(ctx(), { holder, lines: [{ variantId, quantity }], ttlMs: MINUTE });

    await hold("a", 5); // 5 left
    expect(await lows()).toHaveLength(0);
    await hold("b", 2); // 3 left: crosses
    expect(await lows()).toEqual([{ productId, variantId, sellerId: seller.id, locationId, available: 3, threshold: 3 }]);
    await hold("c", 1); // 2: still low, no second event
    await adjustStock(ctx(), seller.actor, variantId, { locationId, delta: -1, reason: "damaged" }); // 1
    expect(await lows()).toHaveLength(1);
    await release(ctx(), "a"); // back to 6: above again
    await commit(ctx(), "b"); // a sale moves on_hand and reserved together: available unchanged
    expect(await lows()).toHaveLength(1);
    await hold("d", 3); // 3: crosses again
    expect(await lows()).toHaveLength(2);
    expect((await lows())[1]).toMatchObject({ available: 3, threshold: 3 });
  });

  test("product.in_stock follows whether any variant has anything available at any location", async () => {
    const { productId, variantIds, locationIds } = await stocked([0, 0], 2);
    const [mug, cup] = variantIds as [string, string];
    const [here, there] = locationIds as [string, string];
    expect(await inStock(h, productId)).toBe(false);
    await receive(mug, here, 1);
    expect(await inStock(h, productId)).toBe(true);
    await reserve(ctx(), { holder: "a", lines: [{ variantId: mug, quantity: 1 }], ttlMs: MINUTE });
    expect(await inStock(h, productId)).toBe(false);
    await release(ctx(), "a");
    expect(await inStock(h, productId)).toBe(true);
    await reserve(ctx(), { holder: "b", lines: [{ variantId: mug, quantity: 1 }], ttlMs: MINUTE });
    await commit(ctx(), "b");
    expect(await inStock(h, productId)).toBe(false);
    await receive(cup, there, 2);
    expect(await inStock(h, productId)).toBe(true);
    await adjustStock(ctx(), seller.actor, cup, { locationId: there, delta: -2, reason: "lost" });
    expect(await inStock(h, productId)).toBe(false);
    await reserve(ctx(), { holder: "c", lines: [{ variantId: cup, quantity: 1 }], ttlMs: MINUTE }).catch(() => undefined);
    await receive(cup, there, 1);
    await reserve(ctx(), { holder: "d", lines: [{ variantId: cup, quantity: 1 }], ttlMs: MINUTE });
    expect(await inStock(h, productId)).toBe(false);
    h.clock.advance(2 * MINUTE);
    await releaseExpired(ctx());
    expect(await inStock(h, productId)).toBe(true);
  });

  test("every stock move lands in the outbox as inventory.changed with the level's new numbers and the request id", async () => {
    const { productId, variantId, locationId } = await stocked([0]);
    await receive(variantId, locationId, 7);
    await reserve(ctx(), { holder: "a", lines: [{ variantId, quantity: 2 }], ttlMs: MINUTE });
    await commit(ctx(), "a");
    await reserve(ctx(), { holder: "b", lines: [{ variantId, quantity: 1 }], ttlMs: MINUTE });
    await release(ctx(), "b");
    const changed = await inventoryEvents(h, "inventory.changed");
    const base = { productId, variantId, locationId };
    expect(changed.map((e) => e.payload)).toEqual([
      { ...base, onHand: 7, reserved: 0, available: 7, reason: "received" },
      { ...base, onHand: 7, reserved: 2, available: 5, reason: "reserved" },
      { ...base, onHand: 5, reserved: 0, available: 5, reason: "sold" },
      { ...base, onHand: 5, reserved: 1, available: 4, reason: "reserved" },
      { ...base, onHand: 5, reserved: 0, available: 5, reason: "released" },
    ]);
    expect(changed.every((e) => e.requestId === "req_inventory_test")).toBe(true);
  });

  test("a refused adjustment writes nothing: no level row, no audit row, no event", async () => {
    const { variantId, locationId } = await stocked([0]);
    const error = (await adjustStock(ctx(), seller.actor, variantId, { locationId, delta: -1, reason: "lost" }).catch((e: unknown) => e)) as AppError;
    expect(error.status).toBe(409);
    expect(error.errors?.[0]?.path).toBe("/delta");
    expect(await level(h, variantId, locationId)).toBeUndefined();
    expect(await adjustments()).toHaveLength(0);
    expect(await inventoryEvents(h)).toHaveLength(0);
  });
});
