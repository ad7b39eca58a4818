import { plugin } from "../../../http/plugin.ts";
import { problemHandler } from "../../../http/problem.ts";
import { requestContext } from "../../../http/request-context.ts";
import type { Harness } from "../../../testing/harness.ts";
import { createAccountsParts } from "../../index.ts";
import type { OAuthProvider } from "../provider.ts";
import { oauthRoutes } from "../routes.ts";

/**
 * The OAuth routes over the harness's database and keys, wired like the accounts module wires
 * them, but with the given provider adapters (pointed at local fakes) instead of the configured ones.
 */
export function appWithProviders(h: Harness, providers: OAuthProvider[]) {
  const { deps } = h;
  const { accounts, challenges, throttle } = createAccountsParts(deps);
  const app = plugin("oauth-test-app")
    .use(requestContext(deps))
    .use(problemHandler(deps.log))
    .use(oauthRoutes(deps, { accounts, challenges, throttle, providers: new Map(providers.map((p) => [p.name, p])) }));
  return (method: string, path: string, body?: unknown) =>
    app.handle(
      new Request(`http://localhost${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      }),
    );
}
