import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { AppError, SUPPORTED_CURRENCIES, ValidationError } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { asc } from "drizzle-orm";
import { convert, formatRate, parseRate, RATE_ONE_PPB } from "./convert.ts";
import {
  type FxCtx,
  FxProviderError,
  HttpRateProvider,
  listRates,
  quote,
  rateFor,
  refreshRates,
  SEEDED_USD_RATES,
  SeededRates,
  seedRatesIfEmpty,
} from "./service.ts";

const T0 = Date.UTC(2026, 10, 25, 9, 30);
const DAY = 86_400_000;
let database: TestDatabase;
let now = T0;
const ctx = (): FxCtx => ({ database, clock: () => now });

beforeEach(async () => {
  database = await createTestDatabase();
  now = T0;
});
afterEach(() => database.destroy());

const rows = () => database.db.select().from(schema.fxRate).orderBy(asc(schema.fxRate.base), asc(schema.fxRate.quote));
const put = (base: string, quoteCode: string, rate: string, asOf = T0, source = "test") =>
  database.db.insert(schema.fxRate).values({ base, quote: quoteCode, ratePpb: parseRate(rate), asOf, source });

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

// ---- a local exchange-rate feed speaking exchangerate.host's / Frankfurter's wire format ----

interface Feed {
  status: number;
  body: string;
}
const feeds = new Map<string, Feed>();
const requests: URL[] = [];
let server: ReturnType<typeof Bun.serve>;
let feedUrl: string;

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const url = new URL(request.url);
      requests.push(url);
      // exchangerate.host: /latest?base=USD; Frankfurter: /v1/latest?from=USD (our {base} template)
      const base = url.searchParams.get("base") ?? url.searchParams.get("from") ?? "";
      const feed = feeds.get(`${url.pathname} ${base}`);
      if (!feed) return Response.json({ success: false, error: { code: 404, type: "404_not_found", info: "no such feed" } }, { status: 404 });
      return new Response(feed.body, { status: feed.status, headers: { "content-type": "application/json" } });
    },
  });
  feedUrl = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));
beforeEach(() => {
  feeds.clear();
  requests.length = 0;
});

/** The body is written as JSON text, so its numbers are exactly the digits a real feed would send. */
const serveFeed = (path: string, base: string, body: string, status = 200) => feeds.set(`${path} ${base}`, { status, body });

describe("the seeded table", () => {
  test("has a plausible rate for every supported currency against USD", () => {
    expect(Object.keys(SEEDED_USD_RATES).sort()).toEqual([...SUPPORTED_CURRENCIES].sort());
    for (const [code, text] of Object.entries(SEEDED_USD_RATES)) {
      expect(formatRate(parseRate(text)), code).toBe(text);
    }
    expect(SEEDED_USD_RATES.USD).toBe("1");
  });

  test("seedRatesIfEmpty writes it once, against USD, stamped with the seeding time", async () => {
    expect(await seedRatesIfEmpty(database, T0)).toBe(SUPPORTED_CURRENCIES.length - 1);
    const seeded = await rows();
    expect(seeded).toHaveLength(SUPPORTED_CURRENCIES.length - 1);
    expect(seeded.every((row) => row.base === "USD" && row.source === "seed" && row.asOf === T0)).toBe(true);
    expect(seeded.find((row) => row.quote === "JPY")?.ratePpb).toBe(154_620_000_000);
    expect(seeded.find((row) => row.quote === "KWD")?.ratePpb).toBe(307_120_000);

    // a second boot finds rates and writes nothing, whatever it has changed since
    await put("EUR", "GBP", "0.88");
    expect(await seedRatesIfEmpty(database, T0 + DAY)).toBe(0);
    expect((await rows()).filter((row) => row.asOf !== T0)).toHaveLength(0);
  });

  test("cross rates for another base are derived exactly from the USD table", async () => {
    const eur = await new SeededRates(T0).fetchRates("EUR");
    expect(eur).toHaveLength(SUPPORTED_CURRENCIES.length - 1);
    // 154.62 / 0.8612 = 179.54017649791…; 1 / 0.8612 = 1.16117046…
    expect(eur.find((r) => r.quote === "JPY")?.ratePpb).toBe(179_540_176_498);
    expect(eur.find((r) => r.quote === "USD")?.ratePpb).toBe(1_161_170_460);
    await expect(new SeededRates(T0).fetchRates("XYZ")).rejects.toBeInstanceOf(ValidationError);
  });

  test("once seeded, every supported pair has a rate, and a quote reproduces from its stored rate", async () => {
    await seedRatesIfEmpty(database, T0);
    for (const from of SUPPORTED_CURRENCIES) {
      for (const to of SUPPORTED_CURRENCIES) {
        const q = await quote(ctx(), { amountMinor: 123_456, from, to });
        expect(q.ratePpb).toBeGreaterThan(0);
        expect(convert(123_456, from, to, q.ratePpb)).toBe(q.amountMinor);
        expect(parseRate(q.rate)).toBe(q.ratePpb);
      }
    }
  });
});

describe("rateFor: direct, inverse, through USD", () => {
  test("a currency against itself is exactly 1, now", async () => {
    expect(await rateFor(ctx(), "JPY", "JPY")).toEqual({ from: "JPY", to: "JPY", ratePpb: RATE_ONE_PPB, asOf: T0 });
  });

  test("a direct row is used as it is", async () => {
    await put("EUR", "GBP", "0.8823", T0 - DAY);
    await put("GBP", "EUR", "1.2", T0); // its inverse disagrees: the direct row wins
    expect(await rateFor(ctx(), "EUR", "GBP")).toEqual({ from: "EUR", to: "GBP", ratePpb: 882_300_000, asOf: T0 - DAY });
  });

  test("without one, the inverse row inverted exactly (rounded once, half to even)", async () => {
    await put("GBP", "EUR", "1.15", T0 - DAY);
    // 1 / 1.15 = 0.8695652173913…
    expect(await rateFor(ctx(), "EUR", "GBP")).toEqual({ from: "EUR", to: "GBP", ratePpb: 869_565_217, asOf: T0 - DAY });
  });

  test("without either, crossed through USD: USD→to ÷ USD→from, dated by the older leg", async () => {
    await put("USD", "EUR", "0.8612", T0 - DAY);
    await put("USD", "JPY", "154.62", T0);
    expect(await rateFor(ctx(), "EUR", "JPY")).toEqual({ from: "EUR", to: "JPY", ratePpb: 179_540_176_498, asOf: T0 - DAY });
    expect(await rateFor(ctx(), "JPY", "EUR")).toMatchObject({ ratePpb: 5_569_784 }); // 0.8612 / 154.62 = 0.0055697839…
  });

  test("a USD leg may itself be an inverse row", async () => {
    await put("KWD", "USD", "3.256", T0); // so USD→KWD = 1/3.256
    await put("USD", "JPY", "150", T0);
    // KWD→JPY = 150 / (1/3.256) = 488.4 exactly
    expect((await rateFor(ctx(), "KWD", "JPY")).ratePpb).toBe(488_400_000_000);
    expect((await rateFor(ctx(), "USD", "KWD")).ratePpb).toBe(307_125_307); // 1 / 3.256 = 0.30712530712…
  });

  test("a currency no rate reaches is a 422 naming it; an unsupported or malformed code is a 422 naming the field", async () => {
    await put("USD", "EUR", "0.8612");
    const missing = await refusal(rateFor(ctx(), "EUR", "KWD"));
    expect(missing.status).toBe(422);
    expect(missing.errors).toEqual([{ path: "/to", message: "no exchange rate is known for KWD (from EUR to KWD)" }]);
    const both = await refusal(rateFor(ctx(), "BHD", "KWD"));
    expect(both.errors?.map((e) => e.path)).toEqual(["/from", "/to"]);
    expect(both.detail).toContain("BHD");
    expect(both.detail).toContain("KWD");

    for (const [from, to, path] of [
      ["XYZ", "USD", "/from"],
      ["USD", "usd", "/to"],
      ["", "USD", "/from"],
    ] as const) {
      const refused = await refusal(rateFor(ctx(), from, to));
      expect(refused.status).toBe(422);
      expect(refused.errors?.[0]?.path).toBe(path);
    }
  });
});

describe("quote", () => {
  beforeEach(async () => {
    await put("USD", "JPY", "150", T0 - DAY);
    await put("USD", "KWD", "0.3", T0);
  });

  test("converts with one rounding and returns the rate it used, as checkout stores it on the order", async () => {
    expect(await quote(ctx(), { amountMinor: 103, from: "USD", to: "JPY" })).toEqual({
      from: "USD",
      to: "JPY",
      amountMinor: 154, // $1.03 × 150 = ¥154.5 → 154 (to even)
      ratePpb: 150 * RATE_ONE_PPB,
      rate: "150",
      asOf: T0 - DAY,
    });
    // JPY→KWD through USD: 0.3 / 150 = 0.002; ¥1,234 → 2.468 KWD
    expect(await quote(ctx(), { amountMinor: 1234, from: "JPY", to: "KWD" })).toMatchObject({ amountMinor: 2468, rate: "0.002", asOf: T0 - DAY });
  });

  test("a refund (negative amount) quotes to the negation of its charge", async () => {
    const charge = await quote(ctx(), { amountMinor: 103, from: "USD", to: "JPY" });
    const refund = await quote(ctx(), { amountMinor: -103, from: "USD", to: "JPY" });
    expect(refund.amountMinor).toBe(-charge.amountMinor);
  });

  test("the same currency is the identity", async () => {
    expect(await quote(ctx(), { amountMinor: 4242, from: "KWD", to: "KWD" })).toMatchObject({ amountMinor: 4242, ratePpb: RATE_ONE_PPB, rate: "1" });
  });

  test("an amount that is not an integer, or too large to convert, is a 422 on amountMinor", async () => {
    for (const amountMinor of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const refused = await refusal(quote(ctx(), { amountMinor, from: "USD", to: "JPY" }));
      expect(refused.errors?.[0]?.path).toBe("/amountMinor");
    }
    const huge = await refusal(quote(ctx(), { amountMinor: Number.MAX_SAFE_INTEGER, from: "USD", to: "JPY" }));
    expect(huge.status).toBe(422);
    expect(huge.errors?.[0]).toEqual({ path: "/amountMinor", message: "is too large to convert from USD to JPY" });
  });
});

describe("refreshRates from an HTTP feed (a local server speaking the feed's JSON)", () => {
  const EXCHANGERATE_HOST = `{"success":true,"base":"USD","date":"2026-11-24","rates":{"EUR":0.92,"GBP":0.7901,"JPY":156.123456789123,"KWD":0.30705,"CNY":7.1105000005,"CHF":1.0000000015,"XAU":0.00042,"USD":1}}`;

  test("stores each rate from its decimal text (never a float), ignoring currencies we do not support", async () => {
    serveFeed("/latest", "USD", EXCHANGERATE_HOST);
    const provider = new HttpRateProvider({ url: `${feedUrl}/latest`, name: "exchangerate.host" });
    expect(await refreshRates(ctx(), provider)).toBe(6);
    expect(requests.map((url) => url.search)).toEqual(["?base=USD"]);
    const stored = Object.fromEntries((await rows()).map((row) => [row.quote, row]));
    expect(Object.keys(stored).sort()).toEqual(["CHF", "CNY", "EUR", "GBP", "JPY", "KWD"]);
    expect(stored.EUR).toMatchObject({ base: "USD", ratePpb: 920_000_000, source: "exchangerate.host", asOf: Date.UTC(2026, 10, 24) });
    expect(stored.GBP?.ratePpb).toBe(790_100_000);
    expect(stored.KWD?.ratePpb).toBe(307_050_000);
    // beyond nine decimals: rounded once, half to even, from the digits: Math.round(x * 1e9) gives …1 and …2 here
    expect(stored.JPY?.ratePpb).toBe(156_123_456_789);
    expect(stored.CNY?.ratePpb).toBe(7_110_500_000);
    expect(stored.CHF?.ratePpb).toBe(1_000_000_002);
  });

  test("a feed's rates replace the seeded ones and are what rateFor uses, inverted and crossed", async () => {
    await seedRatesIfEmpty(database, T0);
    serveFeed("/latest", "USD", EXCHANGERATE_HOST);
    await refreshRates(ctx(), new HttpRateProvider({ url: `${feedUrl}/latest` }));
    const eur = (await rows()).find((row) => row.quote === "EUR");
    expect(eur).toMatchObject({ ratePpb: 920_000_000, source: `127.0.0.1:${server.port}`, asOf: Date.UTC(2026, 10, 24) });
    // EUR→USD: 1 / 0.92 = 1.0869565217391…
    expect(await rateFor(ctx(), "EUR", "USD")).toMatchObject({ ratePpb: 1_086_956_522, asOf: Date.UTC(2026, 10, 24) });
    // EUR→KWD: 0.30705 / 0.92 = 0.33375
    expect((await rateFor(ctx(), "EUR", "KWD")).ratePpb).toBe(333_750_000);
    // a currency the feed left out keeps its seeded rate: EUR→INR crosses a feed leg and a seeded one
    expect(await rateFor(ctx(), "EUR", "INR")).toMatchObject({ asOf: Math.min(T0, Date.UTC(2026, 10, 24)) });
  });

  test("a URL template with {base} (Frankfurter's /latest?from=) and a Unix `timestamp`", async () => {
    serveFeed("/v1/latest", "EUR", `{"amount":1.0,"base":"EUR","date":"2026-11-24","timestamp":1795600000,"rates":{"USD":1.1612,"JPY":179.54}}`);
    const provider = new HttpRateProvider({ url: `${feedUrl}/v1/latest?from={base}`, name: "frankfurter" });
    expect(await refreshRates(ctx(), provider, "EUR")).toBe(2);
    expect(requests.map((url) => url.search)).toEqual(["?from=EUR"]);
    expect(await rows()).toEqual([
      { base: "EUR", quote: "JPY", ratePpb: 179_540_000_000, source: "frankfurter", asOf: 1_795_600_000_000 },
      { base: "EUR", quote: "USD", ratePpb: 1_161_200_000, source: "frankfurter", asOf: 1_795_600_000_000 },
    ]);
  });

  test("an older feed never winds a newer rate back; an equally recent one replaces it", async () => {
    serveFeed("/latest", "USD", `{"base":"USD","date":"2026-11-24","rates":{"EUR":0.92}}`);
    const provider = new HttpRateProvider({ url: `${feedUrl}/latest` });
    await refreshRates(ctx(), provider);
    serveFeed("/latest", "USD", `{"base":"USD","date":"2026-11-23","rates":{"EUR":0.95}}`);
    await refreshRates(ctx(), provider);
    expect((await rows())[0]).toMatchObject({ ratePpb: 920_000_000, asOf: Date.UTC(2026, 10, 24) });
    serveFeed("/latest", "USD", `{"base":"USD","date":"2026-11-24","rates":{"EUR":0.921}}`);
    await refreshRates(ctx(), provider);
    expect((await rows())[0]).toMatchObject({ ratePpb: 921_000_000, asOf: Date.UTC(2026, 10, 24) });
  });

  test("a failing or malformed feed is a 502 naming the provider, and nothing is written", async () => {
    await seedRatesIfEmpty(database, T0);
    const before = await rows();
    const cases: [string, string, number, RegExp][] = [
      ["/down", "{}", 500, /answered HTTP 500/],
      // exchangerate.host's error shape, sent with 200
      [
        "/keyless",
        `{"success":false,"error":{"code":101,"type":"missing_access_key","info":"You have not supplied an API Access Key."}}`,
        200,
        /missing_access_key/,
      ],
      ["/html", "<html>maintenance</html>", 200, /not JSON/],
      ["/array", "[1,2,3]", 200, /not an object/],
      ["/other-base", `{"base":"EUR","date":"2026-11-24","rates":{"USD":1.16}}`, 200, /base "EUR", not USD/],
      ["/no-rates", `{"base":"USD","date":"2026-11-24"}`, 200, /no `rates`/],
      ["/no-date", `{"base":"USD","rates":{"EUR":0.92}}`, 200, /`date` or `timestamp`/],
      ["/bad-date", `{"base":"USD","date":"2026-02-31","rates":{"EUR":0.92}}`, 200, /`date` or `timestamp`/],
      ["/junk-rate", `{"base":"USD","date":"2026-11-24","rates":{"EUR":0.92,"GBP":"abc"}}`, 200, /GBP/],
      ["/negative", `{"base":"USD","date":"2026-11-24","rates":{"EUR":0.92,"GBP":-0.79}}`, 200, /GBP/],
      ["/zero", `{"base":"USD","date":"2026-11-24","rates":{"EUR":0}}`, 200, /EUR/],
      ["/null", `{"base":"USD","date":"2026-11-24","rates":{"EUR":null}}`, 200, /EUR is not a number/],
    ];
    for (const [path, body, status, message] of cases) {
      serveFeed(path, "USD", body, status);
      const error = await refusal(refreshRates(ctx(), new HttpRateProvider({ url: `${feedUrl}${path}`, name: "feed" })));
      expect(error, path).toBeInstanceOf(FxProviderError);
      expect(error.status, path).toBe(502);
      expect(error.detail, path).toStartWith("exchange-rate provider feed: ");
      expect(error.detail, path).toMatch(message);
    }
    expect(await rows()).toEqual(before);
  });

  test("an unreachable feed is a 502, not a crash", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}/latest`;
    await closed.stop(true);
    const error = await refusal(refreshRates(ctx(), new HttpRateProvider({ url, name: "gone" })));
    expect(error).toBeInstanceOf(FxProviderError);
    expect(error.detail).toContain("unreachable");
  });

  test("a string rate is read from its text too (feeds that quote strings)", async () => {
    serveFeed("/strings", "USD", `{"base":"USD","date":"2026-11-24","rates":{"EUR":"0.9200000005"}}`);
    await refreshRates(ctx(), new HttpRateProvider({ url: `${feedUrl}/strings` }));
    expect((await rows())[0]?.ratePpb).toBe(920_000_000); // .5 ppb → even
  });

  test("refreshRates refuses an unsupported base before calling anyone", async () => {
    const refused = await refusal(refreshRates(ctx(), new HttpRateProvider({ url: `${feedUrl}/latest` }), "XYZ"));
    expect(refused.status).toBe(422);
    expect(refused.errors?.[0]?.path).toBe("/base");
    expect(requests).toHaveLength(0);
  });
});

describe("listRates", () => {
  test("every supported currency the stored rows reach, by code, as exact decimals", async () => {
    await put("USD", "EUR", "0.8612", T0 - DAY);
    await put("USD", "JPY", "154.62", T0);
    await put("GBP", "EUR", "1.15", T0);
    expect(await listRates(ctx(), "EUR")).toEqual({
      base: "EUR",
      rates: [
        { quote: "GBP", rate: "0.869565217", asOf: new Date(T0).toISOString() },
        { quote: "JPY", rate: "179.540176498", asOf: new Date(T0 - DAY).toISOString() },
        { quote: "USD", rate: "1.16117046", asOf: new Date(T0 - DAY).toISOString() },
      ],
    });
    // each listed rate is the very rate a quote uses
    for (const { quote: to, rate } of (await listRates(ctx(), "EUR")).rates) expect(formatRate((await rateFor(ctx(), "EUR", to)).ratePpb)).toBe(rate);
  });

  test("an empty table lists nothing; an unsupported base is a 422", async () => {
    expect(await listRates(ctx(), "USD")).toEqual({ base: "USD", rates: [] });
    expect((await refusal(listRates(ctx(), "ABC"))).errors?.[0]?.path).toBe("/base");
  });
});

describe("absurd stored rows", () => {
  test("a rate whose inverse nine decimals cannot hold is no rate (422), not a 500", async () => {
    await database.db.insert(schema.fxRate).values({ base: "USD", quote: "VND", ratePpb: 1, asOf: T0, source: "test" });
    expect((await rateFor(ctx(), "USD", "VND")).ratePpb).toBe(1);
    const refused = await refusal(rateFor(ctx(), "VND", "USD"));
    expect(refused.status).toBe(422);
    expect(refused.detail).toContain("VND");
    expect(await listRates(ctx(), "VND")).toEqual({ base: "VND", rates: [] });
  });
});
