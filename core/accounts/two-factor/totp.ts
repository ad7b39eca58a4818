import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Time-based one-time passwords, RFC 6238 over RFC 4226 HOTP, with the parameters every
 * authenticator app understands: HMAC-SHA1, 30-second steps, 6 digits, a 160-bit secret.
 */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_SECRET_BYTES = 20;
/** Steps either side of now still accepted: a phone's clock may be off by a few seconds (RFC 6238 §5.2). */
export const TOTP_SKEW_STEPS = 1;

export type HmacAlgorithm = "sha1" | "sha256" | "sha512";

/** RFC 4226 §5.3: HMAC of the 8-byte big-endian counter, dynamically truncated to `digits` decimal digits. */
export function hotp(key: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm: HmacAlgorithm = "sha1"): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The 30-second step a moment falls in (RFC 6238's T, with T0 = 0). */
export function totpStep(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS);
}

export function totp(key: Uint8Array, nowMs: number, digits = TOTP_DIGITS, algorithm: HmacAlgorithm = "sha1"): string {
  return hotp(key, totpStep(nowMs), digits, algorithm);
}

/**
 * The step `code` is valid for, within ±TOTP_SKEW_STEPS of now (the latest if several); undefined
 * when none. Every step of the window is computed and compared in constant time, so the response
 * time says nothing about how close a guess was.
 */
export function matchTotpStep(key: Uint8Array, code: string, nowMs: number): number | undefined {
  const current = totpStep(nowMs);
  const given = Buffer.from(code.padEnd(TOTP_DIGITS).slice(0, TOTP_DIGITS));
  let matched: number | undefined;
  for (let step = current - TOTP_SKEW_STEPS; step <= current + TOTP_SKEW_STEPS; step++) {
    const equal = timingSafeEqual(Buffer.from(hotp(key, step)), given);
    if (equal && code.length === TOTP_DIGITS) matched = step;
  }
  return matched;
}

/** A fresh random secret, base32 as apps expect it. */
export function newTotpSecret(): string {
  return base32Encode(crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES)));
}

/**
 * The Key URI authenticator apps scan (Google Authenticator's otpauth:// format). The label is
 * `issuer:account`, and the issuer is repeated as a parameter, which newer apps prefer.
 */
export function otpauthUri(input: { secret: string; issuer: string; account: string }): string {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.account)}`;
  const parameters = [
    `secret=${input.secret}`,
    `issuer=${encodeURIComponent(input.issuer)}`,
    "algorithm=SHA1",
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_STEP_SECONDS}`,
  ];
  return `otpauth://totp/${label}?${parameters.join("&")}`;
}

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding (otpauth URIs leave it off). */
export function base32Encode(bytes: Uint8Array): string {
  let output = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      output += BASE32_ALPHABET.charAt((buffer >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) output += BASE32_ALPHABET.charAt((buffer << (5 - bits)) & 31);
  return output;
}

/** RFC 4648 base32, case-insensitive, padding and spaces ignored; throws on any other character. */
export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/[\s=]/g, "").toUpperCase();
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32_ALPHABET.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${JSON.stringify(char)}`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(bytes);
}
