import type * as client from "openid-client";
import type { OAuthProviderConfig } from "../../config.ts";
import { OAuth2Client, type TokenError } from "./oauth2.ts";
import { type AuthorizationRequest, type AuthorizationResponse, type OAuthProfile, type OAuthProvider, OAuthProviderError } from "./provider.ts";

export interface GitHubEndpoints {
  authorization: string;
  token: string;
  /** the REST API root (GitHub Enterprise: https://<host>/api/v3) */
  api: string;
}

export const GITHUB_ENDPOINTS: GitHubEndpoints = {
  authorization: "https://github.com/login/oauth/authorize",
  token: "https://github.com/login/oauth/access_token",
  api: "https://api.github.com",
};

interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * Sign in with GitHub: plain OAuth 2.0 (PKCE is supported since 2025). The person is `GET /user`
 * (the numeric id is the subject: logins can be renamed); the email is the primary one from
 * `GET /user/emails`, which says whether GitHub verified it. `/user`'s public email carries no
 * such flag, so it is used only as an unverified fallback.
 */
export class GitHubProvider implements OAuthProvider {
  readonly kind = "github" as const;
  readonly name: string;
  private readonly oauth: OAuth2Client;
  private readonly api: string;

  constructor(
    config: Pick<OAuthProviderConfig, "name" | "clientId" | "clientSecret">,
    options: { endpoints?: Partial<GitHubEndpoints>; fetch?: client.CustomFetch } = {},
  ) {
    const endpoints = { ...GITHUB_ENDPOINTS, ...options.endpoints };
    this.name = config.name;
    this.api = endpoints.api.replace(/\/+$/, "");
    this.oauth = new OAuth2Client({
      name: config.name,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      authorizationEndpoint: endpoints.authorization,
      tokenEndpoint: endpoints.token,
      apiUrls: [this.api],
      scope: "read:user user:email",
      tokenError: gitHubTokenError,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    return this.oauth.authorizationUrl(request);
  }

  async profile(response: AuthorizationResponse, request: AuthorizationRequest): Promise<OAuthProfile> {
    const token = await this.oauth.accessToken(response, request);
    const headers = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "Bazaar" };
    const [user, emails] = await Promise.all([
      this.oauth.getJson(token, `${this.api}/user`, headers) as Promise<GitHubUser>,
      this.oauth.getJson(token, `${this.api}/user/emails`, headers) as Promise<GitHubEmail[]>,
    ]);
    if (typeof user?.id !== "number" || typeof user.login !== "string") throw new OAuthProviderError("unavailable", `${this.name} /user has no id`);
    const primary = Array.isArray(emails) ? emails.find((e) => e?.primary === true && typeof e.email === "string") : undefined;
    const email = primary?.email ?? (typeof user.email === "string" ? user.email : null);
    return {
      subject: String(user.id),
      email,
      emailVerified: primary?.verified === true,
      name: typeof user.name === "string" && user.name.trim() ? user.name : user.login,
    };
  }
}

/** GitHub refuses a code with HTTP 200 and its own error names. */
export function gitHubTokenError(_status: number, body: unknown): TokenError | undefined {
  const error = (body as { error?: unknown; error_description?: unknown } | undefined)?.error;
  if (typeof error !== "string") return undefined;
  const description = (body as { error_description?: unknown }).error_description;
  const known: Record<string, TokenError["error"]> = {
    bad_verification_code: "invalid_grant",
    redirect_uri_mismatch: "invalid_grant",
    incorrect_client_credentials: "invalid_client",
  };
  return { error: known[error] ?? "server_error", error_description: typeof description === "string" ? description : error };
}
