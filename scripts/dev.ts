// `bun run dev`: everything a fresh clone needs, then the core and the edge together. Ctrl-C stops both.
// No static imports of dependencies: they may not be installed yet when this starts.
import { join } from "node:path";
import { ensureInstalled } from "./lib/ensure-installed.ts";

const ROOT = join(import.meta.dir, "..");
ensureInstalled(ROOT);

const { ensureDevEnv } = await import("./lib/dev-env.ts");
const { migrate, seed, seedDemoCatalog } = await import("./lib/database-tasks.ts");
const { describeCatalogSeed } = await import("./lib/catalog-seed/cli.ts");
const { startCore } = await import("./lib/start-core.ts");
const { startEdge } = await import("./lib/start-edge.ts");
const { DEMO_ACCOUNTS } = await import("./demo-accounts.ts");

const env = await ensureDevEnv(join(ROOT, ".env"));
const databaseUrl = process.env.DATABASE_URL || "file:data/bazaar.db";
const corePort = Number(process.env.PORT || 3000);
const edgePort = Number(process.env.EDGE_PORT || 8787);

const { applied } = await migrate(databaseUrl, process.env.DATABASE_AUTH_TOKEN || undefined);
if (applied) console.log(`migrated ${databaseUrl} (${applied} migration(s))`);
if (databaseUrl.startsWith("file:")) {
  const { created } = await seed(databaseUrl);
  if (created.length) console.log(`seeded demo accounts: ${created.join(", ")}`);
  // the demo catalog on first run only: what a demo then deletes stays deleted (`bun run seed` completes or --resets it)
  const started = performance.now();
  try {
    const report = await seedDemoCatalog(databaseUrl, undefined, { firstRunOnly: true });
    if (report.batches > 0) console.log(describeCatalogSeed(report, (performance.now() - started) / 1000));
  } catch (error) {
    console.warn(`demo catalog not seeded: ${error instanceof Error ? error.message : error}`);
  }
}

const stops: (() => Promise<void>)[] = [];
let stopping = false;
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const stop of stops.reverse()) await stop().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  const core = await startCore({
    port: corePort,
    databaseUrl,
    migrate: false,
    inheritLogs: true,
    env: {
      BAZAAR_ENV: "development",
      AUTH_SIGNING_KEY: env.AUTH_SIGNING_KEY,
      EVENTS_SECRET: env.EVENTS_SECRET,
      // development runs events the production way: outbox → edge → local Queue → consumer → core
      EVENTS_TRANSPORT: "edge",
      EVENTS_EDGE_URL: `http://127.0.0.1:${edgePort}`,
      LOG_LEVEL: process.env.LOG_LEVEL || "info",
    },
  });
  stops.push(core.stop);
  const edge = await startEdge({
    port: edgePort,
    coreOrigin: core.url,
    vars: { EVENTS_SECRET: env.EVENTS_SECRET },
    persistDir: join(ROOT, "data/wrangler"),
    onOutput: (text) => process.stdout.write(text),
  });
  stops.push(edge.stop);

  console.log(`
Bazaar is running on embedded defaults.
  edge (what clients use)  ${edge.url}          e.g. ${edge.url}/v1/me, ${edge.url}/edge/health
  core (origin)            ${core.url}          API docs: ${core.url}/docs  (also through the edge: ${edge.url}/docs)
  database                 ${databaseUrl}

Demo accounts (POST /v1/auth/login with email and password):
${DEMO_ACCOUNTS.map((a) => `  ${a.roles[0].padEnd(7)} ${a.email.padEnd(24)} ${a.password}`).join("\n")}

Ctrl-C stops both.
`);
  await core.process.exited;
  if (!stopping) {
    console.error("the core exited; stopping the edge");
    await stopAll(1);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stopAll(1);
}
