import type { EventEnvelope } from "@bazaar/events/envelope";

/** The Worker's bindings as declared in wrangler.toml (vars are strings; read them through `readConfig`). */
export interface Env {
  CORE_ORIGIN: string;
  JWKS_CACHE_SECONDS: string;
  JWKS_REFETCH_COOLDOWN_SECONDS: string;
  ACCESS_TOKEN_TTL_SECONDS: string;
  DEV_EVENTS_INGEST: string;
  /** A secret: `.dev.vars` or `--var` in development, `wrangler secret put` in production. */
  EVENTS_SECRET?: string;
  EVENTS: Queue<EventEnvelope>;
  EVENTS_DLQ: Queue<unknown>;
  /** Revoked sessions (`sid:<id>`) and disabled users (`user:<id>`); see revocations/revocation-list.ts. */
  REVOCATIONS: KVNamespace;
}
