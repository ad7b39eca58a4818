import type { Deps } from "../platform/deps.ts";
import { adminRoutes } from "./admin/routes.ts";
import { Challenges } from "./challenges.ts";
import { EmailLinks } from "./email-links.ts";
import { pruneExpiredAccountsData } from "./housekeeping.ts";
import { oauthRoutes } from "./oauth/routes.ts";
import { accountPages } from "./pages.ts";
import { PasswordHasher } from "./password.ts";
import { accountsRoutes } from "./routes.ts";
import { createAccountsService } from "./service.ts";
import { subscribeAccounts } from "./subscribers.ts";
import { Throttle } from "./throttle.ts";
import { twoFactorRoutes } from "./two-factor/routes.ts";

/** The accounts service as the app composes it: its HTTP routes and its event subscribers. */
export const accountsModule = {
  routes(deps: Deps) {
    const throttle = new Throttle(deps.database, deps.clock);
    const challenges = new Challenges(deps.database, deps.clock);
    const accounts = createAccountsService({
      keys: deps.keys,
      hasher: new PasswordHasher(deps.config.passwordHashMemoryKib),
      throttle,
      challenges,
      emailLinks: emailLinks(deps),
      accessTokenTtlSeconds: deps.config.accessTokenTtlSeconds,
      refreshTokenTtlMs: deps.config.refreshTokenTtlDays * 86_400_000,
    });
    return accountsRoutes(deps, accounts).use(adminRoutes(deps))
      .use(twoFactorRoutes(deps, { accounts, challenges, throttle }))
      .use(oauthRoutes(deps, { accounts, challenges, throttle, emailLinks: emailLinks(deps) }))
      .use(accountPages());
  },
  subscribe: (deps: Deps) => subscribeAccounts(deps.bus, deps, emailLinks(deps)),
  jobs: [pruneExpiredAccountsData],
};

function emailLinks(deps: Deps): EmailLinks {
  return new EmailLinks(deps.secrets, deps.email, deps.config.publicUrl);
}

export { findLiveActor } from "./repo.ts";
export { toUserView } from "./service.ts";
