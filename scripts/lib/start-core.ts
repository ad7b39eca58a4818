import { generateSigningKey } from "@bazaar/auth";
import type { Subprocess } from "bun";
import { migrate } from "./database-tasks.ts";
import { ROOT } from "./paths.ts";

export interface StartCoreOptions {
  port: number;
  /** `file:/abs/path.db`; migrated before start unless `migrate: false` */
  databaseUrl: string;
  env?: Record<string, string>;
  migrate?: boolean;
  /** print the core's JSON logs to this process's stdout instead of keeping them */
  inheritLogs?: boolean;
  readyTimeoutMs?: number;
}

export interface RunningCore {
  url: string;
  process: Subprocess;
  /** what the core printed so far (when logs are not inherited) */
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `bun core/main.ts` on 127.0.0.1 and waits for /ready; used by `bun run dev`, the edge tests and the benchmark. */
export async function startCore(options: StartCoreOptions): Promise<RunningCore> {
  if (options.migrate !== false) await migrate(options.databaseUrl);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    BAZAAR_ENV: "development",
    HOST: "127.0.0.1",
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    ...options.env,
  };
  env.AUTH_SIGNING_KEY ??= JSON.stringify((await generateSigningKey("key_local")).privateJwk);

  let output = "";
  const child = Bun.spawn([process.execPath, "--no-env-file", "core/main.ts"], {
    cwd: ROOT,
    env,
    stdout: options.inheritLogs ? "inherit" : "pipe",
    stderr: options.inheritLogs ? "inherit" : "pipe",
  });
  if (!options.inheritLogs) {
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) output = (output + new TextDecoder().decode(chunk)).slice(-200_000);
    };
    void collect(child.stdout as ReadableStream<Uint8Array>);
    void collect(child.stderr as ReadableStream<Uint8Array>);
  }

  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 8_000); // a core that won't drain in time is killed
    await child.exited;
    clearTimeout(killer);
    await child.exited;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`core exited with ${child.exitCode} before it was ready:\n${output}`);
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, process: child, logs: () => output, stop };
    await Bun.sleep(100);
  }
  await stop();
  throw new Error(`core was not ready at ${url} within the timeout:\n${output}`);
}
