import { ValidationError } from "@bazaar/contracts";
import type { Config } from "../../config.ts";

/** Where a provider may send people back: this site's own origins (the public URL, and the WebAuthn origins). */
export function allowedRedirectOrigins(config: Pick<Config, "publicUrl" | "webauthn">): string[] {
  const origins = [config.publicUrl, ...config.webauthn.origins].filter((url) => URL.canParse(url)).map((url) => new URL(url).origin);
  return [...new Set(origins)];
}

/**
 * The code travels to the redirect URI, so a foreign one would hand it to a stranger (an open
 * redirect). It must be an absolute http(s) URL on an allowed origin, in canonical form (what the
 * URL parser would print: no tricks with case, dots or encodings), with no credentials, query or fragment.
 */
export function assertAllowedRedirectUri(raw: string, allowedOrigins: readonly string[], path = "/redirectUri"): string {
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  const acceptable =
    url !== undefined &&
    (url.protocol === "https:" || url.protocol === "http:") &&
    url.href === raw &&
    !url.username &&
    !url.password &&
    !raw.includes("?") &&
    !raw.includes("#") &&
    allowedOrigins.includes(url.origin);
  if (!acceptable) throw new ValidationError([{ path, message: `must be a page of this site (${allowedOrigins.join(", ")}), without query or fragment` }]);
  return raw;
}
