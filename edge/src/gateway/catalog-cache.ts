import { AppError } from "@bazaar/contracts";
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { errorFields, log } from "../log.ts";
import type { AppEnv } from "../request-context.ts";
import { edgeProof, originHeaders } from "./forward-to-core.ts";

/** The public catalog reads cached here (Hono's "/x/*" also matches "/x" itself). */
export const CATALOG_CACHE_PATHS = ["/v1/products/*", "/v1/categories/*", "/v1/brands/*"] as const;
export const CACHE_STATUS_HEADER = "x-cache";
export type CacheStatus = "HIT" | "MISS" | "STALE" | "BYPASS";

/** Kept on the stored copy only: when it was stored, and the Cache-Control the origin gave (clients get that one back). */
const STORED_AT_HEADER = "x-edge-stored-at";
const ORIGIN_CACHE_CONTROL_HEADER = "x-edge-origin-cache-control";
/** The edge asks the origin for the whole, current response and answers the client's conditions itself. */
const CONDITIONAL_HEADERS = ["if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range"];
/** Per-request or per-connection: never stored, never replayed to another client. */
const UNSHAREABLE_HEADERS = ["x-request-id", "connection", "keep-alive", "transfer-encoding", "proxy-connection", "cf-cache-status"];

export interface CatalogCacheOptions {
  /** Workers' `caches.default`; tests under Bun pass their own. */
  cache?: () => Cache | undefined;
  now?: () => number;
}

/** How long the origin lets a shared cache serve a response: fresh, then stale while it is refreshed. */
export interface SharedCachePolicy {
  freshSeconds: number;
  staleSeconds: number;
}

/**
 * Caches anonymous GETs of the public catalog in the Workers Cache API, under a normalised key, for as long
 * as the origin's `s-maxage` says (then serves it stale for `stale-while-revalidate` while one background
 * request refreshes it). Answers `x-cache: HIT | MISS | STALE`. A request with an Authorization header or a
 * cookie never reads or fills the cache (`x-cache: BYPASS`); only a 200 without Set-Cookie that the origin
 * marked shareable (`s-maxage`, not private/no-store) is ever stored.
 */
export function catalogCache(options: CatalogCacheOptions = {}): MiddlewareHandler<AppEnv> {
  const cacheOf = options.cache ?? (() => (typeof caches === "undefined" ? undefined : caches.default));
  const now = options.now ?? Date.now;
  // one background refresh per key per isolate, however many requests find it stale meanwhile
  const refreshing = new Set<string>();

  return createMiddleware<AppEnv>(async (c, next) => {
    const request = c.req.raw;
    const cache = cacheOf();
    if (request.method !== "GET" || cache === undefined) return next();
    if (request.headers.has("authorization") || request.headers.has("cookie")) {
      await next();
      c.res = withCacheStatus(c.res, "BYPASS");
      return;
    }

    const key = cacheKeyOf(request.url);
    const requestId = c.get("requestId");
    const stored = await cache.match(key).catch((error: unknown) => {
      log("warn", "catalog cache unreadable; asking the origin", { requestId, ...errorFields(error) });
      return undefined;
    });
    if (stored !== undefined) {
      const freshness = freshnessOf(stored.headers, now());
      if (freshness === "fresh") return answerFrom(stored, request, "HIT", now());
      if (freshness === "stale") {
        if (!refreshing.has(key)) {
          refreshing.add(key);
          runInBackground(
            c,
            refresh(c, cache, key, now).finally(() => refreshing.delete(key)),
          );
        }
        return answerFrom(stored, request, "STALE", now());
      }
    }

    const origin = await fetchFromOrigin(c, new URL(request.url));
    const policy = sharedCachePolicyOf(origin);
    if (policy === undefined) return withCacheStatus(origin, "MISS");
    const copy = await storedCopyOf(origin, policy, now());
    // awaited, not left to waitUntil: the next request for this key must find it (a local put costs about a millisecond)
    await cache.put(key, copy.clone()).catch((error: unknown) => log("warn", "catalog cache not written", { requestId, ...errorFields(error) }));
    return answerFrom(copy, request, "MISS", now());
  });
}

/** The cache key: the URL with its query parameters sorted (name, then value) and no fragment, so their order never splits an entry. */
export function cacheKeyOf(url: string): string {
  const normalised = new URL(url);
  normalised.hash = "";
  const entries = [...normalised.searchParams].sort(([a, x], [b, y]) => (a === b ? compare(x, y) : compare(a, b)));
  normalised.search = new URLSearchParams(entries).toString();
  return normalised.toString();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What a shared cache may do with this response, or undefined when it must not keep it: anything but a 200,
 * a Set-Cookie, a Vary beyond Accept-Encoding, `private`/`no-store`/`no-cache`, or no `s-maxage` at all (the
 * origin opts in per route; max-age alone speaks to browsers).
 */
export function sharedCachePolicyOf(response: Response): SharedCachePolicy | undefined {
  if (response.status !== 200 || response.headers.has("set-cookie")) return undefined;
  const vary = (response.headers.get("vary") ?? "")
    .toLowerCase()
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
  if (vary.some((v) => v !== "accept-encoding")) return undefined;
  return policyOfCacheControl(response.headers.get("cache-control"));
}

function policyOfCacheControl(header: string | null): SharedCachePolicy | undefined {
  const directives = cacheControlOf(header);
  if (directives.has("private") || directives.has("no-store") || directives.has("no-cache")) return undefined;
  const freshSeconds = seconds(directives.get("s-maxage"));
  if (freshSeconds === undefined || freshSeconds === 0) return undefined;
  return { freshSeconds, staleSeconds: seconds(directives.get("stale-while-revalidate")) ?? 0 };
}

export function cacheControlOf(header: string | null): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of (header ?? "").split(",")) {
    const [name = "", value = ""] = part.split("=", 2).map((s) => s.trim());
    if (name) directives.set(name.toLowerCase(), value.replace(/^"|"$/g, ""));
  }
  return directives;
}

function seconds(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/** A stored copy's state at `now`: within s-maxage, within stale-while-revalidate after it, or past both. */
export function freshnessOf(headers: Headers, now: number): "fresh" | "stale" | "expired" {
  const storedAt = Number(headers.get(STORED_AT_HEADER));
  const policy = policyOfCacheControl(headers.get(ORIGIN_CACHE_CONTROL_HEADER));
  if (!Number.isFinite(storedAt) || storedAt <= 0 || policy === undefined) return "expired";
  const age = (now - storedAt) / 1000;
  if (age < policy.freshSeconds) return "fresh";
  return age < policy.freshSeconds + policy.staleSeconds ? "stale" : "expired";
}

/** The copy the cache keeps: the origin's body and shareable headers, marked with when, kept for the fresh and stale windows together. */
async function storedCopyOf(origin: Response, policy: SharedCachePolicy, now: number): Promise<Response> {
  const headers = new Headers(origin.headers);
  for (const name of UNSHAREABLE_HEADERS) headers.delete(name);
  headers.set(ORIGIN_CACHE_CONTROL_HEADER, origin.headers.get("cache-control") ?? "");
  headers.set(STORED_AT_HEADER, String(now));
  const keep = policy.freshSeconds + policy.staleSeconds;
  headers.set("cache-control", `public, max-age=${keep}, s-maxage=${keep}`);
  return new Response(await origin.arrayBuffer(), { status: origin.status, headers });
}

/** A stored copy as the client sees it: the origin's Cache-Control, its Age, x-cache; 304 when If-None-Match names its ETag. */
function answerFrom(stored: Response, request: Request, status: CacheStatus, now: number): Response {
  const headers = new Headers(stored.headers);
  const storedAt = Number(headers.get(STORED_AT_HEADER));
  headers.set("cache-control", headers.get(ORIGIN_CACHE_CONTROL_HEADER) ?? "public");
  headers.delete(ORIGIN_CACHE_CONTROL_HEADER);
  headers.delete(STORED_AT_HEADER);
  for (const name of UNSHAREABLE_HEADERS) headers.delete(name);
  headers.set("age", String(Math.max(0, Math.floor((now - storedAt) / 1000))));
  headers.set(CACHE_STATUS_HEADER, status);
  const etag = headers.get("etag");
  if (etag !== null && matchesIfNoneMatch(request.headers.get("if-none-match"), etag)) {
    const notModified = new Headers();
    for (const name of ["cache-control", "etag", "age", "vary", CACHE_STATUS_HEADER]) {
      const value = headers.get(name);
      if (value !== null) notModified.set(name, value);
    }
    return new Response(null, { status: 304, headers: notModified });
  }
  return new Response(stored.body, { status: stored.status, headers });
}

/** RFC 9110 §13.1.2: a list of entity tags or `*`, compared weakly. */
export function matchesIfNoneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  const plain = etag.replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === plain);
}

/** The anonymous request sent on to the core, as forward-to-core sends it, minus the client's conditions. */
async function fetchFromOrigin(c: Context<AppEnv>, url: URL): Promise<Response> {
  const config = c.get("config");
  const requestId = c.get("requestId");
  const geo = c.req.raw.cf as IncomingRequestCfProperties | undefined;
  const headers = originHeaders(c.req.raw.headers, requestId, url, geo, await edgeProof(config.eventsSecret));
  for (const name of CONDITIONAL_HEADERS) headers.delete(name);
  try {
    const upstream = await fetch(new URL(url.pathname + url.search, config.coreOrigin), { method: "GET", headers, redirect: "manual" });
    const response = new Response(upstream.body, upstream);
    for (const name of ["connection", "keep-alive", "transfer-encoding", "proxy-connection"]) response.headers.delete(name);
    return response;
  } catch (error) {
    log("warn", "core unreachable", { requestId, method: "GET", path: url.pathname, ...errorFields(error) });
    throw new AppError("BAD_GATEWAY", "The origin could not be reached");
  }
}

/** Refetches a stale entry; one the origin no longer lets us keep (a product gone: 404) is dropped rather than served on. */
async function refresh(c: Context<AppEnv>, cache: Cache, key: string, now: () => number): Promise<void> {
  const requestId = c.get("requestId");
  try {
    const origin = await fetchFromOrigin(c, new URL(key));
    const policy = sharedCachePolicyOf(origin);
    if (policy === undefined) {
      await origin.body?.cancel();
      await cache.delete(key);
      return;
    }
    await cache.put(key, await storedCopyOf(origin, policy, now()));
  } catch (error) {
    log("warn", "catalog cache refresh failed; the stale copy stays until it expires", { requestId, key, ...errorFields(error) });
  }
}

/** After the response (waitUntil) in a Worker; under Bun, where `executionCtx` throws, simply in the background. */
function runInBackground(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    void work;
  }
}

function withCacheStatus(response: Response, status: CacheStatus): Response {
  const copy = new Response(response.body, response);
  copy.headers.set(CACHE_STATUS_HEADER, status);
  return copy;
}
