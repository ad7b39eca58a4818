import type { JWK } from "jose";

export const SERVICE_NAMES = ["accounts", "catalog", "payments", "shipping", "cart", "orders"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export type EventsConfig =
  | { transport: "inprocess" }
  | { transport: "edge"; edgeUrl: string; secret: string }
  | { transport: "cloudflare"; accountId: string; queueId: string; apiToken: string; apiBase?: string };

/** A social or SSO sign-in provider. `kind` picks the preset; "oidc" is any OpenID Provider by discovery. */
export interface OAuthProviderConfig {
  name: string;
  kind: "oidc" | "google" | "github" | "apple" | "facebook";
  clientId: string;
  clientSecret: string;
  /** oidc only: the issuer URL whose /.well-known/openid-configuration is read */
  issuer?: string;
  /** apple only: the Sign in with Apple key that signs the client secret */
  apple?: { teamId: string; keyId: string; privateKeyPem: string };
}

export type EmailConfig = { provider: "dev"; from: string } | { provider: "resend"; from: string; apiKey: string; baseUrl?: string };

export type FilesConfig =
  | { store: "local"; directory: string }
  | { store: "s3"; bucket: string; endpoint?: string; region?: string; accessKeyId: string; secretAccessKey: string };

export interface Config {
  env: "development" | "test" | "production";
  host: string;
  port: number;
  databaseUrl: string;
  databaseAuthToken?: string;
  signingKey: JWK;
  /** retired keys (public or private JWKs) still published and accepted until their tokens have expired */
  previousSigningKeys: JWK[];
  /** keys the emailed-token HMACs and at-rest encryption (TOTP secrets); ≥ 32 chars; derived from the signing key outside production */
  appSecret?: string;
  /** where links in emails point (the storefront or the edge) */
  publicUrl: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  /** argon2id memory cost in KiB; Bun's default (64 MiB) unless lowered for tests. */
  passwordHashMemoryKib: number;
  maxBodyBytes: number;
  /** socket addresses whose X-Forwarded-For is believed (the edge, a load balancer) */
  trustedProxyIps: string[];
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  services: ServiceName[];
  events: EventsConfig;
  /** Shared secret the edge presents on POST /internal/events; unset disables that route. */
  eventsSecret?: string;
  email: EmailConfig;
  files: FilesConfig;
  /** WebAuthn relying party: the site passkeys are bound to */
  webauthn: { rpId: string; rpName: string; origins: string[] };
  oauthProviders: OAuthProviderConfig[];
  payments: PaymentsConfig;
}

/** The payment gateways: the sandbox always; the others when their keys are set. */
export interface PaymentsConfig {
  defaultProvider: "sandbox" | "stripe" | "razorpay" | "paypal";
  /** where the sandbox delivers its webhooks: this core's own endpoint unless set */
  sandboxWebhookUrl: string;
  /** an FX rate feed (`{base}` in it is replaced); without one the seeded table is used */
  fxRatesUrl?: string;
  /** the platform's commission on a sale in a category without its own rate, in basis points */
  defaultCommissionBps: number;
  /** a sale's proceeds stay pending this long after capture, until orders set the real end of the return window */
  settlementHoldDays: number;
  /** an authorised, uncaptured card payment is cancelled after this long (gateways let authorisations lapse at about 7 days) */
  authorizationDays: number;
  stripe?: { secretKey: string; webhookSecret: string };
  razorpay?: { keyId: string; keySecret: string; webhookSecret: string };
  paypal?: { clientId: string; clientSecret: string; webhookId: string; apiBase?: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates every variable at once; a bad or missing one stops the boot, all named together. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const read = new Reader(env, problems);

  const appEnv = read.oneOf("BAZAAR_ENV", ["development", "test", "production"] as const, "development");
  const services = read.list("SERVICES", SERVICE_NAMES);
  const transport = read.oneOf("EVENTS_TRANSPORT", ["inprocess", "edge", "cloudflare"] as const, "inprocess");
  let events: EventsConfig = { transport: "inprocess" };
  if (transport === "edge") {
    events = { transport, edgeUrl: read.url("EVENTS_EDGE_URL", "http://127.0.0.1:8787"), secret: read.secret("EVENTS_SECRET") };
  } else if (transport === "cloudflare") {
    events = {
      transport,
      accountId: read.required("CLOUDFLARE_ACCOUNT_ID"),
      queueId: read.required("CLOUDFLARE_QUEUE_ID"),
      apiToken: read.required("CLOUDFLARE_API_TOKEN"),
    };
    if (read.optional("CLOUDFLARE_API_BASE")) events.apiBase = read.url("CLOUDFLARE_API_BASE", "");
  }
  // the edge transport read (and judged) it above; otherwise it only enables /internal/events
  const eventsSecret = events.transport === "edge" ? events.secret : env.EVENTS_SECRET ? read.secret("EVENTS_SECRET") : undefined;
  const databaseUrl = read.databaseUrl("DATABASE_URL", "file:data/bazaar.db");
  const databaseAuthToken = read.optional("DATABASE_AUTH_TOKEN");
  if (databaseUrl.startsWith("libsql://") && !databaseAuthToken) problems.push("DATABASE_AUTH_TOKEN: required for a libsql:// (Turso) DATABASE_URL");

  const emailProvider = read.oneOf("EMAIL_PROVIDER", ["dev", "resend"] as const, "dev");
  const emailFrom = read.optional("EMAIL_FROM") ?? "Bazaar <no-reply@bazaar.localhost>";
  let email: EmailConfig = { provider: "dev", from: emailFrom };
  if (emailProvider === "resend") {
    email = { provider: "resend", from: emailFrom, apiKey: read.required("RESEND_API_KEY") };
    if (read.optional("RESEND_BASE_URL")) email.baseUrl = read.url("RESEND_BASE_URL", "");
  }
  const fileStore = read.oneOf("FILE_STORE", ["local", "s3"] as const, "local");
  const files: FilesConfig =
    fileStore === "local"
      ? { store: "local", directory: read.optional("FILES_DIR") ?? "data/files" }
      : {
          store: "s3",
          bucket: read.required("S3_BUCKET"),
          ...(read.optional("S3_ENDPOINT") ? { endpoint: read.url("S3_ENDPOINT", "") } : {}),
          ...(read.optional("S3_REGION") ? { region: read.optional("S3_REGION") as string } : {}),
          accessKeyId: read.required("S3_ACCESS_KEY_ID"),
          secretAccessKey: read.required("S3_SECRET_ACCESS_KEY"),
        };
  const publicUrl = read.url("PUBLIC_URL", "http://127.0.0.1:8787");
  const port = read.int("PORT", 3000, 0, 65535);
  const appSecret = read.optional("APP_SECRET");
  if (appSecret && appSecret.length < 32) problems.push("APP_SECRET: must be at least 32 characters");
  if (!appSecret && appEnv === "production") problems.push("APP_SECRET: required in production (at least 32 random characters)");

  const config: Config = {
    env: appEnv,
    host: read.optional("HOST") ?? "127.0.0.1",
    port,
    databaseUrl,
    signingKey: read.jwk("AUTH_SIGNING_KEY"),
    previousSigningKeys: read.jwkList("AUTH_PREVIOUS_SIGNING_KEYS"),
    publicUrl: publicUrl.replace(/\/+$/, ""),
    accessTokenTtlSeconds: read.int("ACCESS_TOKEN_TTL_SECONDS", 900, 1, 86_400),
    refreshTokenTtlDays: read.int("REFRESH_TOKEN_TTL_DAYS", 30, 1, 365),
    passwordHashMemoryKib: read.int("PASSWORD_HASH_MEMORY_KIB", 65_536, 1024, 1_048_576),
    maxBodyBytes: read.int("MAX_BODY_BYTES", 1_048_576, 1024, 104_857_600),
    trustedProxyIps: (read.optional("TRUSTED_PROXY_IPS") ?? "127.0.0.1,::1,::ffff:127.0.0.1")
      .split(",")
      .map((ip) => ip.trim())
      .filter(Boolean),
    logLevel: read.oneOf("LOG_LEVEL", ["debug", "info", "warn", "error", "silent"] as const, "info"),
    services,
    events,
    email,
    files,
    webauthn: {
      rpId: read.optional("WEBAUTHN_RP_ID") ?? new URL(URL.canParse(publicUrl) ? publicUrl : "http://localhost").hostname,
      rpName: read.optional("WEBAUTHN_RP_NAME") ?? "Bazaar",
      origins: (read.optional("WEBAUTHN_ORIGINS") ?? (URL.canParse(publicUrl) ? new URL(publicUrl).origin : ""))
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    },
    oauthProviders: read.oauthProviders("OAUTH_PROVIDERS"),
    payments: readPayments(read, port),
  };
  if (appSecret) config.appSecret = appSecret;
  if (databaseAuthToken) config.databaseAuthToken = databaseAuthToken;
  if (eventsSecret) config.eventsSecret = eventsSecret;
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function readPayments(read: Reader, port: number): PaymentsConfig {
  const payments: PaymentsConfig = {
    defaultProvider: read.oneOf("PAYMENTS_DEFAULT_PROVIDER", ["sandbox", "stripe", "razorpay", "paypal"] as const, "sandbox"),
    sandboxWebhookUrl: read.url("PAYMENTS_SANDBOX_WEBHOOK_URL", `http://127.0.0.1:${port}/v1/payments/webhooks/sandbox`),
    defaultCommissionBps: read.int("PAYMENTS_DEFAULT_COMMISSION_BPS", 1000, 0, 10_000),
    settlementHoldDays: read.int("PAYMENTS_SETTLEMENT_HOLD_DAYS", 30, 0, 365),
    authorizationDays: read.int("PAYMENTS_AUTHORIZATION_DAYS", 6, 1, 30),
  };
  if (read.optional("FX_RATES_URL")) payments.fxRatesUrl = read.url("FX_RATES_URL", "");
  if (read.optional("STRIPE_SECRET_KEY")) {
    payments.stripe = { secretKey: read.required("STRIPE_SECRET_KEY"), webhookSecret: read.required("STRIPE_WEBHOOK_SECRET") };
  }
  if (read.optional("RAZORPAY_KEY_ID")) {
    payments.razorpay = {
      keyId: read.required("RAZORPAY_KEY_ID"),
      keySecret: read.required("RAZORPAY_KEY_SECRET"),
      webhookSecret: read.required("RAZORPAY_WEBHOOK_SECRET"),
    };
  }
  if (read.optional("PAYPAL_CLIENT_ID")) {
    payments.paypal = {
      clientId: read.required("PAYPAL_CLIENT_ID"),
      clientSecret: read.required("PAYPAL_CLIENT_SECRET"),
      webhookId: read.required("PAYPAL_WEBHOOK_ID"),
      ...(read.optional("PAYPAL_API_BASE") ? { apiBase: read.url("PAYPAL_API_BASE", "") } : {}),
    };
  }
  return payments;
}

class Reader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (!value) this.problems.push(`${name}: required`);
    return value ?? "";
  }

  secret(name: string): string {
    const value = this.required(name);
    if (value && value.length < 16) this.problems.push(`${name}: must be at least 16 characters`);
    return value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name}: must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  oneOf<const T extends readonly string[]>(name: string, allowed: T, fallback: T[number]): T[number] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw)) {
      this.problems.push(`${name}: must be one of ${allowed.join(", ")}, got "${raw}"`);
      return fallback;
    }
    return raw;
  }

  list<const T extends readonly string[]>(name: string, allowed: T): T[number][] {
    const raw = this.optional(name);
    if (raw === undefined || raw === "all") return [...allowed];
    if (raw === "none") return []; // platform routes and the relay only
    const names = raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !allowed.includes(n));
    if (unknown.length || !names.length)
      this.problems.push(`${name}: unknown service(s) ${unknown.join(", ") || "(none given)"}; known: ${allowed.join(", ")}`);
    return names.filter((n): n is T[number] => allowed.includes(n));
  }

  url(name: string, fallback: string): string {
    const raw = this.optional(name) ?? fallback;
    if (!URL.canParse(raw)) this.problems.push(`${name}: must be a URL, got "${raw}"`);
    return raw;
  }

  databaseUrl(name: string, fallback: string): string {
    const raw = this.optional(name) ?? fallback;
    if (!/^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/.test(raw))
      this.problems.push(`${name}: must start with file:, libsql://, http(s):// or ws(s)://, got "${raw}"`);
    return raw;
  }

  /** A JSON array of JWKs (public or private, each with a kid); empty when unset. */
  jwkList(name: string): JWK[] {
    const raw = this.optional(name);
    if (!raw) return [];
    try {
      const list = JSON.parse(raw) as JWK[];
      if (!Array.isArray(list) || list.some((k) => k.kty !== "OKP" || k.crv !== "Ed25519" || !k.x || !k.kid))
        throw new Error("must be a JSON array of Ed25519 JWKs with kid");
      return list.map(({ d: _private, ...publicPart }) => publicPart);
    } catch (error) {
      this.problems.push(`${name}: ${error instanceof Error ? error.message : "invalid JSON"}`);
      return [];
    }
  }

  /**
   * OAUTH_PROVIDERS=google,github,corp names the providers; each reads OAUTH_<NAME>_CLIENT_ID and
   * _CLIENT_SECRET; a name that is no preset is generic OIDC and needs _ISSUER; apple needs
   * _TEAM_ID, _KEY_ID and _PRIVATE_KEY instead of a client secret.
   */
  oauthProviders(name: string): OAuthProviderConfig[] {
    const raw = this.optional(name);
    if (!raw) return [];
    const presets = ["google", "github", "apple", "facebook"] as const;
    const providers: OAuthProviderConfig[] = [];
    for (const providerName of raw
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean)) {
      if (!/^[a-z][a-z0-9-]{0,30}$/.test(providerName)) {
        this.problems.push(`${name}: provider names are lowercase letters, digits and dashes, got "${providerName}"`);
        continue;
      }
      const prefix = `OAUTH_${providerName.toUpperCase().replaceAll("-", "_")}_`;
      const kind = (presets as readonly string[]).includes(providerName) ? (providerName as OAuthProviderConfig["kind"]) : "oidc";
      const provider: OAuthProviderConfig = { name: providerName, kind, clientId: this.required(`${prefix}CLIENT_ID`), clientSecret: "" };
      if (kind === "apple") {
        provider.apple = {
          teamId: this.required(`${prefix}TEAM_ID`),
          keyId: this.required(`${prefix}KEY_ID`),
          privateKeyPem: this.required(`${prefix}PRIVATE_KEY`),
        };
      } else {
        provider.clientSecret = this.required(`${prefix}CLIENT_SECRET`);
      }
      if (kind === "oidc") provider.issuer = this.url(`${prefix}ISSUER`, "");
      providers.push(provider);
    }
    return providers;
  }

  jwk(name: string): JWK {
    const raw = this.optional(name);
    if (!raw) {
      this.problems.push(`${name}: required (an Ed25519 private JWK; \`bun run dev\` writes one to .env, \`bun scripts/generate-signing-key.ts\` prints one)`);
      return {};
    }
    try {
      const jwk = JSON.parse(raw) as JWK;
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.d || !jwk.x || !jwk.kid) throw new Error("not an Ed25519 private JWK with kid");
      return jwk;
    } catch (error) {
      this.problems.push(`${name}: ${error instanceof Error ? error.message : "invalid JSON"}`);
      return {};
    }
  }
}
