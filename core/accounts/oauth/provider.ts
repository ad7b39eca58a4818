import type { OAuthProviderKind } from "@bazaar/contracts";

/** What one sign-in attempt remembers between the redirect out and the code coming back (stored in its `oauth` challenge). */
export interface AuthorizationRequest {
  /** the challenge handle: unguessable, single use */
  state: string;
  /** PKCE (RFC 7636): only its S256 hash leaves in the URL */
  codeVerifier: string;
  /** binds the ID token to this attempt (OpenID providers) */
  nonce: string;
  redirectUri: string;
}

/** What the provider sent back to the redirect URI. */
export interface AuthorizationResponse {
  code: string;
  /** RFC 9207 issuer, when the provider sends one */
  iss?: string;
}

/** Who signed in, as the provider vouches for them after every check its protocol has. */
export interface OAuthProfile {
  /** the provider's stable id for the person (`sub`, GitHub's numeric id, Facebook's app-scoped id) */
  subject: string;
  email: string | null;
  /** true only when the provider asserts the person controls `email`; linking to an existing account depends on it */
  emailVerified: boolean;
  name: string | null;
}

/** A social or SSO sign-in provider: builds the authorization URL, then turns the code into a verified profile. */
export interface OAuthProvider {
  readonly name: string;
  readonly kind: OAuthProviderKind;
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /** Exchanges the code (with the PKCE verifier) and validates what comes back; throws OAuthProviderError. */
  profile(response: AuthorizationResponse, request: AuthorizationRequest): Promise<OAuthProfile>;
}

/**
 * `rejected`: the provider or our checks refused this response (a bad, used or stolen code, a PKCE,
 * state, nonce or issuer mismatch) — the user starts again. `unavailable`: the provider could not
 * be reached, answered nonsense, or refused our client credentials — an outage or misconfiguration.
 */
export class OAuthProviderError extends Error {
  constructor(
    readonly kind: "rejected" | "unavailable",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OAuthProviderError";
  }
}

/** How long we wait for a provider's endpoints: a hung provider must not hold a request forever. */
export const PROVIDER_TIMEOUT_MS = 10_000;

/** Apple sends `email_verified` as the string "true"; everyone else as a boolean. */
export function claimIsTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/** Loopback http is allowed for a provider run on this machine (development, tests); everything else must be https. */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === "http:" && ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
}
