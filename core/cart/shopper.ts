// Who a cart request is from. Cart routes take a signed-in shopper (Bearer token) and a guest (X-Cart-Token)
// alike, so the check is optional where the shared `authentication` macro always requires one: no Authorization
// header means a guest, but a header that is there must be a live session's token (401/403 otherwise), never
// quietly treated as a guest.
import { CART_TOKEN_HEADER, UnauthenticatedError } from "@bazaar/contracts";
import { authenticate } from "../http/authentication.ts";
import { plugin } from "../http/plugin.ts";
import type { Actor, Deps } from "../platform/deps.ts";
import type { Shopper } from "./service.ts";

/** OpenAPI: the Bearer token is optional (`{}`) or required. */
const OPTIONAL_BEARER: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const REQUIRED_BEARER: Record<string, string[]>[] = [{ bearerAuth: [] }];

/** `shopper: "any"` — a guest or a user; `shopper: "user"` — a signed-in user (the guest token is still read, for merging). */
export function shopperContext(deps: Deps) {
  return plugin("cart/shopper").macro({
    shopper: (who: "any" | "user") => ({
      detail: { security: who === "user" ? REQUIRED_BEARER : OPTIONAL_BEARER },
      async resolve({ headers }): Promise<{ shopper: Shopper; actor: Actor | null }> {
        const actor = await signedIn(deps, headers.authorization);
        if (who === "user" && !actor) throw new UnauthenticatedError();
        return { shopper: { userId: actor?.userId ?? null, cartToken: headers[CART_TOKEN_HEADER] ?? null }, actor };
      },
    }),
  });
}

/** No Authorization header: a guest; one that is there must prove a live session. */
async function signedIn(deps: Deps, authorization: string | undefined): Promise<Actor | null> {
  return authorization === undefined ? null : authenticate(deps, authorization);
}
