import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * Keys derived from one app secret: HMACs for tokens the server must be able to
 * recompute (emailed links) and AES-256-GCM for secrets kept at rest (TOTP seeds).
 * Each use gets its own subkey, so no two purposes can be confused.
 */
export interface Secrets {
  /** base64url HMAC-SHA256 of `data` under the subkey for `purpose` */
  hmac(purpose: string, data: string): string;
  encrypt(plaintext: string): string;
  /** throws when the ciphertext was tampered with or made under another secret */
  decrypt(ciphertext: string): string;
}

export function createSecrets(appSecret: string): Secrets {
  const master = Buffer.from(appSecret, "utf8");
  const subkey = (info: string) => Buffer.from(hkdfSync("sha256", master, "bazaar", info, 32));
  const hmacKeys = new Map<string, Buffer>();
  const encryptionKey = subkey("encryption:v1");
  return {
    hmac(purpose, data) {
      let key = hmacKeys.get(purpose);
      if (!key) {
        key = subkey(`hmac:${purpose}`);
        hmacKeys.set(purpose, key);
      }
      return createHmac("sha256", key).update(data).digest("base64url");
    },
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", encryptionKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")}`;
    },
    decrypt(ciphertext) {
      const [version, packed = ""] = ciphertext.split(".");
      if (version !== "v1") throw new Error("unknown ciphertext version");
      const bytes = Buffer.from(packed, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", encryptionKey, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
    },
  };
}
