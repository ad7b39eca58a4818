import { sha256 } from "../tokens.ts";

/** How many recovery codes a user holds at a time. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford's base32 in lower case: no i, l, o or u, so a code copied by hand survives.
// 32 symbols divide 256 evenly, so `byte & 31` picks each one with the same probability.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const GROUPS = 3;
const GROUP_LENGTH = 4;

/** Ten fresh codes like `7kq2-m9xd-4hvt` (60 random bits each), to be shown once. */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, newRecoveryCode);
}

function newRecoveryCode(): string {
  const random = crypto.getRandomValues(new Uint8Array(GROUPS * GROUP_LENGTH));
  const symbols = Array.from(random, (byte) => ALPHABET.charAt(byte & 31)).join("");
  return Array.from({ length: GROUPS }, (_, i) => symbols.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH)).join("-");
}

/** What the user typed, as generated: case, spaces and dashes don't matter, nor Crockford's look-alikes. */
export function normaliseRecoveryCode(typed: string): string {
  return typed.toLowerCase().replace(/[\s-]/g, "").replace(/[il]/g, "1").replace(/o/g, "0");
}

/**
 * What we store instead of the code: SHA-256 of the user id and the normalised code. 60 random
 * bits need no slow hash; the user id keeps one user's codes from being tested against another's.
 */
export function recoveryCodeHash(userId: string, typed: string): string {
  return sha256(`${userId}:${normaliseRecoveryCode(typed)}`);
}
