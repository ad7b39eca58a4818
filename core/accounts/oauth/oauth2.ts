import * as client from "openid-client";
import { classify } from "./oidc.ts";
import { type AuthorizationRequest, type AuthorizationResponse, isLoopbackHttp, OAuthProviderError, PROVIDER_TIMEOUT_MS } from "./provider.ts";

export interface OAuth2ClientOptions {
  name: string;
  clientId: string;
  clientSecret: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scope: string;
  /** every other URL the provider's adapter calls (its API), so loopback http is allowed only when all of them are local */
  apiUrls: string[];
  /**
   * Reads a token endpoint answer in the provider's own error dialect (GitHub: 200 with an
   * `error`; Facebook: a Graph error object) and returns the RFC 6749 error it means, if any.
   */
  tokenError?: (status: number, body: unknown) => TokenError | undefined;
  /** replaces fetch for every call to the provider (tests only) */
  fetch?: client.CustomFetch;
}

/** An RFC 6749 token error: `invalid_grant` refuses the code (this attempt's fault), `invalid_client` our credentials. */
export interface TokenError {
  error: "invalid_grant" | "invalid_client" | "server_error";
  error_description?: string;
}

/**
 * A plain OAuth 2.0 provider (no ID token): authorization code with PKCE (S256) and `state`
 * through openid-client, the client secret in the token request body. Who signed in is then
 * read from the provider's own API with the access token.
 */
export class OAuth2Client {
  private readonly config: client.Configuration;

  constructor(private readonly options: OAuth2ClientOptions) {
    const urls = [options.authorizationEndpoint, options.tokenEndpoint, ...options.apiUrls].map((u) => new URL(u));
    const plain = urls.filter((u) => u.protocol !== "https:");
    if (plain.some((u) => !isLoopbackHttp(u))) throw new Error(`${options.name}: provider endpoints must be https`);
    this.config = new client.Configuration(
      // no issuer takes part in plain OAuth 2.0; openid-client still wants one to name the server
      { issuer: new URL(options.authorizationEndpoint).origin, authorization_endpoint: options.authorizationEndpoint, token_endpoint: options.tokenEndpoint },
      options.clientId,
      undefined,
      client.ClientSecretPost(options.clientSecret),
    );
    if (plain.length) client.allowInsecureRequests(this.config);
    const send: client.CustomFetch = options.fetch ?? ((url, init) => fetch(url, init as RequestInit));
    const { tokenError } = options;
    const tokenEndpoint = new URL(options.tokenEndpoint).href;
    this.config[client.customFetch] = !tokenError
      ? send
      : async (url, init) => {
          const response = await send(url, init);
          if (new URL(url).href !== tokenEndpoint) return response;
          const error = tokenError(
            response.status,
            await response
              .clone()
              .json()
              .catch(() => undefined),
          );
          // restated the standard way, so openid-client reports it as what it is
          return error ? Response.json(error, { status: 400 }) : response;
        };
    this.config.timeout = PROVIDER_TIMEOUT_MS / 1000;
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    return client.buildAuthorizationUrl(this.config, {
      redirect_uri: request.redirectUri,
      scope: this.options.scope,
      state: request.state,
      code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
      code_challenge_method: "S256",
    });
  }

  /** The access token for the code (sent with its PKCE verifier); a refused code is `rejected`. */
  async accessToken(response: AuthorizationResponse, request: AuthorizationRequest): Promise<string> {
    // the state was already matched when its challenge was consumed; openid-client checks it again on this URL
    const callback = new URL(request.redirectUri);
    callback.searchParams.set("code", response.code);
    callback.searchParams.set("state", request.state);
    try {
      const tokens = await client.authorizationCodeGrant(this.config, callback, { pkceCodeVerifier: request.codeVerifier, expectedState: request.state });
      return tokens.access_token;
    } catch (error) {
      throw classify(this.options.name, error);
    }
  }

  /** GETs the provider's API as the signed-in person; anything but a 200 JSON answer is the provider's fault. */
  async getJson(accessToken: string, url: string, headers: Record<string, string> = {}): Promise<unknown> {
    let response: Response;
    try {
      response = await client.fetchProtectedResource(this.config, accessToken, new URL(url), "GET", undefined, new Headers(headers));
    } catch (error) {
      throw new OAuthProviderError("unavailable", `${this.options.name} API could not be reached`, { cause: error });
    }
    const path = new URL(url).pathname;
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new OAuthProviderError("unavailable", `${this.options.name} API answered ${response.status} for ${path}`);
    }
    try {
      return await response.json();
    } catch (error) {
      throw new OAuthProviderError("unavailable", `${this.options.name} API answered ${path} with something that is not JSON`, { cause: error });
    }
  }
}
