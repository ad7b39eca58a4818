import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { PasskeyList, PasskeyRegistrationOptions, PasskeyView, TokenPair, TwoFactorStatus } from "@bazaar/contracts";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { SoftwareAuthenticator } from "./testing/software-authenticator.ts";
import {
  addPasskey,
  codeFor,
  count,
  enableTotp,
  finishWithCode,
  json,
  type Member,
  outboxTwoFactorChanges,
  passkeyOptions,
  passwordStep,
  problem,
} from "./testing/two-factor.ts";

let h: Harness;
let ada: Member;
beforeEach(async () => {
  h = await createHarness();
  ada = await h.register({ email: "ada@example.com", name: "Ada Lovelace", verified: true });
});
afterEach(() => h.destroy());

const signIn = (body: unknown) => h.request("POST", "/v1/auth/passkey", { body });
const lastAuthMethod = async () =>
  (await h.database.client.execute("SELECT auth_method FROM session ORDER BY created_at DESC, id DESC LIMIT 1")).rows[0]?.auth_method;
const storedPasskey = async (id: string) => (await h.database.client.execute({ sql: "SELECT * FROM passkey WHERE id = ?", args: [id] })).rows[0];
const registrationOptions = async (member: Member, harness: Harness = h) =>
  (await json<PasskeyRegistrationOptions>(
    await harness.request("POST", "/v1/me/passkeys/registration-options", { token: member.accessToken }),
  )) as PublicKeyCredentialCreationOptionsJSON;
const requestOptions = (options: { options: unknown }) => options.options as PublicKeyCredentialRequestOptionsJSON;

describe("registering a passkey", () => {
  test("options name our relying party and the user, ask for a discoverable credential, and exclude passkeys already held", async () => {
    const options = await registrationOptions(ada);
    expect(options.rp).toEqual({ name: "Bazaar", id: "shop.example" });
    expect(options.user.name).toBe("ada@example.com");
    expect(options.user.displayName).toBe("Ada Lovelace");
    expect(Buffer.from(options.user.id, "base64url").toString()).toBe(ada.user.id);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "preferred" });
    expect(options.attestation).toBe("none");
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
    expect(await count(h, "SELECT count(*) FROM auth_challenge WHERE purpose = 'webauthn_register'")).toBe(1);
    const { authenticator } = await addPasskey(h, ada);
    expect((await registrationOptions(ada)).excludeCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
  });

  test("a verified attestation is stored (COSE key, counter, transports, device type) and turns two-factor on with ten recovery codes, once", async () => {
    const authenticator = await SoftwareAuthenticator.create();
    const options = await registrationOptions(ada);
    const response = await h.request("POST", "/v1/me/passkeys", {
      token: ada.accessToken,
      body: { response: await authenticator.register(options), name: "  Ada's laptop  " },
    });
    expect(response.status).toBe(201);
    const registered = await json<{ passkey: PasskeyView; recoveryCodes?: string[] }>(response);
    expect(registered.passkey).toMatchObject({
      id: authenticator.id,
      name: "Ada's laptop",
      deviceType: "singleDevice",
      backedUp: false,
      transports: ["internal", "hybrid"],
      lastUsedAt: null,
    });
    expect(registered.recoveryCodes).toHaveLength(10);
    const row = await storedPasskey(authenticator.id);
    expect(row?.user_id).toBe(ada.user.id);
    expect(String(row?.public_key)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Number(row?.counter)).toBe(0);
    expect(await outboxTwoFactorChanges(h)).toEqual(["passkey:enabled"]);
    expect(await json<TwoFactorStatus>(await h.request("GET", "/v1/me/2fa", { token: ada.accessToken }))).toEqual({
      enabled: true,
      totp: "off",
      passkeys: 1,
      recoveryCodesRemaining: 10,
    });
    // a second passkey brings no new codes: the first ones still stand
    h.clock.advance(1000);
    const second = await addPasskey(h, ada);
    expect(second.registered.recoveryCodes).toBeUndefined();
    const list = await json<PasskeyList>(await h.request("GET", "/v1/me/passkeys", { token: ada.accessToken }));
    expect(list.passkeys.map((p) => p.id)).toEqual([authenticator.id, second.authenticator.id]);
  });

  test("the options are single use: the same attestation twice → the second is refused, one passkey stored", async () => {
    const authenticator = await SoftwareAuthenticator.create();
    const attestation = await authenticator.register(await registrationOptions(ada));
    expect((await h.request("POST", "/v1/me/passkeys", { token: ada.accessToken, body: { response: attestation } })).status).toBe(201);
    const again = await h.request("POST", "/v1/me/passkeys", { token: ada.accessToken, body: { response: attestation } });
    expect(again.status).toBe(422);
    expect((await problem(again)).errors?.[0]?.path).toBe("/response");
    expect(await count(h, "SELECT count(*) FROM passkey")).toBe(1);
  });

  test("refused: another origin (phishing page), another relying party, the wrong ceremony type, options that expired", async () => {
    const authenticator = await SoftwareAuthenticator.create();
    for (const overrides of [{ origin: "https://shop.example.evil" }, { rpId: "evil.example" }, { type: "webauthn.get" }]) {
      const response = await h.request("POST", "/v1/me/passkeys", {
        token: ada.accessToken,
        body: { response: await authenticator.register(await registrationOptions(ada), overrides) },
      });
      expect(response.status, JSON.stringify(overrides)).toBe(422);
      expect((await problem(response)).errors?.[0]?.path).toBe("/response");
    }
    const options = await registrationOptions(ada);
    h.clock.advance(5 * 60_000 + 1);
    const late = await h.request("POST", "/v1/me/passkeys", { token: ada.accessToken, body: { response: await authenticator.register(options) } });
    expect(late.status).toBe(422);
    expect(await count(h, "SELECT count(*) FROM passkey")).toBe(0);
  });

  test("WEBAUTHN_ORIGINS lets the relying party accept more than one origin (an app's), and only those", async () => {
    const multi = await createHarness({ WEBAUTHN_ORIGINS: "https://shop.example,https://m.shop.example" });
    try {
      const member = await multi.register({ verified: true });
      const fromApp = await SoftwareAuthenticator.create({ origin: "https://m.shop.example" });
      await addPasskey(multi, member, fromApp);
      const options = await passkeyOptions(multi);
      const response = await multi.request("POST", "/v1/auth/passkey", {
        body: { challengeToken: options.challengeToken, response: await fromApp.assert(requestOptions(options)) },
      });
      expect(response.status).toBe(200);
      const elsewhere = await SoftwareAuthenticator.create({ origin: "https://other.example" });
      const attempt = await multi.request("POST", "/v1/me/passkeys", {
        token: member.accessToken,
        body: { response: await elsewhere.register(await registrationOptions(member, multi)) },
      });
      expect(attempt.status).toBe(422);
    } finally {
      await multi.destroy();
    }
  });

  test("an attestation made for another user's options is refused", async () => {
    const bob = await h.register({ email: "bob@example.com", verified: true });
    const authenticator = await SoftwareAuthenticator.create();
    const bobsOptions = await registrationOptions(bob);
    const response = await h.request("POST", "/v1/me/passkeys", { token: ada.accessToken, body: { response: await authenticator.register(bobsOptions) } });
    expect(response.status).toBe(422);
    expect(await count(h, "SELECT count(*) FROM passkey")).toBe(0);
  });
});

describe("passwordless sign-in", () => {
  test("options with no mfaToken: any discoverable passkey, user verification required; the assertion signs in as `passkey`", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const options = await passkeyOptions(h);
    expect(options.challengeToken).toMatch(/^ch_/);
    expect(options.options).toMatchObject({ rpId: "shop.example", userVerification: "required", allowCredentials: [] });
    h.clock.advance(60_000);
    const response = await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options)) });
    expect(response.status).toBe(200);
    const tokens = await json<TokenPair>(response);
    expect(tokens.user.id).toBe(ada.user.id);
    expect(await lastAuthMethod()).toBe("passkey");
    const row = await storedPasskey(authenticator.id);
    expect(Number(row?.counter)).toBe(1);
    expect(Number(row?.last_used_at)).toBe(h.clock.now);
  });

  test("a passkey signs in alone even when the account also has an authenticator app (no second step)", async () => {
    await enableTotp(h, ada);
    const { authenticator } = await addPasskey(h, ada);
    const options = await passkeyOptions(h);
    const response = await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options)) });
    expect(await json<TokenPair>(response)).toHaveProperty("accessToken");
  });

  test("without user verification (presence only) → 401: passwordless needs the PIN or biometric", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const options = await passkeyOptions(h);
    const response = await signIn({
      challengeToken: options.challengeToken,
      response: await authenticator.assert(requestOptions(options), { userVerified: false }),
    });
    expect(response.status).toBe(401);
    expect((await problem(response)).errors?.[0]?.path).toBe("/response");
  });

  test("from another origin (a phishing page) → 401, and the challenge is burnt", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const options = await passkeyOptions(h);
    const phished = await signIn({
      challengeToken: options.challengeToken,
      response: await authenticator.assert(requestOptions(options), { origin: "https://shop-example.com" }),
    });
    expect(phished.status).toBe(401);
    const retried = await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options)) });
    expect(retried.status).toBe(401);
    expect((await problem(retried)).errors?.[0]?.path).toBe("/challengeToken");
    expect(Number((await storedPasskey(authenticator.id))?.counter)).toBe(0);
  });

  test("a replayed assertion → 401: the challenge answered once", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const options = await passkeyOptions(h);
    const assertion = await authenticator.assert(requestOptions(options));
    expect((await signIn({ challengeToken: options.challengeToken, response: assertion })).status).toBe(200);
    const sessions = await count(h, "SELECT count(*) FROM session");
    expect((await signIn({ challengeToken: options.challengeToken, response: assertion })).status).toBe(401);
    expect(await count(h, "SELECT count(*) FROM session")).toBe(sessions);
  });

  test("10 concurrent presentations of one assertion: exactly one session", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const options = await passkeyOptions(h);
    const assertion = await authenticator.assert(requestOptions(options));
    const sessions = await count(h, "SELECT count(*) FROM session");
    const responses = await Promise.all(Array.from({ length: 10 }, () => signIn({ challengeToken: options.challengeToken, response: assertion })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await count(h, "SELECT count(*) FROM session")).toBe(sessions + 1);
  });

  test("a counter that does not advance (a cloned authenticator) → 401; the stored counter stays", async () => {
    const { authenticator } = await addPasskey(h, ada);
    for (let i = 0; i < 3; i++) {
      const options = await passkeyOptions(h);
      expect((await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options)) })).status).toBe(200);
    }
    expect(Number((await storedPasskey(authenticator.id))?.counter)).toBe(3);
    for (const counter of [3, 2, 0]) {
      const options = await passkeyOptions(h);
      const response = await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options), { counter }) });
      expect(response.status, `counter ${counter}`).toBe(401);
      expect((await problem(response)).errors).toEqual([{ path: "/response", message: "repeats a signature counter already seen" }]);
    }
    expect(Number((await storedPasskey(authenticator.id))?.counter)).toBe(3);
    const options = await passkeyOptions(h);
    expect(
      (await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options), { counter: 10 }) })).status,
    ).toBe(200);
  });

  test("an authenticator that keeps no counter (always 0) signs in again and again", async () => {
    const { authenticator } = await addPasskey(h, ada);
    for (let i = 0; i < 2; i++) {
      const options = await passkeyOptions(h);
      const response = await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options), { counter: 0 }) });
      expect(response.status).toBe(200);
    }
  });

  test("an unknown passkey, or a user handle that is not the passkey's owner → 401", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const stranger = await SoftwareAuthenticator.create();
    stranger.userHandle = authenticator.userHandle;
    let options = await passkeyOptions(h);
    expect((await signIn({ challengeToken: options.challengeToken, response: await stranger.assert(requestOptions(options)) })).status).toBe(401);
    const bob = await h.register({ email: "bob@example.com", verified: true });
    authenticator.userHandle = Buffer.from(bob.user.id).toString("base64url");
    options = await passkeyOptions(h);
    const response = await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options)) });
    expect(response.status).toBe(401);
    expect((await problem(response)).errors?.[0]?.path).toBe("/response/response/userHandle");
  });

  test("an mfaToken sent only with the assertion, not with the options → 422", async () => {
    await enableTotp(h, ada);
    const { authenticator } = await addPasskey(h, ada);
    const challenge = await passwordStep(h, ada);
    const options = await passkeyOptions(h);
    const response = await signIn({
      challengeToken: options.challengeToken,
      response: await authenticator.assert(requestOptions(options)),
      mfaToken: challenge.mfaToken,
    });
    expect(response.status).toBe(422);
    expect((await problem(response)).errors?.[0]?.path).toBe("/mfaToken");
  });

  test("passwordless options are counted per address (100 per 15 minutes → 429); a successful sign-in gives its attempt back", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const options = await passkeyOptions(h);
    expect((await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options)) })).status).toBe(200);
    for (let i = 0; i < 100; i++) expect((await h.request("POST", "/v1/auth/passkey/options", { body: {} })).status).toBe(200);
    const refused = await h.request("POST", "/v1/auth/passkey/options", { body: {} });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("the options request takes no body at all, or an empty object", async () => {
    expect((await h.request("POST", "/v1/auth/passkey/options")).status).toBe(200);
    expect((await h.request("POST", "/v1/auth/passkey/options", { body: {} })).status).toBe(200);
  });
});

describe("a passkey as the second step after a password", () => {
  test("login → mfaToken (methods list passkey) → options for that user's passkeys (UV preferred) → assertion → password+passkey", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const challenge = await passwordStep(h, ada);
    expect(challenge.methods).toEqual(["passkey", "recovery_code"]);
    const options = await passkeyOptions(h, challenge.mfaToken);
    expect(options.options).toMatchObject({ userVerification: "preferred" });
    expect(options.options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    // presence alone is enough here: the password was the other factor
    const assertion = await authenticator.assert(requestOptions(options), { userVerified: false });
    const response = await signIn({ challengeToken: options.challengeToken, response: assertion, mfaToken: challenge.mfaToken });
    expect(response.status).toBe(200);
    expect(await lastAuthMethod()).toBe("password+passkey");
    // the mfaToken is spent
    expect((await h.request("POST", "/v1/auth/passkey/options", { body: { mfaToken: challenge.mfaToken } })).status).toBe(401);
  });

  test("options made for a second step never sign in on their own (no mfaToken → 422)", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const challenge = await passwordStep(h, ada);
    const options = await passkeyOptions(h, challenge.mfaToken);
    const response = await signIn({ challengeToken: options.challengeToken, response: await authenticator.assert(requestOptions(options)) });
    expect(response.status).toBe(422);
    expect((await problem(response)).errors?.[0]?.path).toBe("/mfaToken");
  });

  test("BOLA: B's mfaToken cannot be finished with A's passkey, nor A's with B's options", async () => {
    const { authenticator: adasKey } = await addPasskey(h, ada);
    const bob = await h.register({ email: "bob@example.com", verified: true });
    const { authenticator: bobsKey } = await addPasskey(h, bob);
    const sessions = await count(h, "SELECT count(*) FROM session");
    const adas = await passwordStep(h, ada);
    const bobs = await passwordStep(h, bob);

    // Bob's sign-in asks for Bob's passkeys; Ada's passkey (allowCredentials aside) is refused
    const forBob = await passkeyOptions(h, bobs.mfaToken);
    const adaForBob = await adasKey.assert({ ...requestOptions(forBob), allowCredentials: [] });
    const refused = await signIn({ challengeToken: forBob.challengeToken, response: adaForBob, mfaToken: bobs.mfaToken });
    expect(refused.status).toBe(401);
    expect((await problem(refused)).errors?.[0]?.path).toBe("/response/id");

    // options made for Ada's sign-in, presented with Bob's mfaToken
    const forAda = await passkeyOptions(h, adas.mfaToken);
    const crossed = await signIn({ challengeToken: forAda.challengeToken, response: await adasKey.assert(requestOptions(forAda)), mfaToken: bobs.mfaToken });
    expect(crossed.status).toBe(401);
    expect((await problem(crossed)).errors?.[0]?.path).toBe("/mfaToken");
    expect(await count(h, "SELECT count(*) FROM session")).toBe(sessions);

    // each still finishes their own
    const forBobAgain = await passkeyOptions(h, bobs.mfaToken);
    const bobSignsIn = await signIn({
      challengeToken: forBobAgain.challengeToken,
      response: await bobsKey.assert(requestOptions(forBobAgain)),
      mfaToken: bobs.mfaToken,
    });
    expect(bobSignsIn.status).toBe(200);
    expect((await json<TokenPair>(bobSignsIn)).user.id).toBe(bob.user.id);
  });

  test("an account with only an authenticator app has no passkey to ask for → 409", async () => {
    await enableTotp(h, ada);
    const challenge = await passwordStep(h, ada);
    expect((await h.request("POST", "/v1/auth/passkey/options", { body: { mfaToken: challenge.mfaToken } })).status).toBe(409);
  });

  test("with both factors, the code still works as the second step", async () => {
    const { secret } = await enableTotp(h, ada);
    await addPasskey(h, ada);
    const challenge = await passwordStep(h, ada);
    expect(challenge.methods).toEqual(["totp", "passkey", "recovery_code"]);
    expect((await finishWithCode(h, challenge.mfaToken, { code: codeFor(h, secret) })).status).toBe(200);
  });
});

describe("managing passkeys", () => {
  test("an account holds at most 20 passkeys: asking for a 21st's options → 409", async () => {
    for (let i = 0; i < 20; i++) {
      await h.database.client.execute({
        sql: "INSERT INTO passkey (id, user_id, public_key, counter, name, created_at) VALUES (?, ?, 'pk', 0, 'key', ?)",
        args: [`key${i}`, ada.user.id, h.clock.now],
      });
    }
    const response = await h.request("POST", "/v1/me/passkeys/registration-options", { token: ada.accessToken });
    expect(response.status).toBe(409);
  });

  test("rename: trimmed, stored verbatim (hostile text is data), blank or oversized → 422 naming /name", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const path = `/v1/me/passkeys/${authenticator.id}`;
    const hostile = "<img src=x onerror=alert(1)> '; DROP TABLE passkey;--";
    const renamed = await h.request("PATCH", path, { token: ada.accessToken, body: { name: hostile } });
    expect(renamed.status).toBe(200);
    expect((await json<PasskeyView>(renamed)).name).toBe(hostile);
    for (const name of ["", "   ", "x".repeat(65), "tab\there", "nul\u0000"]) {
      const response = await h.request("PATCH", path, { token: ada.accessToken, body: { name } });
      expect(response.status, JSON.stringify(name)).toBe(422);
      expect((await problem(response)).errors?.[0]?.path).toBe("/name");
    }
    expect(String((await storedPasskey(authenticator.id))?.name)).toBe(hostile);
  });

  test("BOLA: B cannot rename or delete A's passkey (404, as if it did not exist); A's passkey is untouched", async () => {
    const { authenticator } = await addPasskey(h, ada, undefined, "Ada's key");
    const bob = await h.register({ email: "bob@example.com", verified: true });
    const path = `/v1/me/passkeys/${authenticator.id}`;
    const rename = await h.request("PATCH", path, { token: bob.accessToken, body: { name: "mine now" } });
    expect(rename.status).toBe(404);
    const remove = await h.request("DELETE", path, { token: bob.accessToken });
    expect(remove.status).toBe(404);
    const missing = await h.request("DELETE", "/v1/me/passkeys/doesNotExist", { token: bob.accessToken });
    const unknown = (await problem(missing)).detail;
    expect([(await problem(rename)).detail, (await problem(remove)).detail]).toEqual([unknown, unknown]);
    expect(String((await storedPasskey(authenticator.id))?.name)).toBe("Ada's key");
    expect((await json<PasskeyList>(await h.request("GET", "/v1/me/passkeys", { token: bob.accessToken }))).passkeys).toEqual([]);
  });

  test("deleting the last passkey turns two-factor off and takes the recovery codes with it; the password signs in alone", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const response = await h.request("DELETE", `/v1/me/passkeys/${authenticator.id}`, { token: ada.accessToken });
    expect(response.status).toBe(204);
    expect(await count(h, "SELECT count(*) FROM passkey")).toBe(0);
    expect(await count(h, "SELECT count(*) FROM recovery_code")).toBe(0);
    expect(await outboxTwoFactorChanges(h)).toEqual(["passkey:enabled", "passkey:disabled", "recovery_codes:disabled"]);
    const login = await h.request("POST", "/v1/auth/login", { body: { email: ada.user.email, password: ada.password } });
    expect(await json<TokenPair>(login)).toHaveProperty("accessToken");
  });

  test("turning the app off keeps the recovery codes while a passkey remains", async () => {
    const { secret } = await enableTotp(h, ada);
    await addPasskey(h, ada);
    expect((await h.request("DELETE", "/v1/me/2fa/totp", { token: ada.accessToken, body: { code: codeFor(h, secret) } })).status).toBe(204);
    expect(await count(h, "SELECT count(*) FROM recovery_code")).toBe(10);
    expect((await passwordStep(h, ada)).methods).toEqual(["passkey", "recovery_code"]);
  });
});

describe("hostile passkey input: a 4xx problem naming the field, never a 500", () => {
  test("registration bodies", async () => {
    const authenticator = await SoftwareAuthenticator.create();
    const good = await authenticator.register(await registrationOptions(ada));
    const cases: [string, unknown, string][] = [
      ["no response", {}, "/response"],
      [
        "clientDataJSON that is not base64url",
        { response: { ...good, response: { ...good.response, clientDataJSON: "not base64!" } } },
        "/response/response/clientDataJSON",
      ],
      ["clientDataJSON that is not JSON", { response: { ...good, response: { ...good.response, clientDataJSON: "bm90IGpzb24" } } }, "/response"],
      ["an attestation that is not CBOR", { response: { ...good, response: { ...good.response, attestationObject: "AAAA" } } }, "/response"],
      [
        "a huge attestation",
        { response: { ...good, response: { ...good.response, attestationObject: "A".repeat(70_000) } } },
        "/response/response/attestationObject",
      ],
      ["a wrong type", { response: { ...good, type: "password" } }, "/response/type"],
      ["an unknown member", { response: { ...good, isAdmin: true } }, "/response/isAdmin"],
      ["an id that differs from rawId", { response: { ...good, id: "AAAA" } }, "/response"],
      ["a name with a NUL", { response: good, name: "a\u0000b" }, "/name"],
    ];
    for (const [name, body, path] of cases) {
      const response = await h.request("POST", "/v1/me/passkeys", { token: ada.accessToken, body });
      expect(response.status, name).toBe(422);
      expect(
        (await problem(response)).errors?.map((e) => e.path),
        name,
      ).toContain(path);
    }
    expect(await count(h, "SELECT count(*) FROM passkey")).toBe(0);
  });

  test("sign-in bodies", async () => {
    const { authenticator } = await addPasskey(h, ada);
    const options = await passkeyOptions(h);
    const good = await authenticator.assert(requestOptions(options));
    const { challengeToken } = options;
    const cases: [string, unknown, number, string][] = [
      ["a made-up challengeToken", { challengeToken: `ch_${"B".repeat(43)}`, response: good }, 401, "/challengeToken"],
      ["an injected challengeToken", { challengeToken: "ch_' OR '1'='1", response: good }, 422, "/challengeToken"],
      [
        "a signature that is not base64url",
        { challengeToken, response: { ...good, response: { ...good.response, signature: "%%%" } } },
        422,
        "/response/response/signature",
      ],
      [
        "an oversized user handle",
        { challengeToken, response: { ...good, response: { ...good.response, userHandle: "A".repeat(200) } } },
        422,
        "/response/response/userHandle",
      ],
      ["an id with a path in it", { challengeToken, response: { ...good, id: "../../etc/passwd", rawId: "../../etc/passwd" } }, 422, "/response/id"],
      ["a malformed mfaToken", { challengeToken, response: good, mfaToken: "x" }, 422, "/mfaToken"],
    ];
    for (const [name, body, status, path] of cases) {
      const response = await signIn(body);
      expect(response.status, name).toBe(status);
      expect(
        (await problem(response)).errors?.map((e) => e.path),
        name,
      ).toContain(path);
    }
    // authenticatorData that is not what was signed, then garbage: 401, never 500
    const fresh = await passkeyOptions(h);
    const forged = await authenticator.assert(requestOptions(fresh));
    const tampered = await signIn({
      challengeToken: fresh.challengeToken,
      response: { ...forged, response: { ...forged.response, authenticatorData: "AAAA" } },
    });
    expect(tampered.status).toBe(401);
    const another = await passkeyOptions(h);
    const swapped = await authenticator.assert(requestOptions(another));
    const badSignature = await signIn({
      challengeToken: another.challengeToken,
      response: { ...swapped, response: { ...swapped.response, signature: "MEQCIA" } },
    });
    expect(badSignature.status).toBe(401);
  });

  test("path ids: oversized or with odd characters → 422 naming /id", async () => {
    for (const id of ["x".repeat(1400), "a%20b", "a.b"]) {
      const response = await h.request("DELETE", `/v1/me/passkeys/${id}`, { token: ada.accessToken });
      expect(response.status, id.slice(0, 10)).toBe(422);
      expect((await problem(response)).errors?.[0]?.path).toBe("/id");
    }
  });
});
