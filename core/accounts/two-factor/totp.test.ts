import { describe, expect, test } from "bun:test";
import { newRecoveryCodes, normaliseRecoveryCode, RECOVERY_CODE_COUNT, recoveryCodeHash } from "./recovery-codes.ts";
import { base32Decode, base32Encode, type HmacAlgorithm, hotp, matchTotpStep, newTotpSecret, otpauthUri, totp, totpStep } from "./totp.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

describe("RFC 6238 Appendix B: every TOTP test vector (8 digits, T0 = 0, X = 30 s)", () => {
  // the appendix's seeds: 20 bytes for SHA-1, 32 for SHA-256, 64 for SHA-512
  const seeds: Record<HmacAlgorithm, Uint8Array> = {
    sha1: ascii("12345678901234567890"),
    sha256: ascii("12345678901234567890123456789012"),
    sha512: ascii("1234567890123456789012345678901234567890123456789012345678901234"),
  };
  const vectors: [number, string, HmacAlgorithm, string][] = [
    [59, "0000000000000001", "sha1", "94287082"],
    [59, "0000000000000001", "sha256", "46119246"],
    [59, "0000000000000001", "sha512", "90693936"],
    [1111111109, "00000000023523EC", "sha1", "07081804"],
    [1111111109, "00000000023523EC", "sha256", "68084774"],
    [1111111109, "00000000023523EC", "sha512", "25091201"],
    [1111111111, "00000000023523ED", "sha1", "14050471"],
    [1111111111, "00000000023523ED", "sha256", "67062674"],
    [1111111111, "00000000023523ED", "sha512", "99943326"],
    [1234567890, "000000000273EF07", "sha1", "89005924"],
    [1234567890, "000000000273EF07", "sha256", "91819424"],
    [1234567890, "000000000273EF07", "sha512", "93441116"],
    [2000000000, "0000000003F940AA", "sha1", "69279037"],
    [2000000000, "0000000003F940AA", "sha256", "90698825"],
    [2000000000, "0000000003F940AA", "sha512", "38618901"],
    [20000000000, "0000000027BC86AA", "sha1", "65353130"],
    [20000000000, "0000000027BC86AA", "sha256", "77737706"],
    [20000000000, "0000000027BC86AA", "sha512", "47863826"],
  ];
  for (const [seconds, hexStep, algorithm, expected] of vectors) {
    test(`T = ${seconds} s (step ${hexStep}), ${algorithm} → ${expected}`, () => {
      expect(totpStep(seconds * 1000)).toBe(Number.parseInt(hexStep, 16));
      expect(totp(seeds[algorithm], seconds * 1000, 8, algorithm)).toBe(expected);
    });
  }

  test("the 6-digit codes apps show are the vectors' last six digits", () => {
    expect(totp(seeds.sha1, 59_000)).toBe("287082");
    expect(totp(seeds.sha1, 1111111109_000)).toBe("081804");
  });
});

test("RFC 4226 Appendix D: HOTP values for counts 0–9", () => {
  const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  expect(expected.map((_, count) => hotp(ascii("12345678901234567890"), count))).toEqual(expected);
});

describe("matching a code", () => {
  const key = ascii("12345678901234567890");
  const now = 1_700_000_000_000;

  test("accepts the current step and one either side (clock skew), names the step, refuses two away", () => {
    const current = totpStep(now);
    for (const offset of [-1, 0, 1]) expect(matchTotpStep(key, hotp(key, current + offset), now)).toBe(current + offset);
    for (const offset of [-3, -2, 2, 3]) expect(matchTotpStep(key, hotp(key, current + offset), now)).toBeUndefined();
  });

  test("a wrong, short, long or non-numeric code matches nothing", () => {
    const right = totp(key, now);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    for (const code of [wrong, right.slice(0, 5), `${right}0`, "", "abcdef", `${right.slice(0, 5)}x`]) expect(matchTotpStep(key, code, now)).toBeUndefined();
  });
});

describe("secrets and enrolment URIs", () => {
  test("base32 follows RFC 4648 §10 (without padding) and round-trips", () => {
    const cases: [string, string][] = [
      ["", ""],
      ["f", "MY"],
      ["fo", "MZXQ"],
      ["foo", "MZXW6"],
      ["foob", "MZXW6YQ"],
      ["fooba", "MZXW6YTB"],
      ["foobar", "MZXW6YTBOI"],
    ];
    for (const [plain, encoded] of cases) {
      expect(base32Encode(ascii(plain))).toBe(encoded);
      expect(new TextDecoder().decode(base32Decode(encoded))).toBe(plain);
    }
    expect(new TextDecoder().decode(base32Decode("mzxw 6ytb oi======"))).toBe("foobar");
    expect(() => base32Decode("MZXW1")).toThrow();
  });

  test("a new secret is 20 random bytes, base32 (32 characters)", () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(newTotpSecret()).not.toBe(secret);
  });

  test("the otpauth URI names the issuer twice and escapes the account", () => {
    expect(otpauthUri({ secret: "JBSWY3DPEHPK3PXP", issuer: "Bazaar", account: "ada+shop@example.com" })).toBe(
      "otpauth://totp/Bazaar:ada%2Bshop%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Bazaar&algorithm=SHA1&digits=6&period=30",
    );
  });
});

describe("recovery codes", () => {
  test("ten distinct codes of 60 random bits, in three groups of four", () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/);
  });

  test("typed with other case, spaces, no dashes or look-alike letters, a code hashes the same; another user's does not", () => {
    expect(normaliseRecoveryCode(" 7KQ2 m9xd-4HVT ")).toBe("7kq2m9xd4hvt");
    expect(normaliseRecoveryCode("1O1L-ilo0")).toBe("10111100");
    expect(recoveryCodeHash("usr_a", "7KQ2M9XD4HVT")).toBe(recoveryCodeHash("usr_a", "7kq2-m9xd-4hvt"));
    expect(recoveryCodeHash("usr_b", "7kq2-m9xd-4hvt")).not.toBe(recoveryCodeHash("usr_a", "7kq2-m9xd-4hvt"));
    expect(recoveryCodeHash("usr_a", "7kq2-m9xd-4hvt")).toMatch(/^[0-9a-f]{64}$/);
  });
});
