import { ACCESS_TOKEN_ALG, InvalidTokenError, verifyAccessToken } from "@bazaar/auth";
import { AppError } from "@bazaar/contracts";
import { createMiddleware } from "hono/factory";
import { decodeProtectedHeader } from "jose";
import { log } from "../log.ts";
import type { AppEnv } from "../request-context.ts";
import { type JwksCache, JwksUnavailableError, jwksCacheFor } from "./jwks-cache.ts";

const INVALID_TOKEN = 'Bearer realm="bazaar", error="invalid_token"';

/**
 * Rejects a bad bearer token before it reaches the core; a good one and a request without one pass
 * through untouched (the core decides which routes need a token).
 */
export const bearerAuth = createMiddleware<AppEnv>(async (c, next) => {
  const authorization = c.req.header("authorization");
  if (authorization === undefined) return next();
  const [scheme = "", ...rest] = authorization.trim().split(/\s+/);
  if (scheme.toLowerCase() !== "bearer") return next();

  const { coreOrigin, jwksCacheMs } = c.get("config");
  const requestId = c.get("requestId");
  const reason = await rejectionReason(rest.join(" "), jwksCacheFor(coreOrigin, jwksCacheMs), requestId);
  if (reason !== undefined) {
    log("info", "bearer token rejected", { requestId, path: c.req.path, reason });
    throw new AppError("UNAUTHENTICATED", "The access token is invalid or expired", undefined, { "www-authenticate": INVALID_TOKEN });
  }
  return next();
});

/** Why the token must be refused, or undefined when it is valid. */
export async function rejectionReason(token: string, keys: JwksCache, requestId: string): Promise<string | undefined> {
  if (token === "") return "empty token";
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return "malformed token";
  }
  // checked before any key lookup, so alg confusion (none, HS256 with the public key) never gets near a key
  if (header.alg !== ACCESS_TOKEN_ALG) return `unexpected alg ${String(header.alg).slice(0, 20)}`;
  if (typeof header.kid !== "string" || header.kid === "") return "token has no kid";

  let resolver: Awaited<ReturnType<JwksCache["resolverFor"]>>;
  try {
    resolver = await keys.resolverFor(header.kid, requestId);
  } catch (error) {
    if (error instanceof JwksUnavailableError) throw new AppError("BAD_GATEWAY", "The origin's signing keys could not be fetched");
    throw error;
  }
  if (resolver === undefined) return "unknown kid";
  try {
    await verifyAccessToken(token, resolver, Date.now());
    return undefined;
  } catch (error) {
    if (error instanceof InvalidTokenError) return error.message;
    throw error;
  }
}
