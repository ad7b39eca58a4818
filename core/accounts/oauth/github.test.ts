import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { OAuthAuthorization, Problem, TokenPair } from "@bazaar/contracts";
import * as client from "openid-client";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { GitHubProvider } from "./github.ts";
import { type AuthorizationRequest, OAuthProviderError } from "./provider.ts";
import { appWithProviders } from "./testing/app-with-providers.ts";
import { FakeGitHub } from "./testing/fake-providers.ts";
import { REDIRECT_URI } from "./testing/flow.ts";

const github = new FakeGitHub({
  octocat: {
    user: { id: 583231, login: "octocat", name: "The Octocat", email: "octocat@github.com" },
    emails: [
      { email: "octocat@github.com", primary: true, verified: true, visibility: "public" },
      { email: "octo@old.example", primary: false, verified: false, visibility: null },
    ],
  },
  unverified: {
    user: { id: 42, login: "newbie", name: null, email: null },
    emails: [
      { email: "newbie@example.com", primary: true, verified: false, visibility: "private" },
      { email: "newbie@verified.example", primary: false, verified: true, visibility: null },
    ],
  },
  silent: { user: { id: 7, login: "silent", name: "  ", email: "public@example.com" }, emails: [] },
});
afterAll(() => github.stop());

const adapter = (secret = github.clientSecret) =>
  new GitHubProvider(
    { name: "github", clientId: github.clientId, clientSecret: secret },
    { endpoints: { authorization: `${github.base}/login/oauth/authorize`, token: `${github.base}/login/oauth/access_token`, api: github.base } },
  );

function attempt(): AuthorizationRequest {
  return { state: `ch_${crypto.randomUUID()}`, codeVerifier: client.randomPKCECodeVerifier(), nonce: client.randomNonce(), redirectUri: REDIRECT_URI };
}

/** Authorization URL → the person approves at (fake) GitHub → the code the redirect would carry. */
async function approved(provider: GitHubProvider, request: AuthorizationRequest, person: string) {
  return { code: github.approve(await provider.authorizationUrl(request), person) };
}

describe("GitHub adapter, against GitHub's wire format", () => {
  test("the authorization URL: client, redirect, scopes for the emails, state and PKCE S256 (no nonce: not OpenID)", async () => {
    const request = attempt();
    const url = await adapter().authorizationUrl(request);
    expect(`${url.origin}${url.pathname}`).toBe(`${github.base}/login/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: github.clientId,
      redirect_uri: REDIRECT_URI,
      scope: "read:user user:email",
      state: request.state,
      code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: "S256",
    });
  });

  test("the verified primary email, the numeric id as subject; token request and API calls as GitHub expects them", async () => {
    const provider = adapter();
    const request = attempt();
    github.seen.length = 0;
    const profile = await provider.profile(await approved(provider, request, "octocat"), request);
    expect(profile).toEqual({ subject: "583231", email: "octocat@github.com", emailVerified: true, name: "The Octocat" });
    const [token, ...api] = github.seen;
    expect(token?.path).toBe("/login/oauth/access_token");
    expect(token?.headers.get("accept")).toContain("application/json");
    expect(Object.fromEntries(token?.form ?? [])).toMatchObject({
      grant_type: "authorization_code",
      redirect_uri: REDIRECT_URI,
      code_verifier: request.codeVerifier,
      client_id: github.clientId,
      client_secret: github.clientSecret,
    });
    expect(api.map((s) => s.path).sort()).toEqual(["/user", "/user/emails"]);
    for (const call of api) {
      expect(call.headers.get("authorization")).toMatch(/^Bearer gho_/);
      expect(call.headers.get("accept")).toBe("application/vnd.github+json");
      expect(call.headers.get("x-github-api-version")).toBe("2022-11-28");
      expect(call.headers.get("user-agent")).toBeTruthy();
    }
  });

  test("an unverified primary email is reported unverified, even when another address is verified", async () => {
    const provider = adapter();
    const request = attempt();
    const profile = await provider.profile(await approved(provider, request, "unverified"), request);
    expect(profile).toEqual({ subject: "42", email: "newbie@example.com", emailVerified: false, name: "newbie" });
  });

  test("no emails listed: the public profile email, unverified; a blank name falls back to the login", async () => {
    const provider = adapter();
    const request = attempt();
    const profile = await provider.profile(await approved(provider, request, "silent"), request);
    expect(profile).toEqual({ subject: "7", email: "public@example.com", emailVerified: false, name: "silent" });
  });

  test("a wrong PKCE verifier: GitHub's 200 `bad_verification_code` is a rejected code", async () => {
    const provider = adapter();
    const request = attempt();
    const code = await approved(provider, request, "octocat");
    const error = await provider.profile(code, { ...request, codeVerifier: client.randomPKCECodeVerifier() }).catch((e) => e);
    expect(error).toBeInstanceOf(OAuthProviderError);
    expect(error.kind).toBe("rejected");
  });

  test("wrong client credentials are ours to fix, not the user's: unavailable", async () => {
    const provider = adapter("not-the-secret");
    const request = attempt();
    const error = await provider.profile(await approved(provider, request, "octocat"), request).catch((e) => e);
    expect(error.kind).toBe("unavailable");
  });

  test("a failing API: unavailable", async () => {
    const provider = adapter();
    const request = attempt();
    github.failUser = true;
    try {
      const error = await provider.profile(await approved(provider, request, "octocat"), request).catch((e) => e);
      expect(error.kind).toBe("unavailable");
    } finally {
      github.failUser = false;
    }
  });

  test("endpoints must be https (plain http only on this machine)", () => {
    expect(() => new GitHubProvider({ name: "github", clientId: "x", clientSecret: "y" }, { endpoints: { api: "http://api.github.example" } })).toThrow(
      "https",
    );
    expect(new GitHubProvider({ name: "github", clientId: "x", clientSecret: "y" }).kind).toBe("github");
  });
});

describe("GitHub sign-in through the routes", () => {
  let h: Harness;
  let call: ReturnType<typeof appWithProviders>;
  beforeEach(async () => {
    h = await createHarness();
    call = appWithProviders(h, [adapter()]);
  });
  afterEach(() => h.destroy());

  async function signIn(person: string): Promise<Response> {
    const started = (await (await call("GET", `/v1/auth/oauth/github/authorize?redirectUri=${encodeURIComponent(REDIRECT_URI)}`)).json()) as OAuthAuthorization;
    const code = github.approve(new URL(started.authorizationUrl), person);
    return call("POST", "/v1/auth/oauth/github/callback", { code, state: started.state });
  }

  async function confirmedAccount(email: string) {
    const account = await h.register({ email });
    await h.database.client.execute({ sql: "UPDATE user SET email_verified_at = 1 WHERE id = ?", args: [account.user.id] });
    return account;
  }

  test("a verified primary email links to the existing confirmed account", async () => {
    const account = await confirmedAccount("octocat@github.com");
    const response = await signIn("octocat");
    expect(response.status).toBe(200);
    expect(((await response.json()) as TokenPair).user.id).toBe(account.user.id);
    const identity = await h.database.client.execute("SELECT provider, subject FROM oauth_identity");
    expect(identity.rows.map((r) => [r.provider, r.subject])).toEqual([["github", "583231"]]);
  });

  test("an unverified primary email does not: 409", async () => {
    await confirmedAccount("newbie@example.com");
    const response = await signIn("unverified");
    expect(response.status).toBe(409);
    expect(((await response.json()) as Problem).code).toBe("CONFLICT");
  });

  test("a refused code is the user's to retry: 400 naming /code", async () => {
    const started = (await (await call("GET", `/v1/auth/oauth/github/authorize?redirectUri=${encodeURIComponent(REDIRECT_URI)}`)).json()) as OAuthAuthorization;
    const response = await call("POST", "/v1/auth/oauth/github/callback", { code: "code_never_issued", state: started.state });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors?.[0]?.path).toBe("/code");
  });
});
