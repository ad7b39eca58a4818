import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { MfaChallenge, OAuthAuthorization, OAuthIdentityList, OAuthIdentityView, OAuthProviderList, Problem, TokenPair } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { callback, dance, oidcEnv, REDIRECT_URI, TEST_CLIENT } from "./testing/flow.ts";
import { startOpenIdProvider, type TestAccount, type TestOpenIdProvider } from "./testing/openid-provider.ts";

// Two real OpenID Providers: `local` puts email claims only in userinfo (oidc-provider's default),
// `corp` puts them in the ID token too — the two ways providers hand over the email.
const PEOPLE: Record<string, TestAccount> = {
  alice: { email: "alice@example.com", email_verified: true, name: "Alice Liddell" },
  bob: { email: "bob@example.com", email_verified: false, name: "Bob" },
  carol: { email: "Carol@Example.com", email_verified: true, name: "Carol" },
  dave: { email: "dave@elsewhere.example", email_verified: true, name: "Dave" },
};
let local: TestOpenIdProvider;
let corp: TestOpenIdProvider;
beforeAll(async () => {
  local = await startOpenIdProvider({ clients: [TEST_CLIENT], accounts: PEOPLE });
  corp = await startOpenIdProvider({ clients: [TEST_CLIENT], accounts: PEOPLE, idTokenClaims: true });
});
afterAll(async () => {
  await local.stop();
  await corp.stop();
});

let h: Harness;
beforeEach(async () => {
  h = await createHarness(oidcEnv({ local: local.issuer, corp: corp.issuer }));
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const rows = async (sql: string, ...args: (string | number)[]) => (await h.database.client.execute({ sql, args })).rows;
const count = async (table: string) => Number((await rows(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

async function signIn(provider: string, login: string): Promise<Response> {
  const { returned } = await dance(h, provider, login);
  return callback(h, provider, returned);
}

describe("providers and authorize", () => {
  test("the configured providers are listed by name and kind", async () => {
    const response = await h.request("GET", "/v1/auth/oauth/providers");
    expect(response.status).toBe(200);
    expect(await json<OAuthProviderList>(response)).toEqual({
      providers: [
        { name: "local", kind: "oidc" },
        { name: "corp", kind: "oidc" },
      ],
    });
  });

  test("authorize points at the discovered endpoint with PKCE S256, state and nonce, and stores only the state's hash", async () => {
    const response = await h.request("GET", `/v1/auth/oauth/local/authorize?redirectUri=${encodeURIComponent(REDIRECT_URI)}`);
    expect(response.status).toBe(200);
    const body = await json<OAuthAuthorization>(response);
    expect(body.expiresIn).toBe(600);
    const url = new URL(body.authorizationUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${local.issuer}/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: "code",
      client_id: TEST_CLIENT.client_id,
      redirect_uri: REDIRECT_URI,
      scope: "openid email profile",
      state: body.state,
      code_challenge_method: "S256",
    });
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("nonce")?.length).toBeGreaterThanOrEqual(43);
    const [challenge] = await rows("SELECT id_hash, purpose, user_id, data, expires_at - created_at AS ttl FROM auth_challenge");
    expect(challenge).toMatchObject({ purpose: "oauth", user_id: null, ttl: 600_000 });
    expect(String(challenge?.id_hash)).not.toContain(body.state);
    const data = JSON.parse(String(challenge?.data));
    expect(data).toMatchObject({ provider: "local", intent: "sign_in", redirectUri: REDIRECT_URI, nonce: url.searchParams.get("nonce") });
    // the verifier never leaves: only its S256 hash is in the URL
    expect(body.authorizationUrl).not.toContain(data.codeVerifier);
    const hash = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(data.codeVerifier))).toString("base64url");
    expect(url.searchParams.get("code_challenge")).toBe(hash);
  });
});

describe("signing in", () => {
  test("a first sign-in creates a verified, passwordless account, links the identity and signs in", async () => {
    local.requests.length = 0;
    const response = await signIn("local", "alice");
    // code exchanged at the token endpoint; the ID token's signature checked against the JWKS; the email read from userinfo
    expect(local.requests).toEqual(expect.arrayContaining(["POST /token", "GET /jwks", "GET /me"]));
    expect(response.status).toBe(200);
    const tokens = await json<TokenPair>(response);
    expect(tokens.user).toMatchObject({ email: "alice@example.com", name: "Alice Liddell", emailVerified: true, roles: ["buyer"] });
    expect(tokens.refreshToken).toMatch(/^rt_/);
    const me = await h.request("GET", "/v1/me", { token: tokens.accessToken });
    expect((await json<{ id: string }>(me)).id).toBe(tokens.user.id);
    expect(await rows("SELECT provider, subject, user_id, email FROM oauth_identity")).toEqual([
      { provider: "local", subject: "alice", user_id: tokens.user.id, email: "alice@example.com" } as never,
    ]);
    expect((await rows("SELECT password_hash FROM user"))[0]?.password_hash).toBe("");
    expect((await rows("SELECT auth_method FROM session"))[0]?.auth_method).toBe("oauth:local");
    expect((await rows("SELECT type FROM outbox_event ORDER BY id")).map((r) => r.type)).toEqual([
      "user.registered",
      "user.logged_in",
      "user.new_device_login",
    ]);
    // the provider verified the address: no verification link is owed, and none is mailed
    expect(await count("account_token")).toBe(0);
    await h.deliverEvents();
    expect(await h.mailTo("alice@example.com")).toHaveLength(0);
  });

  test("the email may come in the ID token instead of userinfo (and is stored canonical)", async () => {
    corp.requests.length = 0;
    const response = await signIn("corp", "carol");
    expect(response.status).toBe(200);
    expect(corp.requests).toContain("POST /token");
    expect(corp.requests).not.toContain("GET /me");
    expect((await json<TokenPair>(response)).user).toMatchObject({ email: "carol@example.com", emailVerified: true });
  });

  test("a returning user signs in to the same account; the identity records the use", async () => {
    const first = await json<TokenPair>(await signIn("local", "alice"));
    h.clock.advance(60_000);
    const second = await json<TokenPair>(await signIn("local", "alice"));
    expect(second.user.id).toBe(first.user.id);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(await count("user")).toBe(1);
    expect(await count("session")).toBe(2);
    expect(Number((await rows("SELECT last_used_at - created_at AS since FROM oauth_identity"))[0]?.since)).toBe(60_000);
  });

  test("the subject, not the email, is who someone is: a changed email at the provider still reaches the account", async () => {
    const first = await json<TokenPair>(await signIn("local", "alice"));
    local.accounts.set("alice", { email: "alice.new@example.com", email_verified: true, name: "Alice" });
    try {
      const again = await json<TokenPair>(await signIn("local", "alice"));
      expect(again.user.id).toBe(first.user.id);
      expect((await rows("SELECT email FROM oauth_identity"))[0]?.email).toBe("alice.new@example.com");
    } finally {
      local.accounts.set("alice", PEOPLE.alice as TestAccount);
    }
  });

  test("an unverified email at the provider makes an unverified account, with our verification link owed", async () => {
    const response = await signIn("local", "bob");
    expect(response.status).toBe(200);
    const tokens = await json<TokenPair>(response);
    expect(tokens.user).toMatchObject({ email: "bob@example.com", emailVerified: false });
    expect(await rows("SELECT purpose, email FROM account_token")).toEqual([{ purpose: "verify_email", email: "bob@example.com" } as never]);
    await h.deliverEvents();
    expect((await h.mailTo("bob@example.com")).map((m) => m.subject)).toEqual(["Confirm your email address"]);
  });
});

describe("an existing account with the same email", () => {
  async function confirmedAccount(email: string) {
    const account = await h.register({ email });
    await h.database.client.execute({ sql: "UPDATE user SET email_verified_at = ? WHERE id = ?", args: [h.clock.now, account.user.id] });
    return account;
  }

  test("is linked when the provider verified the email and the account confirmed it: same user, password still works", async () => {
    const account = await confirmedAccount("alice@example.com");
    const response = await signIn("local", "alice");
    expect(response.status).toBe(200);
    expect((await json<TokenPair>(response)).user.id).toBe(account.user.id);
    expect(await count("user")).toBe(1);
    expect((await rows("SELECT user_id FROM oauth_identity"))[0]?.user_id).toBe(account.user.id);
    const login = await h.request("POST", "/v1/auth/login", { body: { email: "alice@example.com", password: account.password } });
    expect(login.status).toBe(200);
  });

  test("is refused (409) when the provider does not say the email is verified: nothing linked, nobody signed in", async () => {
    await confirmedAccount("bob@example.com");
    const sessionsBefore = await count("session");
    const response = await signIn("local", "bob");
    expect(response.status).toBe(409);
    const problem = await json<Problem>(response);
    expect(problem.code).toBe("CONFLICT");
    expect(problem.detail).toContain("Sign in with your password, then link local from your account settings");
    expect(await count("oauth_identity")).toBe(0);
    expect(await count("session")).toBe(sessionsBefore);
  });

  test("is refused (409) when the account never confirmed its address (someone may have registered it first)", async () => {
    await h.register({ email: "alice@example.com" });
    const response = await signIn("local", "alice");
    expect(response.status).toBe(409);
    expect((await json<Problem>(response)).detail).toContain("never confirmed");
    expect(await count("oauth_identity")).toBe(0);
  });

  test("a suspended account stays refused, and nothing is linked to it", async () => {
    const account = await confirmedAccount("alice@example.com");
    await h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [account.user.id] });
    const response = await signIn("local", "alice");
    expect(response.status).toBe(403);
    expect((await json<Problem>(response)).code).toBe("ACCOUNT_DISABLED");
    expect(await count("oauth_identity")).toBe(0);
  });

  test("a suspended account already linked is refused too", async () => {
    const first = await json<TokenPair>(await signIn("local", "alice"));
    await h.database.client.execute({ sql: "UPDATE user SET status = 'suspended' WHERE id = ?", args: [first.user.id] });
    expect((await signIn("local", "alice")).status).toBe(403);
  });
});

describe("two-factor", () => {
  test("a user with a confirmed TOTP factor gets an MFA challenge, not tokens", async () => {
    const first = await json<TokenPair>(await signIn("local", "alice"));
    await h.database.client.execute({
      sql: "INSERT INTO totp_factor (user_id, secret_encrypted, confirmed_at, created_at) VALUES (?, 'x', ?, ?)",
      args: [first.user.id, h.clock.now, h.clock.now],
    });
    const sessionsBefore = await count("session");
    const response = await signIn("local", "alice");
    expect(response.status).toBe(200);
    const body = await json<MfaChallenge & { accessToken?: string }>(response);
    expect(body).toMatchObject({ mfaRequired: true, methods: ["totp"] });
    expect(body.mfaToken).toMatch(/^ch_/);
    expect(body.accessToken).toBeUndefined();
    expect(await count("session")).toBe(sessionsBefore);
    const [mfa] = await rows("SELECT user_id, data FROM auth_challenge WHERE purpose = 'mfa_login'");
    expect(mfa?.user_id).toBe(first.user.id);
    expect(JSON.parse(String(mfa?.data))).toEqual({ method: "oauth:local" });
  });

  test("an existing account with two-factor on is not linked by a verified email alone (409, nothing linked)", async () => {
    const account = await h.register({ email: "alice@example.com", verified: true });
    await h.database.client.execute({
      sql: "INSERT INTO totp_factor (user_id, secret_encrypted, confirmed_at, created_at) VALUES (?, 'x', ?, ?)",
      args: [account.user.id, h.clock.now, h.clock.now],
    });
    const response = await signIn("local", "alice");
    expect(response.status).toBe(409);
    expect(await count("oauth_identity")).toBe(0);
  });
});

describe("linking from settings", () => {
  test("a signed-in user links a provider account with another email; it then signs in to them", async () => {
    const account = await h.register({ email: "dave.work@example.com", verified: true });
    const { started, returned } = await dance(h, "local", "dave", account.accessToken);
    const stored = await rows("SELECT user_id, data FROM auth_challenge WHERE purpose = 'oauth'");
    expect(stored[0]?.user_id).toBe(account.user.id);
    expect(JSON.parse(String(stored[0]?.data)).intent).toBe("link");
    expect(returned.state).toBe(started.state);
    const linked = await callback(h, "local", returned, account.accessToken);
    expect(linked.status).toBe(200);
    expect(await json<OAuthIdentityView>(linked)).toMatchObject({ provider: "local", email: "dave@elsewhere.example" });
    const list = await json<OAuthIdentityList>(await h.request("GET", "/v1/me/oauth", { token: account.accessToken }));
    expect(list.identities.map((i) => i.provider)).toEqual(["local"]);
    const signedIn = await json<TokenPair>(await signIn("local", "dave"));
    expect(signedIn.user.id).toBe(account.user.id);
    expect(signedIn.user.email).toBe("dave.work@example.com");
  });

  test("a provider account linked to someone else cannot be linked again (409)", async () => {
    await signIn("local", "alice");
    const other = await h.register({ verified: true });
    const { returned } = await dance(h, "local", "alice", other.accessToken);
    const response = await callback(h, "local", returned, other.accessToken);
    expect(response.status).toBe(409);
    expect((await json<Problem>(response)).detail).toContain("already linked to another Bazaar account");
  });

  test("one identity per provider: linking a second account at the same provider is refused until the first is unlinked", async () => {
    const account = await h.register({ verified: true });
    expect((await callback(h, "local", (await dance(h, "local", "dave", account.accessToken)).returned, account.accessToken)).status).toBe(200);
    const second = await callback(h, "local", (await dance(h, "local", "carol", account.accessToken)).returned, account.accessToken);
    expect(second.status).toBe(409);
    expect((await h.request("DELETE", "/v1/me/oauth/local", { token: account.accessToken })).status).toBe(204);
    expect((await callback(h, "local", (await dance(h, "local", "carol", account.accessToken)).returned, account.accessToken)).status).toBe(200);
  });

  test("linking the identity the user already has is a no-op", async () => {
    const account = await h.register({ verified: true });
    for (let i = 0; i < 2; i++) {
      expect((await callback(h, "local", (await dance(h, "local", "dave", account.accessToken)).returned, account.accessToken)).status).toBe(200);
    }
    expect(await count("oauth_identity")).toBe(1);
  });
});

describe("unlinking", () => {
  test("the only way into a passwordless account cannot be unlinked; with a second identity it can, down to the last", async () => {
    const tokens = await json<TokenPair>(await signIn("local", "alice"));
    const refused = await h.request("DELETE", "/v1/me/oauth/local", { token: tokens.accessToken });
    expect(refused.status).toBe(409);
    expect((await json<Problem>(refused)).detail).toContain("only way to sign in");
    expect((await callback(h, "corp", (await dance(h, "corp", "alice", tokens.accessToken)).returned, tokens.accessToken)).status).toBe(200);
    expect((await h.request("DELETE", "/v1/me/oauth/local", { token: tokens.accessToken })).status).toBe(204);
    expect((await h.request("DELETE", "/v1/me/oauth/corp", { token: tokens.accessToken })).status).toBe(409);
    expect((await rows("SELECT provider FROM oauth_identity")).map((r) => r.provider)).toEqual(["corp"]);
  });

  test("an account with a password, or with a passkey, can unlink its only identity", async () => {
    const withPassword = await h.register({ verified: true });
    await callback(h, "local", (await dance(h, "local", "dave", withPassword.accessToken)).returned, withPassword.accessToken);
    expect((await h.request("DELETE", "/v1/me/oauth/local", { token: withPassword.accessToken })).status).toBe(204);

    const passwordless = await json<TokenPair>(await signIn("local", "alice"));
    await h.database.client.execute({
      sql: "INSERT INTO passkey (id, user_id, public_key, counter, name, created_at) VALUES ('cred-1', ?, 'pk', 0, 'Laptop', ?)",
      args: [passwordless.user.id, h.clock.now],
    });
    expect((await h.request("DELETE", "/v1/me/oauth/local", { token: passwordless.accessToken })).status).toBe(204);
    expect(await count("oauth_identity")).toBe(0);
  });

  test("unlinking a provider the account is not linked to → 404", async () => {
    const account = await h.register({ verified: true });
    const response = await h.request("DELETE", "/v1/me/oauth/local", { token: account.accessToken });
    expect(response.status).toBe(404);
  });

  test("concurrent unlinks of a passwordless account's two identities leave it one", async () => {
    const tokens = await json<TokenPair>(await signIn("local", "alice"));
    await callback(h, "corp", (await dance(h, "corp", "alice", tokens.accessToken)).returned, tokens.accessToken);
    const responses = await Promise.all(["local", "corp"].map((p) => h.request("DELETE", `/v1/me/oauth/${p}`, { token: tokens.accessToken })));
    expect(responses.map((r) => r.status).sort()).toEqual([204, 409]);
    expect(await count("oauth_identity")).toBe(1);
  });
});
