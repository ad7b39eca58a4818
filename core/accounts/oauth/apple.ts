import type * as client from "openid-client";
import type { OAuthProviderConfig } from "../../config.ts";
import { OidcProvider, type OidcProviderOptions } from "./oidc.ts";

/** Apple's OpenID metadata (Apple publishes no discovery document clients can rely on). */
export const APPLE_METADATA: client.ServerMetadata = {
  issuer: "https://appleid.apple.com",
  authorization_endpoint: "https://appleid.apple.com/auth/authorize",
  token_endpoint: "https://appleid.apple.com/auth/token",
  jwks_uri: "https://appleid.apple.com/auth/keys",
  code_challenge_methods_supported: ["S256"],
  id_token_signing_alg_values_supported: ["RS256"],
};

/**
 * Sign in with Apple: OpenID-like. Asking for `name email` obliges `response_mode=form_post`
 * (Apple POSTs code and state to the redirect page, which posts them on to us); there is no
 * userinfo, so the ID token carries the email (often a private relay address Apple verified).
 * The client secret is an ES256 JWT signed with the team's Sign in with Apple key, made fresh
 * for each token request.
 */
export function appleProvider(config: OAuthProviderConfig, options: Pick<OidcProviderOptions, "fetch"> = {}): OidcProvider {
  if (!config.apple) throw new Error(`${config.name}: an apple provider needs its team id, key id and private key`);
  const signer = appleClientSecret(config.clientId, config.apple);
  const clientAuth: client.ClientAuth = async (_as, metadata, body) => {
    body.set("client_id", metadata.client_id);
    body.set("client_secret", await signer(Date.now()));
  };
  return new OidcProvider({
    name: config.name,
    kind: "apple",
    clientId: config.clientId,
    clientAuth,
    server: { metadata: APPLE_METADATA },
    scope: "name email",
    authorizationParams: { response_mode: "form_post" },
    ...options,
  });
}

/** The .p8 key Apple issues, as PEM; env files often carry its newlines as literal `\n`. */
export function pkcs8FromPem(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem
    .replaceAll("\\n", "\n")
    .replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "")
    .replace(/\s+/g, "");
  if (!body || !/^[A-Za-z0-9+/]+=*$/.test(body)) throw new Error("the Apple private key must be a PEM (PKCS #8) key");
  return new Uint8Array(Buffer.from(body, "base64"));
}

/**
 * Apple's client secret: a JWT (ES256, `kid` = the key id) from the team (`iss`) about the client
 * (`sub`) for Apple (`aud`), short-lived. WebCrypto's ECDSA signature is already JOSE's r‖s form.
 */
export function appleClientSecret(clientId: string, apple: { teamId: string; keyId: string; privateKeyPem: string }): (nowMs: number) => Promise<string> {
  const der = pkcs8FromPem(apple.privateKeyPem); // a malformed key fails at boot, not at the first sign-in
  let key: Promise<CryptoKey> | undefined;
  return async (nowMs) => {
    key ??= crypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const now = Math.floor(nowMs / 1000);
    const header = base64url(JSON.stringify({ alg: "ES256", kid: apple.keyId, typ: "JWT" }));
    const payload = base64url(JSON.stringify({ iss: apple.teamId, sub: clientId, aud: "https://appleid.apple.com", iat: now, exp: now + 300 }));
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, await key, new TextEncoder().encode(`${header}.${payload}`));
    return `${header}.${payload}.${base64url(new Uint8Array(signature))}`;
  };
}

const base64url = (data: string | Uint8Array) => Buffer.from(data).toString("base64url");
