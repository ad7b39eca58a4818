import type { LoadSettings } from "./measure.ts";

export interface BenchSettings extends LoadSettings {
  scenarios: string | undefined;
}

/** BENCH_* variables, read once; a bad value stops the run before anything starts. */
export function readSettings(env: Record<string, string | undefined>): BenchSettings {
  return {
    connections: positiveInt(env, "BENCH_CONNECTIONS", 10),
    warmupSeconds: positiveInt(env, "BENCH_WARMUP_SECONDS", 2, 0),
    durationSeconds: positiveInt(env, "BENCH_DURATION_SECONDS", 5),
    timeoutSeconds: 10,
    scenarios: env.BENCH_SCENARIOS?.trim() || undefined,
  };
}

function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number, min = 1): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > 3600) throw new Error(`${name}: must be a whole number from ${min} to 3600, got "${raw}"`);
  return value;
}
