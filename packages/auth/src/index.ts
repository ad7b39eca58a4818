import type { Jwks, Role } from "@bazaar/contracts";
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from "jose";

/** The only algorithm we sign with and the only one verifiers accept (no alg confusion). */
export const ACCESS_TOKEN_ALG = "EdDSA";
export const ACCESS_TOKEN_ISSUER = "bazaar";
export const ACCESS_TOKEN_AUDIENCE = "bazaar";

export interface AccessClaims {
  /** user id */
  sub: string;
  /** session id: lets logout and revocation lists name one session */
  sid: string;
  roles: Role[];
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK & { kid: string; alg: string; use: string };
}

/** Creates a fresh Ed25519 key; returns it with its private JWK (what config stores). */
export async function generateSigningKey(kid: string): Promise<{ key: SigningKey; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { crv: "Ed25519", extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ACCESS_TOKEN_ALG, use: "sig" };
  return { key: await importSigningKey(privateJwk), privateJwk };
}

/** Imports a private Ed25519 JWK (with its `kid`) as stored in AUTH_SIGNING_KEY. */
export async function importSigningKey(privateJwk: JWK): Promise<SigningKey> {
  if (privateJwk.kty !== "OKP" || privateJwk.crv !== "Ed25519" || !privateJwk.d || !privateJwk.x) {
    throw new Error("signing key must be an Ed25519 private JWK (kty OKP, crv Ed25519, with d and x)");
  }
  if (!privateJwk.kid) throw new Error("signing key must have a kid");
  const privateKey = (await importJWK(privateJwk, ACCESS_TOKEN_ALG)) as CryptoKey;
  return {
    kid: privateJwk.kid,
    privateKey,
    publicJwk: { kty: "OKP", crv: "Ed25519", x: privateJwk.x, kid: privateJwk.kid, alg: ACCESS_TOKEN_ALG, use: "sig" },
  };
}

export function publicJwks(keys: SigningKey[]): Jwks {
  return { keys: keys.map((k) => k.publicJwk as Jwks["keys"][number]) };
}

export async function signAccessToken(key: SigningKey, claims: AccessClaims, nowMs: number, ttlSeconds: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ sid: claims.sid, roles: claims.roles })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: key.kid, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(key.privateKey);
}

export type KeyResolver = JWTVerifyGetKey;

/** A resolver over a JWKS document the caller already has (core: its own keys; edge: the cached fetch). */
export function localKeyResolver(jwks: Jwks): KeyResolver {
  return createLocalJWKSet(jwks as { keys: JWK[] });
}

export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

/**
 * Verifies signature, `alg`, issuer, audience and expiry; returns the claims or
 * throws InvalidTokenError. `nowMs` is injectable so tests can travel in time.
 */
export async function verifyAccessToken(token: string, keys: KeyResolver, nowMs: number = Date.now()): Promise<AccessClaims & JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      currentDate: new Date(nowMs),
      requiredClaims: ["sub", "exp", "iat"],
    });
    if (typeof payload.sid !== "string" || !Array.isArray(payload.roles)) throw new InvalidTokenError("token lacks sid or roles");
    return payload as AccessClaims & JWTPayload;
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error;
    throw new InvalidTokenError(error instanceof Error ? error.message : "invalid token");
  }
}

/** Compares secrets without leaking, through timing, how much of a guess was right. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Verifies like `verifyAccessToken`, remembering tokens that verified (by their exact
 * text) until they expire: clients resend the same token for its whole life, and the
 * signature check is the costliest part of an authenticated read. Failures are never cached.
 */
export function createTokenVerifier(keys: KeyResolver, maxEntries = 10_000) {
  const verified = new Map<string, AccessClaims & JWTPayload>();
  return async (token: string, nowMs: number = Date.now()): Promise<AccessClaims & JWTPayload> => {
    const cached = verified.get(token);
    if (cached && (cached.exp ?? 0) * 1000 > nowMs) return cached;
    if (cached) verified.delete(token);
    const claims = await verifyAccessToken(token, keys, nowMs);
    if (verified.size >= maxEntries) verified.delete(verified.keys().next().value ?? "");
    verified.set(token, claims);
    return claims;
  };
}
