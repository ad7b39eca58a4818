import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey } from "@bazaar/auth";
import type { TokenPair } from "@bazaar/contracts";
import { createTestDatabase } from "@bazaar/db/testing";
import { DevMailbox } from "@bazaar/email";
import { InProcessTransport, OutboxRelay } from "@bazaar/events";
import { createApp } from "../app.ts";
import { loadConfig } from "../config.ts";
import { createDeps } from "../platform/boot.ts";

export const TEST_EVENTS_SECRET = "test-events-secret-0123456789";
/** The password `register` gives an account unless told otherwise. */
export const TEST_PASSWORD = "correct horse battery staple";

export interface TestClock {
  now: number;
  advance(ms: number): void;
}

export interface RequestOptions {
  body?: unknown;
  /** sent as-is, for malformed bodies */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
}

/**
 * A real app over a fresh migrated libSQL file, a test signing key, a controllable
 * clock and cheap password hashing; requests go through `app.handle`, no port.
 */
export async function createHarness(env: Record<string, string> = {}, options: { migrate?: boolean } = {}) {
  const database = await createTestDatabase(options);
  const filesDir = mkdtempSync(join(tmpdir(), "bazaar-files-"));
  const { privateJwk } = await generateSigningKey("key_test");
  const clock: TestClock = {
    now: Date.now(),
    advance(ms) {
      this.now += ms;
    },
  };
  const config = loadConfig({
    BAZAAR_ENV: "test",
    AUTH_SIGNING_KEY: JSON.stringify(privateJwk),
    PASSWORD_HASH_MEMORY_KIB: "1024",
    LOG_LEVEL: "silent",
    EVENTS_SECRET: TEST_EVENTS_SECRET,
    FILES_DIR: filesDir,
    PUBLIC_URL: "https://shop.example",
    ...env,
  });
  const deps = await createDeps(config, { database, clock: () => clock.now, startRelay: false });
  const app = createApp(deps);

  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | undefined = opts.rawBody;
    if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    // what every real client sends with a body (a JSON body without it is refused: 411)
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) {
      headers["content-length"] = String(new TextEncoder().encode(body).byteLength);
    }
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    return app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
  }

  const relay = new OutboxRelay(database, new InProcessTransport(deps.bus), { clock: () => clock.now });

  let users = 0;
  return {
    app,
    deps,
    database,
    clock,
    request,
    /** Registers a fresh buyer and returns their tokens; `verified` also marks the email confirmed (as clicking the link would). */
    async register(overrides: { email?: string; password?: string; name?: string; verified?: boolean } = {}): Promise<TokenPair & { password: string }> {
      users++;
      const password = overrides.password ?? TEST_PASSWORD;
      const response = await request("POST", "/v1/auth/register", {
        body: { email: overrides.email ?? `user${users}-${crypto.randomUUID().slice(0, 8)}@example.com`, password, name: overrides.name ?? `User ${users}` },
      });
      if (response.status !== 201) throw new Error(`register failed: ${response.status} ${await response.text()}`);
      const tokens = (await response.json()) as TokenPair;
      if (overrides.verified) {
        await database.client.execute({ sql: "UPDATE user SET email_verified_at = ? WHERE id = ?", args: [clock.now, tokens.user.id] });
        tokens.user.emailVerified = true;
      }
      return { ...tokens, password };
    },
    /** Delivers everything in the outbox to this app's subscribers, as the relay would. */
    deliverEvents: () => relay.flush(),
    /** Mail the development mailbox holds for `to`, newest first (deliver events first: mail is sent by subscribers). */
    async mailTo(to: string) {
      return new DevMailbox(database, "test").list({ to });
    },
    /** The token in the newest link of `kind` mailed to `to` (after delivering pending events). */
    async linkToken(to: string, path: "/account/verify-email" | "/account/reset-password"): Promise<string> {
      await relay.flush();
      const mail = (await new DevMailbox(database, "test").list({ to })).find((m) => m.text.includes(path));
      const token = mail?.text.match(new RegExp(`${path}\\?token=([A-Za-z0-9_-]+)`))?.[1];
      if (!token) throw new Error(`no ${path} link mailed to ${to}`);
      return token;
    },
    /** Gives a user a role directly in the database (how the first admin is made: scripts/grant-role.ts). */
    async grantRole(userId: string, role: string) {
      await database.client.execute({
        sql: "UPDATE user SET roles = json_insert(roles, '$[#]', ?) WHERE id = ? AND NOT EXISTS (SELECT 1 FROM json_each(roles) WHERE value = ?)",
        args: [role, userId, role],
      });
    },
    async destroy() {
      await database.destroy();
      rmSync(filesDir, { recursive: true, force: true });
    },
  };
}

export type Harness = Awaited<ReturnType<typeof createHarness>>;
