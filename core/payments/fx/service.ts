// Exchange rates: where they come from (a provider: the seeded table offline, an HTTP feed in production), how
// they are stored (fx_rate, ppb), and how a rate between any two supported currencies is found and used. A
// quote's rate is the one rounded ppb value its amount was converted with, so the order that stores it can
// always reproduce the amount: convert(amount, from, to, quote.ratePpb) === quote.amountMinor.
import { AppError, SUPPORTED_CURRENCIES, ValidationError } from "@bazaar/contracts";
import type { Database } from "@bazaar/db";
import type { Ctx } from "../../platform/deps.ts";
import type { FxRateList } from "./contracts.ts";
import { convert, crossFraction, decimalToPpb, formatRate, fractionOf, invertFraction, parseRate, RATE_ONE_PPB, type RateFraction, toPpb } from "./convert.ts";
import { type FxRateRow, hasAnyRate, type NewFxRate, ratesAmong, ratesAround, SEED_SOURCE, upsertRates } from "./repo.ts";

export type SupportedCurrency = (typeof SUPPORTED_CURRENCIES)[number];

/** The currency every provider is asked for and cross rates go through. */
export const PIVOT_CURRENCY: SupportedCurrency = "USD";

/** What the verbs need: a request's ctx, or the process's deps (a refresh job, boot). */
export type FxCtx = Pick<Ctx, "database" | "clock">;

/** One quoted rate: `ratePpb` units of `quote` (× 1e9) per unit of the base asked for, published at `asOf` (epoch ms). */
export interface FxQuotedRate {
  quote: string;
  ratePpb: number;
  asOf: number;
}

/** Where rates come from. `name` is what fx_rate.source records. */
export interface FxRateProvider {
  readonly name: string;
  fetchRates(base: string): Promise<FxQuotedRate[]>;
}

/** A rate provider failed or answered something that is not a rate feed: a 502 if it reaches a client. */
export class FxProviderError extends AppError {
  constructor(provider: string, detail: string) {
    super("BAD_GATEWAY", `exchange-rate provider ${provider}: ${detail}`);
    this.name = "FxProviderError";
  }
}

const SUPPORTED = new Set<string>(SUPPORTED_CURRENCIES);
export const isSupportedCurrency = (code: string): code is SupportedCurrency => SUPPORTED.has(code);

function assertSupported(code: string, path: string): asserts code is SupportedCurrency {
  if (!isSupportedCurrency(code)) {
    const shown = typeof code === "string" ? JSON.stringify(code.slice(0, 20)) : "it";
    throw new ValidationError([{ path, message: `${shown} is not a supported currency (one of ${SUPPORTED_CURRENCIES.join(", ")})` }]);
  }
}

// ---- providers ----

/**
 * Mid-market units per US dollar, committed so the platform quotes every supported currency with nothing
 * configured (figures of late 2025, to the precision feeds publish). Not for real money: production
 * sets FX_RATES_URL and refreshes from a live feed.
 */
export const SEEDED_USD_RATES = {
  USD: "1",
  EUR: "0.8612",
  GBP: "0.7598",
  CNY: "7.1105",
  JPY: "154.62",
  KRW: "1462.35",
  INR: "88.6",
  BRL: "5.3381",
  MXN: "18.4127",
  CAD: "1.4068",
  AUD: "1.5382",
  RUB: "80.95",
  TRY: "42.2318",
  PLN: "3.6571",
  SEK: "9.4872",
  CHF: "0.8037",
  AED: "3.6725",
  SAR: "3.7502",
  IDR: "16695",
  VND: "26325",
  THB: "32.41",
  KWD: "0.30712",
  BHD: "0.376",
  CLP: "936.5",
} as const satisfies Record<SupportedCurrency, string>;

/**
 * The embedded default: the committed table above against USD, and for any other base the cross rates derived
 * from it exactly (one half-even rounding to ppb). Every rate is stamped `asOf` (the time it was seeded).
 */
export class SeededRates implements FxRateProvider {
  readonly name = SEED_SOURCE;
  readonly #usd = new Map(Object.entries(SEEDED_USD_RATES).map(([code, rate]) => [code, fractionOf(parseRate(rate))]));

  constructor(private readonly asOf: number) {}

  async fetchRates(base: string): Promise<FxQuotedRate[]> {
    assertSupported(base, "/base");
    const usdToBase = this.#usd.get(base) as RateFraction;
    return SUPPORTED_CURRENCIES.filter((quote) => quote !== base).map((quote) => ({
      quote,
      ratePpb: toPpb(crossFraction(usdToBase, this.#usd.get(quote) as RateFraction)),
      asOf: this.asOf,
    }));
  }
}

export interface HttpRateProviderOptions {
  /**
   * The feed's URL. `{base}` in it is replaced by the base currency; without it, `base=<code>` is added to the
   * query (exchangerate.host, Frankfurter/ECB and Open Exchange Rates style).
   */
  url: string;
  /** recorded as fx_rate.source (default: the URL's host) */
  name?: string;
  timeoutMs?: number;
}

/** A feed's body beyond this is not a rate table. */
const MAX_FEED_BYTES = 1_000_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A JSON number kept as its source text, so a rate is read from its decimal digits and never through a float. */
class JsonNumber {
  constructor(readonly source: string) {}
}

/**
 * Rates from a JSON endpoint answering `{ base, date | timestamp, rates: { EUR: 0.92, … } }` (exchangerate.host,
 * Frankfurter/ECB, Open Exchange Rates). Each rate is read from its decimal text; more than nine decimals round
 * once, half to even, to ppb. Currencies we do not support are ignored; any malformed rate refuses the whole feed.
 */
export class HttpRateProvider implements FxRateProvider {
  readonly name: string;
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(options: HttpRateProviderOptions) {
    const url = new URL(options.url.replace("{base}", "XXX"));
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new RangeError(`FX rates URL must be http(s): ${options.url}`);
    this.#url = options.url;
    this.name = options.name ?? url.host;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async fetchRates(base: string): Promise<FxQuotedRate[]> {
    assertSupported(base, "/base");
    const body = await this.#get(base);
    return this.#read(body, base);
  }

  async #get(base: string): Promise<unknown> {
    let url: URL;
    if (this.#url.includes("{base}")) url = new URL(this.#url.replaceAll("{base}", encodeURIComponent(base)));
    else {
      url = new URL(this.#url);
      url.searchParams.set("base", base);
    }
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      throw new FxProviderError(this.name, `unreachable (${error instanceof Error ? error.message : String(error)})`);
    }
    const text = await response.text().catch(() => "");
    if (!response.ok) throw new FxProviderError(this.name, `answered HTTP ${response.status}`);
    if (text.length > MAX_FEED_BYTES) throw new FxProviderError(this.name, "answered a body too large to be a rate table");
    try {
      // the reviver's third argument (JSON.parse source text access) hands over each number's own digits
      return JSON.parse(text, (_key, value, context?: { source?: string }) =>
        typeof value === "number" ? new JsonNumber(context?.source ?? String(value)) : value,
      );
    } catch {
      throw new FxProviderError(this.name, "answered something that is not JSON");
    }
  }

  #read(body: unknown, base: string): FxQuotedRate[] {
    const fail = (detail: string): never => {
      throw new FxProviderError(this.name, detail);
    };
    if (!isRecord(body)) return fail("answered JSON that is not an object");
    if (body.success === false) {
      const error = isRecord(body.error) ? body.error : {};
      const why = [error.type, error.info, error.message].find((v) => typeof v === "string");
      return fail(`refused the request${why ? `: ${String(why).slice(0, 200)}` : ""}`);
    }
    if (body.base !== base) return fail(`answered rates for base ${JSON.stringify(body.base)}, not ${base}`);
    if (!isRecord(body.rates)) return fail("answered no `rates` object");
    const asOf = feedTime(body);
    if (asOf === undefined) return fail("answered no valid `date` or `timestamp`");
    const rates: FxQuotedRate[] = [];
    for (const [quote, value] of Object.entries(body.rates)) {
      if (quote === base || !isSupportedCurrency(quote)) continue;
      const text = value instanceof JsonNumber ? value.source : typeof value === "string" ? value : undefined;
      if (text === undefined) return fail(`rate for ${quote} is not a number`);
      try {
        rates.push({ quote, ratePpb: decimalToPpb(text), asOf });
      } catch (error) {
        return fail(`rate for ${quote}: ${(error as Error).message}`);
      }
    }
    return rates;
  }
}

/** `timestamp` (Unix seconds) when the feed gives one, else the UTC midnight of its `date`. */
function feedTime(body: Record<string, unknown>): number | undefined {
  if (body.timestamp instanceof JsonNumber && /^[1-9][0-9]{0,11}$/.test(body.timestamp.source)) return Number(body.timestamp.source) * 1000;
  const match = typeof body.date === "string" ? ISO_DATE.exec(body.date) : null;
  if (!match) return undefined;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const time = Date.UTC(year, month - 1, day);
  const back = new Date(time);
  // Date.UTC rolls 2026-02-31 over into March: such a date is malformed, not March
  return back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day ? time : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

// ---- storing ----

/**
 * Fetches `base`'s rates from the provider and upserts them (a network call first, then one write: never a
 * transaction held open across the fetch). Returns how many rates were written. Rows a provider quotes for
 * currencies we do not support, or that are not positive integers of ppb, are refused before anything is written.
 */
export async function refreshRates(ctx: FxCtx, provider: FxRateProvider, base: string = PIVOT_CURRENCY): Promise<number> {
  assertSupported(base, "/base");
  const quoted = await provider.fetchRates(base);
  const rows = quoted.map((rate): NewFxRate => {
    if (!isSupportedCurrency(rate.quote) || rate.quote === base) throw new FxProviderError(provider.name, `quoted an unexpected currency ${rate.quote}`);
    if (!Number.isSafeInteger(rate.ratePpb) || rate.ratePpb <= 0) throw new FxProviderError(provider.name, `quoted a non-positive rate for ${rate.quote}`);
    if (!Number.isSafeInteger(rate.asOf)) throw new FxProviderError(provider.name, `quoted no valid time for ${rate.quote}`);
    return { base, quote: rate.quote, ratePpb: rate.ratePpb, asOf: rate.asOf, source: provider.name };
  });
  const [first, ...rest] = rows;
  if (!first) return 0;
  await ctx.database.write((db) => upsertRates(db, [first, ...rest]));
  return rows.length;
}

/** At boot: writes the seeded table (against USD) when fx_rate holds nothing, so quotes work out of the box. Returns rows written. */
export async function seedRatesIfEmpty(database: Database, now: number): Promise<number> {
  if (await hasAnyRate(database.db)) return 0;
  return refreshRates({ database, clock: () => now }, new SeededRates(now), PIVOT_CURRENCY);
}

// ---- finding and using rates ----

/** A rate between two currencies as it will be used: ppb, and the publication time of the oldest row behind it. */
export interface ResolvedRate {
  from: string;
  to: string;
  ratePpb: number;
  asOf: number;
}

interface Leg {
  rate: RateFraction;
  asOf: number;
}

/** The rows at hand, keyed "BASE/QUOTE". */
type RateTable = Map<string, FxRateRow>;
const tableOf = (rows: FxRateRow[]): RateTable => new Map(rows.map((row) => [`${row.base}/${row.quote}`, row]));

/** a→b from a row quoting it, else from the row quoting b→a, inverted exactly. */
function leg(table: RateTable, a: string, b: string): Leg | undefined {
  const direct = table.get(`${a}/${b}`);
  if (direct) return { rate: fractionOf(direct.ratePpb), asOf: direct.asOf };
  const inverse = table.get(`${b}/${a}`);
  if (inverse) return { rate: invertFraction(fractionOf(inverse.ratePpb)), asOf: inverse.asOf };
  return undefined;
}

/**
 * from→to: a direct row, else the inverse row, else through USD (USD→to ÷ USD→from), combined as exact fractions
 * and rounded once to ppb. Returns the currencies no rate reaches when there is no way.
 */
function resolve(table: RateTable, from: string, to: string): { rate: Omit<ResolvedRate, "from" | "to"> } | { missing: string[] } {
  const found = leg(table, from, to);
  const direct = found && storable(found.rate);
  if (found && direct) return { rate: { ratePpb: direct, asOf: found.asOf } };
  const one: Leg = { rate: fractionOf(RATE_ONE_PPB), asOf: Number.POSITIVE_INFINITY };
  const toFrom = from === PIVOT_CURRENCY ? one : leg(table, PIVOT_CURRENCY, from);
  const toTo = to === PIVOT_CURRENCY ? one : leg(table, PIVOT_CURRENCY, to);
  const crossed = toFrom && toTo && storable(crossFraction(toFrom.rate, toTo.rate));
  if (!toFrom || !toTo || !crossed) return { missing: toFrom && toTo ? [from, to] : [...(toFrom ? [] : [from]), ...(toTo ? [] : [to])] };
  return { rate: { ratePpb: crossed, asOf: Math.min(toFrom.asOf, toTo.asOf) } };
}

/** The rate in ppb, or undefined when nine decimals cannot hold it (an absurd stored row, inverted): no rate then, not a 500. */
function storable(rate: RateFraction): number | undefined {
  try {
    return toPpb(rate);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * The rate from→to: 1 for a currency against itself; a direct row, else its inverse, else through USD. A
 * currency we do not support, or one no stored rate reaches, is a 422 naming it.
 */
export async function rateFor(ctx: FxCtx, from: string, to: string): Promise<ResolvedRate> {
  assertSupported(from, "/from");
  assertSupported(to, "/to");
  if (from === to) return { from, to, ratePpb: RATE_ONE_PPB, asOf: ctx.clock() };
  const table = tableOf(await ratesAmong(ctx.database.db, [...new Set([from, to, PIVOT_CURRENCY])]));
  const found = resolve(table, from, to);
  if ("missing" in found) {
    throw new ValidationError(
      found.missing.map((code) => ({ path: code === from ? "/from" : "/to", message: `no exchange rate is known for ${code} (from ${from} to ${to})` })),
    );
  }
  return { from, to, ...found.rate };
}

export interface QuoteInput {
  /** minor units of `from`; negative for a refund */
  amountMinor: number;
  from: string;
  to: string;
}

/** What checkout stores on the order: the converted amount and exactly the rate it was converted with. */
export interface FxQuote {
  from: string;
  to: string;
  /** minor units of `to` */
  amountMinor: number;
  ratePpb: number;
  /** ratePpb as an exact decimal ("1.0842") */
  rate: string;
  /** epoch ms: when the rate was published */
  asOf: number;
}

/** Converts an amount at the current rate, rounding once, half to even (see convert.ts for why). */
export async function quote(ctx: FxCtx, input: QuoteInput): Promise<FxQuote> {
  if (!Number.isSafeInteger(input.amountMinor)) throw new ValidationError([{ path: "/amountMinor", message: "must be an integer of minor units" }]);
  const rate = await rateFor(ctx, input.from, input.to);
  let amountMinor: number;
  try {
    amountMinor = convert(input.amountMinor, input.from, input.to, rate.ratePpb);
  } catch (error) {
    if (error instanceof RangeError)
      throw new ValidationError([{ path: "/amountMinor", message: `is too large to convert from ${input.from} to ${input.to}` }]);
    throw error;
  }
  return { from: input.from, to: input.to, amountMinor, ratePpb: rate.ratePpb, rate: formatRate(rate.ratePpb), asOf: rate.asOf };
}

/** Every supported currency's rate against `base` that the stored rows reach, by code (GET /v1/fx/rates). */
export async function listRates(ctx: FxCtx, base: string): Promise<FxRateList> {
  assertSupported(base, "/base");
  const table = tableOf(await ratesAround(ctx.database.db, base, PIVOT_CURRENCY));
  const rates: FxRateList["rates"] = [];
  for (const quoteCode of [...SUPPORTED_CURRENCIES].sort()) {
    if (quoteCode === base) continue;
    const found = resolve(table, base, quoteCode);
    if ("rate" in found) rates.push({ quote: quoteCode, rate: formatRate(found.rate.ratePpb), asOf: new Date(found.rate.asOf).toISOString() });
  }
  return { base, rates };
}
