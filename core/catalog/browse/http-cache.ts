/** What public catalog reads tell shared caches (the edge): fresh for a minute, then served stale while refreshed for five more. */
export const PUBLIC_CACHE_CONTROL = "public, s-maxage=60, stale-while-revalidate=300";

/** A serialised public response: its exact body and the strong ETag that is a hash of it. */
export interface CacheableBody {
  json: string;
  etag: string;
}

export function cacheableBody(body: unknown): CacheableBody {
  const json = JSON.stringify(body);
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

export interface MicroCacheOptions {
  /** how long a response is reused; far below the s-maxage every shared cache already applies */
  ttlMs: number;
  /** bodies kept at most, in bytes (UTF-16 code units): the oldest go first */
  maxBytes: number;
  clock: () => number;
}

/**
 * The last second of public responses, kept in this process. A hot product page or list is then built once
 * a second however often it is asked for, instead of once per request: the same page the edge may serve for
 * minutes, so clients see nothing new in it. Not invalidated by events on purpose: an event reaches one
 * process of several, and a short lifetime bounds staleness in all of them alike.
 */
export class MicroCache {
  readonly #entries = new Map<string, { body: CacheableBody; expiresAt: number }>();
  readonly #pending = new Map<string, Promise<CacheableBody>>();
  #bytes = 0;

  constructor(private readonly options: MicroCacheOptions) {}

  /** The cached body for `key`, or `build()`'s, serialised and kept; concurrent misses of one key share one build. */
  async get(key: string, build: () => Promise<unknown>): Promise<CacheableBody> {
    const now = this.options.clock();
    const hit = this.#entries.get(key);
    if (hit && hit.expiresAt > now) return hit.body;
    if (hit) this.#delete(key);
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = build()
        .then((value) => {
          const body = cacheableBody(value);
          this.#set(key, body, this.options.clock() + this.options.ttlMs);
          return body;
        })
        .finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  get size(): number {
    return this.#entries.size;
  }

  #set(key: string, body: CacheableBody, expiresAt: number): void {
    if (this.#entries.has(key)) this.#delete(key);
    const size = body.json.length + key.length;
    if (size > this.options.maxBytes) return;
    this.#entries.set(key, { body, expiresAt });
    this.#bytes += size;
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.options.maxBytes) break;
      this.#delete(oldest);
    }
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.body.json.length + key.length;
  }
}
