import { expect, test } from "bun:test";
import { generateSigningKey } from "@bazaar/auth";
import { ConfigError, loadConfig } from "./config.ts";

const key = JSON.stringify((await generateSigningKey("key_config")).privateJwk);
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

test("defaults are the embedded ones", () => {
  const config = loadConfig({ AUTH_SIGNING_KEY: key });
  expect(config).toMatchObject({
    env: "development",
    port: 3000,
    databaseUrl: "file:data/bazaar.db",
    services: ["accounts"],
    events: { transport: "inprocess" },
  });
  expect(config.eventsSecret).toBeUndefined();
});

test("every problem is named once, all together", () => {
  const found = problems({ EVENTS_TRANSPORT: "edge", EVENTS_SECRET: "short", DATABASE_URL: "postgres://x", ACCESS_TOKEN_TTL_SECONDS: "-1", LOG_LEVEL: "loud" });
  expect(found.filter((p) => p.startsWith("EVENTS_SECRET"))).toEqual(["EVENTS_SECRET: must be at least 16 characters"]);
  for (const name of ["AUTH_SIGNING_KEY", "DATABASE_URL", "ACCESS_TOKEN_TTL_SECONDS", "LOG_LEVEL"])
    expect(found.some((p) => p.startsWith(`${name}:`))).toBe(true);
});

test("the cloudflare transport needs its account, queue and token, and a URL for the API base", () => {
  const found = problems({ AUTH_SIGNING_KEY: key, EVENTS_TRANSPORT: "cloudflare", CLOUDFLARE_API_BASE: "not a url" });
  expect(found).toEqual([
    "CLOUDFLARE_ACCOUNT_ID: required",
    "CLOUDFLARE_QUEUE_ID: required",
    "CLOUDFLARE_API_TOKEN: required",
    'CLOUDFLARE_API_BASE: must be a URL, got "not a url"',
  ]);
});

test("a Turso URL needs its token; SERVICES must name known services", () => {
  expect(problems({ AUTH_SIGNING_KEY: key, DATABASE_URL: "libsql://db-org.turso.io" })).toEqual([
    "DATABASE_AUTH_TOKEN: required for a libsql:// (Turso) DATABASE_URL",
  ]);
  expect(problems({ AUTH_SIGNING_KEY: key, SERVICES: "accounts,nope" })[0]).toContain("unknown service(s) nope");
  expect(loadConfig({ AUTH_SIGNING_KEY: key, SERVICES: "none" }).services).toEqual([]);
});
