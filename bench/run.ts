import { mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/lib/paths.ts";
import { type Measurement, measure, type Target } from "./measure.ts";
import { type Row, renderReport } from "./report.ts";
import { RAW_SCENARIO_ID, type Scenario, selectScenarios, type Via } from "./scenarios.ts";
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
  const needs = new Set<Via>(scenarios.map((s) => s.via));
  console.log(`bench: starting ${[...needs].join(", ")} …`);
  const system = await startSystem(needs, cleanup);

  const rows: Row[] = [];
  for (const scenario of scenarios) {
    const target = targetOf(scenario, system);
    await probe(scenario, target);
    console.log(`bench: ${scenario.name} (${target.method} ${target.url}) …`);
    const measurement = await measure(target, settings);
    console.log(`       ${Math.round(measurement.okPerSecond)} req/s, ${measurement.non2xx} non-2xx, ${measurement.errors} errors`);
    rows.push({ id: scenario.id, name: scenario.name, measurement });
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

function targetOf(scenario: Scenario, system: BenchSystem): Target {
  const origin = system.origins[scenario.via];
  if (!origin) throw new Error(`${scenario.name}: ${scenario.via} is not running`);
  const seed = system.seed;
  if (!seed && (scenario.headers || scenario.body)) throw new Error(`${scenario.name}: no bench user was seeded`);
  return {
    url: `${origin}${scenario.path}`,
    method: scenario.method ?? "GET",
    headers: seed ? (scenario.headers?.(seed) ?? {}) : {},
    body: seed ? scenario.body?.(seed) : undefined,
  };
}

/** One request first, so a scenario that is wrong (not slow) says why instead of printing a table of non-2xx. */
async function probe(scenario: Scenario, target: Target): Promise<void> {
  const init: RequestInit = { method: target.method, headers: target.headers };
  if (target.body !== undefined) init.body = target.body;
  const response = await fetch(target.url, init);
  const body = await response.text();
  if (!response.ok) console.warn(`bench: ${scenario.name}: the probe got ${response.status}: ${body.slice(0, 500)}`);
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
