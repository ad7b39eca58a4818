import type { Deps } from "../platform/deps.ts";
import { LoginThrottle, PasswordHasher } from "./password.ts";
import { accountsRoutes } from "./routes.ts";
import { createAccountsService } from "./service.ts";
import { subscribeAccounts } from "./subscribers.ts";

/** The accounts service as the app composes it: its routes, with its event subscribers registered on the bus. */
export function accountsModule(deps: Deps) {
  const service = createAccountsService({
    keys: deps.keys,
    hasher: new PasswordHasher(deps.config.passwordHashMemoryKib),
    throttle: new LoginThrottle(),
    accessTokenTtlSeconds: deps.config.accessTokenTtlSeconds,
    refreshTokenTtlMs: deps.config.refreshTokenTtlDays * 86_400_000,
  });
  subscribeAccounts(deps.bus, deps);
  return { routes: accountsRoutes(deps, service), service };
}

export { toUserView } from "./service.ts";
