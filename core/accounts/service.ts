import { type AccessClaims, signAccessToken } from "@bazaar/auth";
import {
  AppError,
  ConflictError,
  type LoginBody,
  type RefreshTokenBody,
  type RegisterBody,
  type Role,
  type TokenPair,
  UnauthenticatedError,
  type UserView,
} from "@bazaar/contracts";
import { isConstraintError } from "@bazaar/db";
import { createEvent, outboxInsert, sessionRevoked, userLoggedIn, userRegistered } from "@bazaar/events";
import type { Ctx, SigningKeys } from "../platform/deps.ts";
import type { LoginThrottle, PasswordHasher } from "./password.ts";
import * as repo from "./repo.ts";

export interface AccountsDeps {
  keys: SigningKeys;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  accessTokenTtlSeconds: number;
  refreshTokenTtlMs: number;
}

/** Emails compare case-insensitively; we store one canonical form. */
const canonicalEmail = (email: string) => email.trim().toLowerCase();

export function toUserView(user: repo.UserRow): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    roles: user.roles as Role[],
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

export function createAccountsService(deps: AccountsDeps) {
  async function issueTokens(ctx: Ctx, user: repo.UserRow, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const claims: AccessClaims = { sub: user.id, sid: sessionId, roles: user.roles as Role[] };
    const accessToken = await signAccessToken(deps.keys.current, claims, ctx.clock(), deps.accessTokenTtlSeconds);
    return { accessToken, refreshToken, expiresIn: deps.accessTokenTtlSeconds, user: toUserView(user) };
  }

  /** A new session with its first refresh token, as statements for the caller's batch. */
  function openSession(ctx: Ctx, userId: string, now: number) {
    const sessionId = ctx.ids("session");
    const refreshToken = newRefreshToken();
    const statements = [
      repo.insertSession(ctx.database.db, {
        id: sessionId,
        userId,
        userAgent: ctx.client.userAgent,
        ip: ctx.client.ip,
        createdAt: now,
        lastSeenAt: now,
      }),
      repo.insertRefreshToken(ctx.database.db, { tokenHash: sha256(refreshToken), sessionId, createdAt: now, expiresAt: now + deps.refreshTokenTtlMs }),
    ] as const;
    return { sessionId, refreshToken, statements };
  }

  return {
    /** Creates the account and signs it in: user, session, token and `user.registered` in one batch. */
    async register(ctx: Ctx, input: RegisterBody): Promise<TokenPair> {
      const email = canonicalEmail(input.email);
      if (await repo.findUserByEmail(ctx.database, email)) throw new ConflictError("An account with this email already exists", "/email");
      const passwordHash = await deps.hasher.hash(input.password);
      const now = ctx.clock();
      const user: repo.UserRow = {
        id: ctx.ids("user"),
        email,
        name: input.name.trim(),
        passwordHash,
        roles: ["buyer"],
        emailVerifiedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      const session = openSession(ctx, user.id, now);
      const event = createEvent(userRegistered, { userId: user.id, email, name: user.name }, { ids: ctx.ids, now, requestId: ctx.requestId });
      try {
        await ctx.database.batch([repo.insertUser(ctx.database.db, user), ...session.statements, outboxInsert(ctx.database.db, event)]);
      } catch (error) {
        // two registrations raced past the read above: the UNIQUE index decides
        if (isConstraintError(error, "UNIQUE")) throw new ConflictError("An account with this email already exists", "/email");
        throw error;
      }
      ctx.eventsWritten();
      ctx.log.info("user registered", { userId: user.id });
      return issueTokens(ctx, user, session.sessionId, session.refreshToken);
    },

    async login(ctx: Ctx, input: LoginBody): Promise<TokenPair> {
      const email = canonicalEmail(input.email);
      deps.throttle.begin(email, ctx.clock());
      const user = await repo.findUserByEmail(ctx.database, email);
      const ok = await deps.hasher.verify(input.password, user?.passwordHash);
      if (!user || !ok) throw new AppError("INVALID_CREDENTIALS", "The email or password is wrong");
      deps.throttle.succeed(email);
      const now = ctx.clock();
      const session = openSession(ctx, user.id, now);
      const event = createEvent(
        userLoggedIn,
        { userId: user.id, sessionId: session.sessionId, userAgent: ctx.client.userAgent },
        { ids: ctx.ids, now, requestId: ctx.requestId },
      );
      await ctx.database.batch([...session.statements, outboxInsert(ctx.database.db, event)]);
      ctx.eventsWritten();
      return issueTokens(ctx, user, session.sessionId, session.refreshToken);
    },

    /**
     * Rotates: the presented token dies and a new one is issued, atomically. A token
     * presented after it was used means it leaked; the whole session is revoked.
     */
    async refresh(ctx: Ctx, input: RefreshTokenBody): Promise<TokenPair> {
      const tokenHash = sha256(input.refreshToken);
      const found = await repo.findRefreshToken(ctx.database, tokenHash);
      const now = ctx.clock();
      if (!found || found.session.revokedAt !== null || found.token.expiresAt <= now) throw invalidRefresh();
      if (found.token.usedAt !== null) {
        await revoke(ctx, found.session.userId, found.session.id, "refresh_reuse");
        ctx.log.warn("refresh token reused; session revoked", { sessionId: found.session.id, userId: found.session.userId });
        throw invalidRefresh();
      }
      const next = newRefreshToken();
      const rotated = await ctx.database.transaction(async (tx) => {
        const used = await repo.useRefreshToken(tx, tokenHash, now);
        if (!used.length) return false; // a concurrent refresh won the race
        await repo.insertRefreshToken(tx, { tokenHash: sha256(next), sessionId: found.session.id, createdAt: now, expiresAt: now + deps.refreshTokenTtlMs });
        await repo.touchSession(tx, found.session.id, now);
        return true;
      });
      if (!rotated) {
        // it was used between our read and our write: a concurrent presentation is reuse too
        await revoke(ctx, found.session.userId, found.session.id, "refresh_reuse");
        throw invalidRefresh();
      }
      const user = await repo.findUserById(ctx.database, found.session.userId);
      if (!user) throw invalidRefresh();
      return issueTokens(ctx, user, found.session.id, next);
    },

    /** Ends the session the refresh token belongs to. Unknown tokens succeed too: logout reveals nothing. */
    async logout(ctx: Ctx, input: RefreshTokenBody): Promise<void> {
      const found = await repo.findRefreshToken(ctx.database, sha256(input.refreshToken));
      if (!found || found.session.revokedAt !== null) return;
      await revoke(ctx, found.session.userId, found.session.id, "logout");
    },

    async getMe(ctx: Ctx, actor: { userId: string; sessionId: string }): Promise<UserView> {
      const user = await repo.findUserWithLiveSession(ctx.database, actor.userId, actor.sessionId);
      if (!user) throw new UnauthenticatedError("This session has ended; sign in again");
      return toUserView(user);
    },
  };

  async function revoke(ctx: Ctx, userId: string, sessionId: string, reason: "logout" | "refresh_reuse"): Promise<void> {
    const now = ctx.clock();
    const event = createEvent(sessionRevoked, { userId, sessionId, reason }, { ids: ctx.ids, now, requestId: ctx.requestId });
    const announced = await ctx.database.transaction(async (tx) => {
      if (!(await repo.revokeLiveSession(tx, sessionId, now, reason))) return false;
      await outboxInsert(tx, event);
      return true;
    });
    if (announced) ctx.eventsWritten();
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>;

function invalidRefresh(): UnauthenticatedError {
  return new UnauthenticatedError("The refresh token is invalid, expired or already used");
}

function newRefreshToken(): string {
  return `rt_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
}

function sha256(value: string): string {
  return new Bun.CryptoHasher("sha256").update(value).digest("hex");
}
