import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { generateSigningKey, signAccessToken } from "@bazaar/auth";
import type { Problem, TokenPair } from "@bazaar/contracts";
import { SignJWT } from "jose";
import { createHarness, type Harness } from "../testing/harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.destroy());

const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return (await response.json()) as Problem;
};
const count = async (table: string) => Number((await h.database.client.execute(`SELECT count(*) FROM ${table}`)).rows[0]?.[0]);
const valid = { email: "eve@example.com", password: "correct horse battery", name: "Eve" };

describe("bad input never gets a 500 and never writes", () => {
  const cases: [string, Parameters<Harness["request"]>[2], number, string[]][] = [
    ["malformed JSON", { rawBody: '{"email": "eve@example.com",' }, 400, ["/"]],
    ["a JSON array", { body: [valid] }, 422, ["/"]],
    ["wrong types", { body: { email: 42, password: true, name: ["x"] } }, 422, ["/email", "/password", "/name"]],
    ["missing fields", { body: {} }, 422, ["/email", "/password", "/name"]],
    ["an unknown field", { body: { ...valid, isAdmin: true } }, 422, ["/isAdmin"]],
    ["a bad email", { body: { ...valid, email: "not-an-email" } }, 422, ["/email"]],
    ["a short password", { body: { ...valid, password: "short" } }, 422, ["/password"]],
    ["an overlong name", { body: { ...valid, name: "x".repeat(101) } }, 422, ["/name"]],
    ["a blank name", { body: { ...valid, name: "   " } }, 422, ["/name"]],
    ["null", { rawBody: "null" }, 422, ["/"]],
  ];
  for (const [name, options, status, paths] of cases) {
    test(`register with ${name} → ${status} naming ${paths.join(", ")}`, async () => {
      const response = await h.request("POST", "/v1/auth/register", options);
      expect(response.status).toBe(status);
      const body = await problem(response);
      expect(body.status).toBe(status);
      for (const path of paths) expect(body.errors?.map((e) => e.path)).toContain(path);
      expect(body.requestId).toBe(response.headers.get("x-request-id") ?? "");
      expect(await count("user")).toBe(0);
      expect(await count("outbox_event")).toBe(0);
    });
  }

  test("an oversized body → 413 before it is read", async () => {
    const response = await h.request("POST", "/v1/auth/register", {
      rawBody: JSON.stringify({ ...valid, name: "x".repeat(2_000_000) }),
      headers: { "content-type": "application/json", "content-length": "2000040" },
    });
    expect(response.status).toBe(413);
    expect((await problem(response)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await count("user")).toBe(0);
  });

  test("a deeply nested body → 422 problem, not a crash", async () => {
    const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const response = await h.request("POST", "/v1/auth/login", { rawBody: `{"email":${deep},"password":"x"}` });
    expect(response.status).toBe(422);
    expect((await problem(response)).code).toBe("VALIDATION_FAILED");
  });

  test("a body that isn't JSON → 415", async () => {
    const response = await h.request("POST", "/v1/auth/login", {
      rawBody: "email=a&password=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(415);
    expect((await problem(response)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  test("hostile strings are stored as data, not run", async () => {
    const name = `Robert'); DROP TABLE user;-- <script>alert(1)</script>`;
    const tokens = await h.register({ name });
    expect(tokens.user.name).toBe(name);
    expect(await count("user")).toBe(1);
  });

  test("a duplicate email (any case) → 409 naming /email; nothing half-written", async () => {
    await h.register({ email: "dup@example.com" });
    const response = await h.request("POST", "/v1/auth/register", { body: { ...valid, email: "DUP@example.com" } });
    expect(response.status).toBe(409);
    const body = await problem(response);
    expect(body.errors?.[0]?.path).toBe("/email");
    expect(await count("user")).toBe(1);
    expect(await count("session")).toBe(1);
    expect(await count("outbox_event")).toBe(1);
  });

  test("20 concurrent registrations of one email: exactly one account", async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => h.request("POST", "/v1/auth/register", { body: { ...valid, email: "race@example.com" } })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(await count("user")).toBe(1);
    expect(await count("outbox_event")).toBe(1);
  });

  test("an unknown route → 404 problem", async () => {
    const response = await h.request("GET", "/v1/nothing-here");
    expect(response.status).toBe(404);
    expect((await problem(response)).code).toBe("NOT_FOUND");
  });
});

describe("credentials", () => {
  test("a wrong password and an unknown email get the same 401", async () => {
    const { user } = await h.register();
    const wrong = await h.request("POST", "/v1/auth/login", { body: { email: user.email, password: "not the password" } });
    const unknown = await h.request("POST", "/v1/auth/login", { body: { email: "nobody@example.com", password: "not the password" } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [await problem(wrong), await problem(unknown)];
    expect([a.code, a.detail]).toEqual([b.code, b.detail]);
    expect(a.code).toBe("INVALID_CREDENTIALS");
    expect(await count("session")).toBe(1); // only the registration's
  });

  test("after 10 failed logins the account is throttled (429 + Retry-After); the right password waits too", async () => {
    const { user, password } = await h.register();
    for (let i = 0; i < 10; i++) expect((await h.request("POST", "/v1/auth/login", { body: { email: user.email, password: "guess-guess" } })).status).toBe(401);
    const blocked = await h.request("POST", "/v1/auth/login", { body: { email: user.email, password } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    h.clock.advance(16 * 60_000);
    expect((await h.request("POST", "/v1/auth/login", { body: { email: user.email, password } })).status).toBe(200);
  });

  test("successful sign-ins never use up the budget: 60 in a row (more than the 50-per-account limit) all succeed", async () => {
    const { user, password } = await h.register();
    for (let i = 0; i < 60; i++) {
      const response = await h.request("POST", "/v1/auth/login", { body: { email: user.email, password } });
      expect(response.status, `login ${i}`).toBe(200);
    }
  }, 20_000);

  test("one address guessing at many accounts is stopped after 100 attempts (credential stuffing)", async () => {
    for (let i = 0; i < 100; i++) {
      expect((await h.request("POST", "/v1/auth/login", { body: { email: `victim${i}@example.com`, password: "Summer2026!!" } })).status).toBe(401);
    }
    const blocked = await h.request("POST", "/v1/auth/login", { body: { email: "victim100@example.com", password: "Summer2026!!" } });
    expect(blocked.status).toBe(429);
    expect((await problem(blocked)).detail).not.toContain("victim"); // generic: says nothing about the account
  }, 20_000);

  test("60 concurrent guesses: attempts are counted before hashing, so only 10 are ever checked", async () => {
    const { user } = await h.register();
    const responses = await Promise.all(
      Array.from({ length: 60 }, () => h.request("POST", "/v1/auth/login", { body: { email: user.email, password: "guess-guess" } })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
  });
});

describe("access tokens", () => {
  test("no token, a garbage token, or a non-Bearer scheme → 401 with WWW-Authenticate", async () => {
    for (const authorization of [undefined, "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz", "Bearer a b"]) {
      const response = await h.request("GET", "/v1/me", { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
      expect((await problem(response)).code).toBe("UNAUTHENTICATED");
    }
  });

  test("an expired token → 401, even one that verified (and was cached) while it was valid", async () => {
    const { accessToken } = await h.register();
    expect((await h.request("GET", "/v1/me", { token: accessToken })).status).toBe(200);
    h.clock.advance(901_000);
    expect((await h.request("GET", "/v1/me", { token: accessToken })).status).toBe(401);
  });

  test("a token signed by another key with our kid → 401", async () => {
    const { user } = await h.register();
    const { key } = await generateSigningKey("key_test");
    const forged = await signAccessToken(key, { sub: user.id, sid: "ses_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", roles: ["admin"] }, h.clock.now, 900);
    expect((await h.request("GET", "/v1/me", { token: forged })).status).toBe(401);
  });

  test("alg none and HS256 (algorithm confusion with the public key) → 401", async () => {
    const { accessToken } = await h.register();
    const [, payload] = accessToken.split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT", kid: "key_test" })).toString("base64url")}.${payload}.`;
    expect((await h.request("GET", "/v1/me", { token: none })).status).toBe(401);
    const publicX = h.deps.keys.current.publicJwk.x ?? "";
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: "key_test" }).sign(new TextEncoder().encode(publicX));
    expect((await h.request("GET", "/v1/me", { token: hs256 })).status).toBe(401);
  });

  test("an unknown kid, a tampered payload or a tampered signature → 401", async () => {
    const { accessToken, user } = await h.register();
    const [header, payload, signature] = accessToken.split(".") as [string, string, string];
    const decoded = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString());
    const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const { key } = await generateSigningKey("key_unknown");
    const unknownKid = await signAccessToken(key, { sub: user.id, sid: decoded(payload).sid, roles: ["buyer"] }, h.clock.now, 900);
    const elevated = `${header}.${encoded({ ...decoded(payload), roles: ["admin"] })}.${signature}`;
    const otherUser = `${header}.${encoded({ ...decoded(payload), sub: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C" })}.${signature}`;
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith("AA") ? "BB" : "AA"}`;
    const swappedKid = `${encoded({ ...decoded(header), kid: "key_other" })}.${payload}.${signature}`;
    for (const token of [unknownKid, elevated, otherUser, flipped, swappedKid]) {
      expect((await h.request("GET", "/v1/me", { token })).status).toBe(401);
    }
  });

  test("a still-unexpired access token of a revoked session → 401", async () => {
    const tokens = await h.register();
    expect((await h.request("GET", "/v1/me", { token: tokens.accessToken })).status).toBe(200);
    await h.request("POST", "/v1/auth/logout", { body: { refreshToken: tokens.refreshToken } });
    expect((await h.request("GET", "/v1/me", { token: tokens.accessToken })).status).toBe(401);
  });

  test("BOLA: a token only ever shows its own user, and nobody can end another's session without its refresh token", async () => {
    const victim = await h.register();
    const attacker = await h.register();
    const me = await h.request("GET", "/v1/me", { token: attacker.accessToken, headers: { "x-user-id": victim.user.id } });
    expect(((await me.json()) as { id: string }).id).toBe(attacker.user.id);
    expect((await h.request("POST", "/v1/auth/logout", { body: { refreshToken: `${victim.refreshToken.slice(0, -4)}AAAA` } })).status).toBe(204);
    expect((await h.request("GET", "/v1/me", { token: victim.accessToken })).status).toBe(200);
  });
});

describe("refresh tokens", () => {
  test("reusing a used refresh token revokes the whole session (theft detection)", async () => {
    const original = await h.register();
    const rotated = (await (await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: original.refreshToken } })).json()) as TokenPair;
    const replay = await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: original.refreshToken } });
    expect(replay.status).toBe(401);
    // the legitimate holder's newer tokens die with the session
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: rotated.refreshToken } })).status).toBe(401);
    expect((await h.request("GET", "/v1/me", { token: rotated.accessToken })).status).toBe(401);
    const reasons = await h.database.client.execute("SELECT revoked_reason FROM session");
    expect(reasons.rows.map((r) => r.revoked_reason)).toEqual(["refresh_reuse"]);
  });

  test("20 concurrent refreshes with one token: one rotation, and the replays revoke the session once", async () => {
    const { refreshToken } = await h.register();
    const responses = await Promise.all(Array.from({ length: 20 }, () => h.request("POST", "/v1/auth/refresh", { body: { refreshToken } })));
    const winners = responses.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(responses.filter((r) => r.status === 401)).toHaveLength(19);
    expect(await count("refresh_token")).toBe(2); // the used one and its single successor
    const rotated = (await winners[0]?.json()) as TokenPair;
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: rotated.refreshToken } })).status).toBe(401);
    const revoked = await h.database.client.execute("SELECT type FROM outbox_event WHERE type = 'session.revoked'");
    expect(revoked.rows).toHaveLength(1);
  });

  test("a made-up refresh token → 401; a malformed one → 422", async () => {
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: "rt_madeupmadeupmadeupmadeup" } })).status).toBe(401);
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: 7 } })).status).toBe(422);
  });
});

describe("injection strings in every text field are data, never code", () => {
  const HOSTILE = [
    "' OR '1'='1",
    "Robert'); DROP TABLE user;--",
    "<script>alert(1)</script>",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
    "{{7*7}}${7*7}",
    "../../etc/passwd",
    "\u0000null byte",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ‮reversed",
  ];

  test("in names, emails and passwords: stored verbatim or refused with a 4xx naming the field; never a 500", async () => {
    for (const [i, hostile] of HOSTILE.entries()) {
      const asName = await h.request("POST", "/v1/auth/register", { body: { email: `n${i}@example.com`, password: "correct horse battery", name: hostile } });
      if (hostile.includes("\u0000")) {
        // SQLite would cut the string at NUL: refused rather than silently truncated
        expect(asName.status).toBe(422);
        expect((await problem(asName)).errors?.[0]?.path).toBe("/name");
      } else {
        expect(asName.status, hostile).toBe(201);
        expect(((await asName.json()) as TokenPair).user.name).toBe(hostile);
      }

      const asEmail = await h.request("POST", "/v1/auth/register", { body: { email: hostile, password: "correct horse battery", name: "x" } });
      expect(asEmail.status, hostile).toBe(422);
      expect((await problem(asEmail)).errors?.[0]?.path).toBe("/email");

      const asPassword = await h.request("POST", "/v1/auth/register", { body: { email: `p${i}@example.com`, password: `${hostile} plus length`, name: "x" } });
      expect([201, 422], hostile).toContain(asPassword.status);

      for (const [path, body] of [
        ["/v1/auth/login", { email: `n${i}@example.com`, password: hostile }],
        ["/v1/auth/login", { email: hostile, password: hostile }],
        ["/v1/auth/password-reset", { email: hostile }],
        ["/v1/auth/refresh", { refreshToken: `${hostile}${"x".repeat(20)}` }],
        ["/v1/auth/verify-email", { token: `${hostile}${"x".repeat(20)}` }],
        ["/v1/auth/password-reset/confirm", { token: `${hostile}${"x".repeat(20)}`, password: "correct horse battery" }],
      ] as const) {
        const response = await h.request("POST", path, { body });
        expect(response.status, `${path} ${hostile}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${path} ${hostile}`).toBeLessThan(500);
      }
    }
    // every account above is intact and nothing was dropped
    expect(await count("user")).toBeGreaterThanOrEqual(HOSTILE.length - 1);
  });
});

describe("pre-hijacking: an account registered by someone else before its owner", () => {
  test("an unverified account cannot add an authenticator app, a passkey or a provider", async () => {
    const mallory = await h.register({ email: "victim@example.com" });
    for (const [path, body] of [
      ["/v1/me/2fa/totp", undefined],
      ["/v1/me/passkeys/registration-options", undefined],
      ["/v1/me/oauth/google/link", { redirectUri: "https://shop.example/account/oauth/callback" }],
    ] as [string, unknown][]) {
      const response = await h.request("POST", path, { token: mallory.accessToken, body });
      expect(response.status, path).toBe(403);
      expect((await problem(response)).code, path).toBe("EMAIL_NOT_VERIFIED");
    }
  });

  test("the owner's password reset verifies the address and removes every way in set up before it", async () => {
    const mallory = await h.register({ email: "victim@example.com" });
    // ways in an attacker could have planted (say through a provider that does not verify emails)
    const userId = mallory.user.id;
    await h.database.client.batch([
      {
        sql: "INSERT INTO oauth_identity (provider, subject, user_id, email, created_at) VALUES ('facebook', 'mallory', ?, 'victim@example.com', 0)",
        args: [userId],
      },
      { sql: "INSERT INTO passkey (id, user_id, public_key, counter, name, created_at) VALUES ('cred-mallory', ?, 'pk', 0, 'Mallory', 0)", args: [userId] },
      { sql: "INSERT INTO totp_factor (user_id, secret_encrypted, confirmed_at, created_at) VALUES (?, 'x', 0, 0)", args: [userId] },
      { sql: "INSERT INTO recovery_code (code_hash, user_id, created_at) VALUES ('h', ?, 0)", args: [userId] },
    ]);
    await h.request("POST", "/v1/auth/password-reset", { body: { email: "victim@example.com" } });
    const token = await h.linkToken("victim@example.com", "/account/reset-password");
    expect((await h.request("POST", "/v1/auth/password-reset/confirm", { body: { token, password: "the real owner's passphrase" } })).status).toBe(204);
    for (const table of ["oauth_identity", "passkey", "totp_factor", "recovery_code"]) expect(await count(table), table).toBe(0);
    const login = await h.request("POST", "/v1/auth/login", { body: { email: "victim@example.com", password: "the real owner's passphrase" } });
    expect(((await login.json()) as TokenPair).user.emailVerified).toBe(true);
  });

  test("a verified account's reset keeps its factors (they were set up by the mailbox's owner)", async () => {
    const owner = await h.register({ email: "owner@example.com", verified: true });
    await h.database.client.execute({
      sql: "INSERT INTO passkey (id, user_id, public_key, counter, name, created_at) VALUES ('cred-owner', ?, 'pk', 0, 'Laptop', 0)",
      args: [owner.user.id],
    });
    await h.request("POST", "/v1/auth/password-reset", { body: { email: "owner@example.com" } });
    const token = await h.linkToken("owner@example.com", "/account/reset-password");
    expect((await h.request("POST", "/v1/auth/password-reset/confirm", { body: { token, password: "a fresh new passphrase" } })).status).toBe(204);
    expect(await count("passkey")).toBe(1);
  });
});

test("sign-ups are throttled per address: each costs a hash and a mail", async () => {
  for (let i = 0; i < 20; i++) await h.register();
  const blocked = await h.request("POST", "/v1/auth/register", { body: { email: "one-too-many@example.com", password: "correct horse battery", name: "X" } });
  expect(blocked.status).toBe(429);
  expect(blocked.headers.get("retry-after")).not.toBeNull();
  expect(await count("user")).toBe(20);
});
