/** Opaque random handles and their stored digests: the one place accounts makes secrets. */

/** 256 random bits, base64url, with a short prefix that says what the token is (`rt_`, `ch_`). */
export function randomToken(prefix: string): string {
  return `${prefix}_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
}

/** High-entropy tokens need no slow hash: SHA-256 is what we store and look up by. */
export function sha256(value: string): string {
  return new Bun.CryptoHasher("sha256").update(value).digest("hex");
}
