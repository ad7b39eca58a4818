import type { OAuthProviderKind } from "@bazaar/contracts";
import * as client from "openid-client";
import {
  type AuthorizationRequest,
  type AuthorizationResponse,
  claimIsTrue,
  isLoopbackHttp,
  type OAuthProfile,
  type OAuthProvider,
  OAuthProviderError,
  PROVIDER_TIMEOUT_MS,
} from "./provider.ts";

export interface OidcProviderOptions {
  name: string;
  kind: OAuthProviderKind;
  clientId: string;
  /**
   * Where the provider's metadata comes from: `issuer` is discovered (its
   * /.well-known/openid-configuration, issuer checked); presets pass the `metadata` they know.
   */
  server: { issuer: string } | { metadata: client.ServerMetadata };
  /** How we authenticate at the token endpoint; by default the client secret, as the provider's metadata allows. */
  clientSecret?: string;
  clientAuth?: client.ClientAuth;
  scope: string;
  /** extra authorization request parameters (Apple: `response_mode=form_post`) */
  authorizationParams?: Record<string, string>;
  /** replaces fetch for every call to the provider (tests only) */
  fetch?: client.CustomFetch;
}

/**
 * An OpenID Provider through openid-client: authorization code with PKCE (S256), `state` and
 * `nonce`; the ID token's signature (against the provider's JWKS), `iss`, `aud`, `exp` and `nonce`
 * are checked, and userinfo is read when the ID token has no email.
 */
export class OidcProvider implements OAuthProvider {
  readonly name: string;
  readonly kind: OAuthProviderKind;
  private configuration?: Promise<client.Configuration>;

  constructor(private readonly options: OidcProviderOptions) {
    this.name = options.name;
    this.kind = options.kind;
    const issuer = new URL("issuer" in options.server ? options.server.issuer : options.server.metadata.issuer);
    if (issuer.protocol !== "https:" && !isLoopbackHttp(issuer)) throw new Error(`${options.name}: the issuer must be https`);
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    const config = await this.config();
    return client.buildAuthorizationUrl(config, {
      redirect_uri: request.redirectUri,
      scope: this.options.scope,
      state: request.state,
      nonce: request.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: "S256",
      ...this.options.authorizationParams,
    });
  }

  async profile(response: AuthorizationResponse, request: AuthorizationRequest): Promise<OAuthProfile> {
    const config = await this.config();
    // openid-client reads the authorization response from the URL it arrived at; the redirect URI has no query of its own
    const callback = new URL(request.redirectUri);
    callback.searchParams.set("code", response.code);
    callback.searchParams.set("state", request.state);
    if (response.iss) callback.searchParams.set("iss", response.iss);
    try {
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: request.state,
        expectedNonce: request.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new OAuthProviderError("unavailable", `${this.name} returned no ID token`);
      let source: Record<string, unknown> = claims;
      if (typeof claims.email !== "string" && config.serverMetadata().userinfo_endpoint) {
        // email and its verification are taken together, from the same source
        source = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      }
      return {
        subject: claims.sub,
        email: typeof source.email === "string" ? source.email : null,
        emailVerified: typeof source.email === "string" && claimIsTrue(source.email_verified),
        name: typeof source.name === "string" ? source.name : typeof claims.name === "string" ? claims.name : null,
      };
    } catch (error) {
      throw classify(this.name, error);
    }
  }

  /** Discovered once, on first use; a failed discovery is retried by the next sign-in rather than cached. */
  private config(): Promise<client.Configuration> {
    this.configuration ??= this.load().catch((error) => {
      this.configuration = undefined;
      throw error instanceof OAuthProviderError ? error : new OAuthProviderError("unavailable", `${this.name} could not be discovered`, { cause: error });
    });
    return this.configuration;
  }

  private async load(): Promise<client.Configuration> {
    const { server, clientId } = this.options;
    const issuer = new URL("issuer" in server ? server.issuer : server.metadata.issuer);
    const auth = this.options.clientAuth ?? clientSecretAuth(this.options.clientSecret ?? "");
    const insecure = isLoopbackHttp(issuer) ? [client.allowInsecureRequests] : [];
    const fetch = this.options.fetch ? { [client.customFetch]: this.options.fetch } : {};
    let config: client.Configuration;
    if ("issuer" in server) {
      config = await client.discovery(issuer, clientId, undefined, auth, { execute: insecure, timeout: PROVIDER_TIMEOUT_MS / 1000, ...fetch });
    } else {
      config = new client.Configuration(server.metadata, clientId, undefined, auth);
      for (const step of insecure) step(config);
      if (this.options.fetch) config[client.customFetch] = this.options.fetch;
    }
    config.timeout = PROVIDER_TIMEOUT_MS / 1000;
    // the code comes over TLS, but we check the ID token's signature too: it costs one cached JWKS read
    client.enableNonRepudiationChecks(config);
    return config;
  }
}

/** `client_secret_basic` is OpenID's default registration; a provider that only takes the secret in the body gets it there. */
function clientSecretAuth(secret: string): client.ClientAuth {
  const basic = client.ClientSecretBasic(secret);
  const post = client.ClientSecretPost(secret);
  return (as, metadata, body, headers) => {
    const methods = as.token_endpoint_auth_methods_supported;
    const onlyPost = methods && !methods.includes("client_secret_basic") && methods.includes("client_secret_post");
    return (onlyPost ? post : basic)(as, metadata, body, headers);
  };
}

/** Codes of openid-client errors that mean the provider, not the person signing in, is at fault. */
const PROVIDER_FAULTS = new Set([
  "OAUTH_RESPONSE_IS_NOT_JSON",
  "OAUTH_RESPONSE_IS_NOT_CONFORM",
  "OAUTH_PARSE_ERROR",
  "OAUTH_INVALID_SERVER_METADATA",
  "OAUTH_MISSING_SERVER_METADATA",
  "OAUTH_HTTP_REQUEST_FORBIDDEN",
  "OAUTH_REQUEST_PROTOCOL_FORBIDDEN",
  "OAUTH_UNSUPPORTED_OPERATION",
  "OAUTH_TIMEOUT",
  "OAUTH_WWW_AUTHENTICATE_CHALLENGE",
]);

/**
 * Sorts what went wrong: a code the provider refuses (`invalid_grant`: used, expired, or a PKCE
 * mismatch) and every failed check (state, issuer, nonce, audience, expiry, signature) is this
 * attempt's fault; network trouble, nonsense and refused client credentials are the provider's or ours.
 */
export function classify(provider: string, error: unknown): OAuthProviderError {
  if (error instanceof OAuthProviderError) return error;
  if (error instanceof client.ResponseBodyError) {
    const kind = error.error === "invalid_grant" || error.error === "invalid_request" ? "rejected" : "unavailable";
    return new OAuthProviderError(kind, `${provider} refused the code: ${error.error}${error.error_description ? ` (${error.error_description})` : ""}`, {
      cause: error,
    });
  }
  if (error instanceof client.AuthorizationResponseError) {
    return new OAuthProviderError("rejected", `${provider} returned an error: ${error.error}`, { cause: error });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("OAUTH_") && !PROVIDER_FAULTS.has(code)) {
    return new OAuthProviderError("rejected", `${provider}'s response failed a check: ${(error as Error).message}`, { cause: error });
  }
  return new OAuthProviderError("unavailable", `${provider} could not be reached or answered unexpectedly`, { cause: error });
}
