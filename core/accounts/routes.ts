import { Jwks, LoginBody, RefreshTokenBody, RegisterBody, TokenPair, UserView } from "@bazaar/contracts";
import { authentication } from "../http/authentication.ts";
import { plugin } from "../http/plugin.ts";
import { problems } from "../http/problems.ts";
import { requestContext } from "../http/request-context.ts";
import type { Deps } from "../platform/deps.ts";
import type { AccountsService } from "./service.ts";

export function accountsRoutes(deps: Deps, accounts: AccountsService) {
  return plugin("accounts/routes")
    .use(requestContext(deps))
    .use(authentication(deps))
    .get(
      "/.well-known/jwks.json",
      ({ set }) => {
        set.headers["cache-control"] = "public, max-age=300";
        return { keys: deps.keys.published.map((k) => k.publicJwk) } as Jwks;
      },
      {
        response: { 200: Jwks },
        detail: { operationId: "getJwks", tags: ["auth"], summary: "Public keys that verify access tokens (EdDSA, by kid)" },
      },
    )
    .group("/v1/auth", (app) =>
      app
        .post(
          "/register",
          async ({ ctx, body, set }) => {
            set.status = 201;
            return accounts.register(ctx, body);
          },
          {
            body: RegisterBody,
            response: { 201: TokenPair, ...problems(400, 409, 413, 415, 422, 429) },
            detail: {
              operationId: "register",
              tags: ["auth"],
              summary: "Create an account and sign in",
            },
          },
        )
        .post("/login", ({ ctx, body }) => accounts.login(ctx, body), {
          body: LoginBody,
          response: { 200: TokenPair, ...problems(400, 401, 413, 415, 422, 429) },
          detail: {
            operationId: "login",
            tags: ["auth"],
            summary: "Sign in with email and password",
          },
        })
        .post("/refresh", ({ ctx, body }) => accounts.refresh(ctx, body), {
          body: RefreshTokenBody,
          response: { 200: TokenPair, ...problems(400, 401, 413, 415, 422) },
          detail: {
            operationId: "refreshTokens",
            tags: ["auth"],
            summary: "Trade a refresh token for new tokens (the old one dies; reusing it revokes the session)",
          },
        })
        .post(
          "/logout",
          async ({ ctx, body, set }) => {
            await accounts.logout(ctx, body);
            set.status = 204;
          },
          {
            body: RefreshTokenBody,
            response: problems(400, 413, 415, 422),
            detail: {
              operationId: "logout",
              tags: ["auth"],
              summary: "End the session the refresh token belongs to",
            },
          },
        ),
    )
    .get("/v1/me", ({ ctx, actor }) => accounts.getMe(ctx, actor), {
      auth: true,
      response: { 200: UserView, ...problems(401) },
      detail: {
        operationId: "getMe",
        tags: ["auth"],
        summary: "The signed-in user",
      },
    });
}
