import type { OAuthProviderConfig } from "../../config.ts";
import { appleProvider } from "./apple.ts";
import { FacebookProvider } from "./facebook.ts";
import { GitHubProvider } from "./github.ts";
import { googleProvider } from "./google.ts";
import { OidcProvider } from "./oidc.ts";
import type { OAuthProvider } from "./provider.ts";

/** The configured providers by name, in the configured order. */
export type ProviderRegistry = ReadonlyMap<string, OAuthProvider>;

/** Builds each configured provider; a broken one (a bad Apple key, an http issuer) stops the boot. */
export function createProviders(configs: readonly OAuthProviderConfig[]): ProviderRegistry {
  return new Map(configs.map((config) => [config.name, createProvider(config)]));
}

function createProvider(config: OAuthProviderConfig): OAuthProvider {
  switch (config.kind) {
    case "google":
      return googleProvider(config);
    case "apple":
      return appleProvider(config);
    case "github":
      return new GitHubProvider(config);
    case "facebook":
      return new FacebookProvider(config);
    case "oidc":
      if (!config.issuer) throw new Error(`${config.name}: an OpenID provider needs its issuer`);
      return new OidcProvider({
        name: config.name,
        kind: "oidc",
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        server: { issuer: config.issuer },
        scope: "openid email profile",
      });
  }
}
