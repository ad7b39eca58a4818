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
    services: ["accounts", "catalog", "payments", "shipping", "cart", "orders"],
    events: { transport: "inprocess" },
  });
  expect(config.eventsSecret).toBeUndefined();
  expect(config.payments).toEqual({
    defaultProvider: "sandbox",
    sandboxWebhookUrl: "http://127.0.0.1:3000/v1/payments/webhooks/sandbox",
    defaultCommissionBps: 1000,
    settlementHoldDays: 30,
    authorizationDays: 6,
  });
});

test("a payment gateway's keys come together or not at all", () => {
  expect(problems({ AUTH_SIGNING_KEY: key, STRIPE_SECRET_KEY: "sk_test_x" })).toEqual(["STRIPE_WEBHOOK_SECRET: required"]);
  expect(problems({ AUTH_SIGNING_KEY: key, RAZORPAY_KEY_ID: "rzp_test" })).toEqual(["RAZORPAY_KEY_SECRET: required", "RAZORPAY_WEBHOOK_SECRET: required"]);
  expect(problems({ AUTH_SIGNING_KEY: key, PAYMENTS_DEFAULT_PROVIDER: "bitcoin" })[0]).toContain("PAYMENTS_DEFAULT_PROVIDER");
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

test(".env.example documents every variable the core reads", async () => {
  const source = await Bun.file(new URL("./config.ts", import.meta.url)).text();
  const read = [...source.matchAll(/read\.\w+\("([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1] ?? "");
  expect(read.length).toBeGreaterThan(20);
  const example = await Bun.file(new URL("../.env.example", import.meta.url)).text();
  const missing = [...new Set(read)].filter((name) => !new RegExp(`^#?\\s*${name}=`, "m").test(example));
  expect(missing).toEqual([]);
});

test("APP_SECRET is required in production and must be long; retired keys lose their private part", async () => {
  expect(problems({ AUTH_SIGNING_KEY: key, BAZAAR_ENV: "production" })).toContain("APP_SECRET: required in production (at least 32 random characters)");
  expect(problems({ AUTH_SIGNING_KEY: key, APP_SECRET: "short" })).toContain("APP_SECRET: must be at least 32 characters");
  const retired = JSON.parse(key);
  const config = loadConfig({ AUTH_SIGNING_KEY: key, AUTH_PREVIOUS_SIGNING_KEYS: JSON.stringify([{ ...retired, kid: "key_old" }]) });
  expect(config.previousSigningKeys).toHaveLength(1);
  expect(config.previousSigningKeys[0]?.d).toBeUndefined();
  expect(problems({ AUTH_SIGNING_KEY: key, AUTH_PREVIOUS_SIGNING_KEYS: '[{"kty":"RSA"}]' })[0]).toStartWith("AUTH_PREVIOUS_SIGNING_KEYS:");
});

test("OAuth providers: presets and generic OIDC, each with what it needs", () => {
  const config = loadConfig({
    AUTH_SIGNING_KEY: key,
    OAUTH_PROVIDERS: "google, corp",
    OAUTH_GOOGLE_CLIENT_ID: "g-id",
    OAUTH_GOOGLE_CLIENT_SECRET: "g-secret",
    OAUTH_CORP_CLIENT_ID: "c-id",
    OAUTH_CORP_CLIENT_SECRET: "c-secret",
    OAUTH_CORP_ISSUER: "https://login.corp.example",
  });
  expect(config.oauthProviders.map((p) => [p.name, p.kind, p.issuer])).toEqual([
    ["google", "google", undefined],
    ["corp", "oidc", "https://login.corp.example"],
  ]);
  const found = problems({ AUTH_SIGNING_KEY: key, OAUTH_PROVIDERS: "apple,corp,Bad Name" });
  expect(found).toEqual(
    expect.arrayContaining([
      "OAUTH_APPLE_CLIENT_ID: required",
      "OAUTH_APPLE_TEAM_ID: required",
      "OAUTH_APPLE_KEY_ID: required",
      "OAUTH_APPLE_PRIVATE_KEY: required",
      "OAUTH_CORP_CLIENT_SECRET: required",
      'OAUTH_CORP_ISSUER: must be a URL, got ""',
      'OAUTH_PROVIDERS: provider names are lowercase letters, digits and dashes, got "bad name"',
    ]),
  );
});
