// Guest cart tokens: 256 random bits shown to the guest once; only their SHA-256 is stored, so a leaked database
// does not hand out anyone's cart.
import { createHash, randomBytes } from "node:crypto";

/** A new cart token: 32 random bytes, base64url (43 characters, CART_TOKEN_PATTERN). */
export function newCartToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What cart.guest_token_hash stores for a token: its SHA-256, hex. */
export function hashCartToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
