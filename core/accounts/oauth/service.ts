import {
  AppError,
  ConflictError,
  Email,
  type LoginResult,
  type OAuthAuthorization,
  type OAuthCallbackBody,
  type OAuthIdentityList,
  type OAuthIdentityView,
  type OAuthProviderList,
} from "@bazaar/contracts";
import { isConstraintError, type Statement } from "@bazaar/db";
import { Value } from "@sinclair/typebox/value";
import * as client from "openid-client";
import type { Ctx } from "../../platform/deps.ts";
import type { Challenges } from "../challenges.ts";
import * as accountsRepo from "../repo.ts";
import { type AccountsService, canonicalEmail, requireMayAddSignInMethod } from "../service.ts";
import type { Throttle, ThrottlePolicy } from "../throttle.ts";
import { type AuthorizationRequest, type OAuthProfile, OAuthProviderError } from "./provider.ts";
import { assertAllowedRedirectUri } from "./redirect-uri.ts";
import type { ProviderRegistry } from "./registry.ts";
import * as repo from "./repo.ts";

export interface OAuthServiceDeps {
  accounts: Pick<AccountsService, "completeSignIn" | "newAccount">;
  challenges: Challenges;
  throttle: Throttle;
  providers: ProviderRegistry;
  /** the origins a provider may send people back to */
  redirectOrigins: readonly string[];
}

/** How long a person has between leaving for the provider and the code coming back. */
export const OAUTH_FLOW_TTL_MS = 10 * 60_000;

/** Starting a flow writes a challenge row: bounded per address (sign-in) and per account (linking). */
export const OAUTH_START_THROTTLE: ThrottlePolicy = { limit: 60, windowMs: 15 * 60_000, lockMs: 15 * 60_000, maxLockMs: 60 * 60_000 };

type Intent = "sign_in" | "link";

/** What the `oauth` challenge holds; its handle is the `state`. A link flow's challenge also names the user. */
interface OAuthFlow extends Record<string, unknown> {
  provider: string;
  intent: Intent;
  redirectUri: string;
  codeVerifier: string;
  nonce: string;
}

export function createOAuthService(deps: OAuthServiceDeps) {
  function providerNamed(name: string) {
    const provider = deps.providers.get(name);
    if (!provider) throw new AppError("NOT_FOUND", `No sign-in provider named ${name} is configured`);
    return provider;
  }

  /** Stores state, PKCE verifier, nonce and redirect URI in a single-use challenge, and builds the provider URL around them. */
  async function start(ctx: Ctx, name: string, redirectUri: string, intent: Intent, userId: string | null): Promise<OAuthAuthorization> {
    const provider = providerNamed(name);
    assertAllowedRedirectUri(redirectUri, deps.redirectOrigins);
    const key = userId ? `oauth:account:${userId}` : `oauth:address:${ctx.client.network}`;
    await deps.throttle.enforce([[key, OAUTH_START_THROTTLE]], "Too many sign-in attempts; try again later");
    const flow: OAuthFlow = { provider: name, intent, redirectUri, codeVerifier: client.randomPKCECodeVerifier(), nonce: client.randomNonce() };
    const state = await deps.challenges.create("oauth", userId, flow, OAUTH_FLOW_TTL_MS);
    let url: URL;
    try {
      url = await provider.authorizationUrl({ state, codeVerifier: flow.codeVerifier, nonce: flow.nonce, redirectUri });
    } catch (error) {
      throw providerFailure(ctx, name, error);
    }
    return { authorizationUrl: url.href, state, expiresIn: OAUTH_FLOW_TTL_MS / 1000 };
  }

  /**
   * Uses the state up (whatever happens next, it never works twice), checks it belongs to this
   * provider, intent and user, then lets the provider turn the code into a verified profile.
   */
  async function finish(ctx: Ctx, name: string, body: OAuthCallbackBody, intent: Intent, userId: string | null): Promise<OAuthProfile> {
    const provider = providerNamed(name);
    const flow = await deps.challenges.consume<OAuthFlow>("oauth", body.state);
    if (!flow || flow.data.provider !== name || flow.data.intent !== intent || flow.userId !== userId) {
      throw new AppError("BAD_REQUEST", "This sign-in link is invalid, expired or already used; start again", [
        { path: "/state", message: "is unknown, expired or already used" },
      ]);
    }
    const request: AuthorizationRequest = {
      state: body.state,
      codeVerifier: flow.data.codeVerifier,
      nonce: flow.data.nonce,
      redirectUri: flow.data.redirectUri,
    };
    let profile: OAuthProfile;
    try {
      profile = await provider.profile(body.iss ? { code: body.code, iss: body.iss } : { code: body.code }, request);
    } catch (error) {
      throw providerFailure(ctx, name, error);
    }
    if (!profile.subject || profile.subject.length > 255)
      throw providerFailure(ctx, name, new OAuthProviderError("unavailable", `${name} gave no usable subject`));
    return profile;
  }

  /**
   * Who a verified profile is here. A known identity is its user. Otherwise an account with the
   * same email is linked only when both sides proved the address: the provider asserts it verified
   * it, and the account confirmed it with us (else a stranger who registered the address first —
   * account pre-hijacking — would share the account). No account: a new one, verified when the
   * provider verified the email.
   */
  async function resolveUser(ctx: Ctx, name: string, profile: OAuthProfile, retried = false): Promise<accountsRepo.UserRow> {
    const now = ctx.clock();
    const email = usableEmail(profile.email);
    const known = await repo.findIdentity(ctx.database, name, profile.subject);
    if (known) {
      await repo.touchIdentity(ctx.database, name, profile.subject, email, now);
      const user = await accountsRepo.findUserById(ctx.database, known.userId);
      if (!user) throw new Error(`identity ${name}/${profile.subject} has no user`);
      return user;
    }
    if (!email) throw new AppError("BAD_REQUEST", `${name} did not share an email address with us; allow it and try again`);
    const existing = await accountsRepo.findUserByEmail(ctx.database, email);
    try {
      if (existing) {
        // nothing is linked to an account that may not sign in; completeSignIn says why
        if (existing.status !== "active") return existing;
        if (!profile.emailVerified) {
          throw new ConflictError(
            `An account with this email already exists, and ${name} does not confirm the address is yours. Sign in with your password, then link ${name} from your account settings.`,
          );
        }
        if (existing.emailVerifiedAt === null) {
          throw new ConflictError(
            `An account with this email already exists but its address was never confirmed. Sign in with your password (or reset it), then link ${name} from your account settings.`,
          );
        }
        // linking happens before any second step could be asked for: an account with two-factor on
        // must not gain a permanent way in from a sign-in that never passed its second factor
        if ((await accountsRepo.secondFactorsOf(ctx.database, existing.id)).length) {
          throw new ConflictError(
            `An account with this email already exists and has two-factor sign-in on. Sign in to it, then link ${name} from your account settings.`,
          );
        }
        if (await repo.findIdentityOfUser(ctx.database, existing.id, name)) {
          throw new ConflictError(`The account with this email is linked to a different ${name} account`);
        }
        await ctx.database.batch([identityRow(ctx, name, profile, existing.id, email, now)]);
        ctx.log.info("oauth identity linked by verified email", { userId: existing.id, provider: name });
        return existing;
      }
      return await createUser(ctx, name, profile, email, now);
    } catch (error) {
      // a concurrent callback for the same person won the insert: what it wrote now answers the question
      if (!retried && (isConstraintError(error, "UNIQUE") || isConstraintError(error, "PRIMARYKEY"))) return resolveUser(ctx, name, profile, true);
      throw error;
    }
  }

  /** The account, its identity and `user.registered` in one batch; the verification link only when the provider did not verify the address. */
  async function createUser(ctx: Ctx, name: string, profile: OAuthProfile, email: string, now: number): Promise<accountsRepo.UserRow> {
    const account = deps.accounts.newAccount(
      ctx,
      { email, name: displayName(profile.name, email), passwordHash: "", emailVerified: profile.emailVerified },
      now,
    );
    const { user } = account;
    await ctx.database.batch([...account.statements, identityRow(ctx, name, profile, user.id, email, now)]);
    ctx.eventsWritten();
    ctx.log.info("user registered", { userId: user.id, provider: name });
    const created = await accountsRepo.findUserById(ctx.database, user.id);
    if (!created) throw new Error("registered user vanished");
    return created;
  }

  function identityRow(ctx: Ctx, provider: string, profile: OAuthProfile, userId: string, email: string | null, now: number): Statement {
    return repo.insertIdentity(ctx.database.db, { provider, subject: profile.subject, userId, email, createdAt: now, lastUsedAt: now });
  }

  return {
    listProviders(): OAuthProviderList {
      return { providers: [...deps.providers.values()].map((p) => ({ name: p.name, kind: p.kind })) };
    },

    startSignIn(ctx: Ctx, name: string, redirectUri: string): Promise<OAuthAuthorization> {
      return start(ctx, name, redirectUri, "sign_in", null);
    },

    /** Signs in (or up) with the provider: tokens, or an MFA challenge when the account has a second factor. */
    async completeSignIn(ctx: Ctx, name: string, body: OAuthCallbackBody): Promise<LoginResult> {
      const profile = await finish(ctx, name, body, "sign_in", null);
      const user = await resolveUser(ctx, name, profile);
      return deps.accounts.completeSignIn(ctx, user, `oauth:${name}`);
    },

    /** A linked provider is a new way in: like a new factor, it needs a recent sign-in, not just a token. */
    async startLink(ctx: Ctx, actor: { userId: string; sessionId: string }, name: string, redirectUri: string): Promise<OAuthAuthorization> {
      await requireMayAddSignInMethod(ctx, actor, "link a sign-in provider");
      return start(ctx, name, redirectUri, "link", actor.userId);
    },

    /**
     * Links the provider account to the signed-in user. The state was issued to this user, so a
     * flow started by someone else (link CSRF: "link my provider account to your Bazaar account") fails.
     */
    async completeLink(ctx: Ctx, actor: { userId: string }, name: string, body: OAuthCallbackBody): Promise<OAuthIdentityView> {
      const profile = await finish(ctx, name, body, "link", actor.userId);
      const now = ctx.clock();
      const email = usableEmail(profile.email);
      const taken = () => new ConflictError(`This ${name} account is already linked to another Bazaar account`);
      const known = await repo.findIdentity(ctx.database, name, profile.subject);
      if (known && known.userId !== actor.userId) throw taken();
      if (known) {
        await repo.touchIdentity(ctx.database, name, profile.subject, email, now);
      } else {
        if (await repo.findIdentityOfUser(ctx.database, actor.userId, name)) {
          throw new ConflictError(`Your account is already linked to a different ${name} account; unlink it first`);
        }
        try {
          await ctx.database.batch([identityRow(ctx, name, profile, actor.userId, email, now)]);
        } catch (error) {
          if (isConstraintError(error, "UNIQUE") || isConstraintError(error, "PRIMARYKEY")) throw taken();
          throw error;
        }
        ctx.log.info("oauth identity linked", { userId: actor.userId, provider: name });
      }
      const linked = await repo.findIdentity(ctx.database, name, profile.subject);
      if (!linked) throw new Error("linked identity vanished");
      return toIdentityView(linked);
    },

    async listIdentities(ctx: Ctx, actor: { userId: string }): Promise<OAuthIdentityList> {
      return { identities: (await repo.identitiesOf(ctx.database, actor.userId)).map(toIdentityView) };
    },

    /** Unlinks the user's identity at the provider, unless it is their last way to sign in. */
    async unlink(ctx: Ctx, actor: { userId: string }, name: string): Promise<void> {
      // only the caller's own identities are looked at: another user's is simply not found (BOLA)
      if (!(await repo.findIdentityOfUser(ctx.database, actor.userId, name))) throw new AppError("NOT_FOUND", `Your account is not linked to ${name}`);
      if (!(await repo.deleteIdentityKeepingASignIn(ctx.database, actor.userId, name))) {
        throw new ConflictError(`${name} is the only way to sign in to this account; set a password or add a passkey before unlinking it`);
      }
      ctx.log.info("oauth identity unlinked", { userId: actor.userId, provider: name });
    },
  };
}

export type OAuthService = ReturnType<typeof createOAuthService>;

function toIdentityView(row: repo.IdentityRow): OAuthIdentityView {
  return {
    provider: row.provider,
    email: row.email,
    linkedAt: new Date(row.createdAt).toISOString(),
    lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt).toISOString(),
  };
}

/** The provider's email in our canonical form, or null when it is missing or not an address we would accept at sign-up. */
function usableEmail(email: string | null): string | null {
  if (!email) return null;
  const canonical = canonicalEmail(email);
  return Value.Check(Email, canonical) ? canonical : null;
}

/** Providers' names can be empty, blank or long; ours are 1–100 characters. */
function displayName(name: string | null, email: string): string {
  // control characters are refused everywhere else a name comes in (SQLite cuts strings at NUL)
  const cleaned = (name ?? "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    .replace(/[\u0000-\u001F\u007F]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 100)
    .trim();
  return cleaned || email.split("@")[0]?.slice(0, 100) || "Customer";
}

/**
 * A rejected response is this attempt's problem (400 naming the code); an unavailable provider is
 * a 502. Either way the reason is logged. Anything else is our bug and stays a 500.
 */
function providerFailure(ctx: Ctx, provider: string, error: unknown): unknown {
  if (!(error instanceof OAuthProviderError)) return error;
  if (error.kind === "rejected") {
    ctx.log.warn("oauth response rejected", { provider, reason: error.message });
    return new AppError("BAD_REQUEST", `${provider} did not confirm this sign-in; start again`, [
      { path: "/code", message: "was refused by the provider or failed verification" },
    ]);
  }
  ctx.log.error("oauth provider failed", { provider, reason: error.message, cause: error.cause });
  return new AppError("BAD_GATEWAY", `${provider} is not answering properly; try again later`);
}
