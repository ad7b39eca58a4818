import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateSigningKey, publicJwks, type SigningKey } from "@bazaar/auth";
import type { Jwks } from "@bazaar/contracts";
import { JwksCache, JwksUnavailableError } from "../src/gateway/jwks-cache.ts";
import { captureLogs } from "./support/fakes.ts";

let keyA: SigningKey;
let keyB: SigningKey;
let keyC: SigningKey;
let logs: ReturnType<typeof captureLogs>;
beforeAll(async () => {
  keyA = (await generateSigningKey("key_a")).key;
  keyB = (await generateSigningKey("key_b")).key;
  keyC = (await generateSigningKey("key_c")).key;
  logs = captureLogs();
});
afterAll(() => logs.restore());

function setup(initial: Jwks | Error) {
  const state = { now: 1_000_000, fetches: 0, answer: initial as Jwks | Error };
  const cache = new JwksCache({
    ttlMs: 300_000,
    cooldownMs: 10_000,
    now: () => state.now,
    fetchJwks: async () => {
      state.fetches++;
      await Promise.resolve();
      if (state.answer instanceof Error) throw state.answer;
      return state.answer;
    },
  });
  return { cache, state };
}

describe("JwksCache", () => {
  test("fetches once, then serves known kids from memory until the TTL passes", async () => {
    const { cache, state } = setup(publicJwks([keyA]));
    expect(await cache.resolverFor("key_a", "req_1")).toBeDefined();
    state.now += 299_000;
    expect(await cache.resolverFor("key_a", "req_2")).toBeDefined();
    expect(state.fetches).toBe(1);
    state.now += 1_000;
    await cache.resolverFor("key_a", "req_3");
    expect(state.fetches).toBe(2);
  });

  test("concurrent first requests share one fetch", async () => {
    const { cache, state } = setup(publicJwks([keyA]));
    await Promise.all(Array.from({ length: 20 }, (_, i) => cache.resolverFor("key_a", `req_${i}`)));
    expect(state.fetches).toBe(1);
  });

  test("a flood of unknown kids costs at most one refetch per cooldown", async () => {
    const { cache, state } = setup(publicJwks([keyA]));
    await cache.resolverFor("key_a", "req_0");
    state.now += 60_000;
    for (let i = 0; i < 50; i++) expect(await cache.resolverFor(`bogus_${i}`, `req_${i}`)).toBeUndefined();
    expect(state.fetches).toBe(2);
    state.now += 10_000;
    await Promise.all(Array.from({ length: 50 }, (_, i) => cache.resolverFor(`bogus_${i}`, `req_${i}`)));
    expect(state.fetches).toBe(3);
  });

  test("a rotated-in kid is picked up by the unknown-kid refetch", async () => {
    const { cache, state } = setup(publicJwks([keyA]));
    await cache.resolverFor("key_a", "req_0");
    state.now += 20_000;
    state.answer = publicJwks([keyA, keyB]);
    expect(await cache.resolverFor("key_b", "req_1")).toBeDefined();
    expect(state.fetches).toBe(2);
  });

  test("a rotated-in kid seen during the cooldown is refused until the cooldown has passed", async () => {
    const { cache, state } = setup(publicJwks([keyA]));
    await cache.resolverFor("key_a", "req_0");
    state.answer = publicJwks([keyA, keyB]);
    state.now += 5_000;
    expect(await cache.resolverFor("key_b", "req_1")).toBeUndefined();
    expect(state.fetches).toBe(1);
    state.now += 5_000;
    expect(await cache.resolverFor("key_b", "req_2")).toBeDefined();
    expect(state.fetches).toBe(2);
  });

  test("a key the core stopped publishing is refused once the cache refreshes on its TTL", async () => {
    const { cache, state } = setup(publicJwks([keyB, keyA]));
    expect(await cache.resolverFor("key_a", "req_0")).toBeDefined();
    state.answer = publicJwks([keyB]);
    // until then the cached set still holds it: retire a key only after JWKS_CACHE_SECONDS have passed too
    state.now += 299_000;
    expect(await cache.resolverFor("key_a", "req_1")).toBeDefined();
    state.now += 1_000;
    expect(await cache.resolverFor("key_a", "req_2")).toBeUndefined();
    expect(await cache.resolverFor("key_b", "req_3")).toBeDefined();
  });

  test("a key the core stopped publishing is refused after the refetch the next rotated-in kid triggers", async () => {
    const { cache, state } = setup(publicJwks([keyB, keyA]));
    await cache.resolverFor("key_a", "req_0");
    state.answer = publicJwks([keyC, keyB]);
    state.now += 20_000;
    expect(await cache.resolverFor("key_c", "req_1")).toBeDefined();
    expect(await cache.resolverFor("key_a", "req_2")).toBeUndefined();
    expect(await cache.resolverFor("key_b", "req_3")).toBeDefined();
    expect(state.fetches).toBe(2);
  });

  test("serves stale keys while the core is unreachable and backs off between attempts", async () => {
    const { cache, state } = setup(publicJwks([keyA]));
    await cache.resolverFor("key_a", "req_0");
    state.answer = new Error("connection refused");
    state.now += 300_000;
    expect(await cache.resolverFor("key_a", "req_1")).toBeDefined();
    expect(await cache.resolverFor("key_a", "req_2")).toBeDefined();
    expect(state.fetches).toBe(2);
    state.now += 10_000;
    await cache.resolverFor("key_a", "req_3");
    expect(state.fetches).toBe(3);
  });

  test("without any keys, an unreachable core is JwksUnavailableError (and is not retried on every request)", async () => {
    const { cache, state } = setup(new Error("connection refused"));
    await expect(cache.resolverFor("key_a", "req_1")).rejects.toBeInstanceOf(JwksUnavailableError);
    await expect(cache.resolverFor("key_a", "req_2")).rejects.toBeInstanceOf(JwksUnavailableError);
    expect(state.fetches).toBe(1);
  });
});
