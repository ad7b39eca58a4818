// What the fraud rules and the model see of a payment about to be made, read from the payments tables, the
// exchange rates (fx_rate) and the accounts `user` row (read-only). Pure reads: nothing here writes.
import { minorUnitExponent, ValidationError } from "@bazaar/contracts";
import { type Database, type ReadDb, schema } from "@bazaar/db";
import { and, count, desc, eq, gt, gte, ne, sql } from "drizzle-orm";
import { convert, RATE_ONE_PPB } from "../fx/convert.ts";
import { PIVOT_CURRENCY, rateFor } from "../fx/service.ts";

const { payment, fraudAssessment, user } = schema;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How many of the user's captured payments the amount is compared with (the most recent). */
export const HISTORY_SIZE = 100;

export interface FraudInput {
  /** the payment being assessed: left out of every count, so a retried assessment sees the same history */
  paymentId: string;
  userId: string;
  /** minor units of `currency` */
  amountMinor: number;
  currency: string;
  /** the gateway's stable fingerprint of the card; absent for wallet payments */
  cardFingerprint?: string;
  /** ISO 3166-1 alpha-2 country codes; anything else (or Cloudflare's XX, T1) counts as unknown */
  cardCountry?: string;
  ipAddress?: string;
  ipCountry?: string;
  billingCountry?: string;
  shippingCountry?: string;
}

/** Everything the rules and the model decide on; stored as JSON on the assessment, so only plain values. */
export interface FraudFeatures {
  /** the user's other payments created in the last 10 minutes / 24 hours */
  userPayments10m: number;
  userPayments24h: number;
  /** other payments with this card in the last 24 hours (0 without a fingerprint) */
  cardPayments24h: number;
  /** distinct users of this card in the last 24 hours, this user included (0 without a fingerprint) */
  cardUsers24h: number;
  /** other payments from this IP address in the last hour (0 without an address) */
  ipPayments1h: number;
  /** the amount in US dollars (through fx_rate); in its own currency's major units when no rate reaches it */
  amountUsd: number;
  /** false when no exchange rate reached the payment's currency, so `amountUsd` is minor / 10^exponent */
  amountConverted: boolean;
  /** how many earlier captured payments the history below is made of (at most HISTORY_SIZE) */
  historyPayments: number;
  /** median and mean captured amount of those in US dollars (as `amountUsd`); null without history */
  historyMedianUsd: number | null;
  historyMeanUsd: number | null;
  /** false when some history amount had no exchange rate and counts in its own major units; true without history */
  historyConverted: boolean;
  /** this amount over that median / mean; null without history */
  amountToMedian: number | null;
  amountToMean: number | null;
  /** no earlier captured payment */
  firstPayment: boolean;
  /** days since the account was created (fractional); 0 when the user cannot be found */
  accountAgeDays: number;
  ipCountry: string | null;
  billingCountry: string | null;
  shippingCountry: string | null;
  cardCountry: string | null;
  /** distinct known countries among IP, billing, shipping and card, minus one: 0 when they all agree */
  countryMismatches: number;
  /** the user's payments that failed (declined) in the last 24 hours */
  declines24h: number;
}

/** Reads the features of `input` as of `now` (epoch ms): payments on the hot-read connection, rates through fx. */
export async function readFeatures(database: Database, input: FraudInput, now: number): Promise<FraudFeatures> {
  const db = database.read;
  const [velocity, card, ipPayments1h, [history, rates], createdAt, declines24h] = await Promise.all([
    userVelocity(db, input, now),
    cardUsage(db, input, now),
    ipVelocity(db, input, now),
    // the rates wait for the history (its currencies) but not for the other reads
    capturedHistory(db, input).then(async (rows) => [rows, await usdRates(database, now, [input.currency, ...rows.map((row) => row.currency)])] as const),
    accountCreatedAt(db, input.userId),
    recentDeclines(db, input, now),
  ]);
  const amount = toUsd(input.amountMinor, input.currency, rates);
  const historyUsd = history.map((row) => toUsd(row.capturedMinor, row.currency, rates));
  const amounts = historyUsd.map((h) => h.usd);
  const median = amounts.length ? medianOf(amounts) : null;
  const mean = amounts.length ? amounts.reduce((a, b) => a + b, 0) / amounts.length : null;
  const countries = {
    ipCountry: countryOrNull(input.ipCountry),
    billingCountry: countryOrNull(input.billingCountry),
    shippingCountry: countryOrNull(input.shippingCountry),
    cardCountry: countryOrNull(input.cardCountry),
  };
  return {
    userPayments10m: velocity.last10m,
    userPayments24h: velocity.last24h,
    cardPayments24h: card.payments,
    cardUsers24h: card.users,
    ipPayments1h,
    amountUsd: amount.usd,
    amountConverted: amount.converted,
    historyPayments: history.length,
    historyMedianUsd: median,
    historyMeanUsd: mean,
    historyConverted: historyUsd.every((h) => h.converted),
    amountToMedian: median ? amount.usd / median : null,
    amountToMean: mean ? amount.usd / mean : null,
    firstPayment: history.length === 0,
    accountAgeDays: createdAt === undefined ? 0 : Math.max(0, now - createdAt) / DAY,
    ...countries,
    countryMismatches: countryMismatches(countries),
    declines24h,
  };
}

/** Minor units to major units by the currency's exponent only (JPY 0, USD 2, KWD 3): no exchange rates. */
export function toMajor(amountMinor: number, currency: string): number {
  return amountMinor / 10 ** minorUnitExponent(currency);
}

/** Each of `currencies`' rate to USD (ppb) that a stored rate reaches: one lookup per currency, however many amounts. */
async function usdRates(database: Database, now: number, currencies: readonly string[]): Promise<Map<string, number>> {
  const ctx = { database, clock: () => now };
  const found = await Promise.all(
    [...new Set(currencies)].map(async (code) => {
      try {
        return [code, (await rateFor(ctx, code, PIVOT_CURRENCY)).ratePpb] as const;
      } catch (error) {
        // no rate (or a currency fx does not support): the exponent-only fallback, never a refused assessment
        if (error instanceof ValidationError) return undefined;
        throw error;
      }
    }),
  );
  return new Map(found.filter((entry) => entry !== undefined));
}

/** The amount in US dollars at `rates`, rounded to the cent as fx rounds; exponent-only when no rate is known. */
export function toUsd(amountMinor: number, currency: string, rates: ReadonlyMap<string, number>): { usd: number; converted: boolean } {
  const ratePpb = rates.get(currency);
  if (ratePpb === undefined) return { usd: toMajor(amountMinor, currency), converted: false };
  try {
    return { usd: toMajor(convert(amountMinor, currency, PIVOT_CURRENCY, ratePpb), PIVOT_CURRENCY), converted: true };
  } catch (error) {
    // beyond a safe integer of cents (tens of trillions) the last cent does not matter: a float will do
    if (error instanceof RangeError) return { usd: toMajor(amountMinor, currency) * (ratePpb / RATE_ONE_PPB), converted: true };
    throw error;
  }
}

export function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function countryMismatches(countries: {
  ipCountry: string | null;
  billingCountry: string | null;
  shippingCountry: string | null;
  cardCountry: string | null;
}) {
  const known = new Set([countries.ipCountry, countries.billingCountry, countries.shippingCountry, countries.cardCountry].filter((c) => c !== null));
  return Math.max(0, known.size - 1);
}

/** XX (unknown) and T1 (Tor) are what Cloudflare's geo header says when it cannot place an address. */
function countryOrNull(value: string | undefined): string | null {
  const code = value?.trim().toUpperCase();
  return code && /^[A-Z]{2}$/.test(code) && code !== "XX" && code !== "T1" ? code : null;
}

/**
 * Payments are counted by id over both the payment table and the assessments: an attempt the fraud check
 * stopped before a payment row was written still counts, and one that has both is counted once.
 */
async function userVelocity(db: ReadDb, input: FraudInput, now: number): Promise<{ last10m: number; last24h: number }> {
  const since = now - DAY;
  const attempts = db
    .select({ id: payment.id, at: payment.createdAt })
    .from(payment)
    .where(and(eq(payment.buyerId, input.userId), gte(payment.createdAt, since), ne(payment.id, input.paymentId)))
    .unionAll(
      db
        .select({ id: fraudAssessment.paymentId, at: fraudAssessment.createdAt })
        .from(fraudAssessment)
        .where(and(eq(fraudAssessment.userId, input.userId), gte(fraudAssessment.createdAt, since), ne(fraudAssessment.paymentId, input.paymentId))),
    )
    .as("attempts");
  const [row] = await db
    .select({
      last10m: sql<number>`count(distinct case when ${attempts.at} >= ${now - 10 * MINUTE} then ${attempts.id} end)`,
      last24h: sql<number>`count(distinct ${attempts.id})`,
    })
    .from(attempts);
  return { last10m: Number(row?.last10m ?? 0), last24h: Number(row?.last24h ?? 0) };
}

async function cardUsage(db: ReadDb, input: FraudInput, now: number): Promise<{ payments: number; users: number }> {
  if (!input.cardFingerprint) return { payments: 0, users: 0 };
  const [row] = await db
    .select({
      payments: count(),
      otherUsers: sql<number>`count(distinct case when ${fraudAssessment.userId} <> ${input.userId} then ${fraudAssessment.userId} end)`,
    })
    .from(fraudAssessment)
    .where(
      and(
        eq(fraudAssessment.cardFingerprint, input.cardFingerprint),
        gte(fraudAssessment.createdAt, now - DAY),
        ne(fraudAssessment.paymentId, input.paymentId),
      ),
    );
  return { payments: Number(row?.payments ?? 0), users: Number(row?.otherUsers ?? 0) + 1 };
}

async function ipVelocity(db: ReadDb, input: FraudInput, now: number): Promise<number> {
  if (!input.ipAddress) return 0;
  const [row] = await db
    .select({ n: count() })
    .from(fraudAssessment)
    .where(and(eq(fraudAssessment.ipAddress, input.ipAddress), gte(fraudAssessment.createdAt, now - HOUR), ne(fraudAssessment.paymentId, input.paymentId)));
  return Number(row?.n ?? 0);
}

/** The user's most recent captured amounts, in minor units of their currencies. */
async function capturedHistory(db: ReadDb, input: FraudInput): Promise<{ capturedMinor: number; currency: string }[]> {
  return await db
    .select({ capturedMinor: payment.capturedMinor, currency: payment.currency })
    .from(payment)
    .where(and(eq(payment.buyerId, input.userId), gt(payment.capturedMinor, 0), ne(payment.id, input.paymentId)))
    .orderBy(desc(payment.createdAt))
    .limit(HISTORY_SIZE);
}

async function accountCreatedAt(db: ReadDb, userId: string): Promise<number | undefined> {
  const [row] = await db.select({ createdAt: user.createdAt }).from(user).where(eq(user.id, userId)).limit(1);
  return row?.createdAt;
}

/** A decline is a payment that ended `failed`; when it failed is its last update. */
async function recentDeclines(db: ReadDb, input: FraudInput, now: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(payment)
    .where(and(eq(payment.buyerId, input.userId), eq(payment.status, "failed"), gte(payment.updatedAt, now - DAY), ne(payment.id, input.paymentId)));
  return Number(row?.n ?? 0);
}
