import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { TokenPair } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import * as repo from "./repo.ts";
import { addPasskey, codeFor, count, enableTotp, finishWithCode, json, type Member, passwordStep, problem, STEP_MS } from "./testing/two-factor.ts";
import { base32Decode, matchTotpStep } from "./totp.ts";

let h: Harness;
let ada: Member;
beforeEach(async () => {
  h = await createHarness();
  ada = await h.register({ email: "ada@example.com", verified: true });
});
afterEach(() => h.destroy());

const sessions = () => count(h, "SELECT count(*) FROM session");
const attemptsOn = async (mfaToken: string) =>
  count(h, "SELECT attempts FROM auth_challenge WHERE id_hash = ?", new Bun.CryptoHasher("sha256").update(mfaToken).digest("hex"));
const throttled = (userId: string) => count(h, "SELECT coalesce(sum(attempts), 0) FROM throttle WHERE key = ?", `2fa:user:${userId}`);

describe("wrong codes are counted", () => {
  test("a wrong code → 401 naming /code, counted on the mfaToken and on the account's second-factor throttle; no session", async () => {
    const { secret } = await enableTotp(h, ada);
    const before = await sessions();
    const challenge = await passwordStep(h, ada);
    const response = await finishWithCode(h, challenge.mfaToken, { code: codeFor(h, secret, 10 * STEP_MS) });
    expect(response.status).toBe(401);
    const body = await problem(response);
    expect(body.code).toBe("INVALID_CREDENTIALS");
    expect(body.errors).toEqual([{ path: "/code", message: "is wrong or expired" }]);
    expect(await attemptsOn(challenge.mfaToken)).toBe(1);
    expect(await throttled(ada.user.id)).toBe(1);
    expect(await sessions()).toBe(before);
    // the mfaToken survives a typo: the right code still finishes, and clears the count
    expect((await finishWithCode(h, challenge.mfaToken, { code: codeFor(h, secret) })).status).toBe(200);
    expect(await throttled(ada.user.id)).toBe(0);
  });

  test("brute force: five wrong codes burn the mfaToken; the sixth attempt, even on a fresh sign-in with the right code, → 429 with Retry-After", async () => {
    const { secret } = await enableTotp(h, ada);
    const first = await passwordStep(h, ada);
    for (let i = 0; i < 5; i++) {
      const guess = String(100_000 + i);
      if (matchTotpStep(base32Decode(secret), guess, h.clock.now) !== undefined) continue; // a lucky guess is not what this test is about
      expect((await finishWithCode(h, first.mfaToken, { code: guess })).status).toBe(401);
    }
    const burnt = await finishWithCode(h, first.mfaToken, { code: codeFor(h, secret) });
    expect(burnt.status).toBe(401);
    expect((await problem(burnt)).errors?.[0]?.path).toBe("/mfaToken");

    const second = await passwordStep(h, ada);
    const locked = await finishWithCode(h, second.mfaToken, { code: codeFor(h, secret) });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await problem(locked)).code).toBe("RATE_LIMITED");

    h.clock.advance(16 * 60_000);
    const later = await passwordStep(h, ada);
    expect((await finishWithCode(h, later.mfaToken, { code: codeFor(h, secret) })).status).toBe(200);
  });

  test("recovery-code guesses count the same way", async () => {
    await enableTotp(h, ada);
    const challenge = await passwordStep(h, ada);
    for (let i = 0; i < 5; i++) expect((await finishWithCode(h, challenge.mfaToken, { recoveryCode: `zzzz-zzzz-zzz${i}` })).status).toBe(401);
    const next = await passwordStep(h, ada);
    expect((await finishWithCode(h, next.mfaToken, { recoveryCode: "zzzz-zzzz-zzzz" })).status).toBe(429);
  });
});

describe("a code works once", () => {
  test("the code that finished one sign-in cannot finish another within its window", async () => {
    const { secret } = await enableTotp(h, ada);
    const code = codeFor(h, secret);
    const first = await passwordStep(h, ada);
    expect((await finishWithCode(h, first.mfaToken, { code })).status).toBe(200);
    const second = await passwordStep(h, ada);
    const replay = await finishWithCode(h, second.mfaToken, { code });
    expect(replay.status).toBe(401);
    expect((await problem(replay)).detail).toBe("This code was already used; wait for the next one");
    // nor can an older code, once a newer step was used
    const third = await passwordStep(h, ada);
    expect((await finishWithCode(h, third.mfaToken, { code: codeFor(h, secret, -STEP_MS) })).status).toBe(401);
    h.clock.advance(STEP_MS);
    expect((await finishWithCode(h, third.mfaToken, { code: codeFor(h, secret) })).status).toBe(200);
  });

  test("10 concurrent submissions of one valid code with one mfaToken: exactly one session", async () => {
    const { secret } = await enableTotp(h, ada);
    const before = await sessions();
    const challenge = await passwordStep(h, ada);
    const code = codeFor(h, secret);
    const responses = await Promise.all(Array.from({ length: 10 }, () => finishWithCode(h, challenge.mfaToken, { code })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const s of statuses.filter((s) => s !== 200)) expect([401, 429]).toContain(s);
    expect(await sessions()).toBe(before + 1);
  });

  test("10 concurrent sign-ins, each with its own mfaToken, sharing one valid code: exactly one session", async () => {
    const { secret } = await enableTotp(h, ada);
    const challenges = [];
    for (let i = 0; i < 10; i++) challenges.push(await passwordStep(h, ada));
    const before = await sessions();
    const code = codeFor(h, secret);
    const responses = await Promise.all(challenges.map((c) => finishWithCode(h, c.mfaToken, { code })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await sessions()).toBe(before + 1);
  });

  test("the single conditional UPDATE: 10 concurrent spends of one step, exactly one wins (no throttle in the way)", async () => {
    await enableTotp(h, ada);
    const [row] = (await h.database.client.execute("SELECT last_used_step FROM totp_factor")).rows;
    const step = Number(row?.last_used_step) + 1;
    const results = await Promise.all(Array.from({ length: 10 }, () => h.database.write((db) => repo.useTotpStep(db, ada.user.id, step))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const results2 = await Promise.all(Array.from({ length: 10 }, () => h.database.transaction((tx) => repo.useTotpStep(tx, ada.user.id, step + 1))));
    expect(results2.filter(Boolean)).toHaveLength(1);
  });

  test("10 concurrent uses of one recovery code: exactly one session, one code spent", async () => {
    const { recoveryCodes } = await enableTotp(h, ada);
    const challenges = [];
    for (let i = 0; i < 10; i++) challenges.push(await passwordStep(h, ada));
    const before = await sessions();
    const responses = await Promise.all(challenges.map((c) => finishWithCode(h, c.mfaToken, { recoveryCode: recoveryCodes[0] ?? "" })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await sessions()).toBe(before + 1);
    expect(await count(h, "SELECT count(*) FROM recovery_code WHERE used_at IS NOT NULL")).toBe(1);
  });
});

describe("the mfaToken", () => {
  test("reused after it finished a sign-in → 401 naming /mfaToken", async () => {
    const { recoveryCodes } = await enableTotp(h, ada);
    const challenge = await passwordStep(h, ada);
    expect((await finishWithCode(h, challenge.mfaToken, { recoveryCode: recoveryCodes[0] ?? "" })).status).toBe(200);
    const reused = await finishWithCode(h, challenge.mfaToken, { recoveryCode: recoveryCodes[1] ?? "" });
    expect(reused.status).toBe(401);
    expect((await problem(reused)).errors?.[0]?.path).toBe("/mfaToken");
    // and the second recovery code was not spent by the refused attempt
    expect(await count(h, "SELECT count(*) FROM recovery_code WHERE used_at IS NULL")).toBe(9);
  });

  test("expired (the clock moves past five minutes) → 401, and the code is not spent", async () => {
    const { secret } = await enableTotp(h, ada);
    const challenge = await passwordStep(h, ada);
    h.clock.advance(5 * 60_000 + 1);
    const code = codeFor(h, secret);
    expect((await finishWithCode(h, challenge.mfaToken, { code })).status).toBe(401);
    const fresh = await passwordStep(h, ada);
    expect((await finishWithCode(h, fresh.mfaToken, { code })).status).toBe(200);
  });

  test("a made-up mfaToken → 401", async () => {
    await enableTotp(h, ada);
    const response = await finishWithCode(h, `ch_${"A".repeat(43)}`, { code: "123456" });
    expect(response.status).toBe(401);
    expect((await problem(response)).errors?.[0]?.path).toBe("/mfaToken");
  });
});

describe("BOLA", () => {
  test("B's mfaToken with A's code finishes nothing: no session for A or B, and it counts against B", async () => {
    const { secret: adaSecret } = await enableTotp(h, ada);
    const bob = await h.register({ email: "bob@example.com", verified: true });
    await enableTotp(h, bob);
    const before = await sessions();
    const bobs = await passwordStep(h, bob);
    const response = await finishWithCode(h, bobs.mfaToken, { code: codeFor(h, adaSecret) });
    expect(response.status).toBe(401);
    expect(await sessions()).toBe(before);
    expect(await throttled(bob.user.id)).toBe(1);
    expect(await throttled(ada.user.id)).toBe(0);
  });

  test("B's recovery codes are not A's", async () => {
    await enableTotp(h, ada);
    const bob = await h.register({ email: "bob@example.com", verified: true });
    const { recoveryCodes: bobsCodes } = await enableTotp(h, bob);
    const adas = await passwordStep(h, ada);
    expect((await finishWithCode(h, adas.mfaToken, { recoveryCode: bobsCodes[0] ?? "" })).status).toBe(401);
    expect(await count(h, "SELECT count(*) FROM recovery_code WHERE used_at IS NOT NULL")).toBe(0);
  });

  test("the second-factor settings only ever touch the caller's own account", async () => {
    const { secret } = await enableTotp(h, ada);
    const bob = await h.register({ email: "bob@example.com", verified: true });
    // Bob holds Ada's current code, but disabling and regenerating act on Bob, who has no app
    expect((await h.request("DELETE", "/v1/me/2fa/totp", { token: bob.accessToken, body: { code: codeFor(h, secret) } })).status).toBe(409);
    expect((await h.request("POST", "/v1/me/2fa/recovery-codes", { token: bob.accessToken, body: { code: codeFor(h, secret) } })).status).toBe(409);
    expect(await count(h, "SELECT count(*) FROM totp_factor WHERE confirmed_at IS NOT NULL")).toBe(1);
    expect(await count(h, "SELECT count(*) FROM recovery_code")).toBe(10);
  });
});

describe("no token, no access", () => {
  // well-formed bodies: the auth check runs after body validation (as on every accounts route)
  const code = { code: "123456" };
  const registration = { response: { id: "abc", rawId: "abc", type: "public-key", response: { clientDataJSON: "e30", attestationObject: "oA" } } };
  const routes: [string, string, unknown][] = [
    ["GET", "/v1/me/2fa", undefined],
    ["POST", "/v1/me/2fa/totp", undefined],
    ["POST", "/v1/me/2fa/totp/confirm", code],
    ["DELETE", "/v1/me/2fa/totp", code],
    ["POST", "/v1/me/2fa/recovery-codes", code],
    ["GET", "/v1/me/passkeys", undefined],
    ["POST", "/v1/me/passkeys/registration-options", undefined],
    ["POST", "/v1/me/passkeys", registration],
    ["PATCH", "/v1/me/passkeys/abc", { name: "mine now" }],
    ["DELETE", "/v1/me/passkeys/abc", undefined],
  ];
  for (const [method, path, body] of routes) {
    test(`${method} ${path} → 401 without a token, and with a signed-out session's token`, async () => {
      expect((await h.request(method, path, { body })).status).toBe(401);
      const tokens = await h.register({ verified: true });
      await h.request("POST", "/v1/auth/logout", { body: { refreshToken: tokens.refreshToken } });
      expect((await h.request(method, path, { token: tokens.accessToken, body })).status).toBe(401);
    });
  }

  test("a suspended account cannot finish its second step", async () => {
    const { secret } = await enableTotp(h, ada);
    const challenge = await passwordStep(h, ada);
    await h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [ada.user.id] });
    const response = await finishWithCode(h, challenge.mfaToken, { code: codeFor(h, secret) });
    expect(response.status).toBe(403);
    expect((await problem(response)).code).toBe("ACCOUNT_DISABLED");
  });
});

describe("bad input: a 4xx problem naming the field, never a 500, never a write", () => {
  const mfaToken = `ch_${"A".repeat(43)}`;
  const cases: [string, unknown, number, string][] = [
    ["a numeric code", { mfaToken, code: 123456 }, 422, "/code"],
    ["a five-digit code", { mfaToken, code: "12345" }, 422, "/code"],
    ["a seven-digit code", { mfaToken, code: "1234567" }, 422, "/code"],
    ["letters in the code", { mfaToken, code: "12a456" }, 422, "/code"],
    ["an injected code", { mfaToken, code: "1' OR '1'='1" }, 422, "/code"],
    ["a huge code", { mfaToken, code: "1".repeat(100_000) }, 422, "/code"],
    ["no mfaToken", { code: "123456" }, 422, "/mfaToken"],
    ["a short mfaToken", { mfaToken: "ch_x", code: "123456" }, 422, "/mfaToken"],
    ["an injected mfaToken", { mfaToken: "ch_' OR 1=1;--AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", code: "123456" }, 422, "/mfaToken"],
    ["an mfaToken that is an object", { mfaToken: { $ne: null }, code: "123456" }, 422, "/mfaToken"],
    ["neither code nor recoveryCode", { mfaToken }, 422, "/code"],
    ["both code and recoveryCode", { mfaToken, code: "123456", recoveryCode: "abcd-efgh-jkmn" }, 422, "/recoveryCode"],
    ["a recovery code with symbols", { mfaToken, recoveryCode: "<script>alert(1)</script>" }, 422, "/recoveryCode"],
    ["an oversized recovery code", { mfaToken, recoveryCode: "a".repeat(33) }, 422, "/recoveryCode"],
    ["an unknown field", { mfaToken, code: "123456", userId: "usr_x" }, 422, "/userId"],
    ["an array", [{ mfaToken, code: "123456" }], 422, "/"],
    ["null", null, 422, "/"],
  ];
  for (const [name, body, expected, path] of cases) {
    test(`POST /v1/auth/login/2fa with ${name} → ${expected} naming ${path}`, async () => {
      const before = await count(h, "SELECT count(*) FROM session");
      const response = await h.request("POST", "/v1/auth/login/2fa", body === null ? { rawBody: "null" } : { body });
      expect(response.status).toBe(expected);
      expect((await problem(response)).errors?.map((e) => e.path)).toContain(path);
      expect(await count(h, "SELECT count(*) FROM session")).toBe(before);
    });
  }

  test("malformed JSON → 400; the wrong content type → 415", async () => {
    expect((await h.request("POST", "/v1/auth/login/2fa", { rawBody: '{"mfaToken":' })).status).toBe(400);
    const form = await h.request("POST", "/v1/auth/login/2fa", { rawBody: "code=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
  });

  test("an oversized body → 413 before it is read", async () => {
    const response = await h.request("POST", "/v1/auth/login/2fa", {
      rawBody: JSON.stringify({ mfaToken, code: "1".repeat(2_000_000) }),
      headers: { "content-type": "application/json", "content-length": "2000040" },
    });
    expect(response.status).toBe(413);
  });

  test("the settings routes name the field too", async () => {
    const token = ada.accessToken;
    await h.request("POST", "/v1/me/2fa/totp", { token });
    for (const [method, path, body, field] of [
      ["POST", "/v1/me/2fa/totp/confirm", { code: "abc" }, "/code"],
      ["POST", "/v1/me/2fa/totp/confirm", {}, "/code"],
      ["POST", "/v1/me/2fa/totp/confirm", { code: "123456", extra: 1 }, "/extra"],
      ["DELETE", "/v1/me/2fa/totp", { recoveryCode: "../../etc/passwd" }, "/recoveryCode"],
      ["POST", "/v1/me/2fa/recovery-codes", { code: ["123456"] }, "/code"],
    ] as const) {
      const response = await h.request(method, path, { token, body });
      expect(response.status, `${method} ${path}`).toBe(422);
      expect(
        (await problem(response)).errors?.map((e) => e.path),
        `${method} ${path}`,
      ).toContain(field);
    }
    expect(await count(h, "SELECT count(*) FROM totp_factor WHERE confirmed_at IS NOT NULL")).toBe(0);
  });
});

test("signing in with the password still works for accounts without two-factor (no mfaToken)", async () => {
  const response = await h.request("POST", "/v1/auth/login", { body: { email: ada.user.email, password: ada.password } });
  expect(await json<TokenPair>(response)).toHaveProperty("refreshToken");
});

test("a tampered TOTP seed at rest is refused as a server fault, not accepted", async () => {
  const { secret } = await enableTotp(h, ada);
  await h.database.client.execute("UPDATE totp_factor SET secret_encrypted = 'v1.AAAA'");
  const challenge = await passwordStep(h, ada);
  const before = await sessions();
  const response = await finishWithCode(h, challenge.mfaToken, { code: codeFor(h, secret) });
  expect(response.status).toBe(500);
  expect(await json<{ detail: string }>(response)).not.toHaveProperty("stack");
  expect(await sessions()).toBe(before);
});

describe("a stolen access token cannot add a way in, nor remove one", () => {
  test("removing a passkey needs a sign-in from the last 10 minutes too", async () => {
    const { registered } = await addPasskey(h, ada);
    h.clock.advance(11 * 60_000);
    const refreshed = await json<TokenPair>(await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: ada.refreshToken } }));
    const stale = await h.request("DELETE", `/v1/me/passkeys/${registered.passkey.id}`, { token: refreshed.accessToken });
    expect(stale.status).toBe(403);
    expect((await problem(stale)).code).toBe("RECENT_SIGN_IN_REQUIRED");
    expect(await count(h, "SELECT count(*) FROM passkey")).toBe(1);
  });

  test("setting up an app, adding a passkey or linking a provider needs a sign-in from the last 10 minutes", async () => {
    h.clock.advance(11 * 60_000);
    // the token is still valid (refreshing keeps it so), but the sign-in behind it is old
    const refreshed = await json<TokenPair>(await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: ada.refreshToken } }));
    for (const [method, path, body] of [
      ["POST", "/v1/me/2fa/totp"],
      ["POST", "/v1/me/passkeys/registration-options"],
      ["POST", "/v1/me/oauth/google/link", { redirectUri: "https://shop.example/account/oauth/callback" }],
    ] as [string, string, unknown?][]) {
      const response = await h.request(method, path, { token: refreshed.accessToken, body });
      expect(response.status, path).toBe(403);
      expect((await problem(response)).code, path).toBe("RECENT_SIGN_IN_REQUIRED");
    }
    expect(await count(h, "SELECT count(*) FROM totp_factor")).toBe(0);
    // signing in again is the way through
    const fresh = await json<TokenPair>(await h.request("POST", "/v1/auth/login", { body: { email: ada.user.email, password: ada.password } }));
    expect((await h.request("POST", "/v1/me/2fa/totp", { token: fresh.accessToken })).status).toBe(200);
  });
});

test("a passkey-only account makes new recovery codes from a recent sign-in, not from an old token", async () => {
  await addPasskey(h, ada);
  const fresh = await h.request("POST", "/v1/me/2fa/recovery-codes", { token: ada.accessToken, body: {} });
  expect(fresh.status).toBe(200);
  expect((await json<{ recoveryCodes: string[] }>(fresh)).recoveryCodes).toHaveLength(10);
  h.clock.advance(11 * 60_000);
  const refreshed = await json<TokenPair>(await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: ada.refreshToken } }));
  const stale = await h.request("POST", "/v1/me/2fa/recovery-codes", { token: refreshed.accessToken, body: {} });
  expect(stale.status).toBe(403);
  expect((await problem(stale)).code).toBe("RECENT_SIGN_IN_REQUIRED");
});
