import {
  AppError,
  assertValid,
  ConflictError,
  type CreateStockAdjustmentBody,
  type CreateStockLocationBody,
  decodeCursor,
  type FieldError,
  idPattern,
  isCountryCode,
  MAX_STOCK_QUANTITY,
  NotFoundError,
  type SetVariantStockBody,
  type StockAdjustmentPage,
  type StockAdjustmentQuery,
  type StockAdjustmentResult,
  type StockAdjustmentView,
  type StockLevelView,
  type StockLocationPage,
  type StockLocationView,
  type StockPageQuery,
  toPage,
  type UpdateStockLocationBody,
  ValidationError,
  type VariantStockView,
} from "@bazaar/contracts";
import { isConstraintError, type Queryable } from "@bazaar/db";
import { createEvent, type EventDefinition, inventoryChanged, inventoryLowStock, outboxInsert } from "@bazaar/events";
import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { requireOwner } from "../../http/authentication.ts";
import type { Actor, Ctx } from "../../platform/deps.ts";
import * as repo from "./repo.ts";

/**
 * What inventory's verbs need: a request's ctx, or the expiry job's (which has no request or
 * client). Every stock change, its audit row, its events and the product's in_stock flag are
 * written in one transaction.
 */
export type InventoryCtx = Pick<Ctx, "database" | "clock" | "ids" | "eventsWritten"> & { requestId?: string };

function eventFor<S extends TSchema>(ctx: InventoryCtx, definition: EventDefinition<string, S>, payload: Static<S>, now: number) {
  return createEvent(definition, payload, { ids: ctx.ids, now, ...(ctx.requestId ? { requestId: ctx.requestId } : {}) });
}

const STAFF = ["admin"] as const;
const iso = (ms: number) => new Date(ms).toISOString();

// ---- errors checkout can tell apart ----

export interface StockShortage {
  variantId: string;
  requested: number;
  available: number;
}

/** Some line of a reservation cannot be met: nothing was reserved. `shortages` names every short variant. */
export class OutOfStockError extends AppError {
  readonly kind = "OUT_OF_STOCK";
  constructor(
    readonly shortages: StockShortage[],
    paths: string[],
  ) {
    super(
      "CONFLICT",
      `Not enough stock for ${shortages.map((s) => `${s.variantId} (${s.available} of ${s.requested} available)`).join(", ")}`,
      shortages.map((s, i) => ({ path: paths[i] ?? "/lines", message: `only ${s.available} of ${s.requested} available` })),
    );
    this.name = "OutOfStockError";
  }
}

/** The hold ran out before the commit: its stock went back on sale. */
export class ReservationExpiredError extends AppError {
  readonly kind = "RESERVATION_EXPIRED";
  constructor(readonly holder: string) {
    super("CONFLICT", `The reservation of ${holder} expired; its stock was released`);
    this.name = "ReservationExpiredError";
  }
}

export class ReservationReleasedError extends AppError {
  readonly kind = "RESERVATION_RELEASED";
  constructor(readonly holder: string) {
    super("CONFLICT", `The reservation of ${holder} was released`);
    this.name = "ReservationReleasedError";
  }
}

// ---- what changed, announced once per level ----

interface Stock {
  onHand: number;
  reserved: number;
}

/**
 * Collects the levels a transaction changed (first state before, last state after) and writes
 * their events and the products' in_stock flags into that same transaction.
 */
class StockChanges {
  private readonly byLevel = new Map<string, { variant: repo.VariantRef; locationId: string; before: Stock; after: repo.LevelRow }>();

  record(variant: repo.VariantRef, before: Stock, after: repo.LevelRow): void {
    const key = `${variant.id} ${after.locationId}`;
    const seen = this.byLevel.get(key);
    this.byLevel.set(key, { variant, locationId: after.locationId, before: seen?.before ?? before, after });
  }

  async write(tx: Queryable, ctx: InventoryCtx, reason: string, now: number): Promise<void> {
    for (const { variant, locationId, before, after } of this.byLevel.values()) {
      const available = after.onHand - after.reserved;
      await outboxInsert(
        tx,
        eventFor(
          ctx,
          inventoryChanged,
          { productId: variant.productId, variantId: variant.id, locationId, onHand: after.onHand, reserved: after.reserved, available, reason },
          now,
        ),
      );
      if (crossedLowStock(before.onHand - before.reserved, available, after.lowStockThreshold)) {
        await outboxInsert(
          tx,
          eventFor(
            ctx,
            inventoryLowStock,
            { productId: variant.productId, variantId: variant.id, sellerId: variant.sellerId, locationId, available, threshold: after.lowStockThreshold },
            now,
          ),
        );
      }
    }
    for (const productId of new Set([...this.byLevel.values()].map((c) => c.variant.productId))) await repo.refreshInStock(tx, productId);
  }

  get size(): number {
    return this.byLevel.size;
  }
}

/** Once per crossing: only a drop from above the threshold to at or below it counts; staying low does not. */
export function crossedLowStock(availableBefore: number, availableAfter: number, threshold: number): boolean {
  return availableAfter < availableBefore && availableBefore > threshold && availableAfter <= threshold;
}

/** A constraint refusal (a CHECK, a vanished variant or location) is a conflict with a concurrent change, never a 500. */
async function inTransaction<T>(ctx: InventoryCtx, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  try {
    return await ctx.database.transaction(fn);
  } catch (error) {
    if (!(error instanceof AppError) && isConstraintError(error)) throw new ConflictError("The stock changed under this request; try again");
    throw error;
  }
}

// ---- reservations: the interface checkout calls ----

export const ReserveInput = Type.Object(
  {
    /** who holds it (a checkout id): release and commit name it; reserving again with it replays */
    holder: Type.String({ minLength: 1, maxLength: 200 }),
    lines: Type.Array(
      Type.Object(
        { variantId: Type.String({ pattern: idPattern("variant") }), quantity: Type.Integer({ minimum: 1, maximum: MAX_STOCK_QUANTITY }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100 },
    ),
    ttlMs: Type.Integer({ minimum: 1_000, maximum: 86_400_000 }),
  },
  { additionalProperties: false },
);
export type ReserveInput = Static<typeof ReserveInput>;

export interface ReservationView {
  holder: string;
  status: repo.ReservationStatus;
  /** epoch ms */
  expiresAt: number;
  lines: { variantId: string; locationId: string; quantity: number }[];
}

function toReservationView(holder: string, rows: repo.ReservationRow[]): ReservationView {
  return {
    holder,
    status: (rows[0]?.status ?? "held") as repo.ReservationStatus,
    expiresAt: rows[0]?.expiresAt ?? 0,
    lines: rows.map((r) => ({ variantId: r.variantId, locationId: r.locationId, quantity: r.quantity })),
  };
}

/**
 * Where `quantity` units come from: the first location (by id) that has them all, so an order
 * ships from one place when it can; otherwise location by location in id order. Undefined when
 * all locations together have too little.
 */
function allocate(levels: repo.LevelRow[], quantity: number): { locationId: string; quantity: number }[] | undefined {
  const whole = levels.find((l) => l.onHand - l.reserved >= quantity);
  if (whole) return [{ locationId: whole.locationId, quantity }];
  const pieces: { locationId: string; quantity: number }[] = [];
  let missing = quantity;
  for (const level of levels) {
    const take = Math.min(level.onHand - level.reserved, missing);
    if (take <= 0) continue;
    pieces.push({ locationId: level.locationId, quantity: take });
    missing -= take;
    if (missing === 0) return pieces;
  }
  return undefined;
}

/**
 * Holds stock for every line, or for none: one transaction in which each piece is taken only by
 * the conditional UPDATE (`reserved + q` where at least q is available), and the CHECKs refuse
 * an oversell whatever this code forgot. Reserving again with the same holder and lines returns
 * the existing hold. Throws OutOfStockError naming every short variant.
 */
export async function reserve(ctx: InventoryCtx, input: ReserveInput): Promise<ReservationView> {
  assertValid(ReserveInput, input);
  const now = ctx.clock();
  // lines naming one variant twice draw on the same stock: allocate their sum
  const wanted = new Map<string, { quantity: number; path: string }>();
  input.lines.forEach((line, i) => {
    const seen = wanted.get(line.variantId);
    if (seen) seen.quantity += line.quantity;
    else wanted.set(line.variantId, { quantity: line.quantity, path: `/lines/${i}/quantity` });
  });
  const variantIds = [...wanted.keys()].sort();

  const outcome = await inTransaction(ctx, async (tx) => {
    const existing = await repo.reservationsOf(tx, input.holder);
    if (existing.length > 0) return { rows: existing, replay: true };

    const variants = new Map((await repo.findVariants(tx, variantIds)).map((v) => [v.id, v]));
    const levels = await repo.levelsOfVariants(tx, variantIds);
    const shortages: StockShortage[] = [];
    const paths: string[] = [];
    const plan: { variant: repo.VariantRef; locationId: string; quantity: number }[] = [];
    for (const variantId of variantIds) {
      const { quantity, path } = wanted.get(variantId) ?? { quantity: 0, path: "/lines" };
      const variant = variants.get(variantId);
      const own = variant ? levels.filter((l) => l.variantId === variantId) : [];
      const pieces = variant && allocate(own, quantity);
      if (variant && pieces) plan.push(...pieces.map((p) => ({ variant, ...p })));
      else {
        shortages.push({ variantId, requested: quantity, available: own.reduce((sum, l) => sum + l.onHand - l.reserved, 0) });
        paths.push(path);
      }
    }
    if (shortages.length > 0) throw new OutOfStockError(shortages, paths);

    const changes = new StockChanges();
    for (const piece of plan) {
      const after = await repo.reserveAt(tx, piece.variant.id, piece.locationId, piece.quantity, now);
      // the transaction read these levels a moment ago; refusing here means another writer won, so nothing is kept
      if (!after) throw new OutOfStockError([{ variantId: piece.variant.id, requested: piece.quantity, available: 0 }], ["/lines"]);
      changes.record(piece.variant, { onHand: after.onHand, reserved: after.reserved - piece.quantity }, after);
    }
    const rows: repo.ReservationRow[] = plan.map((p) => ({
      id: ctx.ids("reservation"),
      variantId: p.variant.id,
      locationId: p.locationId,
      quantity: p.quantity,
      holder: input.holder,
      status: "held",
      expiresAt: now + input.ttlMs,
      createdAt: now,
    }));
    await repo.insertReservations(tx, rows);
    await changes.write(tx, ctx, "reserved", now);
    return { rows, replay: false };
  });

  if (!outcome.replay) {
    ctx.eventsWritten();
    return toReservationView(input.holder, outcome.rows);
  }
  const held = new Map<string, number>();
  for (const row of outcome.rows) held.set(row.variantId, (held.get(row.variantId) ?? 0) + row.quantity);
  const sameLines = held.size === wanted.size && [...wanted].every(([variantId, w]) => held.get(variantId) === w.quantity);
  const live = outcome.rows.every((r) => r.status === "held" && r.expiresAt > now);
  if (sameLines && live) return toReservationView(input.holder, outcome.rows);
  throw new ConflictError(`${input.holder} already holds a different or finished reservation`, "/holder");
}

/** Held rows → released or expired, each claimed by a conditional status flip so two runs never give stock back twice. */
async function releaseRows(tx: Queryable, ctx: InventoryCtx, rows: repo.ReservationRow[], to: "released" | "expired", now: number): Promise<number> {
  if (rows.length === 0) return 0;
  const variants = new Map((await repo.findVariants(tx, [...new Set(rows.map((r) => r.variantId))])).map((v) => [v.id, v]));
  const changes = new StockChanges();
  let released = 0;
  for (const row of rows) {
    if (!(await repo.claimHeld(tx, row.id, to))) continue;
    const after = await repo.unreserveAt(tx, row.variantId, row.locationId, row.quantity, now);
    if (!after) throw new Error(`stock level of reservation ${row.id} holds less than it reserved`);
    const variant = variants.get(row.variantId);
    if (variant) changes.record(variant, { onHand: after.onHand, reserved: after.reserved + row.quantity }, after);
    released++;
  }
  await changes.write(tx, ctx, to, now);
  return released;
}

/** Gives the holder's held stock back. Idempotent: nothing held (released, committed, expired, unknown) → 0, no change. */
export async function release(ctx: InventoryCtx, holder: string): Promise<number> {
  const now = ctx.clock();
  const released = await inTransaction(ctx, async (tx) =>
    releaseRows(
      tx,
      ctx,
      (await repo.reservationsOf(tx, holder)).filter((r) => r.status === "held"),
      "released",
      now,
    ),
  );
  if (released > 0) ctx.eventsWritten();
  return released;
}

/**
 * Turns the holder's hold into a sale: on_hand and reserved both drop by the quantity and a
 * "sold" adjustment records it. Idempotent: committing again returns the committed view. A hold
 * that ran out (even if the expiry job has not come by yet) is released and ReservationExpiredError thrown.
 */
export async function commit(ctx: InventoryCtx, holder: string): Promise<ReservationView> {
  const now = ctx.clock();
  const outcome = await inTransaction(ctx, async (tx) => {
    const rows = await repo.reservationsOf(tx, holder);
    if (rows.length === 0) throw new NotFoundError("reservation", holder);
    if (rows.every((r) => r.status === "committed")) return { rows, wrote: false, expired: false };
    if (rows.some((r) => r.status === "released")) throw new ReservationReleasedError(holder);
    if (rows.some((r) => r.status === "expired")) throw new ReservationExpiredError(holder);
    const held = rows.filter((r) => r.status === "held");
    if (held.some((r) => r.expiresAt <= now)) {
      await releaseRows(tx, ctx, held, "expired", now);
      return { rows, wrote: true, expired: true };
    }

    const variants = new Map((await repo.findVariants(tx, [...new Set(held.map((r) => r.variantId))])).map((v) => [v.id, v]));
    const changes = new StockChanges();
    for (const row of held) {
      if (!(await repo.claimHeld(tx, row.id, "committed"))) throw new Error(`reservation ${row.id} changed inside its own transaction`);
      const after = await repo.deductReservedAt(tx, row.variantId, row.locationId, row.quantity, now);
      if (!after) throw new Error(`stock level of reservation ${row.id} holds less than it reserved`);
      await repo.insertAdjustment(tx, {
        id: ctx.ids("adjustment"),
        variantId: row.variantId,
        locationId: row.locationId,
        delta: -row.quantity,
        onHandAfter: after.onHand,
        reason: "sold",
        note: null,
        actorId: holder,
        occurredAt: now,
      });
      const variant = variants.get(row.variantId);
      if (variant) changes.record(variant, { onHand: after.onHand + row.quantity, reserved: after.reserved + row.quantity }, after);
    }
    await changes.write(tx, ctx, "sold", now);
    return { rows: rows.map((r) => ({ ...r, status: "committed" })), wrote: true, expired: false };
  });
  if (outcome.wrote) ctx.eventsWritten();
  if (outcome.expired) throw new ReservationExpiredError(holder);
  return toReservationView(holder, outcome.rows);
}

/**
 * The expiry job's work: releases held reservations past expires_at, a batch per transaction.
 * Safe in several processes at once: each row is claimed by its status flip before its stock moves.
 */
export async function releaseExpired(ctx: InventoryCtx, options: { batchSize?: number; maxBatches?: number } = {}): Promise<number> {
  const batchSize = options.batchSize ?? 200;
  let total = 0;
  for (let batch = 0; batch < (options.maxBatches ?? 50); batch++) {
    const now = ctx.clock();
    const due = await repo.expiredHeld(ctx.database.db, now, batchSize);
    if (due.length === 0) break;
    total += await inTransaction(ctx, (tx) => releaseRows(tx, ctx, due, "expired", now));
    if (due.length < batchSize) break;
  }
  if (total > 0) ctx.eventsWritten();
  return total;
}

// ---- stock locations (seller API) ----

function toLocationView(row: repo.LocationRow): StockLocationView {
  return { id: row.id, sellerId: row.sellerId, name: row.name, country: row.country, createdAt: iso(row.createdAt) };
}

function checkCountry(country: string | undefined): void {
  if (country !== undefined && !isCountryCode(country)) throw new ValidationError([{ path: "/country", message: "is not an ISO 3166-1 country code" }]);
}

async function ownedLocation(ctx: Ctx, actor: Actor, id: string): Promise<repo.LocationRow> {
  return requireOwner(actor, await repo.findLocation(ctx.database.db, id), "stock location", STAFF, (l) => l.sellerId);
}

export async function createLocation(ctx: Ctx, actor: Actor, body: CreateStockLocationBody): Promise<StockLocationView> {
  checkCountry(body.country);
  const row: repo.LocationRow = { id: ctx.ids("location"), sellerId: actor.userId, name: body.name, country: body.country, createdAt: ctx.clock() };
  await ctx.database.batch([repo.insertLocation(ctx.database.db, row)]);
  return toLocationView(row);
}

export async function listLocations(ctx: Ctx, actor: Actor, query: StockPageQuery): Promise<StockLocationPage> {
  const limit = Number(query.limit ?? 20);
  const after = query.cursor ? decodeCursor(query.cursor).id : undefined;
  if (after !== undefined && typeof after !== "string")
    throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
  const rows = await repo.locationsOf(ctx.database.db, actor.userId, limit + 1, after);
  return toPage(rows, limit, toLocationView, (row) => ({ id: row.id }));
}

export async function getLocation(ctx: Ctx, actor: Actor, id: string): Promise<StockLocationView> {
  return toLocationView(await ownedLocation(ctx, actor, id));
}

export async function updateLocation(ctx: Ctx, actor: Actor, id: string, body: UpdateStockLocationBody): Promise<StockLocationView> {
  if (body.name === undefined && body.country === undefined) throw new ValidationError([{ path: "/", message: "must change name or country" }]);
  checkCountry(body.country);
  await ownedLocation(ctx, actor, id);
  const row = await ctx.database.write((db) => repo.updateLocation(db, id, body));
  if (!row) throw new NotFoundError("stock location", id);
  return toLocationView(row);
}

/** Only an empty location can go: stock on hand or held there would otherwise vanish from the books. */
export async function deleteLocation(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  await ownedLocation(ctx, actor, id);
  await inTransaction(ctx, async (tx) => {
    if (await repo.locationHoldsStock(tx, id)) throw new ConflictError("This location still holds stock; move or write it off first");
    if (!(await repo.deleteLocation(tx, id))) throw new NotFoundError("stock location", id);
  });
}

// ---- stock of a variant (seller API) ----

async function ownedVariant(ctx: Ctx, actor: Actor, variantId: string): Promise<repo.VariantRef> {
  return requireOwner(actor, await repo.findVariant(ctx.database.db, variantId), "variant", STAFF, (v) => v.sellerId);
}

/** A location named in a body must be the variant's seller's; anything else looks the same as no location at all. */
async function locationOfSeller(tx: Queryable, locationId: string, sellerId: string, path: string): Promise<repo.LocationRow> {
  const location = await repo.findLocation(tx, locationId);
  if (!location || location.sellerId !== sellerId) throw new ValidationError([{ path, message: "is not one of the seller's stock locations" }]);
  return location;
}

function toLevelView(level: repo.LevelRow, locationName: string): StockLevelView {
  return {
    locationId: level.locationId,
    locationName,
    onHand: level.onHand,
    reserved: level.reserved,
    available: level.onHand - level.reserved,
    lowStockThreshold: level.lowStockThreshold,
    updatedAt: iso(level.updatedAt),
  };
}

function toAdjustmentView(row: repo.AdjustmentRow): StockAdjustmentView {
  return {
    id: row.id,
    variantId: row.variantId,
    locationId: row.locationId,
    delta: row.delta,
    onHandAfter: row.onHandAfter,
    reason: row.reason,
    note: row.note,
    actorId: row.actorId,
    occurredAt: iso(row.occurredAt),
  };
}

export async function getVariantStock(ctx: Ctx, actor: Actor, variantId: string): Promise<VariantStockView> {
  const variant = await ownedVariant(ctx, actor, variantId);
  const levels = (await repo.levelsOfVariant(ctx.database.db, variant.id)).map((l) => toLevelView(l, l.locationName));
  const total = (pick: (l: StockLevelView) => number) => levels.reduce((sum, l) => sum + pick(l), 0);
  return {
    variantId: variant.id,
    productId: variant.productId,
    levels,
    onHand: total((l) => l.onHand),
    reserved: total((l) => l.reserved),
    available: total((l) => l.available),
  };
}

/**
 * Sets counted stock and thresholds at the listed locations, all or none. Each difference in
 * on-hand is recorded as a "correction" adjustment, so the trail still sums to on-hand.
 */
export async function setVariantStock(ctx: Ctx, actor: Actor, variantId: string, body: SetVariantStockBody): Promise<VariantStockView> {
  const variant = await ownedVariant(ctx, actor, variantId);
  const duplicates: FieldError[] = body.levels
    .map((l, i) => ({ l, i }))
    .filter(({ l, i }) => body.levels.findIndex((other) => other.locationId === l.locationId) !== i)
    .map(({ i }) => ({ path: `/levels/${i}/locationId`, message: "names a location listed before" }));
  if (duplicates.length > 0) throw new ValidationError(duplicates);
  const changes = await inTransaction(ctx, (tx) => writeStockLevels(tx, ctx, actor, variant, body.levels, body.note, ctx.clock()));
  if (changes.size > 0) ctx.eventsWritten();
  return getVariantStock(ctx, actor, variantId);
}

/** A level to set: without a threshold, the level keeps its own (0 for a new one). */
export type StockLevelSetting = { locationId: string; onHand: number; lowStockThreshold?: number };

/**
 * Sets counted on-hand at some of a variant's locations inside the caller's transaction: the corrections' audit
 * rows, their events and the product's in_stock flag go with it, so a caller that writes the variant itself in
 * that transaction (an import) commits all of it or none. The actor must be the variant's seller or staff; a
 * refused level throws, which rolls the caller's transaction back. Call `ctx.eventsWritten()` after the commit.
 */
export async function setStockInTransaction(
  tx: Queryable,
  ctx: InventoryCtx,
  actor: Actor,
  variantId: string,
  levels: StockLevelSetting[],
  note: string,
): Promise<void> {
  const variant = requireOwner(actor, await repo.findVariant(tx, variantId), "variant", STAFF, (v) => v.sellerId);
  await writeStockLevels(tx, ctx, actor, variant, levels, note, ctx.clock());
}

async function writeStockLevels(
  tx: Queryable,
  ctx: InventoryCtx,
  actor: Actor,
  variant: repo.VariantRef,
  levels: StockLevelSetting[],
  note: string | undefined,
  now: number,
): Promise<StockChanges> {
  const changes = new StockChanges();
  for (const [i, wanted] of levels.entries()) {
    await locationOfSeller(tx, wanted.locationId, variant.sellerId, `/levels/${i}/locationId`);
    await repo.ensureLevel(tx, variant.id, wanted.locationId, now);
    const before = await repo.findLevel(tx, variant.id, wanted.locationId);
    const setting = { onHand: wanted.onHand, lowStockThreshold: wanted.lowStockThreshold ?? before?.lowStockThreshold ?? 0 };
    const after = await repo.setLevel(tx, variant.id, wanted.locationId, setting, now);
    if (!before || !after) {
      throw new ConflictError(`${before?.reserved ?? 0} units are reserved at this location; onHand cannot be less`, `/levels/${i}/onHand`);
    }
    const delta = after.onHand - before.onHand;
    if (delta === 0) continue;
    await repo.insertAdjustment(tx, {
      id: ctx.ids("adjustment"),
      variantId: variant.id,
      locationId: wanted.locationId,
      delta,
      onHandAfter: after.onHand,
      reason: "correction",
      note: note ?? null,
      actorId: actor.userId,
      occurredAt: now,
    });
    changes.record(variant, before, after);
  }
  await changes.write(tx, ctx, "correction", now);
  return changes;
}

/**
 * One audited change of on-hand stock: a conditional UPDATE that keeps on_hand ≥ reserved
 * (and so ≥ 0), its adjustment row and its events, in one transaction.
 */
export async function adjustStock(ctx: Ctx, actor: Actor, variantId: string, body: CreateStockAdjustmentBody): Promise<StockAdjustmentResult> {
  const variant = await ownedVariant(ctx, actor, variantId);
  if (body.delta === 0) throw new ValidationError([{ path: "/delta", message: "must not be 0" }]);
  const now = ctx.clock();
  const result = await inTransaction(ctx, async (tx) => {
    const location = await locationOfSeller(tx, body.locationId, variant.sellerId, "/locationId");
    await repo.ensureLevel(tx, variant.id, location.id, now);
    const before = await repo.findLevel(tx, variant.id, location.id);
    if (before && before.onHand + body.delta > MAX_STOCK_QUANTITY) {
      throw new ConflictError(`on hand would exceed ${MAX_STOCK_QUANTITY} (it is ${before.onHand})`, "/delta");
    }
    const after = await repo.adjustOnHand(tx, variant.id, location.id, body.delta, now);
    if (!before || !after) {
      const floor = (before?.reserved ?? 0) - (before?.onHand ?? 0);
      throw new ConflictError(
        `on hand is ${before?.onHand ?? 0} with ${before?.reserved ?? 0} reserved: delta must be at least ${floor}, or stock would go below what is reserved`,
        "/delta",
      );
    }
    const [adjustment] = await repo.insertAdjustment(tx, {
      id: ctx.ids("adjustment"),
      variantId: variant.id,
      locationId: location.id,
      delta: body.delta,
      onHandAfter: after.onHand,
      reason: body.reason,
      note: body.note ?? null,
      actorId: actor.userId,
      occurredAt: now,
    });
    const changes = new StockChanges();
    changes.record(variant, before, after);
    await changes.write(tx, ctx, body.reason, now);
    if (!adjustment) throw new Error("the adjustment insert returned no row");
    return { adjustment: toAdjustmentView(adjustment), level: toLevelView(after, location.name) };
  });
  ctx.eventsWritten();
  return result;
}

export async function listAdjustments(ctx: Ctx, actor: Actor, variantId: string, query: StockAdjustmentQuery): Promise<StockAdjustmentPage> {
  const variant = await ownedVariant(ctx, actor, variantId);
  const limit = Number(query.limit ?? 20);
  const after = query.cursor ? adjustmentPosition(query.cursor) : undefined;
  const rows = await repo.adjustmentsOf(ctx.database.db, variant.id, {
    ...(query.locationId ? { locationId: query.locationId } : {}),
    limit: limit + 1,
    ...(after ? { after } : {}),
  });
  return toPage(rows, limit, toAdjustmentView, (row) => ({ t: row.occurredAt, id: row.id }));
}

function adjustmentPosition(cursor: string): { occurredAt: number; id: string } {
  const { t, id } = decodeCursor(cursor);
  if (typeof t !== "number" || typeof id !== "string")
    throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
  return { occurredAt: t, id };
}
