import { describe, expect, test } from "bun:test";
import { type CacheableBody, cacheableJsonText, EpochCache, type EpochCacheOptions, matchesIfNoneMatch } from "./http-cache.ts";

/** A cache over a hand-moved epoch and write counter, with a fake clock, and a record of every epoch read. */
function setup(options: Partial<EpochCacheOptions> = {}) {
  const state = { epoch: 1, writes: 0, now: 0, epochReads: 0 };
  const cache = new EpochCache({
    readEpoch: async () => {
      state.epochReads++;
      return state.epoch;
    },
    writesFinished: () => state.writes,
    recheckMs: 100,
    maxBytes: 1_000_000,
    clock: () => state.now,
    ...options,
  });
  let builds = 0;
  const build = (text: string) => async (): Promise<CacheableBody> => {
    builds++;
    return cacheableJsonText(JSON.stringify(text));
  };
  return { state, cache, build, builds: () => builds };
}

describe("EpochCache", () => {
  test("keeps a body while the epoch stands, reading the epoch at most once per recheck interval", async () => {
    const { state, cache, build, builds } = setup();
    expect((await cache.get("a", build("one"))).json).toBe('"one"');
    for (let i = 0; i < 50; i++) expect((await cache.get("a", build("two"))).json).toBe('"one"');
    expect(builds()).toBe(1);
    expect(state.epochReads).toBe(1);
    state.now += 99;
    await cache.get("a", build("two"));
    expect(state.epochReads).toBe(1);
    state.now += 1;
    await cache.get("a", build("two"));
    expect(state.epochReads).toBe(2);
  });

  test("a change another process made shows once the recheck interval has passed, not before", async () => {
    const { state, cache, build } = setup();
    await cache.get("a", build("old"));
    state.epoch++;
    state.now += 50;
    expect((await cache.get("a", build("new"))).json).toBe('"old"');
    state.now += 50;
    expect((await cache.get("a", build("new"))).json).toBe('"new"');
  });

  test("after a write of this process the epoch is read again at once: its own change is never served stale", async () => {
    const { state, cache, build } = setup();
    await cache.get("a", build("old"));
    state.epoch++;
    state.writes++;
    expect((await cache.get("a", build("new"))).json).toBe('"new"');
  });

  test("a write that changes nothing the catalog shows costs one epoch read and keeps every body", async () => {
    const { state, cache, build, builds } = setup();
    await cache.get("a", build("one"));
    await cache.get("b", build("one"));
    state.writes++; // a session refreshed, say: the epoch does not move
    expect((await cache.get("a", build("two"))).json).toBe('"one"');
    expect((await cache.get("b", build("two"))).json).toBe('"one"');
    expect(state.epochReads).toBe(2);
    expect(builds()).toBe(2);
  });

  test("a change empties every key, not only one", async () => {
    const { state, cache, build } = setup();
    await cache.get("a", build("a1"));
    await cache.get("b", build("b1"));
    expect(cache.size).toBe(2);
    state.epoch++;
    state.writes++;
    expect((await cache.get("a", build("a2"))).json).toBe('"a2"');
    expect(cache.size).toBe(1);
    expect((await cache.get("b", build("b2"))).json).toBe('"b2"');
  });

  test("concurrent misses of one key share one build", async () => {
    const { cache, build, builds } = setup();
    const bodies = await Promise.all(Array.from({ length: 100 }, () => cache.get("a", build("one"))));
    expect(new Set(bodies.map((b) => b.json))).toEqual(new Set(['"one"']));
    expect(builds()).toBe(1);
  });

  test("a build that finishes after a change was noticed is served to its own callers but not kept", async () => {
    const { state, cache } = setup();
    let release: () => void = () => undefined;
    const slow = cache.get("a", () => new Promise<CacheableBody>((resolve) => (release = () => resolve(cacheableJsonText('"before"')))));
    await Bun.sleep(1);
    state.epoch++;
    state.writes++;
    // this request notices the change while the slow build is still running
    expect((await cache.get("b", async () => cacheableJsonText('"b"'))).json).toBe('"b"');
    release();
    expect((await slow).json).toBe('"before"');
    expect((await cache.get("a", async () => cacheableJsonText('"after"'))).json).toBe('"after"');
  });

  test("a request after a write does not trust an epoch read that began before that write finished", async () => {
    const state = { epoch: 1, writes: 0 };
    const reads: { resolve: (value: number) => void; value: number }[] = [];
    const cache = new EpochCache({
      readEpoch: () => new Promise<number>((resolve) => reads.push({ resolve, value: state.epoch })),
      writesFinished: () => state.writes,
      recheckMs: 100,
      maxBytes: 1_000_000,
      clock: () => 0,
    });
    const first = cache.get("a", async () => cacheableJsonText('"old"'));
    await Bun.sleep(1);
    // a write commits and finishes while the first epoch read is still out
    state.epoch = 2;
    state.writes = 1;
    const second = cache.get("a", async () => cacheableJsonText('"new"'));
    await Bun.sleep(1);
    expect(reads).toHaveLength(2); // the second request started its own read
    for (const read of reads) read.resolve(read.value);
    await first;
    expect((await second).json).toBe('"new"');
  });

  test("an older epoch read that finishes last does not wind the cache back", async () => {
    const state = { writes: 0 };
    const reads: ((value: number) => void)[] = [];
    const cache = new EpochCache({
      readEpoch: () => new Promise<number>((resolve) => reads.push(resolve)),
      writesFinished: () => state.writes,
      recheckMs: 100,
      maxBytes: 1_000_000,
      clock: () => 0,
    });
    const older = cache.get("x", async () => cacheableJsonText('"x"'));
    await Bun.sleep(1);
    state.writes = 1;
    const newer = cache.get("y", async () => cacheableJsonText('"y"'));
    await Bun.sleep(1);
    reads[1]?.(5);
    await newer;
    reads[0]?.(4);
    await older;
    // y was kept under epoch 5; the late answer 4 must not have emptied the cache or moved it back
    expect((await cache.get("y", async () => cacheableJsonText('"rebuilt"'))).json).toBe('"y"');
  });

  test("refusals are not kept: a build that throws is asked again next time", async () => {
    const { cache } = setup();
    await expect(cache.get("a", async () => Promise.reject(new Error("404")))).rejects.toThrow("404");
    expect((await cache.get("a", async () => cacheableJsonText('"found"'))).json).toBe('"found"');
  });

  test("bodies stay within maxBytes, the oldest going first; one too big is served but not kept", async () => {
    const { cache } = setup({ maxBytes: 100 });
    const body = (n: number) => async () => cacheableJsonText(`"${"x".repeat(n)}"`);
    // each entry weighs its body (42) and its key (1): two fit in 100, a third pushes the oldest out
    await cache.get("a", body(40));
    await cache.get("b", body(40));
    await cache.get("c", body(40));
    expect(cache.size).toBe(2);
    expect((await cache.get("a", async () => cacheableJsonText('"a again"'))).json).toBe('"a again"');
    expect((await cache.get("huge", body(500))).json).toHaveLength(502);
    expect(cache.size).toBeLessThanOrEqual(3);
    expect((await cache.get("huge", async () => cacheableJsonText('"rebuilt"'))).json).toBe('"rebuilt"');
  });
});

describe("ETags", () => {
  test("the ETag is a hash of the exact body: equal bodies, equal tags; any change, a new one", () => {
    expect(cacheableJsonText('{"a":1}').etag).toBe(cacheableJsonText('{"a":1}').etag);
    expect(cacheableJsonText('{"a":1}').etag).not.toBe(cacheableJsonText('{"a":2}').etag);
  });

  test("If-None-Match: a list, weak tags and * all match; anything else does not", () => {
    const { etag } = cacheableJsonText("{}");
    expect(matchesIfNoneMatch(`"other", ${etag}`, etag)).toBe(true);
    expect(matchesIfNoneMatch(`W/${etag}`, etag)).toBe(true);
    expect(matchesIfNoneMatch("*", etag)).toBe(true);
    expect(matchesIfNoneMatch('"other"', etag)).toBe(false);
    expect(matchesIfNoneMatch(null, etag)).toBe(false);
  });
});
