// FX's SQL: the fx_rate table, one row per (base, quote) as a provider (or the seeded table) quoted it.
import { type Queryable, schema } from "@bazaar/db";
import { and, inArray, or, sql } from "drizzle-orm";

const { fxRate } = schema;

export type FxRateRow = typeof fxRate.$inferSelect;
export type NewFxRate = typeof fxRate.$inferInsert;

/** The source the seeded table writes as: a provider's rows always replace it, whatever their dates. */
export const SEED_SOURCE = "seed";

/**
 * Inserts or replaces rates. A row already there is replaced only by one at least as recent (two refreshes
 * finishing out of order never wind a rate back), or when it is the seeded table's.
 */
export function upsertRates(db: Queryable, rows: [NewFxRate, ...NewFxRate[]]) {
  return db
    .insert(fxRate)
    .values(rows)
    .onConflictDoUpdate({
      target: [fxRate.base, fxRate.quote],
      set: { ratePpb: sql`excluded.rate_ppb`, source: sql`excluded.source`, asOf: sql`excluded.as_of` },
      setWhere: sql`excluded.as_of >= ${fxRate.asOf} OR ${fxRate.source} = ${SEED_SOURCE}`,
    });
}

/** Every row between any two of `currencies`, both ways: what deriving a rate among them may need. */
export function ratesAmong(db: Queryable, currencies: string[]): Promise<FxRateRow[]> {
  return db
    .select()
    .from(fxRate)
    .where(and(inArray(fxRate.base, currencies), inArray(fxRate.quote, currencies)));
}

/** Every row that has `base` or USD (the pivot) on either side: enough to derive base→anything. */
export function ratesAround(db: Queryable, base: string, pivot: string): Promise<FxRateRow[]> {
  return db
    .select()
    .from(fxRate)
    .where(or(inArray(fxRate.base, [base, pivot]), inArray(fxRate.quote, [base, pivot])));
}

export async function hasAnyRate(db: Queryable): Promise<boolean> {
  const [row] = await db.select({ one: sql<number>`1` }).from(fxRate).limit(1);
  return row !== undefined;
}
