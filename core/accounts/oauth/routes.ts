import {
  LoginResult,
  OAuthAuthorization,
  OAuthAuthorizeQuery,
  OAuthCallbackBody,
  OAuthIdentityList,
  OAuthIdentityView,
  OAuthLinkBody,
  OAuthProviderList,
  OAuthProviderParams,
} from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { allowedRedirectOrigins } from "./redirect-uri.ts";
import { createProviders, type ProviderRegistry } from "./registry.ts";
import { createOAuthService, type OAuthServiceDeps } from "./service.ts";

const FLOW =
  "The page at `redirectUri` receives the provider's redirect (Apple: a form POST) and posts `code`, `state` and, when present, `iss` to the matching callback. " +
  "It must first check that `state` is the one it started with (kept in sessionStorage), so nobody can slip it someone else's sign-in.";

/**
 * Social sign-in and SSO. `providers` defaults to the configured ones; tests pass adapters
 * pointed at local servers.
 */
export function oauthRoutes(deps: Deps, parts: Omit<OAuthServiceDeps, "providers" | "redirectOrigins"> & { providers?: ProviderRegistry }) {
  const oauth = createOAuthService({
    ...parts,
    providers: parts.providers ?? createProviders(deps.config.oauthProviders),
    redirectOrigins: allowedRedirectOrigins(deps.config),
  });
  return plugin("accounts/oauth-routes")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/auth/oauth", (app) =>
      app
        .get("/providers", () => oauth.listProviders(), {
          response: { 200: OAuthProviderList },
          detail: { operationId: "listOAuthProviders", tags: ["oauth"], summary: "The social and SSO providers one can sign in with" },
        })
        .get("/:provider/authorize", ({ ctx, params, query }) => oauth.startSignIn(ctx, params.provider, query.redirectUri), {
          params: OAuthProviderParams,
          query: OAuthAuthorizeQuery,
          response: { 200: OAuthAuthorization, ...problems(400, 404, 422, 429, 502) },
          detail: {
            operationId: "startOAuthSignIn",
            tags: ["oauth"],
            summary: "Start signing in with a provider: the URL to send the browser to",
            description: `Authorization code with PKCE (S256), \`state\` and \`nonce\`; the state lives 10 minutes and works once. ${FLOW}`,
          },
        })
        .post("/:provider/callback", ({ ctx, params, body }) => oauth.completeSignIn(ctx, params.provider, body) as Promise<LoginResult>, {
          params: OAuthProviderParams,
          body: OAuthCallbackBody,
          response: { 200: LoginResult, ...problems(400, 403, 404, 409, 413, 415, 422, 502) },
          detail: {
            operationId: "completeOAuthSignIn",
            tags: ["oauth"],
            summary: "Finish signing in with a provider: tokens (or an MFA challenge); a first sign-in creates the account",
            description:
              "A known provider account signs in its user. A new one joins the account with the same email only when the provider verified the address and the account confirmed it too; " +
              "otherwise 409: sign in with the password and link the provider from settings. With no such account, one is created. " +
              "400 naming /state when the state is unknown, expired or used; 400 naming /code when the provider refuses the code or its answer fails verification.",
          },
        }),
    )
    .group("/v1/me/oauth", (app) =>
      app
        .get("", ({ ctx, actor }) => oauth.listIdentities(ctx, actor), {
          auth: true,
          response: { 200: OAuthIdentityList, ...problems(401, 403) },
          detail: { operationId: "listOAuthIdentities", tags: ["oauth"], summary: "The provider accounts linked to the signed-in user" },
        })
        .post("/:provider/link", ({ ctx, actor, params, body }) => oauth.startLink(ctx, actor, params.provider, body.redirectUri), {
          auth: true,
          params: OAuthProviderParams,
          body: OAuthLinkBody,
          response: { 200: OAuthAuthorization, ...problems(400, 401, 403, 404, 413, 415, 422, 429, 502) },
          detail: {
            operationId: "startOAuthLink",
            tags: ["oauth"],
            summary: "Start linking a provider account to the signed-in user",
            description: `Finish with POST /v1/me/oauth/{provider}/link/callback, signed in as the same user. ${FLOW}`,
          },
        })
        .post("/:provider/link/callback", ({ ctx, actor, params, body }) => oauth.completeLink(ctx, actor, params.provider, body), {
          auth: true,
          params: OAuthProviderParams,
          body: OAuthCallbackBody,
          response: { 200: OAuthIdentityView, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 502) },
          detail: {
            operationId: "completeOAuthLink",
            tags: ["oauth"],
            summary: "Finish linking: the provider account now signs in to this user",
            description: "409 when that provider account belongs to another user, or this user already has a different one at the provider.",
          },
        })
        .delete(
          "/:provider",
          async ({ ctx, actor, params, set }) => {
            await oauth.unlink(ctx, actor, params.provider);
            set.status = 204;
          },
          {
            auth: true,
            params: OAuthProviderParams,
            response: problems(401, 403, 404, 409, 422),
            detail: {
              operationId: "unlinkOAuthIdentity",
              tags: ["oauth"],
              summary: "Unlink a provider account",
              description: "409 when it is the account's only way to sign in (no password, no passkey, no other provider).",
            },
          },
        ),
    );
}
