import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { type Problem, SUPPORTED_CURRENCIES } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { Value } from "@sinclair/typebox/value";
import { PUBLIC_CACHE_CONTROL } from "../../catalog/browse/http-cache.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { FxRateList } from "./contracts.ts";
import { fxRoutes } from "./routes.ts";
import { seedRatesIfEmpty } from "./service.ts";

let h: Harness;
let seededAt: string;

beforeAll(async () => {
  h = await createHarness();
  // mounted here until the app composes the payments service; the plugin's name makes a second mount a no-op
  h.app.use(fxRoutes(h.deps));
  await seedRatesIfEmpty(h.database, h.clock.now);
  seededAt = new Date(h.clock.now).toISOString();
});
afterAll(() => h.destroy());

const get = (query = "", headers: Record<string, string> = {}) => h.request("GET", `/v1/fx/rates${query}`, { headers });

async function problem(response: Response): Promise<Problem> {
  expect(response.status).toBe(422);
  expect(response.headers.get("content-type")).toStartWith("application/problem+json");
  return (await response.json()) as Problem;
}

describe("GET /v1/fx/rates", () => {
  test("lists every supported currency against USD by default, as exact decimal strings", async () => {
    const response = await get();
    expect(response.status).toBe(200);
    const body = (await response.json()) as FxRateList;
    expect(Value.Check(FxRateList, body)).toBe(true);
    expect(body.base).toBe("USD");
    expect(body.rates.map((r) => r.quote)).toEqual(SUPPORTED_CURRENCIES.filter((c) => c !== "USD").sort());
    expect(body.rates.find((r) => r.quote === "EUR")).toEqual({ quote: "EUR", rate: "0.8612", asOf: seededAt });
    expect(body.rates.find((r) => r.quote === "JPY")?.rate).toBe("154.62");
    expect(body.rates.find((r) => r.quote === "KWD")?.rate).toBe("0.30712");
    expect(await (await get("?base=USD")).json()).toEqual(body);
  });

  test("another base gets cross rates derived exactly through USD", async () => {
    const body = (await (await get("?base=EUR")).json()) as FxRateList;
    expect(body.base).toBe("EUR");
    expect(body.rates).toHaveLength(SUPPORTED_CURRENCIES.length - 1);
    expect(body.rates.find((r) => r.quote === "USD")?.rate).toBe("1.16117046");
    expect(body.rates.find((r) => r.quote === "JPY")?.rate).toBe("179.540176498");
    expect(body.rates.some((r) => r.quote === "EUR")).toBe(false);
  });

  test("an unknown, malformed, empty or repeated base is a 422 naming base", async () => {
    for (const query of ["?base=XYZ", "?base=usd", "?base=", "?base=US", "?base=EUR&base=GBP", "?base=%00"]) {
      const body = await problem(await get(query));
      expect(
        body.errors?.map((e) => e.path),
        query,
      ).toEqual(["/base"]);
    }
  });

  test("any other query parameter is a 422 naming it", async () => {
    const body = await problem(await get("?base=USD&quote=EUR"));
    expect(body.errors).toEqual([{ path: "/quote", message: "unexpected property" }]);
    expect((await problem(await get("?callback=x"))).errors?.[0]?.path).toBe("/callback");
  });

  test("is publicly cacheable: Cache-Control and a strong ETag, 304 on If-None-Match, a new ETag when rates change", async () => {
    const first = await get("?base=JPY");
    expect(first.headers.get("cache-control")).toBe(PUBLIC_CACHE_CONTROL);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[^"]+"$/);
    expect((await get("?base=JPY")).headers.get("etag")).toBe(etag);
    expect((await get("?base=EUR")).headers.get("etag")).not.toBe(etag);

    for (const ifNoneMatch of [etag as string, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const cached = await get("?base=JPY", { "if-none-match": ifNoneMatch });
      expect(cached.status, ifNoneMatch).toBe(304);
      expect(await cached.text()).toBe("");
      expect(cached.headers.get("etag")).toBe(etag);
      expect(cached.headers.get("cache-control")).toBe(PUBLIC_CACHE_CONTROL);
    }
    expect((await get("?base=JPY", { "if-none-match": '"stale"' })).status).toBe(200);

    await h.database.db.update(schema.fxRate).set({ ratePpb: 160_000_000_000, source: "test" });
    const changed = await get("?base=JPY", { "if-none-match": etag as string });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  test("is documented: a valid OpenAPI document with the query parameter, an example, the 304 and the 422", async () => {
    const document = (await (await h.request("GET", "/docs/json")).json()) as {
      paths: Record<string, Record<string, { operationId: string; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
    };
    await SwaggerParser.validate(structuredClone(document) as never);
    const operation = document.paths["/v1/fx/rates"]?.get;
    expect(operation?.operationId).toBe("listFxRates");
    expect(operation?.parameters?.map((p) => `${p.in} ${p.name}`)).toEqual(["query base"]);
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(["200", "304", "422"]);
    expect(JSON.stringify(operation?.responses["200"])).toContain('"example"');
  });
});
