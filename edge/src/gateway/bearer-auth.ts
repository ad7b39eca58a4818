import { ACCESS_TOKEN_ALG, type AccessClaims, InvalidTokenError, verifyAccessToken } from "@bazaar/auth";
import { AppError } from "@bazaar/contracts";
import { createMiddleware } from "hono/factory";
import { decodeProtectedHeader } from "jose";
import { errorFields, log } from "../log.ts";
import type { AppEnv } from "../request-context.ts";
import { revocationOf } from "../revocations/revocation-list.ts";
import { type JwksCache, JwksUnavailableError, jwksCacheFor } from "./jwks-cache.ts";

const INVALID_TOKEN = 'Bearer realm="bazaar", error="invalid_token"';

export type BearerVerdict = { ok: true; claims: AccessClaims } | { ok: false; reason: string };

/**
 * Rejects a bad bearer token before it reaches the core, and a good one whose session was revoked or
 * whose user was disabled since it was issued; a request without one passes through untouched (the
 * core decides which routes need a token).
 */
export const bearerAuth = createMiddleware<AppEnv>(async (c, next) => {
  const authorization = c.req.header("authorization");
  if (authorization === undefined) return next();
  const [scheme = "", ...rest] = authorization.trim().split(/\s+/);
  if (scheme.toLowerCase() !== "bearer") return next();

  const { coreOrigin, jwksCacheMs, jwksRefetchCooldownMs } = c.get("config");
  const requestId = c.get("requestId");
  const verdict = await verifyBearer(rest.join(" "), jwksCacheFor(coreOrigin, jwksCacheMs, jwksRefetchCooldownMs), requestId);
  const reason = verdict.ok
    ? (outlivesRevocationList(verdict.claims, c.get("config").accessTokenTtlSeconds) ?? (await revokedBecause(c.env.REVOCATIONS, verdict.claims, requestId)))
    : verdict.reason;
  if (reason !== undefined) {
    log("info", "bearer token rejected", { requestId, path: c.req.path, reason });
    // the same answer for every reason: a client learns nothing about why (suspended, revoked, forged)
    throw new AppError("UNAUTHENTICATED", "The access token is invalid or expired", undefined, { "www-authenticate": INVALID_TOKEN });
  }
  return next();
});

/** The token's claims when it is well-formed, EdDSA, signed by a published key, and unexpired; else why not. */
export async function verifyBearer(token: string, keys: JwksCache, requestId: string): Promise<BearerVerdict> {
  const refuse = (reason: string): BearerVerdict => ({ ok: false, reason });
  if (token === "") return refuse("empty token");
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return refuse("malformed token");
  }
  // checked before any key lookup, so alg confusion (none, HS256 with the public key) never gets near a key
  if (header.alg !== ACCESS_TOKEN_ALG) return refuse(`unexpected alg ${String(header.alg).slice(0, 20)}`);
  if (typeof header.kid !== "string" || header.kid === "") return refuse("token has no kid");

  let resolver: Awaited<ReturnType<JwksCache["resolverFor"]>>;
  try {
    resolver = await keys.resolverFor(header.kid, requestId);
  } catch (error) {
    if (error instanceof JwksUnavailableError) throw new AppError("BAD_GATEWAY", "The origin's signing keys could not be fetched");
    throw error;
  }
  if (resolver === undefined) return refuse("unknown kid");
  try {
    return { ok: true, claims: await verifyAccessToken(token, resolver, Date.now()) };
  } catch (error) {
    if (error instanceof InvalidTokenError) return refuse(error.message);
    throw error;
  }
}

/**
 * A revoked session stays on the list for ACCESS_TOKEN_TTL_SECONDS: a token meant to live longer
 * (the core's TTL raised, the edge's not) could outlive its revocation, so it is refused outright.
 */
function outlivesRevocationList(claims: AccessClaims & { exp?: number; iat?: number }, ttlSeconds: number): string | undefined {
  const lifetime = (claims.exp ?? 0) - (claims.iat ?? 0);
  return lifetime > ttlSeconds ? `token lives ${lifetime}s, longer than the edge's ACCESS_TOKEN_TTL_SECONDS (${ttlSeconds}s)` : undefined;
}

/**
 * Fails open: every request the edge forwards is checked again by the core (live session, active
 * account), so an unreadable list must not turn a KV incident into refusing every signed-in user.
 */
async function revokedBecause(kv: KVNamespace, claims: AccessClaims, requestId: string): Promise<string | undefined> {
  try {
    return await revocationOf(kv, claims);
  } catch (error) {
    log("error", "revocation list unreadable; token let through", { requestId, ...errorFields(error) });
    return undefined;
  }
}
