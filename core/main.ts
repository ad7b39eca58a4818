import { createApp, serviceJobs } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { UPLOAD_ROUTES } from "./http/body-guard.ts";
import { createDeps } from "./platform/boot.ts";
import { startJobs } from "./platform/jobs.ts";

const DRAIN_DEADLINE_MS = 15_000;

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`bazaar core: ${error.message}\nSee .env.example for every variable.`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}

const deps = await createDeps(config);
const app = createApp(deps).listen({
  hostname: config.host,
  port: config.port,
  // the body guard answers oversized requests that declare their length (problem+json); this
  // server-level cap, with headroom above it, only stops chunked bodies that never end
  maxRequestBodySize: Math.max(config.maxBodyBytes, ...UPLOAD_ROUTES.map((u) => u.maxBytes)) * 2,
  // never Bun's HTML error page (it shows stack frames): errors are problem+json or nothing
  development: false,
});
deps.log.info("core listening", { url: `http://${config.host}:${app.server?.port}`, services: config.services, events: config.events.transport });

// the relay and the jobs start once the database is migrated, not before (they would fail every run)
let jobs: ReturnType<typeof startJobs> | undefined;
let stopping = false;
let checking = false; // ticks must not overlap: two passing checks would start everything twice
const startRelay = setInterval(async () => {
  if (checking || jobs) return;
  checking = true;
  try {
    if ((await deps.readiness.check()).ready && !stopping) {
      clearInterval(startRelay);
      deps.relay?.start();
      jobs = startJobs(deps, serviceJobs(deps));
    }
  } finally {
    checking = false;
  }
}, 250);

async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    deps.log.warn("second signal: exiting without draining", { signal });
    process.exit(1);
  }
  stopping = true;
  clearInterval(startRelay);
  jobs?.stop();
  deps.readiness.draining = true;
  deps.log.info("shutting down: draining requests", { signal });
  setTimeout(() => {
    deps.log.error("drain deadline passed; exiting", { deadlineMs: DRAIN_DEADLINE_MS });
    process.exit(1);
  }, DRAIN_DEADLINE_MS).unref();
  // stop accepting, let in-flight requests finish, then deliver what they wrote to the outbox
  await app.server?.stop(false);
  await deps.relay?.stop();
  await deps.relay?.flush(5_000).catch((error: unknown) => deps.log.warn("outbox flush incomplete", { error }));
  await deps.database.close();
  deps.log.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
