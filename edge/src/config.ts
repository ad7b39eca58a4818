import type { Env } from "./env.ts";

export interface EdgeConfig {
  /** Scheme, host and port only: paths are appended by the gateway. */
  coreOrigin: string;
  jwksCacheMs: number;
  /** An unknown kid may trigger a JWKS refetch at most once per this window (per isolate). */
  jwksRefetchCooldownMs: number;
  /** The core's access-token lifetime (or longer): how long a revoked session must stay listed. */
  accessTokenTtlSeconds: number;
  devEventsIngest: boolean;
  eventsSecret: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export const MIN_EVENTS_SECRET_LENGTH = 16;

// workerd hands the same env object to every invocation of an isolate, so this validates once per isolate.
const validated = new WeakMap<Env, EdgeConfig>();

/** The one place the Worker reads its vars and secrets; lists every bad key at once. */
export function readConfig(env: Env): EdgeConfig {
  const cached = validated.get(env);
  if (cached) return cached;

  const problems: string[] = [];
  const coreOrigin = parseOrigin(env.CORE_ORIGIN, problems);
  const jwksCacheSeconds = wholeSeconds("JWKS_CACHE_SECONDS", env.JWKS_CACHE_SECONDS, 1, 86_400, problems);
  const jwksRefetchCooldownSeconds = wholeSeconds("JWKS_REFETCH_COOLDOWN_SECONDS", env.JWKS_REFETCH_COOLDOWN_SECONDS, 1, 3_600, problems);
  const accessTokenTtlSeconds = wholeSeconds("ACCESS_TOKEN_TTL_SECONDS", env.ACCESS_TOKEN_TTL_SECONDS, 1, 86_400, problems);
  if (env.DEV_EVENTS_INGEST !== "on" && env.DEV_EVENTS_INGEST !== "off") problems.push('DEV_EVENTS_INGEST: must be "on" or "off"');
  if (typeof env.EVENTS_SECRET !== "string" || env.EVENTS_SECRET.length < MIN_EVENTS_SECRET_LENGTH) {
    problems.push(`EVENTS_SECRET: must be set (.dev.vars, --var or wrangler secret put) and at least ${MIN_EVENTS_SECRET_LENGTH} characters`);
  }
  if (problems.length > 0 || coreOrigin === undefined || env.EVENTS_SECRET === undefined) {
    throw new ConfigError(`invalid edge configuration: ${problems.join("; ")}`);
  }

  const config: EdgeConfig = {
    coreOrigin,
    jwksCacheMs: jwksCacheSeconds * 1000,
    jwksRefetchCooldownMs: jwksRefetchCooldownSeconds * 1000,
    accessTokenTtlSeconds,
    devEventsIngest: env.DEV_EVENTS_INGEST === "on",
    eventsSecret: env.EVENTS_SECRET,
  };
  validated.set(env, config);
  return config;
}

function wholeSeconds(name: string, value: string | undefined, min: number, max: number, problems: string[]): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value ?? "") || seconds < min || seconds > max) problems.push(`${name}: must be a whole number of seconds from ${min} to ${max}`);
  return seconds;
}

function parseOrigin(value: string | undefined, problems: string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value ?? "");
  } catch {
    problems.push("CORE_ORIGIN: must be an absolute http(s) URL");
    return undefined;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.pathname !== "/" || url.search || url.hash) {
    problems.push("CORE_ORIGIN: must be an http(s) origin without path, query or fragment");
    return undefined;
  }
  return url.origin;
}
