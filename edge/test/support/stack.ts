import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey, type SigningKey } from "@bazaar/auth";
import { type RunningCore, startCore } from "../../../scripts/lib/start-core.ts";
import { type EdgeProcess, freePort, startEdge } from "../../../scripts/lib/start-edge.ts";

export const EVENTS_SECRET = "edge-test-events-secret-0123456789";
const KID = "key_edge_test";
/** The `request.cf` every test edge sees (instead of miniflare's download or its offline placeholder). */
export const TEST_CF = { country: "PT", city: "Lisbon", continent: "EU", colo: "LIS", timezone: "Europe/Lisbon" };

export interface Stack {
  /** Replaced by restartCore(); same url throughout. */
  core: RunningCore;
  edge: EdgeProcess;
  /** The core's first signing key: lets tests mint expired or wrong-issuer tokens the edge must refuse. */
  signingKey: SigningKey;
  /** Stops the core and starts it again on the same port and database, with `env` over the first start's (key rotation). */
  restartCore(env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real core (fresh migrated database) and a real `wrangler dev` edge in front of it, started in
 * parallel. With `eventsTransport: "edge"` the core's outbox relay posts to this edge.
 */
export async function startStack(options: { eventsTransport: "inprocess" | "edge"; edgeVars?: Record<string, string> }): Promise<Stack> {
  const [corePort, edgePort] = await Promise.all([freePort(), freePort()]);
  const dataDir = mkdtempSync(join(tmpdir(), "bazaar-edge-test-"));
  const { key, privateJwk } = await generateSigningKey(KID);
  const coreEnv: Record<string, string> = {
    BAZAAR_ENV: "test",
    AUTH_SIGNING_KEY: JSON.stringify(privateJwk),
    // argon2id at its production cost would make every register/login here take ~100 ms of CPU
    PASSWORD_HASH_MEMORY_KIB: "1024",
    EVENTS_SECRET,
    EVENTS_TRANSPORT: options.eventsTransport,
    LOG_LEVEL: "warn",
  };
  if (options.eventsTransport === "edge") coreEnv.EVENTS_EDGE_URL = `http://127.0.0.1:${edgePort}`;

  const databaseUrl = `file:${join(dataDir, "core.db")}`;
  const [core, edge] = await Promise.allSettled([
    startCore({ port: corePort, databaseUrl, env: coreEnv }),
    startEdge({
      port: edgePort,
      coreOrigin: `http://127.0.0.1:${corePort}`,
      vars: { EVENTS_SECRET, DEV_EVENTS_INGEST: "on", JWKS_CACHE_SECONDS: "300", ...options.edgeVars },
      cf: TEST_CF,
    }),
  ]);
  let running: RunningCore | undefined = core.status === "fulfilled" ? core.value : undefined;
  const stop = async () => {
    await Promise.allSettled([running?.stop(), edge.status === "fulfilled" ? edge.value.stop() : undefined]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  if (core.status === "rejected" || edge.status === "rejected") {
    await stop();
    throw core.status === "rejected" ? core.reason : (edge as PromiseRejectedResult).reason;
  }
  const stack: Stack = {
    core: core.value,
    edge: edge.value,
    signingKey: key,
    stop,
    async restartCore(env) {
      await running?.stop();
      running = undefined;
      running = await startCore({ port: corePort, databaseUrl, env: { ...coreEnv, ...env }, migrate: false });
      stack.core = running;
    },
  };
  return stack;
}

/** Sums every series of a Prometheus metric whose labels include `labels`. */
export async function metric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => series[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

/** Polls until `check` returns true or the deadline passes; returns the last result. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await Bun.sleep(intervalMs);
  }
}
