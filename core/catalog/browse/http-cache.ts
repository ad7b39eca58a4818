import type { TSchema } from "@sinclair/typebox";
import { problemDoc } from "../../http/problems.ts";

/** What public catalog reads tell shared caches (the edge): fresh for a minute, then served stale while refreshed for five more. */
export const PUBLIC_CACHE_CONTROL = "public, s-maxage=60, stale-while-revalidate=300";

const cachedHeaders = (cacheControl: string) => ({
  "cache-control": { description: cacheControl, schema: { type: "string" as const } },
  etag: { description: "strong validator of the body; send it back in If-None-Match", schema: { type: "string" as const } },
});
// plain JSON Schema; Elysia's detail is typed with OpenAPI 3.0's, which disagrees only about number bounds
const asDoc = (schema: TSchema) => schema as unknown as { type: "object" };

/**
 * The documented responses of a cacheable read. They are written out here rather than derived
 * from `response`, which would leave no room for the 304 (and the handler answers a Response of
 * its own, which Elysia never validates anyway).
 */
export function cachedResponses(description: string, schema: TSchema, failures: Record<number, string>, cacheControl = PUBLIC_CACHE_CONTROL) {
  const headers = cachedHeaders(cacheControl);
  return {
    200: { description, headers, content: { "application/json": { schema: asDoc(schema) } } },
    304: { description: "If-None-Match matched: the cached copy is current", headers },
    ...Object.fromEntries(Object.entries(failures).map(([status, why]) => [status, problemDoc(why)])),
  };
}

/** A serialised public response: its exact body and the strong ETag that is a hash of it. */
export interface CacheableBody {
  json: string;
  etag: string;
}

export function cacheableBody(body: unknown): CacheableBody {
  return cacheableJsonText(JSON.stringify(body));
}

/** The same for a body that is already JSON text. */
export function cacheableJsonText(json: string): CacheableBody {
  return { json, etag: `"${Bun.hash(json).toString(36)}-${json.length.toString(36)}"` };
}

/**
 * A public JSON response any cache may keep: Cache-Control as above and the body's strong ETag, or 304
 * without a body when the client's If-None-Match already names it. Other public catalog reads (categories,
 * brands) can answer through this too, so the edge caches them alike.
 */
export function cacheableJson(request: Request, body: CacheableBody | unknown): Response {
  const { json, etag } = isCacheableBody(body) ? body : cacheableBody(body);
  if (matchesIfNoneMatch(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers: { "cache-control": PUBLIC_CACHE_CONTROL, etag } });
  }
  return new Response(json, { headers: { "content-type": "application/json", "cache-control": PUBLIC_CACHE_CONTROL, etag } });
}

function isCacheableBody(body: unknown): body is CacheableBody {
  return typeof body === "object" && body !== null && typeof (body as CacheableBody).json === "string" && typeof (body as CacheableBody).etag === "string";
}

/** RFC 9110 §13.1.2: a list of tags or `*`, compared weakly (a W/ prefix does not matter). */
export function matchesIfNoneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

export interface EpochCacheOptions {
  /** the database's catalog epoch, which every change to what public reads show advances (repo.catalogEpoch) */
  readEpoch: () => Promise<number>;
  /** how many writes this process has finished (Database.writesFinished): after one, the epoch is read again at once */
  writesFinished: () => number;
  /** otherwise the epoch is read again at most this often: how late another process's change may show here */
  recheckMs: number;
  /** bodies kept at most, in bytes (UTF-16 code units): the oldest go first */
  maxBytes: number;
  clock: () => number;
}

/**
 * Public responses kept in this process for as long as the catalog has not changed. Never stale after a change
 * this process made (it reads the epoch again after each of its own writes); at most `recheckMs` late for a
 * change another process made. One change anywhere in the catalog empties it: correct and simple, at the price
 * of a busy catalog emptying it often (responses then come from stored pages and SQL, as without it).
 */
export class EpochCache {
  readonly #entries = new Map<string, CacheableBody>();
  readonly #pending = new Map<string, Promise<CacheableBody>>();
  #bytes = 0;
  /** the epoch the entries belong to; undefined until read */
  #epoch: number | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #writesSeen = -1;
  #checking: { writes: number; epoch: Promise<number> } | undefined;

  constructor(private readonly options: EpochCacheOptions) {}

  /** The kept body for `key`, or `build()`'s, kept while the epoch it was built under lasts; concurrent misses of one key share one build. */
  async get(key: string, build: () => Promise<CacheableBody>): Promise<CacheableBody> {
    const epoch = await this.#currentEpoch();
    const hit = this.#entries.get(key);
    if (hit) return hit;
    // a build is shared only by requests under the same epoch: one begun under an older epoch may predate a change
    const pendingKey = `${epoch} ${key}`;
    let pending = this.#pending.get(pendingKey);
    if (!pending) {
      pending = build()
        .then((body) => {
          // a change noticed while building emptied the entries: what was built may predate it
          if (this.#epoch === epoch) this.#set(key, body);
          return body;
        })
        .finally(() => this.#pending.delete(pendingKey));
      this.#pending.set(pendingKey, pending);
    }
    return pending;
  }

  get size(): number {
    return this.#entries.size;
  }

  async #currentEpoch(): Promise<number> {
    const writes = this.options.writesFinished();
    const now = this.options.clock();
    if (this.#epoch !== undefined && writes === this.#writesSeen && now - this.#checkedAt < this.options.recheckMs) return this.#epoch;
    // one read of the epoch at a time, shared by the requests that need it meanwhile, unless it began before a
    // write this request knows of had finished: it could miss that write
    if (!this.#checking || this.#checking.writes < writes) {
      const check = { writes, epoch: this.options.readEpoch() };
      const done = () => {
        if (this.#checking === check) this.#checking = undefined;
      };
      check.epoch.then(done, done);
      this.#checking = check;
    }
    const check = this.#checking;
    const epoch = await check.epoch;
    this.#writesSeen = Math.max(this.#writesSeen, check.writes);
    this.#checkedAt = Math.max(this.#checkedAt, now);
    // epochs only grow: a slower, older read finishing last must not wind the cache back
    if (this.#epoch === undefined || epoch > this.#epoch) {
      this.#entries.clear();
      this.#bytes = 0;
      this.#epoch = epoch;
    }
    return this.#epoch;
  }

  #set(key: string, body: CacheableBody): void {
    const size = body.json.length + key.length;
    if (size > this.options.maxBytes) return;
    const previous = this.#entries.get(key);
    if (previous) this.#bytes -= previous.json.length + key.length;
    this.#entries.delete(key);
    this.#entries.set(key, body);
    this.#bytes += size;
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.options.maxBytes) break;
      const entry = this.#entries.get(oldest);
      this.#entries.delete(oldest);
      if (entry) this.#bytes -= entry.json.length + oldest.length;
    }
  }
}
