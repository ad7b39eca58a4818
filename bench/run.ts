import { mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/lib/paths.ts";
import { changeCatalog } from "./catalog-changes.ts";
import { type Measurement, measure, measureOperations, type Target } from "./measure.ts";
import { describeMeasurement, type Row, renderReport } from "./report.ts";
import {
  BENCH_PRODUCT_IDS,
  type HttpScenario,
  type InProcessScenario,
  type Load,
  loadsOf,
  RAW_SCENARIO_ID,
  seedUsersNeeded,
  selectScenarios,
  type Via,
} from "./scenarios.ts";
import { readSettings } from "./settings.ts";
import { type BenchSystem, Cleanup, startSystem } from "./start-system.ts";

// starting wrangler, the core and the hello-world takes well under this; anything slower is a hang
const STARTUP_BUDGET_SECONDS = 120;
const PER_SCENARIO_SLACK_SECONDS = 15;

const settings = readSettings(process.env);
const loadBefore = loadavg()[0] ?? 0;
const scenarios = selectScenarios(settings.scenarios);
const cleanup = new Cleanup();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}: stopping everything it started`);
    void cleanup.run().finally(() => process.exit(130));
  });
}
const budgetSeconds = STARTUP_BUDGET_SECONDS + scenarios.length * (settings.warmupSeconds + settings.durationSeconds + PER_SCENARIO_SLACK_SECONDS);
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${budgetSeconds} s: stopping everything it started`);
  void cleanup.run().finally(() => process.exit(1));
}, budgetSeconds * 1000);

try {
  const needs = new Set<Via>(loadsOf(scenarios).map((s) => s.via));
  const extraUsers = seedUsersNeeded(scenarios, settings);
  console.log(`bench: starting ${[...needs].join(", ")}${extraUsers ? ` and registering ${extraUsers + 1} users` : ""} …`);
  const system = await startSystem(needs, extraUsers, cleanup);
  pinLoadGeneratorToOneCpu();

  const rows: Row[] = [];
  for (const scenario of scenarios) {
    if (scenario.via === "in-process") {
      rows.push(await measureInProcess(scenario));
      continue;
    }
    rows.push(await measureHttp(scenario, system));
  }

  const raw = rows.find((r) => r.id === RAW_SCENARIO_ID)?.measurement;
  if (!raw || raw.okPerSecond === 0) throw new Error("the raw hello-world got no 2xx responses: no ceiling to compare with");
  const report = renderReport(await runInfo(), rows, raw.okPerSecond);
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  await Bun.write(join(ROOT, "bench/results/latest.md"), report);

  console.log(`\n${report}`);
  for (const { name, measurement } of rows) console.log(`${name}: ${(measurement.okPerSecond / raw.okPerSecond).toFixed(4)} × raw`);
  console.log("\nwritten to bench/results/latest.md");
  reportFindings(rows, system);
} finally {
  clearTimeout(watchdog);
  await cleanup.run();
}

async function measureHttp(scenario: HttpScenario, system: BenchSystem): Promise<Row> {
  const target = targetOf(scenario.name, scenario, system);
  const background = scenario.background && targetOf(scenario.background.name, scenario.background, system);
  await probe(scenario.name, target);
  if (background && scenario.background) await probe(scenario.background.name, background);
  console.log(`bench: ${scenario.name} (${target.method} ${target.url}${background ? `, alongside ${background.method} ${background.url}` : ""}) …`);
  const changes =
    scenario.catalogChangesPerSecond && system.databaseUrl ? changeCatalog(system.databaseUrl, BENCH_PRODUCT_IDS, scenario.catalogChangesPerSecond) : undefined;
  const [measurement, alongside] = await Promise.all([measure(target, settings), background && measure(background, settings)]);
  const changed = await changes?.stop();
  console.log(`       ${Math.round(measurement.okPerSecond)} req/s, ${measurement.non2xx} non-2xx, ${measurement.errors} errors`);
  const row: Row = { id: scenario.id, name: scenario.name, measurement };
  if (changed !== undefined) {
    row.note = `measured while another database handle changed a product ${scenario.catalogChangesPerSecond} times a second (${changed} changes in all): the core drops its in-memory responses whenever it notices a change (within 100 ms), so pages come from stored pages or are rebuilt, and a list is rebuilt after each change`;
  }
  if (alongside && scenario.background) {
    row.note = `measured while ${settings.connections} more connections ran ${scenario.background.name}: ${describeMeasurement(alongside)}`;
    console.log(`       alongside: ${describeMeasurement(alongside)}`);
  }
  return row;
}

/** Prepared on its own database just before it runs, so its setup is not measured and other scenarios do not share it. */
async function measureInProcess(scenario: InProcessScenario): Promise<Row> {
  console.log(`bench: ${scenario.name} (preparing) …`);
  const operation = await scenario.prepare();
  try {
    const measurement = await measureOperations(operation, settings);
    console.log(`       ${Math.round(measurement.okPerSecond)} ops/s, ${measurement.non2xx} not done, ${measurement.errors} errors`);
    return {
      id: scenario.id,
      name: scenario.name,
      measurement,
      note: "operations a second in the bench's own process (itself kept to one CPU), not HTTP requests: checkout calls these, so there is no route of their own to load",
    };
  } finally {
    await operation.stop();
  }
}

function targetOf(name: string, load: Load, system: BenchSystem): Target {
  const origin = system.origins[load.via];
  if (!origin) throw new Error(`${name}: ${load.via} is not running`);
  const seed = system.seed;
  if (!seed && (load.headers || load.body || load.perConnection)) throw new Error(`${name}: no bench user was seeded`);
  const target: Target = {
    url: `${origin}${load.path}`,
    method: load.method ?? "GET",
    headers: seed ? (load.headers?.(seed) ?? {}) : {},
    body: seed ? load.body?.(seed) : undefined,
  };
  if (seed && load.perConnection) target.perConnection = load.perConnection(seed);
  if (load.paths) target.paths = load.paths;
  return target;
}

/** One request first, so a scenario that is wrong (not slow) says why instead of printing a table of non-2xx. */
async function probe(name: string, target: Target): Promise<void> {
  const script = target.perConnection?.();
  const { headers, body } = script ? script.nextRequest({ headers: target.headers, body: target.body }) : target;
  const init: RequestInit = { method: target.method, headers };
  if (body !== undefined) init.body = body;
  const response = await fetch(target.url, init);
  const text = await response.text();
  script?.onResponse?.(response.status, text);
  if (!response.ok) console.warn(`bench: ${name}: the probe got ${response.status}: ${text.slice(0, 500)}`);
}

function reportFindings(rows: Row[], system: BenchSystem): void {
  const failing = rows.filter(({ measurement: m }) => m.non2xx > 0 || m.errors > 0);
  for (const { name, measurement } of failing) console.warn(`bench: ${name}: ${describeFailures(measurement)}`);
  const core = system.coreLogs();
  if (core.trim()) console.warn(`bench: the core logged (at warn and above):\n${core.trim().split("\n").slice(-30).join("\n")}`);
}

function describeFailures(m: Measurement): string {
  const statuses = Object.entries(m.statuses).map(([status, count]) => `${count}× ${status}`);
  const errors = m.errors ? [`${m.errors} socket errors/timeouts (${m.errorMessages.join("; ")})`] : [];
  return [...statuses, ...errors].join(", ");
}

async function runInfo() {
  const git = (...args: string[]) =>
    Bun.spawnSync(["git", ...args], { cwd: ROOT })
      .stdout.toString()
      .trim();
  const commit = git("rev-parse", "--short", "HEAD") || "unknown";
  const dirty = git("status", "--porcelain") !== "";
  const autocannon = (await Bun.file(join(ROOT, "node_modules/autocannon/package.json")).json()) as { version: string };
  const cpu = cpus();
  return {
    date: new Date(),
    bunVersion: Bun.version,
    cpuModel: cpu[0]?.model.trim() ?? "unknown CPU",
    cores: cpu.length,
    loadBefore,
    autocannonVersion: autocannon.version,
    commit: dirty ? `${commit} (uncommitted changes)` : commit,
    settings,
  };
}

/**
 * The load generator (autocannon, in this process) keeps to the first CPU, so the servers it measures, started
 * before with every CPU allowed, mostly have the others to themselves. Without this the scheduler now and then puts
 * a server beside the load generator and one run measures half what the next does. Linux only (taskset); elsewhere
 * nothing changes.
 */
function pinLoadGeneratorToOneCpu(): void {
  if (cpus().length < 2) return;
  const pinned = Bun.spawnSync(["taskset", "-a", "-p", "-c", "0", String(process.pid)], { stdout: "ignore", stderr: "ignore" });
  if (!pinned.success) console.warn("bench: could not pin the load generator to one CPU (taskset); figures will vary more between runs");
}
