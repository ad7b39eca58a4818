import { readFileSync } from "node:fs";
import { ValidationError } from "@bazaar/contracts";

/** Shipped in the repo (see the file's header for its source); lowercased, one per line. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  readFileSync(new URL("./common-passwords.txt", import.meta.url), "utf8")
    .split("\n")
    .filter((line) => line && !line.startsWith("#")),
);

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * NIST 800-63B style: length, not composition rules; refuse known breached or common
 * passwords and ones built from the account's own email or name. Throws a 422 naming `field`.
 */
export function assertAcceptablePassword(password: string, context: { email?: string; name?: string } = {}, field = "/password"): void {
  const refuse = (message: string) => {
    throw new ValidationError([{ path: field, message }]);
  };
  // code points, not UTF-16 units: an emoji is one character to the person typing it
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) refuse(`must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`);
  const lower = password.normalize("NFKC").toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) refuse("is too common: it appears in lists of breached passwords");
  if (/^(.)\1+$/u.test(lower) || "01234567890123456789".includes(lower) || "abcdefghijklmnopqrstuvwxyz".includes(lower)) refuse("is too easy to guess");
  const local = context.email?.split("@")[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local)) refuse("must not contain your email address");
  const name = context.name?.trim().toLowerCase();
  if (name && name.length >= 4 && lower.includes(name)) refuse("must not contain your name");
}
