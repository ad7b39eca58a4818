import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import type { OAuthAuthorization, Problem, TokenPair } from "@bazaar/contracts";
import * as client from "openid-client";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { FACEBOOK_ENDPOINTS, FacebookProvider } from "./facebook.ts";
import { type AuthorizationRequest, OAuthProviderError } from "./provider.ts";
import { appWithProviders } from "./testing/app-with-providers.ts";
import { FakeFacebook } from "./testing/fake-providers.ts";
import { REDIRECT_URI } from "./testing/flow.ts";

const facebook = new FakeFacebook({
  zuck: { id: "10158112233445566", name: "Mark", email: "mark@example.com" },
  phoneOnly: { id: "10150000000000001", name: "Pat" },
});
afterAll(() => facebook.stop());

const adapter = (secret = facebook.clientSecret) =>
  new FacebookProvider(
    { name: "facebook", clientId: facebook.clientId, clientSecret: secret },
    {
      endpoints: { authorization: `${facebook.base}/v23.0/dialog/oauth`, token: `${facebook.base}/v23.0/oauth/access_token`, graph: `${facebook.base}/v23.0` },
    },
  );

function attempt(): AuthorizationRequest {
  return { state: `ch_${crypto.randomUUID()}`, codeVerifier: client.randomPKCECodeVerifier(), nonce: client.randomNonce(), redirectUri: REDIRECT_URI };
}

async function approved(provider: FacebookProvider, request: AuthorizationRequest, person: string) {
  return { code: facebook.approve(await provider.authorizationUrl(request), person) };
}

describe("Facebook adapter, against the Graph API's wire format", () => {
  test("the authorization URL: the versioned login dialog with email scope, state and PKCE S256", async () => {
    expect(FACEBOOK_ENDPOINTS.authorization).toBe("https://www.facebook.com/v23.0/dialog/oauth");
    const request = attempt();
    const url = await adapter().authorizationUrl(request);
    expect(`${url.origin}${url.pathname}`).toBe(`${facebook.base}/v23.0/dialog/oauth`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: facebook.clientId,
      redirect_uri: REDIRECT_URI,
      scope: "email public_profile",
      state: request.state,
      code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: "S256",
    });
  });

  test("/me with id, name and email, proven with appsecret_proof; the email is never taken as verified", async () => {
    const provider = adapter();
    const request = attempt();
    facebook.seen.length = 0;
    const profile = await provider.profile(await approved(provider, request, "zuck"), request);
    expect(profile).toEqual({ subject: "10158112233445566", email: "mark@example.com", emailVerified: false, name: "Mark" });
    const [token, me] = facebook.seen;
    expect(Object.fromEntries(token?.form ?? [])).toMatchObject({
      grant_type: "authorization_code",
      code_verifier: request.codeVerifier,
      redirect_uri: REDIRECT_URI,
      client_id: facebook.clientId,
      client_secret: facebook.clientSecret,
    });
    expect(me?.path).toBe("/v23.0/me");
    expect(me?.query.get("fields")).toBe("id,name,email");
    const accessToken = (me?.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    expect(me?.query.get("appsecret_proof")).toBe(createHmac("sha256", facebook.clientSecret).update(accessToken).digest("hex"));
  });

  test("an account with no email (signed up with a phone number): email null", async () => {
    const provider = adapter();
    const request = attempt();
    expect((await provider.profile(await approved(provider, request, "phoneOnly"), request)).email).toBeNull();
  });

  test("a used code or a wrong verifier (Graph error 100) is a rejected code", async () => {
    const provider = adapter();
    const request = attempt();
    const code = await approved(provider, request, "zuck");
    await provider.profile(code, request);
    const reused = await provider.profile(code, request).catch((e) => e);
    expect(reused).toBeInstanceOf(OAuthProviderError);
    expect(reused.kind).toBe("rejected");
    const other = attempt();
    const wrongVerifier = await provider
      .profile(await approved(provider, other, "zuck"), { ...other, codeVerifier: client.randomPKCECodeVerifier() })
      .catch((e) => e);
    expect(wrongVerifier.kind).toBe("rejected");
  });

  test("a bad app secret (Graph error 1) is ours: unavailable", async () => {
    const provider = adapter("not-the-app-secret");
    const request = attempt();
    const error = await provider.profile(await approved(provider, request, "zuck"), request).catch((e) => e);
    expect(error.kind).toBe("unavailable");
  });
});

describe("Facebook sign-in through the routes", () => {
  let h: Harness;
  let call: ReturnType<typeof appWithProviders>;
  beforeEach(async () => {
    h = await createHarness();
    call = appWithProviders(h, [adapter()]);
  });
  afterEach(() => h.destroy());

  async function signIn(person: string): Promise<Response> {
    const started = (await (
      await call("GET", `/v1/auth/oauth/facebook/authorize?redirectUri=${encodeURIComponent(REDIRECT_URI)}`)
    ).json()) as OAuthAuthorization;
    return call("POST", "/v1/auth/oauth/facebook/callback", { code: facebook.approve(new URL(started.authorizationUrl), person), state: started.state });
  }

  test("a new account starts unverified, with our verification link owed", async () => {
    const response = await signIn("zuck");
    expect(response.status).toBe(200);
    expect(((await response.json()) as TokenPair).user).toMatchObject({ email: "mark@example.com", name: "Mark", emailVerified: false });
    expect((await h.database.client.execute("SELECT purpose FROM account_token")).rows.map((r) => r.purpose)).toEqual(["verify_email"]);
  });

  test("never joins an existing account by email, even a confirmed one: 409", async () => {
    const account = await h.register({ email: "mark@example.com" });
    await h.database.client.execute({ sql: "UPDATE user SET email_verified_at = 1 WHERE id = ?", args: [account.user.id] });
    const response = await signIn("zuck");
    expect(response.status).toBe(409);
    expect(((await response.json()) as Problem).code).toBe("CONFLICT");
  });

  test("no email shared: 400 asking for it, no account", async () => {
    const response = await signIn("phoneOnly");
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).detail).toContain("did not share an email address");
    expect(Number((await h.database.client.execute("SELECT count(*) AS n FROM user")).rows[0]?.n)).toBe(0);
  });
});
