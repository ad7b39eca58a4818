import type { Env } from "./env.ts";

export interface EdgeConfig {
  /** Scheme, host and port only: paths are appended by the gateway. */
  coreOrigin: string;
  jwksCacheMs: number;
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
  const jwksCacheSeconds = Number(env.JWKS_CACHE_SECONDS);
  if (!/^\d+$/.test(env.JWKS_CACHE_SECONDS ?? "") || jwksCacheSeconds < 1 || jwksCacheSeconds > 86_400) {
    problems.push("JWKS_CACHE_SECONDS: must be a whole number of seconds from 1 to 86400");
  }
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
    devEventsIngest: env.DEV_EVENTS_INGEST === "on",
    eventsSecret: env.EVENTS_SECRET,
  };
  validated.set(env, config);
  return config;
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
