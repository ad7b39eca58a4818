import type { Deps } from "../platform/deps.ts";
import { adminRoutes } from "./admin/routes.ts";
import { Challenges } from "./challenges.ts";
import { EmailLinks } from "./email-links.ts";
import { pruneExpiredAccountsData } from "./housekeeping.ts";
import { oauthRoutes } from "./oauth/routes.ts";
import { accountPages } from "./pages.ts";
import { PasswordHasher } from "./password.ts";
import { profileRoutes } from "./profile/routes.ts";
import { accountsRoutes } from "./routes.ts";
import { createAccountsService } from "./service.ts";
import { subscribeAccounts } from "./subscribers.ts";
import { Throttle } from "./throttle.ts";
import { twoFactorRoutes } from "./two-factor/routes.ts";

/** The long-lived parts of the accounts service, built once per app (tests build them the same way). */
export function createAccountsParts(deps: Deps) {
  const throttle = new Throttle(deps.database, deps.clock);
  const challenges = new Challenges(deps.database, deps.clock);
  // one hasher per process: its bound on concurrent argon2id runs is what keeps a login flood from starving the core
  const hasher = new PasswordHasher(deps.config.passwordHashMemoryKib);
  const emailLinks = new EmailLinks(deps.secrets, deps.email, deps.config.publicUrl);
  const accounts = createAccountsService({
    keys: deps.keys,
    hasher,
    throttle,
    challenges,
    emailLinks,
    accessTokenTtlSeconds: deps.config.accessTokenTtlSeconds,
    refreshTokenTtlMs: deps.config.refreshTokenTtlDays * 86_400_000,
  });
  return { throttle, challenges, hasher, emailLinks, accounts };
}

/** The accounts service as the app composes it: its HTTP routes, its event subscribers and its jobs. */
export const accountsModule = {
  routes(deps: Deps) {
    const { throttle, challenges, hasher, accounts } = createAccountsParts(deps);
    return accountsRoutes(deps, accounts)
      .use(adminRoutes(deps))
      .use(profileRoutes(deps, { throttle, hasher }))
      .use(twoFactorRoutes(deps, { accounts, challenges, throttle }))
      .use(oauthRoutes(deps, { accounts, challenges, throttle }))
      .use(accountPages());
  },
  subscribe: (deps: Deps) => subscribeAccounts(deps.bus, deps, new EmailLinks(deps.secrets, deps.email, deps.config.publicUrl)),
  jobs: [pruneExpiredAccountsData],
};

export { findLiveActor } from "./repo.ts";
export { toUserView } from "./service.ts";
/** For cart and checkout: a shopper's own address and preferred currency. */
export { type ShopperAddress, shopperAddress, shopperCurrency } from "./shopper.ts";
