import {
  Accepted,
  ChangePasswordBody,
  Jwks,
  LoginBody,
  LoginResult,
  PasswordResetConfirmBody,
  PasswordResetRequestBody,
  RefreshTokenBody,
  RegisterBody,
  SessionIdParams,
  SessionList,
  TokenPair,
  UserView,
  VerifyEmailBody,
} from "@bazaar/contracts";
import { authentication, requireOwner } from "../http/authentication.ts";
import { plugin } from "../http/plugin.ts";
import { problems } from "../http/problems.ts";
import { requestContext } from "../http/request-context.ts";
import type { Deps } from "../platform/deps.ts";
import * as repo from "./repo.ts";
import type { AccountsService } from "./service.ts";
import { toSessionView } from "./sessions.ts";

const RESET_ACCEPTED = { accepted: true as const, message: "If an account exists for that address, we have sent it a link." };

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
        detail: { operationId: "getJwks", tags: ["auth"], summary: "Public keys that verify access tokens (EdDSA, by kid; two during a rotation)" },
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
              summary: "Create an account and sign in; a verification link is emailed",
              description: "Passwords are 10–128 characters and must not be a common or breached password, or contain the email or name.",
            },
          },
        )
        .post("/login", ({ ctx, body }) => accounts.login(ctx, body) as Promise<LoginResult>, {
          body: LoginBody,
          response: { 200: LoginResult, ...problems(400, 401, 403, 413, 415, 422, 429) },
          detail: {
            operationId: "login",
            tags: ["auth"],
            summary: "Sign in with email and password",
            description:
              "Returns tokens, or `{ mfaRequired: true, mfaToken, methods }` when the account has two-factor on: finish with POST /v1/auth/login/2fa or a passkey. Attempts are throttled per account and address (429 with Retry-After).",
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
            detail: { operationId: "logout", tags: ["auth"], summary: "End the session the refresh token belongs to" },
          },
        )
        .post(
          "/logout-all",
          async ({ ctx, actor, set }) => {
            await accounts.revokeAllSessions(ctx, actor.userId, "logout");
            set.status = 204;
          },
          {
            auth: true,
            response: problems(401, 403),
            detail: { operationId: "logoutAll", tags: ["auth"], summary: "End every session of the signed-in user, this one included" },
          },
        )
        .post("/verify-email", ({ ctx, body }) => accounts.verifyEmail(ctx, body), {
          body: VerifyEmailBody,
          response: { 200: UserView, ...problems(400, 413, 415, 422) },
          detail: { operationId: "verifyEmail", tags: ["auth"], summary: "Confirm an email address with the token from the emailed link" },
        })
        .post(
          "/verify-email/resend",
          async ({ ctx, actor, set }) => {
            await accounts.resendVerification(ctx, actor);
            set.status = 202;
            return { accepted: true as const, message: "A new link is on its way." };
          },
          {
            auth: true,
            response: { 202: Accepted, ...problems(401, 403, 409, 429) },
            detail: { operationId: "resendVerificationEmail", tags: ["auth"], summary: "Email a new verification link" },
          },
        )
        .post(
          "/password-reset",
          async ({ ctx, body, set }) => {
            await accounts.requestPasswordReset(ctx, body);
            set.status = 202;
            return RESET_ACCEPTED;
          },
          {
            body: PasswordResetRequestBody,
            response: { 202: Accepted, ...problems(400, 413, 415, 422, 429) },
            detail: {
              operationId: "requestPasswordReset",
              tags: ["auth"],
              summary: "Email a password reset link",
              description: "Always 202, whether or not the account exists.",
            },
          },
        )
        .post(
          "/password-reset/confirm",
          async ({ ctx, body, set }) => {
            await accounts.confirmPasswordReset(ctx, body);
            set.status = 204;
          },
          {
            body: PasswordResetConfirmBody,
            response: problems(400, 413, 415, 422),
            detail: {
              operationId: "confirmPasswordReset",
              tags: ["auth"],
              summary: "Set a new password with the token from the emailed link; every session ends",
            },
          },
        ),
    )
    .group("/v1/me", (app) =>
      app
        .get("", ({ ctx, actor }) => accounts.getMe(ctx, actor), {
          auth: true,
          response: { 200: UserView, ...problems(401, 403) },
          detail: { operationId: "getMe", tags: ["auth"], summary: "The signed-in user" },
        })
        .post(
          "/password",
          async ({ ctx, actor, body, set }) => {
            await accounts.changePassword(ctx, actor, body);
            set.status = 204;
          },
          {
            auth: true,
            body: ChangePasswordBody,
            response: problems(400, 401, 403, 413, 415, 422, 429),
            detail: { operationId: "changePassword", tags: ["auth"], summary: "Change the password (needs the current one); other sessions end" },
          },
        )
        .get(
          "/sessions",
          async ({ ctx, actor }) => ({ sessions: (await repo.liveSessions(ctx.database, actor.userId)).map((s) => toSessionView(s, actor.sessionId)) }),
          {
            auth: true,
            response: { 200: SessionList, ...problems(401, 403) },
            detail: { operationId: "listSessions", tags: ["auth"], summary: "The devices signed in to this account" },
          },
        )
        .delete(
          "/sessions/:id",
          async ({ ctx, actor, params, set }) => {
            const session = requireOwner(actor, await repo.findSession(ctx.database, params.id), "session");
            await accounts.revokeSession(ctx, actor.userId, session.id, "revoked_by_user");
            set.status = 204;
          },
          {
            auth: true,
            params: SessionIdParams,
            response: problems(401, 403, 404, 422),
            detail: { operationId: "revokeSession", tags: ["auth"], summary: "Sign one device out" },
          },
        )
        .delete(
          "/sessions",
          async ({ ctx, actor, set }) => {
            await accounts.revokeAllSessions(ctx, actor.userId, "revoked_by_user", actor.sessionId);
            set.status = 204;
          },
          {
            auth: true,
            response: problems(401, 403),
            detail: { operationId: "revokeOtherSessions", tags: ["auth"], summary: "Sign every other device out" },
          },
        ),
    );
}
