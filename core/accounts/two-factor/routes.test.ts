import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { MfaChallenge, RecoveryCodes, TokenPair, TotpEnrolment, TwoFactorStatus } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { codeFor, count, enableTotp, finishWithCode, json, type Member, outboxTwoFactorChanges, passwordStep, problem, STEP_MS } from "./testing/two-factor.ts";
import { base32Decode, matchTotpStep } from "./totp.ts";

let h: Harness;
let ada: Member;
beforeEach(async () => {
  h = await createHarness();
  ada = await h.register({ email: "ada@example.com", verified: true });
});
afterEach(() => h.destroy());

const status = async (member: Member) => json<TwoFactorStatus>(await h.request("GET", "/v1/me/2fa", { token: member.accessToken }));

describe("enrolling an authenticator app", () => {
  test("start → a base32 secret, an otpauth URI for Bazaar and the email, and an SVG QR code; nothing is on yet", async () => {
    expect(await status(ada)).toEqual({ enabled: false, totp: "off", passkeys: 0, recoveryCodesRemaining: 0 });
    const response = await h.request("POST", "/v1/me/2fa/totp", { token: ada.accessToken });
    expect(response.status).toBe(200);
    const enrolment = await json<TotpEnrolment>(response);
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrolment.otpauthUri).toBe(`otpauth://totp/Bazaar:ada%40example.com?secret=${enrolment.secret}&issuer=Bazaar&algorithm=SHA1&digits=6&period=30`);
    expect(enrolment.qrCodeDataUrl).toStartWith("data:image/svg+xml;base64,");
    expect(Buffer.from(enrolment.qrCodeDataUrl.split(",")[1] ?? "", "base64").toString()).toContain("<svg");
    expect(await status(ada)).toEqual({ enabled: false, totp: "pending", passkeys: 0, recoveryCodesRemaining: 0 });
    // a pending enrolment does not make sign-in two-step
    const login = await h.request("POST", "/v1/auth/login", { body: { email: ada.user.email, password: ada.password } });
    expect(await json<TokenPair>(login)).toHaveProperty("accessToken");
  });

  test("the seed is encrypted at rest: the database never holds the base32 secret", async () => {
    const { secret } = await json<TotpEnrolment>(await h.request("POST", "/v1/me/2fa/totp", { token: ada.accessToken }));
    const stored = String((await h.database.client.execute("SELECT secret_encrypted FROM totp_factor")).rows[0]?.secret_encrypted);
    expect(stored).toStartWith("v1.");
    expect(stored).not.toContain(secret);
    expect(h.deps.secrets.decrypt(stored)).toBe(secret);
  });

  test("confirm with the first code → on, ten recovery codes shown once and stored only as hashes, announced in the outbox", async () => {
    const { secret } = await json<TotpEnrolment>(await h.request("POST", "/v1/me/2fa/totp", { token: ada.accessToken }));
    const response = await h.request("POST", "/v1/me/2fa/totp/confirm", { token: ada.accessToken, body: { code: codeFor(h, secret) } });
    expect(response.status).toBe(200);
    const { recoveryCodes } = await json<RecoveryCodes>(response);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const stored = await h.database.client.execute("SELECT code_hash FROM recovery_code");
    expect(stored.rows).toHaveLength(10);
    const hashes = stored.rows.map((r) => String(r.code_hash));
    for (const code of recoveryCodes) expect(hashes.join(" ")).not.toContain(code.replaceAll("-", ""));
    for (const hash of hashes) expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await status(ada)).toEqual({ enabled: true, totp: "on", passkeys: 0, recoveryCodesRemaining: 10 });
    expect(await outboxTwoFactorChanges(h)).toEqual(["totp:enabled"]);
    // the confirming code's step is spent
    const step = String((await h.database.client.execute("SELECT last_used_step FROM totp_factor")).rows[0]?.last_used_step);
    expect(Number(step)).toBe(matchTotpStep(base32Decode(secret), codeFor(h, secret), h.clock.now) ?? -1);
  });

  test("a wrong first code → 401 naming /code and nothing turns on; confirming twice → 409", async () => {
    const { secret } = await json<TotpEnrolment>(await h.request("POST", "/v1/me/2fa/totp", { token: ada.accessToken }));
    const wrong = await h.request("POST", "/v1/me/2fa/totp/confirm", { token: ada.accessToken, body: { code: codeFor(h, secret, 5 * STEP_MS) } });
    expect(wrong.status).toBe(401);
    expect((await problem(wrong)).errors).toEqual([{ path: "/code", message: "is wrong or expired" }]);
    expect((await status(ada)).totp).toBe("pending");
    expect(await count(h, "SELECT count(*) FROM recovery_code")).toBe(0);
    expect((await h.request("POST", "/v1/me/2fa/totp/confirm", { token: ada.accessToken, body: { code: codeFor(h, secret) } })).status).toBe(200);
    h.clock.advance(STEP_MS);
    const again = await h.request("POST", "/v1/me/2fa/totp/confirm", { token: ada.accessToken, body: { code: codeFor(h, secret) } });
    expect(again.status).toBe(409);
  });

  test("restarting a pending enrolment replaces the secret (the old one's codes stop working); once on, restarting → 409", async () => {
    const first = await json<TotpEnrolment>(await h.request("POST", "/v1/me/2fa/totp", { token: ada.accessToken }));
    const second = await json<TotpEnrolment>(await h.request("POST", "/v1/me/2fa/totp", { token: ada.accessToken }));
    expect(second.secret).not.toBe(first.secret);
    expect((await h.request("POST", "/v1/me/2fa/totp/confirm", { token: ada.accessToken, body: { code: codeFor(h, first.secret) } })).status).toBe(401);
    expect((await h.request("POST", "/v1/me/2fa/totp/confirm", { token: ada.accessToken, body: { code: codeFor(h, second.secret) } })).status).toBe(200);
    const third = await h.request("POST", "/v1/me/2fa/totp", { token: ada.accessToken });
    expect(third.status).toBe(409);
    expect(await count(h, "SELECT count(*) FROM totp_factor WHERE confirmed_at IS NOT NULL")).toBe(1);
  });

  test("confirming with nothing started → 409", async () => {
    const response = await h.request("POST", "/v1/me/2fa/totp/confirm", { token: ada.accessToken, body: { code: "123456" } });
    expect(response.status).toBe(409);
  });
});

describe("signing in with two-factor on", () => {
  test("the password alone no longer signs in: an mfaToken, then a code finishes with tokens and a password+totp session", async () => {
    const { secret } = await enableTotp(h, ada);
    const sessionsBefore = await count(h, "SELECT count(*) FROM session");
    const challenge = await passwordStep(h, ada);
    expect(challenge).toMatchObject({ mfaRequired: true, methods: ["totp", "recovery_code"], expiresIn: 300 });
    expect(challenge.mfaToken).toMatch(/^ch_[A-Za-z0-9_-]{43}$/);
    expect(await count(h, "SELECT count(*) FROM session")).toBe(sessionsBefore);

    const response = await finishWithCode(h, challenge.mfaToken, { code: codeFor(h, secret) });
    expect(response.status).toBe(200);
    const tokens = await json<TokenPair>(response);
    expect(tokens.user.id).toBe(ada.user.id);
    expect((await h.request("GET", "/v1/me", { token: tokens.accessToken })).status).toBe(200);
    const methods = await h.database.client.execute("SELECT auth_method FROM session ORDER BY created_at DESC, id DESC LIMIT 1");
    expect(methods.rows[0]?.auth_method).toBe("password+totp");
    // the mfaToken is spent with the code
    expect((await finishWithCode(h, challenge.mfaToken, { code: codeFor(h, secret, STEP_MS) })).status).toBe(401);
  });

  test("a code from the step before or after still works (clock skew); two steps off does not", async () => {
    const { secret } = await enableTotp(h, ada);
    h.clock.advance(3 * STEP_MS);
    const late = await passwordStep(h, ada);
    expect((await finishWithCode(h, late.mfaToken, { code: codeFor(h, secret, -2 * STEP_MS) })).status).toBe(401);
    expect((await finishWithCode(h, late.mfaToken, { code: codeFor(h, secret, -STEP_MS) })).status).toBe(200);
    const early = await passwordStep(h, ada);
    expect((await finishWithCode(h, early.mfaToken, { code: codeFor(h, secret, STEP_MS) })).status).toBe(200);
  });

  test("a recovery code signs in once (password+recovery_code), is announced, and then is refused", async () => {
    const { recoveryCodes } = await enableTotp(h, ada);
    const [code = ""] = recoveryCodes;
    const first = await passwordStep(h, ada);
    // typed in capitals with spaces: still the same code
    const response = await finishWithCode(h, first.mfaToken, { recoveryCode: code.toUpperCase().replaceAll("-", " ") });
    expect(response.status).toBe(200);
    const methods = await h.database.client.execute("SELECT auth_method FROM session ORDER BY created_at DESC, id DESC LIMIT 1");
    expect(methods.rows[0]?.auth_method).toBe("password+recovery_code");
    expect((await status(ada)).recoveryCodesRemaining).toBe(9);
    expect(await outboxTwoFactorChanges(h)).toEqual(["totp:enabled", "recovery_codes:used"]);

    const second = await passwordStep(h, ada);
    const reused = await finishWithCode(h, second.mfaToken, { recoveryCode: code });
    expect(reused.status).toBe(401);
    expect((await problem(reused)).errors?.[0]?.path).toBe("/recoveryCode");
    expect((await status(ada)).recoveryCodesRemaining).toBe(9);
  });

  test("regenerating needs a fresh code; the old recovery codes die and the new ones work", async () => {
    const { secret, recoveryCodes: old } = await enableTotp(h, ada);
    const missing = await h.request("POST", "/v1/me/2fa/recovery-codes", { token: ada.accessToken, body: {} });
    expect(missing.status).toBe(422);
    expect((await problem(missing)).errors?.[0]?.path).toBe("/code");
    const response = await h.request("POST", "/v1/me/2fa/recovery-codes", { token: ada.accessToken, body: { code: codeFor(h, secret) } });
    expect(response.status).toBe(200);
    const { recoveryCodes: fresh } = await json<RecoveryCodes>(response);
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => old.includes(c))).toEqual([]);
    expect(await count(h, "SELECT count(*) FROM recovery_code")).toBe(10);
    expect(await outboxTwoFactorChanges(h)).toEqual(["totp:enabled", "recovery_codes:regenerated"]);

    const withOld = await passwordStep(h, ada);
    expect((await finishWithCode(h, withOld.mfaToken, { recoveryCode: old[0] ?? "" })).status).toBe(401);
    expect((await finishWithCode(h, withOld.mfaToken, { recoveryCode: fresh[0] ?? "" })).status).toBe(200);
  });

  test("regenerating with two-factor off → 409", async () => {
    const response = await h.request("POST", "/v1/me/2fa/recovery-codes", { token: ada.accessToken, body: { code: "123456" } });
    expect(response.status).toBe(409);
  });
});

describe("turning the app off", () => {
  test("needs a fresh second factor: none → 422, a wrong code → 401, the code just used to sign in → 401 (replay)", async () => {
    const { secret } = await enableTotp(h, ada);
    const challenge = await passwordStep(h, ada);
    const code = codeFor(h, secret);
    const signedIn = await json<TokenPair>(await finishWithCode(h, challenge.mfaToken, { code }));

    const none = await h.request("DELETE", "/v1/me/2fa/totp", { token: signedIn.accessToken, body: {} });
    expect(none.status).toBe(422);
    expect((await problem(none)).errors?.[0]?.path).toBe("/code");
    const noBody = await h.request("DELETE", "/v1/me/2fa/totp", { token: signedIn.accessToken });
    expect(noBody.status).toBe(422);
    const wrong = await h.request("DELETE", "/v1/me/2fa/totp", { token: signedIn.accessToken, body: { code: codeFor(h, secret, 4 * STEP_MS) } });
    expect(wrong.status).toBe(401);
    const replayed = await h.request("DELETE", "/v1/me/2fa/totp", { token: signedIn.accessToken, body: { code } });
    expect(replayed.status).toBe(401);
    expect((await problem(replayed)).detail).toContain("already used");
    expect((await status(ada)).totp).toBe("on");
  });

  test("with a fresh code → 204: off, recovery codes gone (no passkey left), announced, and the password signs in alone again", async () => {
    const { secret } = await enableTotp(h, ada);
    const response = await h.request("DELETE", "/v1/me/2fa/totp", { token: ada.accessToken, body: { code: codeFor(h, secret) } });
    expect(response.status).toBe(204);
    expect(await status(ada)).toEqual({ enabled: false, totp: "off", passkeys: 0, recoveryCodesRemaining: 0 });
    expect(await count(h, "SELECT count(*) FROM recovery_code")).toBe(0);
    expect(await outboxTwoFactorChanges(h)).toEqual(["totp:enabled", "totp:disabled", "recovery_codes:disabled"]);
    const login = await h.request("POST", "/v1/auth/login", { body: { email: ada.user.email, password: ada.password } });
    expect(await json<TokenPair>(login)).toHaveProperty("accessToken");
  });

  test("a recovery code is a fresh factor too", async () => {
    const { recoveryCodes } = await enableTotp(h, ada);
    const response = await h.request("DELETE", "/v1/me/2fa/totp", { token: ada.accessToken, body: { recoveryCode: recoveryCodes[3] ?? "" } });
    expect(response.status).toBe(204);
    expect((await status(ada)).totp).toBe("off");
  });

  test("when it is not on → 409", async () => {
    const response = await h.request("DELETE", "/v1/me/2fa/totp", { token: ada.accessToken, body: { code: "123456" } });
    expect(response.status).toBe(409);
  });
});

describe("the mfaToken", () => {
  test("expires after five minutes", async () => {
    const { secret } = await enableTotp(h, ada);
    const challenge: MfaChallenge = await passwordStep(h, ada);
    h.clock.advance(5 * 60_000 + 1);
    const response = await finishWithCode(h, challenge.mfaToken, { code: codeFor(h, secret) });
    expect(response.status).toBe(401);
    expect((await problem(response)).errors?.[0]?.path).toBe("/mfaToken");
  });
});
