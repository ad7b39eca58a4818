import {
  AppError,
  ConflictError,
  type FreshSecondFactorBody,
  type LoginSecondFactorBody,
  NotFoundError,
  type PasskeyList,
  type PasskeyRegistered,
  type PasskeyRegistrationOptions,
  type PasskeySignInBody,
  type PasskeySignInOptions,
  type PasskeySignInOptionsBody,
  type PasskeyView,
  type RecoveryCodes,
  type RegisterPasskeyBody,
  type RenamePasskeyBody,
  type TokenPair,
  type TotpCodeBody,
  type TotpEnrolment,
  type TwoFactorStatus,
  UnauthenticatedError,
  ValidationError,
} from "@bazaar/contracts";
import { isConstraintError, type Tx } from "@bazaar/db";
import { outboxInsert, userTwoFactorChanged } from "@bazaar/events";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { toString as renderQrCode } from "qrcode";
import type { Ctx } from "../../platform/deps.ts";
import type { Secrets } from "../../platform/secrets.ts";
import type { Challenges } from "../challenges.ts";
import { deviceName } from "../device.ts";
import * as accountsRepo from "../repo.ts";
import { type AccountsService, eventFor, type MfaChallengeData, requireMayAddSignInMethod, requireRecentSignIn } from "../service.ts";
import { THROTTLE, type Throttle, type ThrottlePolicy } from "../throttle.ts";
import { type RelyingParty, WEBAUTHN_TIMEOUT_MS, WebAuthn, WebAuthnRefusal } from "./passkeys.ts";
import { newRecoveryCodes, recoveryCodeHash } from "./recovery-codes.ts";
import * as repo from "./repo.ts";
import { base32Decode, matchTotpStep, newTotpSecret, otpauthUri } from "./totp.ts";

export interface TwoFactorDeps {
  accounts: AccountsService;
  challenges: Challenges;
  throttle: Throttle;
  secrets: Secrets;
  relyingParty: RelyingParty;
}

/** The issuer authenticator apps show above the code. */
export const TOTP_ISSUER = "Bazaar";
/** Wrong answers one sign-in may give before its mfaToken is burnt; the per-account throttle counts them too. */
export const MFA_MAX_FAILURES = 5;
/** Passkeys one account may hold: keeps the list and every allowCredentials short. */
export const MAX_PASSKEYS = 20;

type Caller = { userId: string; sessionId: string };
type SecondFactor = { kind: "totp"; code: string } | { kind: "recovery_code"; code: string };
type TwoFactorChange = Pick<(typeof userTwoFactorChanged)["payload"]["static"], "method" | "change">;

/** A wrong, spent or replayed second factor: 401 naming the field. A sign-in it was meant for counts it. */
class SecondFactorRefused extends AppError {
  constructor(field: "/code" | "/recoveryCode", detail: string, message: string) {
    super("INVALID_CREDENTIALS", detail, [{ path: field, message }]);
  }
}

const wrongCode = () => new SecondFactorRefused("/code", "The code is wrong or has expired", "is wrong or expired");
const replayedCode = () => new SecondFactorRefused("/code", "This code was already used; wait for the next one", "was already used");
const wrongRecoveryCode = () => new SecondFactorRefused("/recoveryCode", "The recovery code is wrong or was already used", "is wrong or already used");

function signInExpired(): AppError {
  return new AppError("INVALID_CREDENTIALS", "This sign-in has expired or was already finished; sign in again", [
    { path: "/mfaToken", message: "is invalid, expired or already used" },
  ]);
}

function passkeyRefused(path: string, message: string): AppError {
  return new AppError("INVALID_CREDENTIALS", "The passkey could not be verified", [{ path, message }]);
}

const tooManyPasskeys = () => new ConflictError(`An account holds at most ${MAX_PASSKEYS} passkeys; remove one first`);

function registrationRefused(message: string): AppError {
  return new ValidationError([{ path: "/response", message }]);
}

/** `{ code }` or `{ recoveryCode }`, exactly one: the schema allows both members, this says which was meant. */
function secondFactorOf(body: FreshSecondFactorBody): SecondFactor {
  if (body.code !== undefined && body.recoveryCode !== undefined) {
    throw new ValidationError([{ path: "/recoveryCode", message: "must not be sent with code: send one of them" }]);
  }
  if (body.code !== undefined) return { kind: "totp", code: body.code };
  if (body.recoveryCode !== undefined) return { kind: "recovery_code", code: body.recoveryCode };
  throw new ValidationError([{ path: "/code", message: "is required (or send recoveryCode instead)" }]);
}

export function toPasskeyView(passkey: repo.PasskeyRow): PasskeyView {
  return {
    id: passkey.id,
    name: passkey.name,
    deviceType: passkey.deviceType === "singleDevice" || passkey.deviceType === "multiDevice" ? passkey.deviceType : null,
    backedUp: passkey.backedUp,
    transports: passkey.transports ?? [],
    createdAt: new Date(passkey.createdAt).toISOString(),
    lastUsedAt: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
  };
}

async function qrCodeDataUrl(text: string): Promise<string> {
  const svg = await renderQrCode(text, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

/**
 * Second factors: an authenticator app (TOTP), recovery codes, and passkeys, which are also a
 * sign-in of their own. Every change and the `user.two_factor_changed` that announces it commit
 * in one transaction; every factor is spent in the same transaction as what it unlocks.
 */
export function createTwoFactorService(deps: TwoFactorDeps) {
  const webauthn = new WebAuthn(deps.relyingParty);
  const throttleKey = (userId: string) => `2fa:user:${userId}`;
  const throttleKeys = (userId: string): [string, ThrottlePolicy][] => [[throttleKey(userId), THROTTLE.secondFactor]];

  const announce = (tx: Tx, ctx: Ctx, userId: string, change: TwoFactorChange, now: number) =>
    outboxInsert(tx, eventFor(ctx, userTwoFactorChanged, { userId, ...change }, now));

  const secretOf = (factor: repo.TotpFactorRow) => base32Decode(deps.secrets.decrypt(factor.secretEncrypted));

  async function loadUser(ctx: Ctx, userId: string): Promise<accountsRepo.UserRow> {
    const user = await accountsRepo.findUserById(ctx.database, userId);
    if (!user) throw new UnauthenticatedError();
    return user;
  }

  /**
   * Checks a second factor and spends it in the transaction that applies what it unlocks, so one
   * TOTP step or one recovery code buys exactly one thing, however many requests present it at
   * once. Attempts are counted per account before the check; a success clears the count.
   */
  async function spendSecondFactor(ctx: Ctx, userId: string, factor: SecondFactor, unlock: (tx: Tx, now: number) => Promise<void>): Promise<void> {
    await deps.throttle.enforce(throttleKeys(userId), "Too many second-factor attempts; try again later");
    const now = ctx.clock();
    let spend: (tx: Tx) => Promise<boolean>;
    if (factor.kind === "totp") {
      const totp = await repo.findTotpFactor(ctx.database.db, userId);
      if (totp?.confirmedAt == null) throw new ConflictError("No authenticator app is set up for this account; use a recovery code", "/code");
      const step = matchTotpStep(secretOf(totp), factor.code, now);
      if (step === undefined) throw wrongCode();
      if (step <= totp.lastUsedStep) throw replayedCode();
      spend = (tx) => repo.useTotpStep(tx, userId, step);
    } else {
      const codeHash = recoveryCodeHash(userId, factor.code);
      spend = (tx) => repo.useRecoveryCode(tx, userId, codeHash, now);
    }
    await ctx.database.transaction(async (tx) => {
      // what was read above is a preview; this conditional write decides when requests race
      if (!(await spend(tx))) throw factor.kind === "totp" ? replayedCode() : wrongRecoveryCode();
      if (factor.kind === "recovery_code") await announce(tx, ctx, userId, { method: "recovery_codes", change: "used" }, now);
      await unlock(tx, now);
    });
    ctx.eventsWritten();
    await deps.throttle.clear(throttleKey(userId));
  }

  /** Recovery codes are for a lost factor: when the last one goes, they go too. */
  async function dropRecoveryCodesIfLastFactor(tx: Tx, ctx: Ctx, userId: string, now: number): Promise<void> {
    const totp = await repo.findTotpFactor(tx, userId);
    if (totp?.confirmedAt != null || (await repo.countPasskeys(tx, userId)) > 0) return;
    if ((await repo.countUnusedRecoveryCodes(tx, userId)) > 0) await announce(tx, ctx, userId, { method: "recovery_codes", change: "disabled" }, now);
    await repo.deleteRecoveryCodes(tx, userId);
  }

  return {
    async getStatus(ctx: Ctx, caller: Caller): Promise<TwoFactorStatus> {
      const [totp, passkeys, recoveryCodesRemaining] = await Promise.all([
        repo.findTotpFactor(ctx.database.db, caller.userId),
        repo.countPasskeys(ctx.database.db, caller.userId),
        repo.countUnusedRecoveryCodes(ctx.database.db, caller.userId),
      ]);
      const state = !totp ? "off" : totp.confirmedAt === null ? "pending" : "on";
      return { enabled: state === "on" || passkeys > 0, totp: state, passkeys, recoveryCodesRemaining };
    },

    /** A new secret for the app, until its first code confirms it; restarting replaces a pending one. */
    async startTotpEnrolment(ctx: Ctx, caller: Caller): Promise<TotpEnrolment> {
      // a new factor is a new way in: a stolen access token alone must not be enough to add one
      await requireMayAddSignInMethod(ctx, caller, "set up an authenticator app");
      const user = await loadUser(ctx, caller.userId);
      const secret = newTotpSecret();
      const started = await repo.startTotpEnrolment(ctx.database, user.id, deps.secrets.encrypt(secret), ctx.clock());
      if (!started) throw new ConflictError("An authenticator app is already on; turn it off first to move to another one");
      const uri = otpauthUri({ secret, issuer: TOTP_ISSUER, account: user.email });
      return { secret, otpauthUri: uri, qrCodeDataUrl: await qrCodeDataUrl(uri) };
    },

    /** The first code proves the app holds the secret: the factor turns on and ten recovery codes are issued. */
    async confirmTotpEnrolment(ctx: Ctx, caller: Caller, body: TotpCodeBody): Promise<RecoveryCodes> {
      const userId = caller.userId;
      await deps.throttle.enforce(throttleKeys(userId), "Too many second-factor attempts; try again later");
      const factor = await repo.findTotpFactor(ctx.database.db, userId);
      if (!factor) throw new ConflictError("There is no enrolment to confirm; start one with POST /v1/me/2fa/totp");
      if (factor.confirmedAt !== null) throw new ConflictError("The authenticator app is already on");
      const now = ctx.clock();
      const step = matchTotpStep(secretOf(factor), body.code, now);
      if (step === undefined) throw wrongCode();
      const recoveryCodes = newRecoveryCodes();
      await ctx.database.transaction(async (tx) => {
        if (!(await repo.confirmTotp(tx, userId, factor.secretEncrypted, step, now))) {
          throw new ConflictError("The enrolment changed while this code was checked (restarted or confirmed); start again", "/code");
        }
        await repo.replaceRecoveryCodes(
          tx,
          userId,
          recoveryCodes.map((code) => recoveryCodeHash(userId, code)),
          now,
        );
        await announce(tx, ctx, userId, { method: "totp", change: "enabled" }, now);
      });
      ctx.eventsWritten();
      await deps.throttle.clear(throttleKey(userId));
      return { recoveryCodes };
    },

    /** Needs a fresh second factor, so a stolen access token alone cannot turn two-factor off. */
    async disableTotp(ctx: Ctx, caller: Caller, body: FreshSecondFactorBody): Promise<void> {
      const factor = secondFactorOf(body);
      const totp = await repo.findTotpFactor(ctx.database.db, caller.userId);
      if (totp?.confirmedAt == null) throw new ConflictError("No authenticator app is on for this account");
      await spendSecondFactor(ctx, caller.userId, factor, async (tx, now) => {
        if (!(await repo.deleteTotpFactor(tx, caller.userId))) throw new ConflictError("No authenticator app is on for this account");
        await announce(tx, ctx, caller.userId, { method: "totp", change: "disabled" }, now);
        await dropRecoveryCodesIfLastFactor(tx, ctx, caller.userId, now);
      });
    },

    /**
     * Ten new codes for a fresh second factor; every earlier code dies. An account whose only factor
     * is a passkey has no code to give: a recent sign-in (which took the passkey) stands in for it.
     */
    async regenerateRecoveryCodes(ctx: Ctx, caller: Caller, body: FreshSecondFactorBody): Promise<RecoveryCodes> {
      const methods = await accountsRepo.secondFactorsOf(ctx.database, caller.userId);
      if (!methods.length) throw new ConflictError("Two-factor is off: recovery codes come with an authenticator app or a passkey");
      const recoveryCodes = newRecoveryCodes();
      const replace = async (tx: Tx, now: number) => {
        await repo.replaceRecoveryCodes(
          tx,
          caller.userId,
          recoveryCodes.map((code) => recoveryCodeHash(caller.userId, code)),
          now,
        );
        await announce(tx, ctx, caller.userId, { method: "recovery_codes", change: "regenerated" }, now);
      };
      if (!methods.includes("totp") && body.code === undefined && body.recoveryCode === undefined) {
        await requireRecentSignIn(ctx, caller, "make new recovery codes");
        await ctx.database.transaction((tx) => replace(tx, ctx.clock()));
        ctx.eventsWritten();
      } else {
        await spendSecondFactor(ctx, caller.userId, secondFactorOf(body), replace);
      }
      return { recoveryCodes };
    },

    /**
     * The second sign-in step with a code: the mfaToken is used up only by a right answer, in the
     * same transaction that spends the code. A wrong one counts against the token (burnt after
     * MFA_MAX_FAILURES) and against the account's second-factor throttle.
     */
    async completeLoginWithCode(ctx: Ctx, body: LoginSecondFactorBody): Promise<TokenPair> {
      const factor = secondFactorOf(body);
      const pending = await deps.challenges.peek<MfaChallengeData>("mfa_login", body.mfaToken);
      if (!pending?.userId) throw signInExpired();
      const user = await accountsRepo.findUserById(ctx.database, pending.userId);
      if (!user) throw signInExpired();
      try {
        await spendSecondFactor(ctx, user.id, factor, async (tx) => {
          if (!(await deps.challenges.consume("mfa_login", body.mfaToken, tx))) throw signInExpired();
        });
      } catch (error) {
        if (error instanceof SecondFactorRefused) await deps.challenges.fail("mfa_login", body.mfaToken, MFA_MAX_FAILURES);
        throw error;
      }
      return deps.accounts.startSession(ctx, user, `${pending.data.method}+${factor.kind}`);
    },

    async listPasskeys(ctx: Ctx, caller: Caller): Promise<PasskeyList> {
      return { passkeys: (await repo.listPasskeys(ctx.database.db, caller.userId)).map(toPasskeyView) };
    },

    /** For the routes' ownership check: the passkey with this id, whoever's it is. */
    findPasskey: (ctx: Ctx, id: string) => repo.findPasskey(ctx.database.db, id),

    async passkeyRegistrationOptions(ctx: Ctx, caller: Caller): Promise<PasskeyRegistrationOptions> {
      await requireMayAddSignInMethod(ctx, caller, "add a passkey");
      const user = await loadUser(ctx, caller.userId);
      const existing = await repo.listPasskeys(ctx.database.db, user.id);
      if (existing.length >= MAX_PASSKEYS) throw tooManyPasskeys();
      const handle = await deps.challenges.create("webauthn_register", user.id, {}, WEBAUTHN_TIMEOUT_MS);
      return webauthn.registrationOptions(handle, user, existing);
    },

    /**
     * Stores a passkey the authenticator made for options this user asked for. The first second
     * factor of an account also brings its recovery codes, returned this once.
     */
    async registerPasskey(ctx: Ctx, caller: Caller, body: RegisterPasskeyBody): Promise<PasskeyRegistered> {
      const userId = caller.userId;
      const response = { ...body.response, clientExtensionResults: body.response.clientExtensionResults ?? {} } as RegistrationResponseJSON;
      const handle = webauthn.handleOf(response.response.clientDataJSON);
      const ceremony = handle ? await deps.challenges.peek("webauthn_register", handle) : undefined;
      if (!handle || ceremony?.userId !== userId) throw registrationRefused("answers no open registration options of yours; ask for new ones");
      let credential: Awaited<ReturnType<WebAuthn["verifyRegistration"]>>;
      try {
        credential = await webauthn.verifyRegistration(response, handle);
      } catch (error) {
        if (!(error instanceof WebAuthnRefusal)) throw error;
        ctx.log.info("passkey registration refused", { userId, reason: error.message });
        throw registrationRefused("did not verify (challenge, origin, relying party or attestation)");
      }
      const now = ctx.clock();
      const name = body.name?.trim() || defaultPasskeyName(ctx);
      const recoveryCodes = (await repo.countUnusedRecoveryCodes(ctx.database.db, userId)) === 0 ? newRecoveryCodes() : undefined;
      let passkey: repo.PasskeyRow;
      try {
        passkey = await ctx.database.transaction(async (tx) => {
          if (!(await deps.challenges.consume("webauthn_register", handle, tx))) throw registrationRefused("answers options that were already used");
          if ((await repo.countPasskeys(tx, userId)) >= MAX_PASSKEYS) throw tooManyPasskeys();
          const row = await repo.insertPasskey(tx, {
            id: credential.id,
            userId,
            publicKey: credential.publicKey,
            counter: credential.counter,
            transports: credential.transports,
            deviceType: credential.deviceType,
            backedUp: credential.backedUp,
            name,
            createdAt: now,
          });
          await announce(tx, ctx, userId, { method: "passkey", change: "enabled" }, now);
          if (recoveryCodes) {
            await repo.replaceRecoveryCodes(
              tx,
              userId,
              recoveryCodes.map((code) => recoveryCodeHash(userId, code)),
              now,
            );
          }
          return row;
        });
      } catch (error) {
        if (isConstraintError(error, "UNIQUE") || isConstraintError(error, "PRIMARYKEY")) {
          throw new ConflictError("This passkey is already registered", "/response/id");
        }
        throw error;
      }
      ctx.eventsWritten();
      return recoveryCodes ? { passkey: toPasskeyView(passkey), recoveryCodes } : { passkey: toPasskeyView(passkey) };
    },

    async renamePasskey(ctx: Ctx, passkey: repo.PasskeyRow, body: RenamePasskeyBody): Promise<PasskeyView> {
      const renamed = await repo.renamePasskey(ctx.database, passkey.id, passkey.userId, body.name.trim());
      if (!renamed) throw new NotFoundError("passkey"); // removed meanwhile
      return toPasskeyView(renamed);
    },

    /** Removing a way in is as sensitive as adding one: a stolen token alone must not turn two-factor off. */
    async deletePasskey(ctx: Ctx, caller: Caller, passkey: repo.PasskeyRow): Promise<void> {
      await requireRecentSignIn(ctx, caller, "remove a passkey");
      await ctx.database.transaction(async (tx) => {
        const now = ctx.clock();
        if (!(await repo.deletePasskey(tx, passkey.id, passkey.userId))) throw new NotFoundError("passkey");
        await announce(tx, ctx, passkey.userId, { method: "passkey", change: "disabled" }, now);
        await dropRecoveryCodesIfLastFactor(tx, ctx, passkey.userId, now);
      });
      ctx.eventsWritten();
    },

    /**
     * Options for navigator.credentials.get. Without an mfaToken: a passwordless sign-in, any
     * discoverable passkey, user verification required. With one: the second step of that
     * sign-in, that user's passkeys only, user verification preferred (the password came first).
     */
    async passkeySignInOptions(ctx: Ctx, body: PasskeySignInOptionsBody | null | undefined): Promise<PasskeySignInOptions> {
      if (body?.mfaToken) {
        const pending = await deps.challenges.peek<MfaChallengeData>("mfa_login", body.mfaToken);
        if (!pending?.userId) throw signInExpired();
        const passkeys = await repo.listPasskeys(ctx.database.db, pending.userId);
        if (!passkeys.length) throw new ConflictError("This account has no passkey; answer with a code instead", "/mfaToken");
        const challengeToken = await deps.challenges.create("webauthn_login", pending.userId, {}, WEBAUTHN_TIMEOUT_MS);
        return { challengeToken, options: await webauthn.authenticationOptions(challengeToken, passkeys, "preferred") };
      }
      await deps.throttle.enforce([[passwordlessThrottleKey(ctx), THROTTLE.loginAddress]], "Too many sign-in attempts from this address; try again later");
      const challengeToken = await deps.challenges.create("webauthn_login", null, {}, WEBAUTHN_TIMEOUT_MS);
      return { challengeToken, options: await webauthn.authenticationOptions(challengeToken, [], "required") };
    },

    /**
     * Signs in with a passkey's assertion: passwordless (no mfaToken), or as the second step of
     * the sign-in the options were made for. The WebAuthn challenge, the counter and the mfaToken
     * are all spent in one transaction, only once the signature holds.
     */
    async signInWithPasskey(ctx: Ctx, body: PasskeySignInBody): Promise<TokenPair> {
      const response = { ...body.response, clientExtensionResults: body.response.clientExtensionResults ?? {} } as AuthenticationResponseJSON;
      const ceremony = await deps.challenges.peek("webauthn_login", body.challengeToken);
      if (!ceremony) throw passkeyRefused("/challengeToken", "is invalid, expired or already used; ask for new options");
      // options made for a second step (user verification only preferred) never sign in on their own
      const ownerOfSignIn = ceremony.userId;
      if (ownerOfSignIn !== null && body.mfaToken === undefined) {
        throw new ValidationError([{ path: "/mfaToken", message: "is required: these options were made for the second step of a sign-in" }]);
      }
      if (ownerOfSignIn === null && body.mfaToken !== undefined) {
        throw new ValidationError([{ path: "/mfaToken", message: "must be sent when asking for the options, not only now" }]);
      }
      const pending = body.mfaToken ? await deps.challenges.peek<MfaChallengeData>("mfa_login", body.mfaToken) : undefined;
      if (body.mfaToken && pending?.userId !== ownerOfSignIn) throw signInExpired(); // unknown, expired, or another sign-in's

      const refuse = async (error: AppError): Promise<AppError> => {
        // a WebAuthn challenge is answered once, right or wrong; the sign-in counts a wrong answer
        await deps.challenges.fail("webauthn_login", body.challengeToken, 1);
        if (body.mfaToken) await deps.challenges.fail("mfa_login", body.mfaToken, MFA_MAX_FAILURES);
        return error;
      };
      const passkey = await repo.findPasskey(ctx.database.db, response.id);
      if (!passkey || (ownerOfSignIn !== null && passkey.userId !== ownerOfSignIn)) {
        throw await refuse(passkeyRefused("/response/id", "is not a passkey registered to this account"));
      }
      const namedUser = webauthn.userIdOf(response);
      if (namedUser !== undefined && namedUser !== passkey.userId) {
        throw await refuse(passkeyRefused("/response/response/userHandle", "does not belong to this passkey"));
      }
      let counter: number;
      let backedUp: boolean;
      try {
        ({ counter, backedUp } = await webauthn.verifyAuthentication(response, body.challengeToken, passkey, ownerOfSignIn ? "preferred" : "required"));
      } catch (error) {
        if (!(error instanceof WebAuthnRefusal)) throw error;
        if (error.reason === "counter_regressed") {
          ctx.log.warn("passkey counter did not advance: possibly a cloned authenticator", {
            passkeyId: passkey.id,
            userId: passkey.userId,
            reason: error.message,
          });
          throw await refuse(passkeyRefused("/response", "repeats a signature counter already seen"));
        }
        ctx.log.info("passkey assertion refused", { passkeyId: passkey.id, reason: error.message });
        throw await refuse(passkeyRefused("/response", "did not verify (challenge, origin, relying party, user verification or signature)"));
      }
      const user = await accountsRepo.findUserById(ctx.database, passkey.userId);
      if (!user) throw await refuse(passkeyRefused("/response/id", "is not a passkey registered to this account"));
      const now = ctx.clock();
      await ctx.database.transaction(async (tx) => {
        if (!(await deps.challenges.consume("webauthn_login", body.challengeToken, tx))) throw passkeyRefused("/challengeToken", "was already used");
        if (!(await repo.usePasskey(tx, passkey.id, counter, backedUp, now))) throw passkeyRefused("/response", "repeats a signature counter already seen");
        if (body.mfaToken && !(await deps.challenges.consume("mfa_login", body.mfaToken, tx))) throw signInExpired();
      });
      const tokens = await deps.accounts.startSession(ctx, user, pending ? `${pending.data.method}+passkey` : "passkey");
      // like a right password, a passwordless success does not use up its address's budget
      if (!pending) await deps.throttle.refund(passwordlessThrottleKey(ctx));
      return tokens;
    },
  };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;

/** Passwordless options are free to ask for and each stores a challenge: counted per address. */
function passwordlessThrottleKey(ctx: Ctx): string {
  return `passkey-options:address:${ctx.client.network}`;
}

/** "Chrome on macOS" when the browser says, else just "Passkey". */
function defaultPasskeyName(ctx: Ctx): string {
  const device = deviceName(ctx.client.userAgent);
  return device === "Unknown device" ? "Passkey" : device;
}
