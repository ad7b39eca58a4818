import type { Deps } from "../platform/deps.ts";
import { LoginThrottle, PasswordHasher } from "./password.ts";
import { accountsRoutes } from "./routes.ts";
import { createAccountsService } from "./service.ts";

/** The accounts service as the app composes it: its routes (and, later, its event subscribers). */
export function accountsModule(deps: Deps) {
  const service = createAccountsService({
    keys: deps.keys,
    hasher: new PasswordHasher(deps.config.passwordHashMemoryKib),
    throttle: new LoginThrottle(),
    accessTokenTtlSeconds: deps.config.accessTokenTtlSeconds,
    refreshTokenTtlMs: deps.config.refreshTokenTtlDays * 86_400_000,
  });
  return { routes: accountsRoutes(deps, service), service };
}

export { toUserView } from "./service.ts";
