import {
  AppError,
  ConflictError,
  type CreateShippingRateBody,
  decodeCursor,
  type FieldError,
  isCountryCode,
  MAX_SHIPPING_RATES_PER_SELLER,
  NotFoundError,
  type ShippingEstimateBody,
  type ShippingEstimateView,
  type ShippingRatePage,
  type ShippingRateQuery,
  type ShippingRateView,
  toPage,
  type UpdateShippingRateBody,
  ValidationError,
} from "@bazaar/contracts";
import { isConstraintError } from "@bazaar/db";
import { requireOwner } from "../http/authentication.ts";
import type { Actor, Ctx } from "../platform/deps.ts";
import { estimateShipping } from "./estimate.ts";
import * as repo from "./repo.ts";

const STAFF = ["admin"] as const;
const iso = (ms: number) => new Date(ms).toISOString();

function toRateView(row: repo.RateRow): ShippingRateView {
  return {
    id: row.id,
    sellerId: row.sellerId,
    name: row.name,
    countries: row.countries,
    kind: row.kind,
    baseMinor: row.baseMinor,
    perKgMinor: row.perKgMinor,
    freeOverMinor: row.freeOverMinor,
    currency: row.currency,
    minDays: row.minDays,
    maxDays: row.maxDays,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

type RateTerms = Pick<repo.RateRow, "countries" | "kind" | "perKgMinor" | "minDays" | "maxDays">;

/** What the schema cannot say: real country codes, no per-kg charge on a flat rate, minDays ≤ maxDays. */
function termsProblems(terms: RateTerms): FieldError[] {
  const errors: FieldError[] = [];
  terms.countries.forEach((country, i) => {
    if (!isCountryCode(country)) errors.push({ path: `/countries/${i}`, message: "is not an ISO 3166-1 alpha-2 country code" });
  });
  if (terms.kind === "flat" && terms.perKgMinor !== 0) errors.push({ path: "/perKgMinor", message: "must be 0 or absent on a flat rate" });
  if (terms.minDays > terms.maxDays) errors.push({ path: "/maxDays", message: "must be at least minDays" });
  return errors;
}

function assertTerms(terms: RateTerms): void {
  const errors = termsProblems(terms);
  if (errors.length) throw new ValidationError(errors);
}

/** A CHECK refusal means a concurrent change broke a rule we had checked: a conflict, never a 500. */
async function guarded<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof AppError) && isConstraintError(error)) throw new ConflictError("The shipping rate changed under this request; try again");
    throw error;
  }
}

async function ownedRate(ctx: Ctx, actor: Actor, id: string): Promise<repo.RateRow> {
  return requireOwner(actor, await repo.findRate(ctx.database.db, id), "shipping rate", STAFF, (r) => r.sellerId);
}

/** A rate of the caller's own; at most MAX_SHIPPING_RATES_PER_SELLER, counted and inserted in one transaction. */
export async function createShippingRate(ctx: Ctx, actor: Actor, body: CreateShippingRateBody): Promise<ShippingRateView> {
  const now = ctx.clock();
  const row: repo.RateRow = {
    id: ctx.ids("shippingRate"),
    sellerId: actor.userId,
    name: body.name.trim(),
    countries: body.countries,
    kind: body.kind,
    baseMinor: body.baseMinor,
    perKgMinor: body.perKgMinor ?? 0,
    freeOverMinor: body.freeOverMinor ?? null,
    currency: body.currency,
    minDays: body.minDays,
    maxDays: body.maxDays,
    createdAt: now,
    updatedAt: now,
  };
  assertTerms(row);
  const created = await guarded(() =>
    ctx.database.transaction(async (tx) => {
      if ((await repo.countRates(tx, actor.userId)) >= MAX_SHIPPING_RATES_PER_SELLER) return undefined;
      return repo.insertRate(tx, row);
    }),
  );
  if (!created) throw new ConflictError(`A seller has at most ${MAX_SHIPPING_RATES_PER_SELLER} shipping rates; delete or merge one first`);
  return toRateView(created);
}

/** The caller's rates, oldest first; an admin may name another seller's. */
export async function listShippingRates(ctx: Ctx, actor: Actor, query: ShippingRateQuery): Promise<ShippingRatePage> {
  const sellerId = query.sellerId ?? actor.userId;
  if (sellerId !== actor.userId && !STAFF.some((role) => actor.roles.includes(role))) {
    throw new AppError("FORBIDDEN", "Only admins list another seller's shipping rates", [{ path: "/sellerId", message: "must be your own id" }]);
  }
  const limit = Number(query.limit ?? 20);
  const after = query.cursor ? decodeCursor(query.cursor).id : undefined;
  if (after !== undefined && typeof after !== "string") {
    throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
  }
  const rows = await repo.ratePage(ctx.database.db, sellerId, limit + 1, after);
  return toPage(rows, limit, toRateView, (row) => ({ id: row.id }));
}

export async function getShippingRate(ctx: Ctx, actor: Actor, id: string): Promise<ShippingRateView> {
  return toRateView(await ownedRate(ctx, actor, id));
}

/**
 * Changes the fields given; the rules are checked on the rate as it would be after the change,
 * read and written in one transaction. Turning a rate flat without naming perKgMinor drops the per-kg charge.
 */
export async function updateShippingRate(ctx: Ctx, actor: Actor, id: string, body: UpdateShippingRateBody): Promise<ShippingRateView> {
  if (Object.keys(body).length === 0) throw new ValidationError([{ path: "/", message: "must change at least one field" }]);
  await ownedRate(ctx, actor, id);
  const changes: repo.RateChanges = { ...body, updatedAt: ctx.clock() };
  if (body.name !== undefined) changes.name = body.name.trim();
  if (body.kind === "flat" && body.perKgMinor === undefined) changes.perKgMinor = 0;
  const updated = await guarded(() =>
    ctx.database.transaction(async (tx) => {
      const existing = await repo.findRate(tx, id);
      if (!existing) return undefined; // deleted since we read it
      assertTerms({ ...existing, ...changes });
      return repo.updateRate(tx, id, changes);
    }),
  );
  if (!updated) throw new NotFoundError("shipping rate", id);
  return toRateView(updated);
}

export async function deleteShippingRate(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  await ownedRate(ctx, actor, id);
  if (!(await ctx.database.write((db) => repo.deleteRate(db, id)))) throw new NotFoundError("shipping rate", id);
}

/** What a seller charges to ship to a country; 422 naming /country when none of their rates (in that currency) reaches it. */
export async function estimate(ctx: Ctx, body: ShippingEstimateBody): Promise<ShippingEstimateView> {
  if (!isCountryCode(body.country)) throw new ValidationError([{ path: "/country", message: "is not an ISO 3166-1 alpha-2 country code" }]);
  const found = await estimateShipping(ctx, body);
  if (!found) {
    throw new ValidationError([{ path: "/country", message: `this seller does not ship to ${body.country} at a rate in ${body.currency}` }]);
  }
  return { ...found, currency: body.currency };
}
