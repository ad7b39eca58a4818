import { createHmac } from "node:crypto";
import type * as client from "openid-client";
import type { OAuthProviderConfig } from "../../config.ts";
import { OAuth2Client, type TokenError } from "./oauth2.ts";
import { type AuthorizationRequest, type AuthorizationResponse, type OAuthProfile, type OAuthProvider, OAuthProviderError } from "./provider.ts";

/** Graph API versions live about two years; this one is pinned so a Meta default change cannot alter our calls. */
const GRAPH_VERSION = "v23.0";

export interface FacebookEndpoints {
  authorization: string;
  token: string;
  /** the Graph API root, with its version */
  graph: string;
}

export const FACEBOOK_ENDPOINTS: FacebookEndpoints = {
  authorization: `https://www.facebook.com/${GRAPH_VERSION}/dialog/oauth`,
  token: `https://graph.facebook.com/${GRAPH_VERSION}/oauth/access_token`,
  graph: `https://graph.facebook.com/${GRAPH_VERSION}`,
};

interface FacebookMe {
  id: string;
  name?: string;
  email?: string;
}

/**
 * Facebook Login: plain OAuth 2.0 with PKCE, then `GET /me?fields=id,name,email` on the Graph API
 * (with `appsecret_proof`, so a leaked token is useless without our app secret).
 *
 * Facebook's email is never treated as verified: the Graph API gives no verification flag, and
 * Meta does not promise the address was confirmed (accounts can be opened with a phone number and
 * an email added later). So it never links to an existing account by itself, and an account it
 * creates starts unverified and gets our verification mail.
 */
export class FacebookProvider implements OAuthProvider {
  readonly kind = "facebook" as const;
  readonly name: string;
  private readonly oauth: OAuth2Client;
  private readonly graph: string;

  constructor(
    private readonly config: Pick<OAuthProviderConfig, "name" | "clientId" | "clientSecret">,
    options: { endpoints?: Partial<FacebookEndpoints>; fetch?: client.CustomFetch } = {},
  ) {
    const endpoints = { ...FACEBOOK_ENDPOINTS, ...options.endpoints };
    this.name = config.name;
    this.graph = endpoints.graph.replace(/\/+$/, "");
    this.oauth = new OAuth2Client({
      name: config.name,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      authorizationEndpoint: endpoints.authorization,
      tokenEndpoint: endpoints.token,
      apiUrls: [this.graph],
      scope: "email public_profile",
      tokenError: facebookTokenError,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    return this.oauth.authorizationUrl(request);
  }

  async profile(response: AuthorizationResponse, request: AuthorizationRequest): Promise<OAuthProfile> {
    const token = await this.oauth.accessToken(response, request);
    const url = new URL(`${this.graph}/me`);
    url.searchParams.set("fields", "id,name,email");
    url.searchParams.set("appsecret_proof", createHmac("sha256", this.config.clientSecret).update(token).digest("hex"));
    const me = (await this.oauth.getJson(token, url.href)) as FacebookMe;
    if (typeof me?.id !== "string" || !me.id) throw new OAuthProviderError("unavailable", `${this.name} /me has no id`);
    return {
      subject: me.id,
      email: typeof me.email === "string" ? me.email : null,
      emailVerified: false,
      name: typeof me.name === "string" ? me.name : null,
    };
  }
}

/**
 * Facebook answers a refused exchange with a Graph error object, not RFC 6749's string:
 * code 100 is a bad parameter (the code: used, expired, or its PKCE verifier wrong); 1 and 101
 * are our app id or secret.
 */
export function facebookTokenError(status: number, body: unknown): TokenError | undefined {
  const error = (body as { error?: { message?: unknown; code?: unknown } } | undefined)?.error;
  if (status === 200 || typeof error !== "object" || error === null) return undefined;
  const description = typeof error.message === "string" ? error.message : "refused";
  if (error.code === 100) return { error: "invalid_grant", error_description: description };
  if (error.code === 1 || error.code === 101) return { error: "invalid_client", error_description: description };
  return { error: "server_error", error_description: description };
}
