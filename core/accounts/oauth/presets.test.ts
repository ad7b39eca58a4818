import { describe, expect, test } from "bun:test";
import { decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT } from "jose";
import * as client from "openid-client";
import type { OAuthProviderConfig } from "../../config.ts";
import { APPLE_METADATA, appleClientSecret, appleProvider, pkcs8FromPem } from "./apple.ts";
import { GOOGLE_METADATA, googleProvider } from "./google.ts";
import { OAuthProviderError } from "./provider.ts";
import { createProviders } from "./registry.ts";
import { REDIRECT_URI } from "./testing/flow.ts";

// No network here: presets know their endpoints, and token exchanges go to a fetch stub that
// answers as the provider would, ID tokens signed by a key whose JWKS the stub serves.

const attempt = () => ({ state: "ch_state", codeVerifier: client.randomPKCECodeVerifier(), nonce: client.randomNonce(), redirectUri: REDIRECT_URI });
const google: OAuthProviderConfig = { name: "google", kind: "google", clientId: "1234.apps.googleusercontent.com", clientSecret: "GOCSPX-secret" };

async function appleConfig(): Promise<{ config: OAuthProviderConfig; publicKey: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const config: OAuthProviderConfig = {
    name: "apple",
    kind: "apple",
    clientId: "com.example.shop.web",
    clientSecret: "",
    // as it arrives from an env file: newlines written as \n
    apple: { teamId: "TEAM123456", keyId: "KEY1234567", privateKeyPem: (await exportPKCS8(privateKey)).replaceAll("\n", "\\n") },
  };
  return { config, publicKey };
}

/** A provider at `metadata`'s endpoints: the token endpoint returns an ID token with `claims`; JWKS serves its key. Records token requests. */
async function stubProvider(metadata: client.ServerMetadata, claims: Record<string, unknown>) {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const tokenRequests: URLSearchParams[] = [];
  const fetch: client.CustomFetch = async (url, init) => {
    if (url === metadata.jwks_uri) return Response.json({ keys: [jwk] });
    if (url === metadata.token_endpoint) {
      tokenRequests.push(new URLSearchParams(String(init.body)));
      const idToken = await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k1" }).setIssuedAt().setExpirationTime("5m").sign(privateKey);
      return Response.json({ access_token: "at", token_type: "Bearer", expires_in: 3600, id_token: idToken });
    }
    return new Response("not found", { status: 404 });
  };
  return { fetch, tokenRequests };
}

describe("Google", () => {
  test("the authorization URL: Google's endpoint, openid email profile, state, nonce and PKCE S256", async () => {
    const request = attempt();
    const url = await googleProvider(google).authorizationUrl(request);
    expect(`${url.origin}${url.pathname}`).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: google.clientId,
      response_type: "code",
      redirect_uri: REDIRECT_URI,
      scope: "openid email profile",
      state: request.state,
      nonce: request.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: "S256",
    });
  });

  test("the ID token's email_verified decides; the secret goes in the body with the verifier", async () => {
    const request = attempt();
    const base = { iss: GOOGLE_METADATA.issuer, aud: google.clientId, sub: "110169484474386276334", nonce: request.nonce, email: "ada@gmail.com", name: "Ada" };
    const verified = await stubProvider(GOOGLE_METADATA, { ...base, email_verified: true });
    expect(await googleProvider(google, { fetch: verified.fetch }).profile({ code: "4/0Ab" }, request)).toEqual({
      subject: "110169484474386276334",
      email: "ada@gmail.com",
      emailVerified: true,
      name: "Ada",
    });
    expect(Object.fromEntries(verified.tokenRequests[0] ?? [])).toMatchObject({
      grant_type: "authorization_code",
      code: "4/0Ab",
      code_verifier: request.codeVerifier,
      redirect_uri: REDIRECT_URI,
      client_id: google.clientId,
      client_secret: google.clientSecret,
    });
    const unverified = await stubProvider(GOOGLE_METADATA, { ...base, email_verified: false });
    expect((await googleProvider(google, { fetch: unverified.fetch }).profile({ code: "4/0Ab" }, request)).emailVerified).toBe(false);
  });

  test("an ID token for another audience, issuer or nonce is rejected", async () => {
    const request = attempt();
    const good = { iss: GOOGLE_METADATA.issuer, aud: google.clientId, sub: "1", nonce: request.nonce, email: "a@gmail.com", email_verified: true };
    for (const bad of [{ aud: "someone-else" }, { iss: "https://evil.example" }, { nonce: "other" }]) {
      const stub = await stubProvider(GOOGLE_METADATA, { ...good, ...bad });
      const error = await googleProvider(google, { fetch: stub.fetch })
        .profile({ code: "c" }, request)
        .catch((e) => e);
      expect(error).toBeInstanceOf(OAuthProviderError);
      expect(error.kind).toBe("rejected");
    }
  });
});

describe("Apple", () => {
  test("the authorization URL: Apple's endpoint, name email, form_post, state, nonce and PKCE S256", async () => {
    const { config } = await appleConfig();
    const request = attempt();
    const url = await appleProvider(config).authorizationUrl(request);
    expect(`${url.origin}${url.pathname}`).toBe("https://appleid.apple.com/auth/authorize");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: config.clientId,
      response_type: "code",
      redirect_uri: REDIRECT_URI,
      scope: "name email",
      response_mode: "form_post",
      state: request.state,
      nonce: request.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: "S256",
    });
  });

  test("the client secret is an ES256 JWT from the team about the client, for Apple, five minutes long", async () => {
    const { config, publicKey } = await appleConfig();
    const now = Date.UTC(2026, 10, 25, 6, 0, 0);
    const jwt = await appleClientSecret(config.clientId, config.apple ?? { teamId: "", keyId: "", privateKeyPem: "" })(now);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "ES256", kid: "KEY1234567", typ: "JWT" });
    const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ["ES256"], currentDate: new Date(now) });
    expect(payload).toEqual({ iss: "TEAM123456", sub: "com.example.shop.web", aud: "https://appleid.apple.com", iat: now / 1000, exp: now / 1000 + 300 });
  });

  test('the token request carries the signed secret and the verifier; Apple\'s string "true" counts as verified', async () => {
    const { config, publicKey } = await appleConfig();
    const request = attempt();
    const stub = await stubProvider(APPLE_METADATA, {
      iss: APPLE_METADATA.issuer,
      aud: config.clientId,
      sub: "001234.abcdef0123456789.0123",
      nonce: request.nonce,
      email: "x7q2@privaterelay.appleid.com",
      email_verified: "true",
      is_private_email: "true",
    });
    const profile = await appleProvider(config, { fetch: stub.fetch }).profile({ code: "c0de" }, request);
    expect(profile).toEqual({ subject: "001234.abcdef0123456789.0123", email: "x7q2@privaterelay.appleid.com", emailVerified: true, name: null });
    const form = stub.tokenRequests[0] ?? new URLSearchParams();
    expect(form.get("code_verifier")).toBe(request.codeVerifier);
    expect(form.get("client_id")).toBe(config.clientId);
    await jwtVerify(form.get("client_secret") ?? "", publicKey, { audience: "https://appleid.apple.com", issuer: "TEAM123456", subject: config.clientId });
  });

  test("a key that is not a PEM stops the boot", () => {
    expect(() => pkcs8FromPem("not a key!")).toThrow("PEM");
    expect(() =>
      createProviders([{ name: "apple", kind: "apple", clientId: "c", clientSecret: "", apple: { teamId: "t", keyId: "k", privateKeyPem: "%%%" } }]),
    ).toThrow();
  });
});

describe("registry", () => {
  test("builds each configured kind by name; an OpenID issuer must be https (or this machine)", () => {
    const registry = createProviders([
      google,
      { name: "github", kind: "github", clientId: "g", clientSecret: "s" },
      { name: "facebook", kind: "facebook", clientId: "f", clientSecret: "s" },
      { name: "corp", kind: "oidc", clientId: "c", clientSecret: "s", issuer: "https://sso.corp.example" },
    ]);
    expect([...registry.values()].map((p) => [p.name, p.kind])).toEqual([
      ["google", "google"],
      ["github", "github"],
      ["facebook", "facebook"],
      ["corp", "oidc"],
    ]);
    expect(() => createProviders([{ name: "corp", kind: "oidc", clientId: "c", clientSecret: "s", issuer: "http://sso.corp.example" }])).toThrow("https");
  });
});
