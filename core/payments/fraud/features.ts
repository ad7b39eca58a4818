// What the fraud rules and the model see of a payment about to be made, read from the payments tables and the
// accounts `user` row (read-only). Pure reads: nothing here writes.
import { minorUnitExponent } from "@bazaar/contracts";
import { type ReadDb, schema } from "@bazaar/db";
import { and, count, desc, eq, gt, gte, ne, sql } from "drizzle-orm";

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
  /** the amount in major units (minor / 10^exponent): comparable across currencies only roughly, no FX */
  amountMajor: number;
  /** how many earlier captured payments the history below is made of (at most HISTORY_SIZE) */
  historyPayments: number;
  /** median and mean captured amount of those, major units; null without history */
  historyMedianMajor: number | null;
  historyMeanMajor: number | null;
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

/** Reads the features of `input` as of `now` (epoch ms). `db` is any reader: the hot-read connection or the client. */
export async function readFeatures(db: ReadDb, input: FraudInput, now: number): Promise<FraudFeatures> {
  const [velocity, card, ipPayments1h, history, createdAt, declines24h] = await Promise.all([
    userVelocity(db, input, now),
    cardUsage(db, input, now),
    ipVelocity(db, input, now),
    capturedHistory(db, input),
    accountCreatedAt(db, input.userId),
    recentDeclines(db, input, now),
  ]);
  const amountMajor = toMajor(input.amountMinor, input.currency);
  const median = history.length ? medianOf(history) : null;
  const mean = history.length ? history.reduce((a, b) => a + b, 0) / history.length : null;
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
    amountMajor,
    historyPayments: history.length,
    historyMedianMajor: median,
    historyMeanMajor: mean,
    amountToMedian: median ? amountMajor / median : null,
    amountToMean: mean ? amountMajor / mean : null,
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

/** The user's most recent captured amounts, in major units. */
async function capturedHistory(db: ReadDb, input: FraudInput): Promise<number[]> {
  const rows = await db
    .select({ capturedMinor: payment.capturedMinor, currency: payment.currency })
    .from(payment)
    .where(and(eq(payment.buyerId, input.userId), gt(payment.capturedMinor, 0), ne(payment.id, input.paymentId)))
    .orderBy(desc(payment.createdAt))
    .limit(HISTORY_SIZE);
  return rows.map((row) => toMajor(row.capturedMinor, row.currency));
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
