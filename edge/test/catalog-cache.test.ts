import { Database as Sqlite } from "bun:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningCore, startCore } from "../../scripts/lib/start-core.ts";
import { type EdgeProcess, freePort, startEdge } from "../../scripts/lib/start-edge.ts";
import { createApp } from "../src/app.ts";
import { cacheKeyOf, freshnessOf, sharedCachePolicyOf } from "../src/gateway/catalog-cache.ts";
import { edgeProof } from "../src/gateway/forward-to-core.ts";
import { captureLogs, fakeEnv, type RecordedFetch, stubFetch, TEST_SECRET } from "./support/fakes.ts";
import { EVENTS_SECRET, metric } from "./support/stack.ts";

const PUBLIC = "public, s-maxage=60, stale-while-revalidate=300";

describe("the cache key", () => {
  test("sorts query parameters (by name, then value) and drops the fragment", () => {
    const key = cacheKeyOf("https://shop.example/v1/products?price_max=5000&category=phones&brand=b&brand=a#top");
    expect(key).toBe("https://shop.example/v1/products?brand=a&brand=b&category=phones&price_max=5000");
    expect(cacheKeyOf("https://shop.example/v1/products?category=phones&brand=a&price_max=5000&brand=b")).toBe(key);
    expect(cacheKeyOf("https://shop.example/v1/products?q=a%20b")).toBe(cacheKeyOf("https://shop.example/v1/products?q=a+b"));
    expect(cacheKeyOf("https://shop.example/v1/products?")).toBe("https://shop.example/v1/products");
    expect(cacheKeyOf("https://shop.example/v1/products?limit=1")).not.toBe(cacheKeyOf("https://shop.example/v1/products?limit=2"));
  });
});

describe("what may be stored", () => {
  const response = (status: number, headers: Record<string, string>) => new Response(status === 304 ? null : "{}", { status, headers });
  test("only a 200 the origin marked shareable with s-maxage, without Set-Cookie or a Vary beyond Accept-Encoding", () => {
    expect(sharedCachePolicyOf(response(200, { "cache-control": PUBLIC }))).toEqual({ freshSeconds: 60, staleSeconds: 300 });
    expect(sharedCachePolicyOf(response(200, { "cache-control": "public, s-maxage=30", vary: "Accept-Encoding" }))).toEqual({
      freshSeconds: 30,
      staleSeconds: 0,
    });
    for (const [status, headers] of [
      [404, { "cache-control": PUBLIC }],
      [304, { "cache-control": PUBLIC }],
      [422, { "cache-control": PUBLIC }],
      [200, { "cache-control": PUBLIC, "set-cookie": "sid=1" }],
      [200, { "cache-control": PUBLIC, vary: "Authorization" }],
      [200, { "cache-control": "public, max-age=60" }],
      [200, { "cache-control": "private, s-maxage=60" }],
      [200, { "cache-control": "no-store, s-maxage=60" }],
      [200, { "cache-control": "public, s-maxage=0" }],
      [200, {}],
    ] as const) {
      expect(sharedCachePolicyOf(response(status, headers)), `${status} ${JSON.stringify(headers)}`).toBeUndefined();
    }
  });

  test("a stored copy is fresh for s-maxage, stale for stale-while-revalidate after it, then expired", () => {
    const stored = new Headers({ "x-edge-stored-at": "1000000", "x-edge-origin-cache-control": PUBLIC });
    expect(freshnessOf(stored, 1_000_000 + 59_999)).toBe("fresh");
    expect(freshnessOf(stored, 1_000_000 + 60_000)).toBe("stale");
    expect(freshnessOf(stored, 1_000_000 + 359_999)).toBe("stale");
    expect(freshnessOf(stored, 1_000_000 + 360_000)).toBe("expired");
    expect(freshnessOf(new Headers(), 1)).toBe("expired");
  });
});

/** Cache API semantics that matter here, over a Map: keyed by URL, whole responses. */
function memoryCache() {
  const entries = new Map<string, { status: number; headers: [string, string][]; body: ArrayBuffer }>();
  const cache = {
    entries,
    failReads: false,
    async match(key: RequestInfo | URL) {
      if (cache.failReads) throw new Error("cache down");
      const entry = entries.get(String(key));
      return entry && new Response(entry.body.slice(0), { status: entry.status, headers: entry.headers });
    },
    async put(key: RequestInfo | URL, response: Response) {
      entries.set(String(key), { status: response.status, headers: [...response.headers], body: await response.arrayBuffer() });
    },
    async delete(key: RequestInfo | URL) {
      return entries.delete(String(key));
    },
  };
  return cache;
}

describe("the middleware under Bun: an in-memory cache, a stubbed core, a test clock", () => {
  let cache: ReturnType<typeof memoryCache>;
  let clock = 0;
  let app: ReturnType<typeof createApp>;
  let origin: ReturnType<typeof stubFetch> | undefined;
  let logs: ReturnType<typeof captureLogs>;
  let background: Promise<unknown>[];
  const env = fakeEnv();
  const executionCtx = {
    waitUntil: (work: Promise<unknown>) => background.push(work),
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext;
  beforeAll(() => {
    logs = captureLogs();
  });
  afterAll(() => logs.restore());
  afterEach(() => origin?.restore());

  function setUp(respond: (call: RecordedFetch, n: number) => Response) {
    cache = memoryCache();
    clock = 1_000_000;
    background = [];
    app = createApp({ catalogCache: { cache: () => cache as unknown as Cache, now: () => clock } });
    let n = 0;
    origin = stubFetch((call) => respond(call, ++n));
  }
  const get = (path: string, headers: Record<string, string> = {}) => app.request(`https://shop.example${path}`, { headers }, env, executionCtx);
  const product = (version: number, extra: Record<string, string> = {}) =>
    new Response(JSON.stringify({ version }), {
      headers: { "content-type": "application/json", "cache-control": PUBLIC, etag: `"v${version}"`, "x-request-id": `req_core_${version}`, ...extra },
    });

  test("MISS, then HIT without asking the core; the parameters' order does not matter", async () => {
    setUp((_, n) => product(n));
    const first = await get("/v1/products?category=phones&price_max=5000");
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(await first.json()).toEqual({ version: 1 });
    const second = await get("/v1/products?price_max=5000&category=phones");
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await second.json()).toEqual({ version: 1 });
    expect(origin?.calls).toHaveLength(1);
    expect(second.headers.get("cache-control")).toBe(PUBLIC);
    expect(second.headers.get("etag")).toBe('"v1"');
    // the stored copy carries no request id of the first client: each answer has its own
    expect(second.headers.get("x-request-id")).not.toBe("req_core_1");
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    expect(second.headers.get("age")).toBe("0");
  });

  test("a miss asks the core as the gateway does: edge proof, request id, client address; no client-sent secrets", async () => {
    setUp((_, n) => product(n));
    await get("/v1/products?category=phones", {
      "cf-connecting-ip": "203.0.113.7",
      "x-forwarded-for": "6.6.6.6",
      "x-bazaar-edge-proof": "forged",
      "x-request-id": "trace-1",
    });
    const [call] = origin?.calls ?? [];
    expect(call?.url).toBe("http://core.test:3000/v1/products?category=phones");
    expect(call?.headers.get("x-bazaar-edge-proof")).toBe(await edgeProof(TEST_SECRET));
    expect(call?.headers.get("x-forwarded-for")).toBe("203.0.113.7");
    expect(call?.headers.get("x-request-id")).toBe("trace-1");
  });

  test("after s-maxage: STALE, answered at once from the cache while one background request refreshes it", async () => {
    setUp((_, n) => product(n));
    await get("/v1/products/prd_1");
    clock += 61_000;
    const [a, b] = await Promise.all([get("/v1/products/prd_1"), get("/v1/products/prd_1")]);
    expect(a.headers.get("x-cache")).toBe("STALE");
    expect(b.headers.get("x-cache")).toBe("STALE");
    expect(a.headers.get("age")).toBe("61");
    expect(await a.json()).toEqual({ version: 1 });
    await Promise.all(background);
    expect(origin?.calls).toHaveLength(2);
    const refreshed = await get("/v1/products/prd_1");
    expect(refreshed.headers.get("x-cache")).toBe("HIT");
    expect(await refreshed.json()).toEqual({ version: 2 });
  });

  test("past stale-while-revalidate the copy is not served: MISS", async () => {
    setUp((_, n) => product(n));
    await get("/v1/categories");
    clock += 360_000;
    const late = await get("/v1/categories");
    expect(late.headers.get("x-cache")).toBe("MISS");
    expect(await late.json()).toEqual({ version: 2 });
  });

  test("a stale entry the origin no longer serves (a product gone) is dropped, not kept", async () => {
    setUp((_, n) => (n === 1 ? product(1) : new Response('{"code":"NOT_FOUND"}', { status: 404, headers: { "content-type": "application/problem+json" } })));
    await get("/v1/products/prd_gone");
    clock += 120_000;
    expect((await get("/v1/products/prd_gone")).headers.get("x-cache")).toBe("STALE");
    await Promise.all(background);
    expect(cache.entries.size).toBe(0);
    const now = await get("/v1/products/prd_gone");
    expect(now.status).toBe(404);
    expect(now.headers.get("x-cache")).toBe("MISS");
  });

  test("never stored: non-200s, Set-Cookie, responses the origin did not mark shareable", async () => {
    const answers = [
      new Response("{}", { status: 404, headers: { "cache-control": PUBLIC } }),
      new Response("{}", { status: 422 }),
      new Response("{}", { status: 500 }),
      new Response("{}", { headers: { "cache-control": PUBLIC, "set-cookie": "sid=secret" } }),
      new Response("{}", { headers: { "cache-control": "private, max-age=60" } }),
      new Response("{}", { headers: {} }),
    ];
    setUp((call) => (answers[Number(new URL(call.url).searchParams.get("case"))] ?? product(0)).clone());
    for (const [i] of answers.entries()) {
      const response = await get(`/v1/brands?case=${i}`);
      expect(response.headers.get("x-cache")).toBe("MISS");
      expect((await get(`/v1/brands?case=${i}`)).headers.get("x-cache"), `case ${i}`).toBe("MISS");
    }
    expect(cache.entries.size).toBe(0);
  });

  test("a request with Authorization or a cookie never reads or fills the cache (BYPASS)", async () => {
    setUp((call, n) => product(n, { "x-saw-authorization": String(call.headers.has("authorization")) }));
    const authenticated = await get("/v1/products?limit=7", { authorization: "Basic dXNlcjpwYXNz" });
    expect(authenticated.headers.get("x-cache")).toBe("BYPASS");
    expect(cache.entries.size).toBe(0);
    // the anonymous client gets its own answer, not the authenticated one
    const anonymous = await get("/v1/products?limit=7");
    expect(anonymous.headers.get("x-cache")).toBe("MISS");
    expect(anonymous.headers.get("x-saw-authorization")).toBe("false");
    expect(await anonymous.json()).toEqual({ version: 2 });
    // and with a filled entry, an authenticated or cookie-carrying request still goes to the core
    const again = await get("/v1/products?limit=7", { authorization: "Basic dXNlcjpwYXNz" });
    expect(again.headers.get("x-cache")).toBe("BYPASS");
    expect(await again.json()).toEqual({ version: 3 });
    const withCookie = await get("/v1/products?limit=7", { cookie: "session=abc" });
    expect(withCookie.headers.get("x-cache")).toBe("BYPASS");
    expect(origin?.calls).toHaveLength(4);
  });

  test("If-None-Match is answered at the edge (304), and the core is always asked for the whole response", async () => {
    setUp((_, n) => product(n));
    const miss = await get("/v1/products/prd_1", { "if-none-match": '"v1"' });
    expect(miss.status).toBe(304);
    expect(origin?.calls[0]?.headers.has("if-none-match")).toBe(false);
    const hit = await get("/v1/products/prd_1", { "if-none-match": 'W/"v1"' });
    expect(hit.status).toBe(304);
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(hit.headers.get("etag")).toBe('"v1"');
    expect(await hit.text()).toBe("");
    expect((await get("/v1/products/prd_1", { "if-none-match": '"v0"' })).status).toBe(200);
    expect(origin?.calls).toHaveLength(1);
  });

  test("only GETs of the catalog's public paths; an unreadable cache falls back to the core", async () => {
    setUp((_, n) => product(n));
    await get("/v1/me");
    await get("/v1/me");
    await get("/v1/productsx");
    await app.request("https://shop.example/v1/products", { method: "HEAD" }, env, executionCtx);
    expect(cache.entries.size).toBe(0);
    cache.failReads = true;
    const response = await get("/v1/products");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cache")).toBe("MISS");
  });
});

// ---- against a real core and a real `wrangler dev` ----

let core: RunningCore;
let edge: EdgeProcess;
let dataDir: string;
let accessToken: string;
const PRODUCT_ID = "prd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";

describe("through wrangler dev, in front of a real core", () => {
  beforeAll(async () => {
    const [corePort, edgePort] = await Promise.all([freePort(), freePort()]);
    dataDir = mkdtempSync(join(tmpdir(), "bazaar-edge-cache-"));
    const databaseUrl = `file:${join(dataDir, "core.db")}`;
    core = await startCore({
      port: corePort,
      databaseUrl,
      env: { BAZAAR_ENV: "test", PASSWORD_HASH_MEMORY_KIB: "1024", EVENTS_SECRET, LOG_LEVEL: "warn" },
    });
    edge = await startEdge({ port: edgePort, coreOrigin: core.url, vars: { EVENTS_SECRET, DEV_EVENTS_INGEST: "on" } });
    const registered = await fetch(`${core.url}/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: `seller.${Date.now()}@example.com`, password: "correct horse battery", name: "Cache Seller" }),
    });
    const { accessToken: token, user } = (await registered.json()) as { accessToken: string; user: { id: string } };
    accessToken = token;
    seedCatalog(join(dataDir, "core.db"), user.id);
  }, 90_000);
  afterAll(async () => {
    await Promise.allSettled([edge?.stop(), core?.stop()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 20_000);

  const viaEdge = (path: string, headers: Record<string, string> = {}) => fetch(`${edge.url}${path}`, { headers });
  const coreRequests = (route: string) => metric(core.url, "bazaar_http_requests_total", { route });

  test("MISS, then HIT from the edge's cache: the core answers once", async () => {
    const before = await coreRequests("/v1/products");
    const first = await viaEdge("/v1/products?category=phones&price_max=5000");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-cache")).toBe("MISS");
    const body = await first.text();
    expect((JSON.parse(body) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([PRODUCT_ID]);
    const second = await viaEdge("/v1/products?category=phones&price_max=5000");
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await second.text()).toBe(body);
    expect(second.headers.get("cache-control")).toBe(PUBLIC);
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(second.headers.get("x-request-id")).toMatch(/^req_/);
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    expect(await coreRequests("/v1/products")).toBe(before + 1);
  });

  test("the same parameters in another order are the same entry", async () => {
    await viaEdge("/v1/products?sort=price_asc&category=phones&limit=5");
    const reordered = await viaEdge("/v1/products?limit=5&category=phones&sort=price_asc");
    expect(reordered.headers.get("x-cache")).toBe("HIT");
  });

  test("the product page too, and its ETag gets a 304 from the edge", async () => {
    const first = await viaEdge(`/v1/products/${PRODUCT_ID}`);
    expect(first.headers.get("x-cache")).toBe("MISS");
    const etag = first.headers.get("etag") ?? "";
    const conditional = await viaEdge(`/v1/products/${PRODUCT_ID}`, { "if-none-match": etag });
    expect(conditional.status).toBe(304);
    expect(conditional.headers.get("x-cache")).toBe("HIT");
  });

  test("an authenticated response is never stored, and never served to an anonymous client", async () => {
    const path = "/v1/products?category=phones&limit=7";
    const before = await coreRequests("/v1/products");
    const authenticated = await viaEdge(path, { authorization: `Bearer ${accessToken}` });
    expect(authenticated.status).toBe(200);
    expect(authenticated.headers.get("x-cache")).toBe("BYPASS");
    const anonymous = await viaEdge(path);
    expect(anonymous.headers.get("x-cache")).toBe("MISS");
    expect((await viaEdge(path)).headers.get("x-cache")).toBe("HIT");
    // with the entry filled, an authenticated request still goes to the core
    const again = await viaEdge(path, { authorization: `Bearer ${accessToken}` });
    expect(again.headers.get("x-cache")).toBe("BYPASS");
    expect(await coreRequests("/v1/products")).toBe(before + 3);
  });

  test("a request with a cookie is not cached either", async () => {
    const path = "/v1/products?category=phones&limit=8";
    expect((await viaEdge(path, { cookie: "session=abc" })).headers.get("x-cache")).toBe("BYPASS");
    expect((await viaEdge(path)).headers.get("x-cache")).toBe("MISS");
  });

  test("a non-200 is never cached: every 404 and 422 reaches the core", async () => {
    const before = await coreRequests("/v1/products/:idOrSlug");
    for (let i = 0; i < 2; i++) {
      const missing = await viaEdge("/v1/products/no-such-product");
      expect(missing.status).toBe(404);
      expect(missing.headers.get("x-cache")).toBe("MISS");
    }
    expect(await coreRequests("/v1/products/:idOrSlug")).toBe(before + 2);
    for (let i = 0; i < 2; i++) expect((await viaEdge("/v1/products?limit=0")).headers.get("x-cache")).toBe("MISS");
  });
});

/** A category, a product and its variant, written straight into the core's database (WAL: the running core reads them at once). */
function seedCatalog(path: string, sellerId: string): void {
  const db = new Sqlite(path);
  db.run("PRAGMA busy_timeout = 5000");
  const now = Date.now();
  db.run(
    "INSERT INTO category (id, parent_id, slug, name, path, depth, sort_order, created_at, updated_at) VALUES (?, NULL, 'phones', 'Phones', '/phones/', 1, 0, ?, ?)",
    ["cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", now, now],
  );
  db.run(
    `INSERT INTO product (id, seller_id, slug, title, description, category_id, status, currency, min_price_minor, max_price_minor, in_stock, created_at, updated_at, published_at)
     VALUES (?, ?, 'edge-phone', 'Edge phone', 'A **cached** phone.', 'cat_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C', 'active', 'EUR', 1999, 1999, 1, ?, ?, ?)`,
    [PRODUCT_ID, sellerId, now, now, now],
  );
  db.run(
    `INSERT INTO variant (id, product_id, seller_id, sku, options, price_minor, currency, position, created_at, updated_at)
     VALUES ('var_01JD4M3Z8Q5V7W9X1Y2Z3A4B5D', ?, ?, 'EDGE-1', '{}', 1999, 'EUR', 0, ?, ?)`,
    [PRODUCT_ID, sellerId, now, now],
  );
  db.close();
}
