import type { AccessClaims, KeyResolver, SigningKey } from "@bazaar/auth";
import type { IdGenerator, Role } from "@bazaar/contracts";
import type { Database } from "@bazaar/db";
import type { EmailSender } from "@bazaar/email";
import type { EventBus, OutboxRelay } from "@bazaar/events";
import type { FileStore } from "@bazaar/files";
import type { Config } from "../config.ts";
import type { ClientInfo } from "../http/client-info.ts";
import type { Logger } from "../http/logger.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Readiness } from "./readiness.ts";
import type { Secrets } from "./secrets.ts";

export interface SigningKeys {
  /** signs new tokens */
  current: SigningKey;
  /** published at /.well-known/jwks.json (current + still-valid retired keys) */
  published: SigningKey[];
  resolver: KeyResolver;
  /** verifies access tokens against `resolver`, caching good ones until they expire */
  verify: (token: string, nowMs: number) => Promise<AccessClaims>;
}

/** Everything the process builds once at boot and hands down; nothing reads env or globals after this. */
export interface Deps {
  config: Config;
  database: Database;
  clock: () => number;
  ids: IdGenerator;
  log: Logger;
  metrics: Metrics;
  bus: EventBus;
  keys: SigningKeys;
  secrets: Secrets;
  email: EmailSender;
  files: FileStore;
  readiness: Readiness;
  /** accounts' answer to "is this session live, and what may its user do?" (the auth check on every route) */
  sessions: SessionChecker;
  /** absent in tests that drive delivery by hand */
  relay?: OutboxRelay;
}

/** What a service verb gets per request: no Request, no env, no framework types. */
export interface Ctx {
  database: Database;
  clock: () => number;
  ids: IdGenerator;
  log: Logger;
  requestId: string;
  /** the caller's address (from the edge's X-Forwarded-For when it came through the edge) and user agent */
  client: ClientInfo;
  /** tells the relay new events are waiting, so delivery doesn't wait for the next poll */
  eventsWritten: () => void;
}

export interface SessionChecker {
  liveActor(userId: string, sessionId: string): Promise<{ roles: Role[]; status: string } | undefined>;
}

/** The signed-in caller, as the authentication check found them in the database (not only in the token). */

export interface Actor {
  userId: string;
  sessionId: string;
  roles: Role[];
}
