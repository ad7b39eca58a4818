import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NODE22, ROOT } from "./paths.ts";

const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const HOST = "127.0.0.1";
const LOG_LIMIT = 256 * 1024;
// biome-ignore lint/suspicious/noControlCharactersInRegex: wrangler colours its output even with NO_COLOR
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

export interface StartEdgeOptions {
  /** Defaults to a free port. */
  port?: number;
  coreOrigin: string;
  /** Extra Worker vars and secrets (`--var KEY:VALUE`), e.g. EVENTS_SECRET, DEV_EVENTS_INGEST. */
  vars?: Record<string, string>;
  /** Local state (queues, caches); defaults to a temp dir removed on stop(). */
  persistDir?: string;
  /**
   * The `request.cf` every request gets (country, city, …), instead of the one miniflare downloads (or its
   * Austin placeholder offline): makes geo deterministic for tests and saves the download.
   */
  cf?: Record<string, unknown>;
  /** How long to wait for /edge/health; default 45 s (a cold wrangler bundles and boots workerd). */
  timeoutMs?: number;
  /** Receives wrangler's output as it arrives (for `bun run dev`); it is kept for logs() either way. */
  onOutput?: (text: string) => void;
}

export interface EdgeProcess {
  url: string;
  port: number;
  /** wrangler's output so far (stdout and stderr interleaved, last 256 KB). */
  logs(): string;
  /** Stops wrangler and workerd (the whole process group); safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts the edge Worker under `wrangler dev` on 127.0.0.1 and resolves once /edge/health answers 200.
 * Rejects with wrangler's log when the port is taken, wrangler exits early, or it is not ready in time.
 * Call stop() when done; the process group is also killed if this process exits first.
 */
export async function startEdge(options: StartEdgeOptions): Promise<EdgeProcess> {
  const port = options.port ?? (await freePort());
  if (options.port !== undefined && !(await isPortFree(options.port))) {
    throw new Error(`cannot start the edge: ${HOST}:${options.port} is already in use`);
  }
  const ownsPersistDir = options.persistDir === undefined;
  const persistDir = options.persistDir ?? mkdtempSync(join(tmpdir(), "bazaar-edge-"));
  const vars = { CORE_ORIGIN: options.coreOrigin, ...options.vars };
  const cfDir = options.cf === undefined ? undefined : mkdtempSync(join(tmpdir(), "bazaar-edge-cf-"));
  if (cfDir !== undefined) writeFileSync(join(cfDir, "cf.json"), JSON.stringify(options.cf));

  const args = [
    WRANGLER,
    "dev",
    "--config",
    join(ROOT, "wrangler.toml"),
    "--ip",
    HOST,
    "--port",
    String(port),
    "--inspector-port",
    String(await freePort()),
    "--persist-to",
    persistDir,
    "--show-interactive-dev-session=false",
    ...Object.entries(vars).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  // wrangler dev cannot forward requests under Bun (its fetch ignores undici's dispatcher): it runs on the repo's Node 22
  const child = spawn(NODE22, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      WRANGLER_HIDE_BANNER: "true",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      // miniflare reads request.cf from this file (it must be under 30 days old, so it is written fresh)
      ...(cfDir === undefined ? {} : { CLOUDFLARE_CF_FETCH_PATH: join(cfDir, "cf.json") }),
    },
  });

  let output = "";
  const record = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output = (output + text.replace(ANSI_ESCAPE, "")).slice(-LOG_LIMIT);
    options.onOutput?.(text);
  };
  child.stdout?.on("data", record);
  child.stderr?.on("data", record);

  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => resolve(`could not be spawned: ${error.message}`));
    child.once("exit", (code, signal) => resolve(signal ? `was killed by ${signal}` : `exited with code ${code}`));
  });
  let exitReason: string | undefined;
  void exited.then((reason) => {
    exitReason = reason;
  });

  const killOnExit = () => signalGroup(child, "SIGKILL");
  process.once("exit", killOnExit);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      process.off("exit", killOnExit);
      if (exitReason === undefined) {
        signalGroup(child, "SIGTERM");
        await Promise.race([exited, sleep(5_000)]);
      }
      // workerd is wrangler's child: make sure nothing of the group outlives stop()
      signalGroup(child, "SIGKILL");
      if (ownsPersistDir) rmSync(persistDir, { recursive: true, force: true });
      if (cfDir !== undefined) rmSync(cfDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const url = `http://${HOST}:${port}`;
  const failure = (why: string) => new Error(`wrangler dev (edge on ${url}) ${why}${workerErrors(output)}\n--- wrangler output ---\n${output.slice(-20_000)}`);
  const deadline = Date.now() + (options.timeoutMs ?? 45_000);
  try {
    for (;;) {
      if (exitReason !== undefined) throw failure(`${exitReason} before /edge/health answered`);
      const health = await probe(`${url}/edge/health`);
      if (health?.status === 200) break;
      // our Worker answered with an error (a bad var, say): waiting longer cannot fix it
      if (health !== undefined && health.status >= 500 && health.contentType.startsWith("application/problem+json")) {
        await sleep(300); // lets the Worker's error log line arrive for the message
        throw failure(`answered /edge/health with ${health.status}: ${health.body}`);
      }
      if (Date.now() > deadline) throw failure(`was not ready within ${options.timeoutMs ?? 45_000} ms`);
      await Promise.race([exited, sleep(150)]);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return { url, port, logs: () => output, stop };
}

/** The Worker's own error log lines (JSON, maybe prefixed by wrangler), put first: they usually say what is wrong. */
function workerErrors(output: string): string {
  const errors: string[] = [];
  for (const line of output.split("\n")) {
    const start = line.indexOf('{"time"');
    if (start === -1 || !line.includes('"level":"error"')) continue;
    try {
      const { msg, cause, error } = JSON.parse(line.slice(start)) as Record<string, unknown>;
      errors.push(`${msg}: ${error ?? ""} ${cause ?? ""}`.trim());
    } catch {
      errors.push(line.slice(start));
    }
  }
  return errors.length > 0 ? `\n--- worker errors ---\n${errors.slice(-5).join("\n")}` : "";
}

async function probe(url: string): Promise<{ status: number; contentType: string; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: await response.text() };
  } catch {
    return undefined;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}
