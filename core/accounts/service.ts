import { type AccessClaims, signAccessToken } from "@bazaar/auth";
import {
  AppError,
  type ChangePasswordBody,
  ConflictError,
  type LoginBody,
  type LoginResult,
  type MfaChallenge,
  type PasswordResetConfirmBody,
  type PasswordResetRequestBody,
  type RefreshTokenBody,
  type RegisterBody,
  type Role,
  type SecondFactorMethod,
  type TokenPair,
  UnauthenticatedError,
  type UserView,
  type VerifyEmailBody,
} from "@bazaar/contracts";
import { isConstraintError, type Statement } from "@bazaar/db";
import {
  createEvent,
  type EventDefinition,
  outboxInsert,
  type SESSION_REVOKED_REASONS,
  sessionRevoked,
  userEmailVerificationRequested,
  userEmailVerified,
  userLoggedIn,
  userNewDeviceLogin,
  userPasswordChanged,
  userPasswordResetRequested,
  userRegistered,
} from "@bazaar/events";
import type { Static, TSchema } from "@sinclair/typebox";
import type { Ctx, SigningKeys } from "../platform/deps.ts";
import type { Challenges } from "./challenges.ts";
import { deviceName } from "./device.ts";
import type { EmailLinks } from "./email-links.ts";
import type { PasswordHasher } from "./password.ts";
import { assertAcceptablePassword } from "./password-policy.ts";
import * as repo from "./repo.ts";
import { THROTTLE, type Throttle } from "./throttle.ts";
import { randomToken, sha256 } from "./tokens.ts";

export interface AccountsDeps {
  keys: SigningKeys;
  hasher: PasswordHasher;
  throttle: Throttle;
  challenges: Challenges;
  emailLinks: EmailLinks;
  accessTokenTtlSeconds: number;
  refreshTokenTtlMs: number;
}

export type SessionRevokedReason = (typeof SESSION_REVOKED_REASONS)[number];

/** How a sign-in proved who it was: `password`, `passkey`, `oauth:<provider>`, plus `+<factor>` after a second factor. */
export type SignInMethod = string;

/** How long the second step of a two-step sign-in may take. */
export const MFA_CHALLENGE_TTL_MS = 5 * 60_000;
export interface MfaChallengeData extends Record<string, unknown> {
  method: SignInMethod;
}

/** How recent a sign-in must be for changes that would let a thief keep the account (a new factor, a linked provider). */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

/**
 * Refuses (403) unless this session signed in within RECENT_SIGN_IN_MS: an access token taken
 * from a device must not be enough to add a way in. Refreshing does not count; signing in does.
 */
export async function requireRecentSignIn(ctx: Ctx, actor: { sessionId: string }, what: string): Promise<void> {
  const session = await repo.findSession(ctx.database, actor.sessionId);
  if (session && ctx.clock() - session.createdAt <= RECENT_SIGN_IN_MS) return;
  throw new AppError("RECENT_SIGN_IN_REQUIRED", `To ${what}, sign in again first (within ${RECENT_SIGN_IN_MS / 60_000} minutes)`);
}

/**
 * Before a new way in is added (an authenticator app, a passkey, a linked provider): the session
 * must be a recent sign-in, and the account's email verified — otherwise someone who registered
 * a victim's address first could plant a factor that survives the owner's password reset.
 */
export async function requireMayAddSignInMethod(ctx: Ctx, actor: { userId: string; sessionId: string }, what: string): Promise<void> {
  const user = await repo.findUserById(ctx.database, actor.userId);
  if (user?.emailVerifiedAt == null) throw new AppError("EMAIL_NOT_VERIFIED", `To ${what}, first confirm your email address (we sent you a link)`);
  await requireRecentSignIn(ctx, actor, what);
}

/** Emails compare case-insensitively; we store one canonical form. */
export const canonicalEmail = (email: string) => email.trim().toLowerCase();

export function toUserView(user: repo.UserRow): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    roles: user.roles as Role[],
    emailVerified: user.emailVerifiedAt !== null,
    locale: user.locale,
    currency: user.currency,
    avatarUrl: user.avatarKey ? `/v1/users/${user.id}/avatar?v=${user.avatarKey.slice(-8)}` : null,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

/** An event for `ctx`'s request, ready for the outbox. */
export function eventFor<S extends TSchema>(ctx: Ctx, definition: EventDefinition<string, S>, payload: Static<S>, now = ctx.clock()) {
  return createEvent(definition, payload, { ids: ctx.ids, now, requestId: ctx.requestId });
}

/** Throttle keys for sign-in attempts: the account from this address, the account from anywhere, the address. */
export function signInThrottleKeys(ctx: Ctx, email: string): Parameters<Throttle["attempt"]>[0] {
  const address = ctx.client.network;
  return [
    [`login:account-address:${email}|${address}`, THROTTLE.loginAccountAddress],
    [`login:account:${email}`, THROTTLE.loginAccount],
    [`login:address:${address}`, THROTTLE.loginAddress],
  ];
}

export function createAccountsService(deps: AccountsDeps) {
  async function issueTokens(ctx: Ctx, user: repo.UserRow, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const claims: AccessClaims = { sub: user.id, sid: sessionId, roles: user.roles as Role[] };
    const accessToken = await signAccessToken(deps.keys.current, claims, ctx.clock(), deps.accessTokenTtlSeconds);
    return { accessToken, refreshToken, expiresIn: deps.accessTokenTtlSeconds, user: toUserView(user) };
  }

  /** A new session with its first refresh token, as statements for the caller's batch. */
  function openSession(ctx: Ctx, userId: string, method: SignInMethod, now: number) {
    const sessionId = ctx.ids("session");
    const refreshToken = randomToken("rt");
    const device = deviceName(ctx.client.userAgent);
    const statements = [
      repo.insertSession(ctx.database.db, {
        id: sessionId,
        userId,
        userAgent: ctx.client.userAgent,
        ip: ctx.client.ip,
        deviceName: device,
        location: ctx.client.location,
        authMethod: method,
        createdAt: now,
        lastSeenAt: now,
      }),
      repo.insertRefreshToken(ctx.database.db, { tokenHash: sha256(refreshToken), sessionId, createdAt: now, expiresAt: now + deps.refreshTokenTtlMs }),
    ] as const;
    return { sessionId, refreshToken, device, statements };
  }

  /**
   * Signs a user in whose identity is proven (password, passkey, provider, second factor): a
   * session, `user.logged_in`, and `user.new_device_login` when this device is new to them.
   */
  async function startSession(ctx: Ctx, user: repo.UserRow, method: SignInMethod): Promise<TokenPair> {
    assertActive(user);
    const now = ctx.clock();
    const knownDevice = await repo.hasUsedDevice(ctx.database, user.id, deviceName(ctx.client.userAgent), ctx.client.ip);
    const session = openSession(ctx, user.id, method, now);
    const events = [eventFor(ctx, userLoggedIn, { userId: user.id, sessionId: session.sessionId, userAgent: ctx.client.userAgent }, now)];
    if (!knownDevice) {
      events.push(
        eventFor(
          ctx,
          userNewDeviceLogin,
          { userId: user.id, sessionId: session.sessionId, deviceName: session.device, ip: ctx.client.ip, location: ctx.client.location },
          now,
        ),
      );
    }
    await ctx.database.batch([...session.statements, ...events.map((event) => outboxInsert(ctx.database.db, event))]);
    ctx.eventsWritten();
    return issueTokens(ctx, user, session.sessionId, session.refreshToken);
  }

  /**
   * The end of a first factor: tokens when the account has no second factor (or `method`
   * already was a strong one), otherwise a challenge for POST /v1/auth/login/2fa.
   */
  async function completeSignIn(ctx: Ctx, user: repo.UserRow, method: SignInMethod): Promise<LoginResult> {
    assertActive(user);
    const methods = method.includes("+") || method === "passkey" ? [] : await repo.secondFactorsOf(ctx.database, user.id);
    if (!methods.length) return startSession(ctx, user, method);
    const data: MfaChallengeData = { method };
    const mfaToken = await deps.challenges.create("mfa_login", user.id, data, MFA_CHALLENGE_TTL_MS);
    const challenge: MfaChallenge = { mfaRequired: true, mfaToken, methods: methods as SecondFactorMethod[], expiresIn: MFA_CHALLENGE_TTL_MS / 1000 };
    return challenge;
  }

  /**
   * A new buyer account as statements for the caller's batch: the user, `user.registered`, and —
   * unless the address is already verified (by a provider) — the verification link, which the
   * mailer sends when it handles the event.
   */
  function newAccount(ctx: Ctx, input: { email: string; name: string; passwordHash: string; emailVerified: boolean }, now: number) {
    const user: repo.NewUser = {
      id: ctx.ids("user"),
      email: input.email,
      name: input.name,
      passwordHash: input.passwordHash,
      roles: ["buyer"],
      emailVerifiedAt: input.emailVerified ? now : null,
      createdAt: now,
      updatedAt: now,
    };
    const event = eventFor(ctx, userRegistered, { userId: user.id, email: input.email, name: input.name }, now);
    const statements: [Statement, ...Statement[]] = [repo.insertUser(ctx.database.db, user), outboxInsert(ctx.database.db, event)];
    if (!input.emailVerified)
      statements.push(deps.emailLinks.tokenRow(ctx.database.db, "verify_email", event.id, { userId: user.id, email: input.email }, now));
    return { user, event, statements };
  }

  /** Revokes a live session and announces it, atomically; false when it was already revoked. */
  async function revokeSession(ctx: Ctx, userId: string, sessionId: string, reason: SessionRevokedReason): Promise<boolean> {
    const now = ctx.clock();
    const event = eventFor(ctx, sessionRevoked, { userId, sessionId, reason }, now);
    const announced = await ctx.database.transaction(async (tx) => {
      if (!(await repo.revokeLiveSession(tx, sessionId, now, reason))) return false;
      await outboxInsert(tx, event);
      return true;
    });
    if (announced) ctx.eventsWritten();
    return announced;
  }

  return {
    startSession,
    completeSignIn,
    revokeSession,

    newAccount,

    /** Creates the account and signs it in: user, session, verification link and `user.registered` in one batch. */
    async register(ctx: Ctx, input: RegisterBody): Promise<TokenPair> {
      const email = canonicalEmail(input.email);
      const name = input.name.trim();
      assertAcceptablePassword(input.password, { email, name });
      await deps.throttle.enforce(
        [[`register:address:${ctx.client.network}`, THROTTLE.registerAddress]],
        "Too many sign-ups from this address; try again later",
      );
      if (await repo.findUserByEmail(ctx.database, email)) throw new ConflictError("An account with this email already exists", "/email");
      const passwordHash = await deps.hasher.hash(input.password);
      const now = ctx.clock();
      const account = newAccount(ctx, { email, name, passwordHash, emailVerified: false }, now);
      const session = openSession(ctx, account.user.id, "password", now);
      try {
        await ctx.database.batch([...account.statements, ...session.statements]);
      } catch (error) {
        // two registrations raced past the read above: the UNIQUE index decides
        if (isConstraintError(error, "UNIQUE")) throw new ConflictError("An account with this email already exists", "/email");
        throw error;
      }
      ctx.eventsWritten();
      ctx.log.info("user registered", { userId: account.user.id });
      const created = await repo.findUserById(ctx.database, account.user.id);
      if (!created) throw new Error("registered user vanished");
      return issueTokens(ctx, created, session.sessionId, session.refreshToken);
    },

    async login(ctx: Ctx, input: LoginBody): Promise<LoginResult> {
      const email = canonicalEmail(input.email);
      // counted before hashing: concurrent guesses can't all slip past while earlier ones are being verified
      await deps.throttle.enforce(signInThrottleKeys(ctx, email), "Too many sign-in attempts; try again later");
      const user = await repo.findUserByEmail(ctx.database, email);
      const ok = await deps.hasher.verify(input.password, user?.passwordHash || undefined);
      if (!user || !ok) throw new AppError("INVALID_CREDENTIALS", "The email or password is wrong");
      // a success clears this address's failures for the account and does not count against the wider budgets
      const [accountAddress, ...wider] = signInThrottleKeys(ctx, email).map(([key]) => key);
      await deps.throttle.clear(accountAddress ?? "");
      await deps.throttle.refund(...wider);
      return completeSignIn(ctx, user, "password");
    },

    /**
     * Rotates: the presented token dies and a new one is issued, atomically. A token
     * presented after it was used means it leaked; the whole session (its token family) is revoked.
     */
    async refresh(ctx: Ctx, input: RefreshTokenBody): Promise<TokenPair> {
      const tokenHash = sha256(input.refreshToken);
      const found = await repo.findRefreshToken(ctx.database, tokenHash);
      const now = ctx.clock();
      if (!found || found.session.revokedAt !== null || found.token.expiresAt <= now) throw invalidRefresh();
      if (found.token.usedAt !== null) {
        await revokeSession(ctx, found.session.userId, found.session.id, "refresh_reuse");
        ctx.log.warn("refresh token reused; session revoked", { sessionId: found.session.id, userId: found.session.userId });
        throw invalidRefresh();
      }
      const user = await repo.findUserById(ctx.database, found.session.userId);
      if (user?.status !== "active") throw invalidRefresh();
      const next = randomToken("rt");
      const rotated = await ctx.database.transaction(async (tx) => {
        const used = await repo.useRefreshToken(tx, tokenHash, now);
        if (!used.length) return false; // a concurrent refresh won the race
        await repo.insertRefreshToken(tx, { tokenHash: sha256(next), sessionId: found.session.id, createdAt: now, expiresAt: now + deps.refreshTokenTtlMs });
        await repo.touchSession(tx, found.session.id, now);
        return true;
      });
      if (!rotated) {
        // it was used between our read and our write: a concurrent presentation is reuse too
        await revokeSession(ctx, found.session.userId, found.session.id, "refresh_reuse");
        throw invalidRefresh();
      }
      return issueTokens(ctx, user, found.session.id, next);
    },

    /** Ends the session the refresh token belongs to. Unknown tokens succeed too: logout reveals nothing. */
    async logout(ctx: Ctx, input: RefreshTokenBody): Promise<void> {
      const found = await repo.findRefreshToken(ctx.database, sha256(input.refreshToken));
      if (!found || found.session.revokedAt !== null) return;
      await revokeSession(ctx, found.session.userId, found.session.id, "logout");
    },

    /** Ends every session of the user, `except` one if given (the caller's own, for "sign out other devices"). */
    async revokeAllSessions(ctx: Ctx, userId: string, reason: SessionRevokedReason, except?: string): Promise<number> {
      const live = await repo.liveSessionIds(ctx.database, userId);
      let revoked = 0;
      for (const sessionId of live) if (sessionId !== except && (await revokeSession(ctx, userId, sessionId, reason))) revoked++;
      return revoked;
    },

    /** The auth check has already found the session live and the account active. */
    async getMe(ctx: Ctx, actor: { userId: string }): Promise<UserView> {
      const user = await repo.findUserById(ctx.database, actor.userId);
      if (!user) throw new UnauthenticatedError("This session has ended; sign in again");
      return toUserView(user);
    },

    /**
     * Needs the current password. In one transaction: the new password, every other session ended
     * (whoever else knew the old one is out) and every outstanding reset link burnt.
     */
    async changePassword(ctx: Ctx, actor: { userId: string; sessionId: string }, input: ChangePasswordBody): Promise<void> {
      const user = await repo.findUserById(ctx.database, actor.userId);
      if (!user) throw new UnauthenticatedError();
      const keys = signInThrottleKeys(ctx, user.email).slice(0, 2);
      await deps.throttle.enforce(keys, "Too many password attempts; try again later");
      if (!(await deps.hasher.verify(input.currentPassword, user.passwordHash || undefined))) {
        throw new AppError("INVALID_CREDENTIALS", "The current password is wrong", [{ path: "/currentPassword", message: "is wrong" }]);
      }
      await deps.throttle.refund(...keys.map(([key]) => key));
      assertAcceptablePassword(input.newPassword, { email: user.email, name: user.name }, "/newPassword");
      const passwordHash = await deps.hasher.hash(input.newPassword);
      const now = ctx.clock();
      await ctx.database.transaction(async (tx) => {
        await repo.setPassword(tx, user.id, passwordHash, now);
        await deps.emailLinks.burnAll(tx, user.id, "reset_password", now);
        await outboxInsert(tx, eventFor(ctx, userPasswordChanged, { userId: user.id, via: "change" }, now));
        for (const sessionId of await repo.revokeAllLiveSessions(tx, user.id, now, "password_changed", actor.sessionId)) {
          await outboxInsert(tx, eventFor(ctx, sessionRevoked, { userId: user.id, sessionId, reason: "password_changed" }, now));
        }
      });
      ctx.eventsWritten();
    },

    /** Sends a fresh verification link (the old ones stay valid until they expire). */
    async resendVerification(ctx: Ctx, actor: { userId: string }): Promise<void> {
      const user = await repo.findUserById(ctx.database, actor.userId);
      if (!user) throw new UnauthenticatedError();
      if (user.emailVerifiedAt !== null) throw new ConflictError("This email address is already verified");
      await deps.throttle.enforce([[`mail:account:${user.id}`, THROTTLE.emailAccount]], "Too many emails requested; try again later");
      const now = ctx.clock();
      const event = eventFor(ctx, userEmailVerificationRequested, { userId: user.id, email: user.email }, now);
      await ctx.database.batch([
        deps.emailLinks.tokenRow(ctx.database.db, "verify_email", event.id, { userId: user.id, email: user.email }, now),
        outboxInsert(ctx.database.db, event),
      ]);
      ctx.eventsWritten();
    },

    /** Marks the address verified, if the link is live and the account still has that address. */
    async verifyEmail(ctx: Ctx, input: VerifyEmailBody): Promise<UserView> {
      const now = ctx.clock();
      const verified = await ctx.database.transaction(async (tx) => {
        const token = await deps.emailLinks.consume(tx, "verify_email", input.token, now);
        if (!token) return undefined;
        const user = await repo.markEmailVerified(tx, token.userId, token.email, now);
        if (user) await outboxInsert(tx, eventFor(ctx, userEmailVerified, { userId: user.id, email: user.email }, now));
        return user;
      });
      if (!verified) throw invalidLink();
      ctx.eventsWritten();
      return toUserView(verified);
    },

    /**
     * Always the same answer, whether or not the account exists (no enumeration). A live
     * account gets a link, at most a few per hour; the address itself is throttled openly.
     */
    async requestPasswordReset(ctx: Ctx, input: PasswordResetRequestBody): Promise<void> {
      const email = canonicalEmail(input.email);
      await deps.throttle.enforce([[`mail:address:${ctx.client.network}`, THROTTLE.emailAddress]], "Too many requests; try again later");
      const perAccount = await deps.throttle.attempt([[`mail:reset:${email}`, THROTTLE.emailAccount]]);
      const user = await repo.findUserByEmail(ctx.database, email);
      if (!perAccount.allowed || !user || user.status !== "active") return;
      const now = ctx.clock();
      const event = eventFor(ctx, userPasswordResetRequested, { userId: user.id, email }, now);
      await ctx.database.batch([
        deps.emailLinks.tokenRow(ctx.database.db, "reset_password", event.id, { userId: user.id, email }, now),
        outboxInsert(ctx.database.db, event),
      ]);
      ctx.eventsWritten();
    },

    /** One use per link: sets the password, burns the account's other reset links and ends every session. */
    async confirmPasswordReset(ctx: Ctx, input: PasswordResetConfirmBody): Promise<void> {
      const pending = await deps.emailLinks.peek(ctx.database, "reset_password", input.token, ctx.clock());
      if (!pending) throw invalidLink();
      const user = await repo.findUserById(ctx.database, pending.userId);
      if (user?.status !== "active") throw invalidLink();
      assertAcceptablePassword(input.password, { email: user.email, name: user.name });
      // hashed before the transaction: the write lane must never wait on argon2
      const passwordHash = await deps.hasher.hash(input.password);
      const now = ctx.clock();
      const revoked = await ctx.database.transaction(async (tx) => {
        if (!(await deps.emailLinks.consume(tx, "reset_password", input.token, now))) return undefined;
        await deps.emailLinks.burnAll(tx, user.id, "reset_password", now);
        if (user.emailVerifiedAt === null) {
          // the reset proves the mailbox: the address is verified now, and nothing set up before that proof survives it
          await repo.dropSignInMethods(tx, user.id);
          await repo.markEmailVerified(tx, user.id, user.email, now);
          await outboxInsert(tx, eventFor(ctx, userEmailVerified, { userId: user.id, email: user.email }, now));
        }
        await repo.setPassword(tx, user.id, passwordHash, now);
        await outboxInsert(tx, eventFor(ctx, userPasswordChanged, { userId: user.id, via: "reset" }, now));
        const sessions = await repo.revokeAllLiveSessions(tx, user.id, now, "password_reset");
        for (const sessionId of sessions) await outboxInsert(tx, eventFor(ctx, sessionRevoked, { userId: user.id, sessionId, reason: "password_reset" }, now));
        return sessions;
      });
      if (!revoked) throw invalidLink(); // a concurrent use of the same link won
      ctx.eventsWritten();
      // whoever owns the mailbox owns the account: their lockout ends too
      await deps.throttle.clear(`login:account:${user.email}`);
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;

/** Only active accounts sign in; a suspended one hears why, a deleted one is just unknown. */
function assertActive(user: repo.UserRow): void {
  if (user.status === "active") return;
  if (user.status === "deleted") throw new AppError("INVALID_CREDENTIALS", "The email or password is wrong");
  throw new AppError("ACCOUNT_DISABLED", `This account is ${user.status}; contact support`);
}

function invalidLink(): AppError {
  return new AppError("INVALID_LINK_TOKEN", "This link is invalid, expired or already used; ask for a new one", [
    { path: "/token", message: "is invalid or expired" },
  ]);
}

function invalidRefresh(): UnauthenticatedError {
  return new UnauthenticatedError("The refresh token is invalid, expired or already used");
}
