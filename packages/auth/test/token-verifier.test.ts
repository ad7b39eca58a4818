import { expect, test } from "bun:test";
import { createTokenVerifier, generateSigningKey, InvalidTokenError, localKeyResolver, publicJwks, signAccessToken } from "../src/index.ts";

test("a cached verifier remembers good tokens until they expire and never remembers bad ones", async () => {
  const { key } = await generateSigningKey("key_cache");
  const { key: other } = await generateSigningKey("key_cache");
  const verify = createTokenVerifier(localKeyResolver(publicJwks([key])), 2);
  const now = Date.now();
  const good = await signAccessToken(key, { sub: "usr_1", sid: "ses_1", roles: ["buyer"] }, now, 60);
  const forged = await signAccessToken(other, { sub: "usr_1", sid: "ses_1", roles: ["admin"] }, now, 60);

  expect((await verify(good, now)).sub).toBe("usr_1");
  expect((await verify(good, now + 1000)).sub).toBe("usr_1");
  await expect(verify(good, now + 61_000)).rejects.toBeInstanceOf(InvalidTokenError);
  for (let i = 0; i < 3; i++) await expect(verify(forged, now)).rejects.toBeInstanceOf(InvalidTokenError);

  // bounded: older entries make room for newer ones and still verify correctly afterwards
  const tokens = await Promise.all([1, 2, 3].map((n) => signAccessToken(key, { sub: `usr_${n}`, sid: "ses_1", roles: [] }, now, 60)));
  for (const token of tokens) await verify(token, now);
  expect((await verify(tokens[0] ?? "", now)).sub).toBe("usr_1");
});
