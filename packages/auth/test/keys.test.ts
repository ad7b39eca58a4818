import { describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { constantTimeEqual, generateSigningKey, importSigningKey, localKeyResolver, publicJwks, signAccessToken, verifyAccessToken } from "../src/index.ts";

const NOW = 1_764_000_000_000;
const claims = { sub: "usr_1", sid: "ses_1", roles: ["buyer" as const] };

describe("importSigningKey", () => {
  test("a stored private JWK (as config holds it, JSON) imports and signs tokens its public JWK verifies", async () => {
    const { key, privateJwk } = await generateSigningKey("key_a");
    expect(privateJwk).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: "key_a", alg: "EdDSA", use: "sig" });
    expect(typeof privateJwk.d).toBe("string");
    const imported = await importSigningKey(JSON.parse(JSON.stringify(privateJwk)));
    expect(imported.kid).toBe("key_a");
    expect(imported.publicJwk).toEqual(key.publicJwk);
    const token = await signAccessToken(imported, claims, NOW, 60);
    expect((await verifyAccessToken(token, localKeyResolver(publicJwks([key])), NOW)).sub).toBe("usr_1");
  });

  test("refuses keys that are not Ed25519", async () => {
    const { privateJwk } = await generateSigningKey("key_b");
    const ec = { ...(await exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey)), kid: "key_ec" };
    const rsa = { ...(await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey)), kid: "key_rsa" };
    const wrong: JWK[] = [
      ec,
      rsa,
      { ...privateJwk, crv: "X25519" },
      { ...privateJwk, crv: "Ed448" },
      { ...privateJwk, kty: "EC" },
      { kty: "oct", k: "c2VjcmV0", kid: "key_hmac" },
    ];
    for (const jwk of wrong) await expect(importSigningKey(jwk)).rejects.toThrow(/Ed25519/);
  });

  test("refuses a public-only JWK and a JWK without x", async () => {
    const { privateJwk } = await generateSigningKey("key_c");
    const { d: _d, ...publicOnly } = privateJwk;
    const { x: _x, ...noX } = privateJwk;
    await expect(importSigningKey(publicOnly)).rejects.toThrow(/Ed25519 private JWK/);
    await expect(importSigningKey(noX)).rejects.toThrow(/Ed25519 private JWK/);
  });

  test("refuses a JWK without a kid", async () => {
    const { privateJwk } = await generateSigningKey("key_d");
    const { kid: _kid, ...kidless } = privateJwk;
    await expect(importSigningKey(kidless)).rejects.toThrow(/kid/);
    await expect(importSigningKey({ ...privateJwk, kid: "" })).rejects.toThrow(/kid/);
  });
});

describe("publicJwks", () => {
  test("publishes every key's public half and never its private d", async () => {
    const a = await generateSigningKey("key_1");
    const b = await generateSigningKey("key_2");
    const jwks = publicJwks([a.key, b.key]);
    expect(jwks.keys.map((k) => k.kid)).toEqual(["key_1", "key_2"]);
    for (const [i, k] of jwks.keys.entries()) {
      expect(Object.keys(k).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
      expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
      expect(k.x).toBe([a, b][i]?.privateJwk.x);
    }
    const text = JSON.stringify(jwks);
    expect(text).not.toContain('"d"');
    expect(text).not.toContain(a.privateJwk.d ?? "missing d");
    expect(text).not.toContain(b.privateJwk.d ?? "missing d");
  });

  test("even a key imported from a JWK with extra private members publishes only public ones", async () => {
    const { privateJwk } = await generateSigningKey("key_3");
    const imported = await importSigningKey({ ...privateJwk, p: "private-prime", q: "another", key_ops: ["sign"] } as JWK);
    expect(Object.keys(publicJwks([imported]).keys[0] ?? {}).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
  });
});

describe("constantTimeEqual", () => {
  test("equal strings are equal", () => {
    for (const s of ["", "a", "secret-token-123", "ünïcödé 🔑"]) expect(constantTimeEqual(s, `${s}`)).toBe(true);
  });

  test("any difference, including length, is a difference", () => {
    const pairs: [string, string][] = [
      ["a", "b"],
      ["secret", "secreT"],
      ["secret", "Secret"],
      ["abc", "abcd"],
      ["abcd", "abc"],
      ["", "a"],
      ["a", ""],
      ["a", "a\u0000"], // padding the shorter side with zero bytes must not make them equal
      ["\u0000", ""],
      ["é", "e\u0301"],
      ["é", "\u00e8"],
    ];
    for (const [a, b] of pairs) {
      expect(constantTimeEqual(a, b)).toBe(false);
      expect(constantTimeEqual(b, a)).toBe(false);
    }
  });
});
