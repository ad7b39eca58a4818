import { beforeAll, describe, expect, test } from "bun:test";
import { base64url, type JWTPayload, SignJWT } from "jose";
import {
  ACCESS_TOKEN_ALG,
  type AccessClaims,
  generateSigningKey,
  InvalidTokenError,
  type KeyResolver,
  localKeyResolver,
  publicJwks,
  type SigningKey,
  signAccessToken,
  verifyAccessToken,
} from "../src/index.ts";

const NOW = 1_764_000_000_000; // a fixed clock, mid-second on purpose below
const claims: AccessClaims = { sub: "usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", sid: "ses_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", roles: ["buyer", "seller"] };

let key: SigningKey;
let resolver: KeyResolver;

beforeAll(async () => {
  key = (await generateSigningKey("key_2026_11")).key;
  resolver = localKeyResolver(publicJwks([key]));
});

async function expectInvalid(token: string, keys: KeyResolver = resolver, nowMs = NOW): Promise<InvalidTokenError> {
  let caught: unknown;
  try {
    await verifyAccessToken(token, keys, nowMs);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidTokenError);
  return caught as InvalidTokenError;
}

/** A token built with jose directly, signed by our real private key, so only the claim under test is wrong. */
function forge(payload: JWTPayload, options: { issuer?: string; audience?: string; iat?: number; exp?: number | null } = {}) {
  const iat = options.iat ?? Math.floor(NOW / 1000);
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, kid: key.kid, typ: "JWT" })
    .setIssuer(options.issuer ?? "bazaar")
    .setAudience(options.audience ?? "bazaar")
    .setIssuedAt(iat);
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? iat + 60);
  return jwt.sign(key.privateKey);
}

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));
const decodeJson = (part: string) => JSON.parse(new TextDecoder().decode(base64url.decode(part))) as Record<string, unknown>;

function parts(token: string): [string, string, string] {
  const [h = "", p = "", s = ""] = token.split(".");
  return [h, p, s];
}

describe("sign → verify", () => {
  test("round-trips the claims with issuer, audience, iat and exp", async () => {
    const token = await signAccessToken(key, claims, NOW, 900);
    const verified = await verifyAccessToken(token, resolver, NOW);
    const iat = Math.floor(NOW / 1000);
    expect(verified).toMatchObject({ ...claims, iss: "bazaar", aud: "bazaar", iat, exp: iat + 900 });
  });

  test("the header names EdDSA and the key id", async () => {
    const [header] = parts(await signAccessToken(key, claims, NOW, 60));
    expect(decodeJson(header)).toEqual({ alg: "EdDSA", kid: "key_2026_11", typ: "JWT" });
  });

  test("a resolver over the JWKS as served (JSON over the wire) verifies too", async () => {
    const token = await signAccessToken(key, claims, NOW, 60);
    const fetched = JSON.parse(JSON.stringify(publicJwks([key])));
    expect((await verifyAccessToken(token, localKeyResolver(fetched), NOW)).sub).toBe(claims.sub);
  });
});

describe("expiry", () => {
  test("a token signed in the past with ttl 60 is refused now", async () => {
    const token = await signAccessToken(key, claims, NOW - 120_000, 60);
    const error = await expectInvalid(token, resolver, NOW);
    expect(error.message).toMatch(/exp/);
  });

  test("the default clock is the real one: an old token is refused without passing nowMs", async () => {
    const token = await signAccessToken(key, claims, Date.now() - 3_600_000, 60);
    await expect(verifyAccessToken(token, resolver)).rejects.toBeInstanceOf(InvalidTokenError);
    const fresh = await signAccessToken(key, claims, Date.now(), 60);
    expect((await verifyAccessToken(fresh, resolver)).sid).toBe(claims.sid);
  });

  test("valid up to the last millisecond before exp, refused at exp", async () => {
    const token = await signAccessToken(key, claims, NOW, 60);
    const exp = Math.floor(NOW / 1000) + 60;
    expect((await verifyAccessToken(token, resolver, exp * 1000 - 1)).exp).toBe(exp);
    await expectInvalid(token, resolver, exp * 1000);
    await expectInvalid(token, resolver, exp * 1000 + 3_600_000);
  });

  test("a token without exp is refused (it would never expire)", async () => {
    await expectInvalid(await forge({ sub: claims.sub, sid: claims.sid, roles: claims.roles }, { exp: null }));
  });
});

describe("forgeries", () => {
  test("a token signed by another key that claims the same kid fails", async () => {
    const impostor = (await generateSigningKey(key.kid)).key;
    const token = await signAccessToken(impostor, claims, NOW, 60);
    await expectInvalid(token);
    // and the impostor's own JWKS does accept it, so the failure is the key, not the token
    expect((await verifyAccessToken(token, localKeyResolver(publicJwks([impostor])), NOW)).sub).toBe(claims.sub);
  });

  test("a token with an unknown kid fails", async () => {
    const other = (await generateSigningKey("key_other")).key;
    await expectInvalid(await signAccessToken(other, claims, NOW, 60));
  });

  test("alg none fails, with or without the original signature", async () => {
    const iat = Math.floor(NOW / 1000);
    const payload = encodeJson({ ...claims, roles: ["admin"], iss: "bazaar", aud: "bazaar", iat, exp: iat + 60 });
    for (const alg of ["none", "None", "NONE"]) {
      const header = encodeJson({ alg, kid: key.kid, typ: "JWT" });
      await expectInvalid(`${header}.${payload}.`);
      const [, , signature] = parts(await signAccessToken(key, claims, NOW, 60));
      await expectInvalid(`${header}.${payload}.${signature}`);
    }
  });

  test("an HS256 token with our kid fails (algorithm confusion), whatever secret it used", async () => {
    const publicJwk = publicJwks([key]).keys[0];
    const secrets = [
      "super-secret",
      publicJwk?.x ?? "", // the classic: the verifier's public key material used as an HMAC secret
      JSON.stringify(publicJwk),
    ];
    for (const secret of secrets) {
      const token = await new SignJWT({ sid: claims.sid, roles: ["admin"] })
        .setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" })
        .setSubject(claims.sub)
        .setIssuer("bazaar")
        .setAudience("bazaar")
        .setIssuedAt(Math.floor(NOW / 1000))
        .setExpirationTime(Math.floor(NOW / 1000) + 60)
        .sign(new TextEncoder().encode(secret));
      const error = await expectInvalid(token);
      expect(error.message).toMatch(/alg/i);
    }
  });

  test("wrong issuer or audience fails", async () => {
    const body = { sub: claims.sub, sid: claims.sid, roles: claims.roles };
    expect((await verifyAccessToken(await forge(body), resolver, NOW)).sub).toBe(claims.sub); // the forge itself is sound
    await expectInvalid(await forge(body, { issuer: "evil" }));
    await expectInvalid(await forge(body, { audience: "other-service" }));
    await expectInvalid(await forge(body, { issuer: "Bazaar" }));
  });

  test("a tampered payload or signature fails", async () => {
    const [header, payload, signature] = parts(await signAccessToken(key, claims, NOW, 60));
    const escalated = encodeJson({ ...decodeJson(payload), roles: ["admin"] });
    await expectInvalid(`${header}.${escalated}.${signature}`);
    const extended = encodeJson({ ...decodeJson(payload), exp: Math.floor(NOW / 1000) + 86_400 * 365 });
    await expectInvalid(`${header}.${extended}.${signature}`);
    const flipped = (signature.startsWith("A") ? "B" : "A") + signature.slice(1);
    await expectInvalid(`${header}.${payload}.${flipped}`);
    await expectInvalid(`${header}.${payload}`);
    await expectInvalid("not.a.token");
    await expectInvalid("");
  });

  test("a token lacking sid, roles or sub fails even when correctly signed", async () => {
    await expectInvalid(await forge({ sub: claims.sub, roles: claims.roles }));
    await expectInvalid(await forge({ sub: claims.sub, sid: claims.sid }));
    await expectInvalid(await forge({ sub: claims.sub, sid: claims.sid, roles: "admin" }));
    await expectInvalid(await forge({ sub: claims.sub, sid: 42, roles: claims.roles }));
    await expectInvalid(await forge({ sid: claims.sid, roles: claims.roles }));
  });
});

describe("key rotation", () => {
  test("tokens of every published key verify; dropping a key from the JWKS retires its tokens", async () => {
    const next = (await generateSigningKey("key_2026_12")).key;
    const oldToken = await signAccessToken(key, claims, NOW, 60);
    const newToken = await signAccessToken(next, claims, NOW, 60);
    const both = localKeyResolver(publicJwks([key, next]));
    expect((await verifyAccessToken(oldToken, both, NOW)).sub).toBe(claims.sub);
    expect((await verifyAccessToken(newToken, both, NOW)).sub).toBe(claims.sub);
    const onlyNext = localKeyResolver(publicJwks([next]));
    await expectInvalid(oldToken, onlyNext);
    expect((await verifyAccessToken(newToken, onlyNext, NOW)).sub).toBe(claims.sub);
  });
});
