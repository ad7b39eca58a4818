// The core as a process: boot-time config validation, serving, and graceful shutdown.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSigningKey } from "@bazaar/auth";
import { createDatabase } from "@bazaar/db";
import { type RunningCore, startCore } from "../scripts/lib/start-core.ts";

const ROOT = join(import.meta.dir, "..");
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "bazaar-main-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function boot(env: Record<string, string>) {
  return Bun.spawnSync([process.execPath, "--no-env-file", "core/main.ts"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 15_000 });
}

describe("boot", () => {
  test("a missing or invalid variable stops the boot, naming every bad one at once", () => {
    const result = boot({ PORT: "99999", EVENTS_TRANSPORT: "carrier-pigeon", SERVICES: "accounts,teleport", DATABASE_URL: `file:${join(dir, "x.db")}` });
    expect(result.exitCode).toBe(78);
    const stderr = result.stderr.toString();
    expect(stderr).toContain("AUTH_SIGNING_KEY: required");
    expect(stderr).toContain("PORT: must be an integer from 0 to 65535");
    expect(stderr).toContain("EVENTS_TRANSPORT: must be one of inprocess, edge, cloudflare");
    expect(stderr).toContain("SERVICES: unknown service(s) teleport");
  });

  test("a malformed signing key is named too", () => {
    const result = boot({ AUTH_SIGNING_KEY: '{"kty":"RSA"}', DATABASE_URL: `file:${join(dir, "x.db")}` });
    expect(result.exitCode).toBe(78);
    expect(result.stderr.toString()).toContain("AUTH_SIGNING_KEY: not an Ed25519 private JWK");
  });
});

describe("a running core", () => {
  let core: RunningCore;
  const databasePath = () => join(dir, "running.db");

  beforeAll(async () => {
    core = await startCore({
      port: 39_000 + Math.floor(Math.random() * 1000),
      databaseUrl: `file:${databasePath()}`,
      env: { AUTH_SIGNING_KEY: JSON.stringify((await generateSigningKey("key_main")).privateJwk), LOG_LEVEL: "info", PASSWORD_HASH_MEMORY_KIB: "65536" },
    });
  });
  afterAll(() => core?.stop());

  test("logs one JSON line per request with the request id", async () => {
    await fetch(`${core.url}/health`, { headers: { "x-request-id": "req_main-test-log-line" } });
    await Bun.sleep(50);
    const line = core
      .logs()
      .split("\n")
      .find((l) => l.includes("req_main-test-log-line"));
    expect(JSON.parse(line ?? "{}")).toMatchObject({ level: "info", msg: "request", requestId: "req_main-test-log-line", path: "/health", status: 200 });
  });

  test("a declared oversized body gets a 413 problem with a request id from the real server", async () => {
    const response = await fetch(`${core.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "a@b.co", password: "x".repeat(1_200_000) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
  });

  test("a deeply nested body gets a 422 problem from the real server, never an error page", async () => {
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const response = await fetch(`${core.url}/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: `{"email":${deep}}` });
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.text()).not.toContain("stack");
  });

  test("a JSON body without a content-length (chunked) is refused before it is read: 411, whatever its size", async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new TextEncoder().encode("x".repeat(64 * 1024)));
        controller.close();
      },
    });
    const response = await fetch(`${core.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunks,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(411);
    expect(((await response.json()) as { code: string }).code).toBe("LENGTH_REQUIRED");
  });

  test("on SIGTERM it finishes in-flight requests and delivers their events before exiting", async () => {
    const register = await fetch(`${core.url}/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "drain@example.com", password: "correct horse battery", name: "Drain" }),
    });
    expect(register.status).toBe(201);
    // a login costs a real argon2id verify (~100 ms): send it, then ask the core to stop while it runs
    const login = fetch(`${core.url}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "drain@example.com", password: "correct horse battery" }),
    });
    // long enough for the request to reach the core on a loaded machine (a request not yet read when
    // the listener closes is reset), short enough to land inside the hash
    await Bun.sleep(60);
    core.process.kill("SIGTERM");
    expect((await login).status).toBe(200);
    expect(await core.process.exited).toBe(0);

    const database = createDatabase({ url: `file:${databasePath()}` });
    const pending = await database.client.execute("SELECT type FROM outbox_event WHERE delivered_at IS NULL");
    const delivered = await database.client.execute("SELECT type FROM outbox_event WHERE delivered_at IS NOT NULL ORDER BY id");
    await database.close();
    expect(pending.rows).toEqual([]);
    expect(delivered.rows.map((r) => r.type)).toEqual(["user.registered", "user.logged_in"]);
    expect(core.logs()).toContain('"msg":"stopped"');
  });
});
