import type { Deps } from "../platform/deps.ts";
import { LoginThrottle, PasswordHasher } from "./password.ts";
import { accountsRoutes } from "./routes.ts";
import { createAccountsService } from "./service.ts";
import { subscribeAccounts } from "./subscribers.ts";

/** The accounts service as the app composes it: its HTTP routes and its event subscribers. */
export const accountsModule = {
  routes(deps: Deps) {
    const service = createAccountsService({
      keys: deps.keys,
      hasher: new PasswordHasher(deps.config.passwordHashMemoryKib),
      throttle: new LoginThrottle(),
      accessTokenTtlSeconds: deps.config.accessTokenTtlSeconds,
      refreshTokenTtlMs: deps.config.refreshTokenTtlDays * 86_400_000,
    });
    return accountsRoutes(deps, service);
  },
  subscribe: (deps: Deps) => subscribeAccounts(deps.bus, deps),
};

export { toUserView } from "./service.ts";
