import { createTokenVerifier, importSigningKey, localKeyResolver, publicJwks } from "@bazaar/auth";
import { createIdGenerator } from "@bazaar/contracts";
import { createDatabase, type Database } from "@bazaar/db";
import { CloudflareQueuesTransport, EdgeIngestTransport, EventBus, type EventTransport, InProcessTransport, OutboxRelay } from "@bazaar/events";
import type { Config } from "../config.ts";
import { createLogger } from "../http/logger.ts";
import { Metrics } from "../http/metrics.ts";
import type { Deps } from "./deps.ts";
import { Readiness } from "./readiness.ts";

/** Builds every long-lived dependency from the validated config; the one place that wires production parts. */
export async function createDeps(config: Config, overrides: { database?: Database; clock?: () => number; startRelay?: boolean } = {}): Promise<Deps> {
  const clock = overrides.clock ?? Date.now;
  const log = createLogger(config.logLevel, { service: "core" });
  const database =
    overrides.database ??
    createDatabase(config.databaseAuthToken ? { url: config.databaseUrl, authToken: config.databaseAuthToken } : { url: config.databaseUrl });
  const signingKey = await importSigningKey(config.signingKey);
  const metrics = new Metrics();
  const resolver = localKeyResolver(publicJwks([signingKey]));
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
    keys: { current: signingKey, published: [signingKey], resolver, verify: createTokenVerifier(resolver) },
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
