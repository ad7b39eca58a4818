import { createHash } from "node:crypto";
import { createTokenVerifier, importSigningKey, localKeyResolver, publicJwks, type SigningKey } from "@bazaar/auth";
import { createIdGenerator } from "@bazaar/contracts";
import { createDatabase, type Database } from "@bazaar/db";
import { DevMailbox, type EmailSender, ResendEmailSender } from "@bazaar/email";
import { CloudflareQueuesTransport, EdgeIngestTransport, EventBus, type EventTransport, InProcessTransport, OutboxRelay } from "@bazaar/events";
import { type FileStore, LocalFileStore, S3FileStore } from "@bazaar/files";
import { findLiveActor } from "../accounts/index.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../http/logger.ts";
import { Metrics } from "../http/metrics.ts";
import type { Deps } from "./deps.ts";
import { Readiness } from "./readiness.ts";
import { createSecrets } from "./secrets.ts";

/** Builds every long-lived dependency from the validated config; the one place that wires production parts. */
export async function createDeps(config: Config, overrides: { database?: Database; clock?: () => number; startRelay?: boolean } = {}): Promise<Deps> {
  const clock = overrides.clock ?? Date.now;
  const log = createLogger(config.logLevel, { service: "core" });
  const database =
    overrides.database ??
    createDatabase(config.databaseAuthToken ? { url: config.databaseUrl, authToken: config.databaseAuthToken } : { url: config.databaseUrl });
  const signingKey = await importSigningKey(config.signingKey);
  const metrics = new Metrics();
  // retired keys stay published (and accepted) until the tokens they signed have expired
  const published = [signingKey, ...config.previousSigningKeys.map(retiredKey)];
  const resolver = localKeyResolver(publicJwks(published));
  const bus = new EventBus(database, clock);

  const deps: Deps = {
    config,
    database,
    clock,
    ids: createIdGenerator(clock),
    log,
    metrics,
    bus,
    readiness: new Readiness(database),
    keys: { current: signingKey, published, resolver, verify: createTokenVerifier(resolver) },
    // outside production the app secret may be derived from the signing key, so `bun run dev` needs no new setting
    secrets: createSecrets(
      config.appSecret ??
        createHash("sha256")
          .update(`bazaar-app-secret:${String(config.signingKey.d)}`)
          .digest("hex"),
    ),
    email: emailSender(config, database, clock),
    files: fileStore(config),
    sessions: { liveActor: (userId, sessionId) => findLiveActor(database, userId, sessionId) as ReturnType<Deps["sessions"]["liveActor"]> },
  };
  if (overrides.startRelay !== false) {
    deps.relay = new OutboxRelay(database, eventTransport(config, bus), {
      clock,
      onError: (error) => log.error("outbox relay failed", { error }),
      onRun: (run) => {
        for (const outcome of ["delivered", "retried", "dead"] as const) if (run[outcome]) metrics.eventsRelayed.inc({ outcome }, run[outcome]);
      },
    });
  }
  return deps;
}

function eventTransport(config: Config, bus: EventBus): EventTransport {
  const events = config.events;
  switch (events.transport) {
    case "inprocess":
      return new InProcessTransport(bus);
    case "edge":
      return new EdgeIngestTransport(events.edgeUrl, events.secret);
    case "cloudflare":
      return new CloudflareQueuesTransport(events);
  }
}

/** A retired key is only published, never used to sign: its private half is not needed. */
function retiredKey(publicJwk: Config["previousSigningKeys"][number]): SigningKey {
  return {
    kid: String(publicJwk.kid),
    privateKey: undefined as unknown as SigningKey["privateKey"],
    publicJwk: { kty: "OKP", crv: "Ed25519", x: String(publicJwk.x), kid: String(publicJwk.kid), alg: "EdDSA", use: "sig" },
  };
}

function emailSender(config: Config, database: Database, clock: () => number): EmailSender {
  switch (config.email.provider) {
    case "dev":
      return new DevMailbox(database, config.email.from, clock);
    case "resend":
      return new ResendEmailSender(config.email);
  }
}

function fileStore(config: Config): FileStore {
  switch (config.files.store) {
    case "local":
      return new LocalFileStore(config.files.directory);
    case "s3":
      return new S3FileStore(config.files);
  }
}
