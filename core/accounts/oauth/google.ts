import * as client from "openid-client";
import type { OAuthProviderConfig } from "../../config.ts";
import { OidcProvider, type OidcProviderOptions } from "./oidc.ts";

/** Google's published OpenID metadata: known up front, so starting a sign-in needs no discovery round trip. */
export const GOOGLE_METADATA: client.ServerMetadata = {
  issuer: "https://accounts.google.com",
  authorization_endpoint: "https://accounts.google.com/o/oauth2/v2/auth",
  token_endpoint: "https://oauth2.googleapis.com/token",
  userinfo_endpoint: "https://openidconnect.googleapis.com/v1/userinfo",
  jwks_uri: "https://www.googleapis.com/oauth2/v3/certs",
  code_challenge_methods_supported: ["S256"],
  id_token_signing_alg_values_supported: ["RS256"],
};

/** Sign in with Google: plain OpenID Connect; `email_verified` comes in the ID token. */
export function googleProvider(config: OAuthProviderConfig, options: Pick<OidcProviderOptions, "fetch"> = {}): OidcProvider {
  return new OidcProvider({
    name: config.name,
    kind: "google",
    clientId: config.clientId,
    clientAuth: client.ClientSecretPost(config.clientSecret),
    server: { metadata: GOOGLE_METADATA },
    scope: "openid email profile",
    ...options,
  });
}
