import {
  FreshSecondFactorBody,
  LoginSecondFactorBody,
  PasskeyIdParams,
  PasskeyList,
  PasskeyRegistered,
  PasskeyRegistrationOptions,
  PasskeySignInBody,
  PasskeySignInOptions,
  PasskeySignInOptionsBody,
  PasskeyView,
  RecoveryCodes,
  RegisterPasskeyBody,
  RenamePasskeyBody,
  TokenPair,
  TotpCodeBody,
  TotpEnrolment,
  TwoFactorStatus,
} from "@bazaar/contracts";
import { Type } from "@sinclair/typebox";
import { authentication, requireOwner } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import type { Challenges } from "../challenges.ts";
import type { AccountsService } from "../service.ts";
import type { Throttle } from "../throttle.ts";
import { createTwoFactorService } from "./service.ts";

const TAGS = ["two-factor"];

export function twoFactorRoutes(deps: Deps, parts: { accounts: AccountsService; challenges: Challenges; throttle: Throttle }) {
  const twoFactor = createTwoFactorService({ ...parts, secrets: deps.secrets, relyingParty: deps.config.webauthn });
  return plugin("accounts/two-factor")
    .use(requestContext(deps))
    .use(authentication(deps))
    .group("/v1/me/2fa", (app) =>
      app
        .get("", ({ ctx, actor }) => twoFactor.getStatus(ctx, actor), {
          auth: true,
          response: { 200: TwoFactorStatus, ...problems(401, 403) },
          detail: { operationId: "getTwoFactorStatus", tags: TAGS, summary: "Which second factors the signed-in user has" },
        })
        .post("/totp", ({ ctx, actor }) => twoFactor.startTotpEnrolment(ctx, actor), {
          auth: true,
          response: { 200: TotpEnrolment, ...problems(401, 403, 409) },
          detail: {
            operationId: "startTotpEnrolment",
            tags: TAGS,
            summary: "Start (or restart) setting up an authenticator app: a new secret as an otpauth:// URI and QR code",
            description: "Nothing changes until the first code is confirmed. 409 when an app is already on (turn it off first).",
          },
        })
        .post("/totp/confirm", ({ ctx, actor, body }) => twoFactor.confirmTotpEnrolment(ctx, actor, body), {
          auth: true,
          body: TotpCodeBody,
          response: { 200: RecoveryCodes, ...problems(400, 401, 403, 409, 413, 415, 422, 429) },
          detail: {
            operationId: "confirmTotpEnrolment",
            tags: TAGS,
            summary: "Confirm the app with its first code: two-factor turns on and ten recovery codes are returned, this once",
            description: "A wrong code is 401 naming /code; five wrong codes in 15 minutes lock second-factor checks for the account (429).",
          },
        })
        .delete(
          "/totp",
          async ({ ctx, actor, body, set }) => {
            await twoFactor.disableTotp(ctx, actor, body);
            set.status = 204;
          },
          {
            auth: true,
            body: FreshSecondFactorBody,
            response: problems(400, 401, 403, 409, 422, 429),
            detail: {
              operationId: "disableTotp",
              tags: TAGS,
              summary: "Turn the authenticator app off; needs a fresh code or a recovery code",
              description: "Recovery codes are removed too when no passkey remains.",
            },
          },
        )
        .post("/recovery-codes", ({ ctx, actor, body }) => twoFactor.regenerateRecoveryCodes(ctx, actor, body), {
          auth: true,
          body: FreshSecondFactorBody,
          response: { 200: RecoveryCodes, ...problems(400, 401, 403, 409, 413, 415, 422, 429) },
          detail: {
            operationId: "regenerateRecoveryCodes",
            tags: TAGS,
            summary: "Ten new recovery codes for a fresh code (or recovery code); every earlier one stops working",
          },
        }),
    )
    .group("/v1/me/passkeys", (app) =>
      app
        .get("", ({ ctx, actor }) => twoFactor.listPasskeys(ctx, actor), {
          auth: true,
          response: { 200: PasskeyList, ...problems(401, 403) },
          detail: { operationId: "listPasskeys", tags: TAGS, summary: "The signed-in user's passkeys (at most 20)" },
        })
        .post("/registration-options", ({ ctx, actor }) => twoFactor.passkeyRegistrationOptions(ctx, actor), {
          auth: true,
          response: { 200: PasskeyRegistrationOptions, ...problems(401, 403, 409) },
          detail: {
            operationId: "createPasskeyRegistrationOptions",
            tags: TAGS,
            summary: "Options for navigator.credentials.create; answer within five minutes with POST /v1/me/passkeys",
          },
        })
        .post(
          "",
          async ({ ctx, actor, body, set }) => {
            set.status = 201;
            return twoFactor.registerPasskey(ctx, actor, body);
          },
          {
            auth: true,
            body: RegisterPasskeyBody,
            response: { 201: PasskeyRegistered, ...problems(400, 401, 403, 409, 413, 415, 422) },
            detail: {
              operationId: "registerPasskey",
              tags: TAGS,
              summary: "Store the passkey the authenticator made; sign-in becomes two-step",
              description: "The first second factor of an account also returns ten recovery codes, this once.",
            },
          },
        )
        .patch(
          "/:id",
          async ({ ctx, actor, params, body }) => {
            const passkey = requireOwner(actor, await twoFactor.findPasskey(ctx, params.id), "passkey");
            return twoFactor.renamePasskey(ctx, passkey, body);
          },
          {
            auth: true,
            params: PasskeyIdParams,
            body: RenamePasskeyBody,
            response: { 200: PasskeyView, ...problems(400, 401, 403, 404, 413, 415, 422) },
            detail: { operationId: "renamePasskey", tags: TAGS, summary: "Rename a passkey" },
          },
        )
        .delete(
          "/:id",
          async ({ ctx, actor, params, set }) => {
            const passkey = requireOwner(actor, await twoFactor.findPasskey(ctx, params.id), "passkey");
            await twoFactor.deletePasskey(ctx, actor, passkey);
            set.status = 204;
          },
          {
            auth: true,
            params: PasskeyIdParams,
            response: problems(401, 403, 404, 422),
            detail: {
              operationId: "deletePasskey",
              tags: TAGS,
              summary: "Remove a passkey",
              description: "Recovery codes are removed too when no authenticator app or other passkey remains.",
            },
          },
        ),
    )
    .group("/v1/auth", (app) =>
      app
        .post("/login/2fa", ({ ctx, body }) => twoFactor.completeLoginWithCode(ctx, body), {
          body: LoginSecondFactorBody,
          response: { 200: TokenPair, ...problems(400, 401, 403, 409, 413, 415, 422, 429) },
          detail: {
            operationId: "completeLoginWithCode",
            tags: TAGS,
            summary: "The second sign-in step: the mfaToken and a code from the app, or a recovery code",
            description:
              "A code works once (a replay within its 30 s window is refused). Five wrong answers burn the mfaToken; five in 15 minutes lock second-factor checks for the account (429 with Retry-After).",
          },
        })
        .post("/passkey/options", ({ ctx, body }) => twoFactor.passkeySignInOptions(ctx, body), {
          body: Type.Optional(PasskeySignInOptionsBody),
          response: { 200: PasskeySignInOptions, ...problems(400, 401, 409, 413, 415, 422, 429) },
          detail: {
            operationId: "createPasskeySignInOptions",
            tags: TAGS,
            summary: "Options for navigator.credentials.get: passwordless, or the second step when an mfaToken is sent",
          },
        })
        .post("/passkey", ({ ctx, body }) => twoFactor.signInWithPasskey(ctx, body), {
          body: PasskeySignInBody,
          response: { 200: TokenPair, ...problems(400, 401, 403, 413, 415, 422) },
          detail: {
            operationId: "signInWithPasskey",
            tags: TAGS,
            summary: "Sign in with a passkey's assertion: passwordless, or as the second step (with the mfaToken)",
            description: "A signature counter that does not advance is refused (a cloned authenticator); each challenge answers once.",
          },
        }),
    );
}
