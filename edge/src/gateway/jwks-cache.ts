import { type KeyResolver, localKeyResolver } from "@bazaar/auth";
import { Jwks } from "@bazaar/contracts";
import { Value } from "@sinclair/typebox/value";
import { errorFields, log } from "../log.ts";

/** A bogus `kid` may trigger at most one JWKS fetch per this window (per isolate), so floods cannot hammer the core. */
export const JWKS_REFETCH_COOLDOWN_MS = 10_000;

export class JwksUnavailableError extends Error {
  override name = "JwksUnavailableError";
}

export interface JwksCacheOptions {
  fetchJwks: (requestId: string) => Promise<Jwks>;
  ttlMs: number;
  cooldownMs?: number;
  now?: () => number;
}

interface KeySet {
  kids: Set<string>;
  resolver: KeyResolver;
  fetchedAt: number;
}

/**
 * The core's public keys held in isolate memory: refreshed after `ttlMs`, refetched once on an
 * unknown kid (rate-limited), served stale while the core cannot be reached, one fetch in flight at a time.
 */
export class JwksCache {
  readonly #fetchJwks: JwksCacheOptions["fetchJwks"];
  readonly #ttlMs: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  #keys: KeySet | undefined;
  #inflight: Promise<KeySet | undefined> | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastAttemptFailed = false;

  constructor(options: JwksCacheOptions) {
    this.#fetchJwks = options.fetchJwks;
    this.#ttlMs = options.ttlMs;
    this.#cooldownMs = options.cooldownMs ?? JWKS_REFETCH_COOLDOWN_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The resolver holding `kid`, or undefined when the core does not publish it; throws JwksUnavailableError when no keys can be had. */
  async resolverFor(kid: string, requestId: string): Promise<KeyResolver | undefined> {
    let keys = this.#keys;
    const now = this.#now();
    const expired = keys === undefined || now - keys.fetchedAt >= this.#ttlMs;
    // after a failed fetch, back off for the cooldown instead of retrying on every request
    if (expired && (!this.#lastAttemptFailed || this.#cooledDown(now))) keys = await this.#refresh(requestId);
    else if (keys !== undefined && !keys.kids.has(kid) && this.#cooledDown(now)) keys = await this.#refresh(requestId);

    if (keys === undefined) throw new JwksUnavailableError("the core's JWKS could not be fetched");
    return keys.kids.has(kid) ? keys.resolver : undefined;
  }

  #cooledDown(now: number): boolean {
    return this.#inflight !== undefined || now - this.#lastAttemptAt >= this.#cooldownMs;
  }

  #refresh(requestId: string): Promise<KeySet | undefined> {
    this.#inflight ??= this.#fetch(requestId).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(requestId: string): Promise<KeySet | undefined> {
    this.#lastAttemptAt = this.#now();
    try {
      const jwks = await this.#fetchJwks(requestId);
      this.#keys = { kids: new Set(jwks.keys.map((k) => k.kid)), resolver: localKeyResolver(jwks), fetchedAt: this.#now() };
      this.#lastAttemptFailed = false;
    } catch (error) {
      this.#lastAttemptFailed = true;
      log("warn", "jwks fetch failed", { requestId, servingStale: this.#keys !== undefined, ...errorFields(error) });
    }
    return this.#keys;
  }
}

/** Fetches and checks `${origin}/.well-known/jwks.json`. */
export function coreJwksFetcher(coreOrigin: string): JwksCacheOptions["fetchJwks"] {
  return async (requestId) => {
    const response = await fetch(`${coreOrigin}/.well-known/jwks.json`, {
      headers: { accept: "application/json", "x-request-id": requestId },
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    const body: unknown = await response.json();
    if (!Value.Check(Jwks, body)) throw new Error("JWKS response is not a JWK set");
    return body;
  };
}

const caches = new Map<string, JwksCache>();

/** One cache per isolate and origin (isolate memory is the cheapest cache a Worker has). */
export function jwksCacheFor(coreOrigin: string, ttlMs: number, cooldownMs: number): JwksCache {
  const key = `${coreOrigin} ${ttlMs} ${cooldownMs}`;
  let cache = caches.get(key);
  if (cache === undefined) {
    cache = new JwksCache({ fetchJwks: coreJwksFetcher(coreOrigin), ttlMs, cooldownMs });
    caches.set(key, cache);
  }
  return cache;
}
