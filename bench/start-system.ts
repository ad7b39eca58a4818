import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../scripts/lib/paths.ts";
import { startCore } from "../scripts/lib/start-core.ts";
import { freePort, startEdge } from "../scripts/lib/start-edge.ts";
import type { Seed, Via } from "./scenarios.ts";
import { seedBench } from "./seed.ts";

export interface BenchSystem {
  origins: Partial<Record<Via, string>>;
  seed: Seed | undefined;
  /** The core's database, when the core runs (scenarios that change the catalog behind its back write to it). */
  databaseUrl: string | undefined;
  /** What the core printed at LOG_LEVEL=warn: anything here is a finding. */
  coreLogs(): string;
}

/** Stops, in reverse order, everything pushed onto it; each stop runs even if an earlier one failed. */
export class Cleanup {
  private readonly steps: { what: string; run: () => Promise<void> | void }[] = [];
  private running: Promise<void> | undefined;

  push(what: string, run: () => Promise<void> | void): void {
    this.steps.push({ what, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        try {
          await step.run();
        } catch (error) {
          console.error(`bench: stopping ${step.what} failed:`, error);
        }
      }
    })();
    return this.running;
  }
}

/**
 * Starts only the processes the selected scenarios go through, on free 127.0.0.1 ports, against a fresh
 * database seeded with the bench user and `extraUsers` more.
 */
export async function startSystem(needs: Set<Via>, extraUsers: number, cleanup: Cleanup): Promise<BenchSystem> {
  const origins: BenchSystem["origins"] = {};
  let coreLogs = () => "";
  let seed: Seed | undefined;
  let databaseUrl: string | undefined;

  if (needs.has("raw")) origins.raw = await startHelloWorld(cleanup);

  if (needs.has("core") || needs.has("edge")) {
    const dir = mkdtempSync(join(tmpdir(), "bazaar-bench-"));
    cleanup.push("the temp database directory", () => rmSync(dir, { recursive: true, force: true }));
    databaseUrl = `file:${join(dir, "bench.db")}`;
    const core = await startCore({
      port: await freePort(),
      databaseUrl,
      // per-request info logs would cost more than most routes do
      env: { LOG_LEVEL: "warn" },
    });
    cleanup.push("the core", () => core.stop());
    origins.core = core.url;
    coreLogs = core.logs;
    seed = await seedBench(core.url, extraUsers, databaseUrl);
  }

  if (needs.has("edge") && origins.core) {
    // startEdge passes this process's env to wrangler; at warn it drops its own and the Worker's per-request log lines, as the core's LOG_LEVEL does
    process.env.WRANGLER_LOG ??= "warn";
    const edge = await startEdge({ coreOrigin: origins.core, vars: { EVENTS_SECRET: crypto.randomUUID() } });
    cleanup.push("the edge (wrangler dev)", () => edge.stop());
    origins.edge = edge.url;
  }

  return { origins, seed, databaseUrl, coreLogs: () => coreLogs() };
}

async function startHelloWorld(cleanup: Cleanup): Promise<string> {
  const port = await freePort();
  const child = Bun.spawn(["bun", "bench/hello-world.ts", String(port)], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
  cleanup.push("the hello-world server", async () => {
    child.kill("SIGTERM");
    await child.exited;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`bench/hello-world.ts exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return url;
    await Bun.sleep(50);
  }
  throw new Error(`bench/hello-world.ts did not answer on ${url} within 10 s`);
}
