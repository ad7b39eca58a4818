// Who a cart request is from. Cart routes take a signed-in shopper (Bearer token) and a guest (X-Cart-Token)
// alike, so the check is optional where the shared `authentication` macro always requires one: no Authorization
// header means a guest, but a header that is there must be a live session's token (401/403 otherwise), never
// quietly treated as a guest.
import { InvalidTokenError } from "@bazaar/auth";
import { AppError, CART_TOKEN_HEADER, UnauthenticatedError } from "@bazaar/contracts";
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

async function signedIn(deps: Deps, authorization: string | undefined): Promise<Actor | null> {
  if (authorization === undefined) return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization);
  if (!match?.[1]) throw new UnauthenticatedError();
  let claims: Awaited<ReturnType<Deps["keys"]["verify"]>>;
  try {
    claims = await deps.keys.verify(match[1], deps.clock());
  } catch (error) {
    if (error instanceof InvalidTokenError) throw new UnauthenticatedError("The access token is invalid or expired");
    throw error;
  }
  const live = await deps.sessions.liveActor(claims.sub, claims.sid);
  if (!live) throw new UnauthenticatedError("This session has ended; sign in again");
  if (live.status !== "active") throw new AppError("ACCOUNT_DISABLED", `This account is ${live.status}`);
  return { userId: claims.sub, sessionId: claims.sid, roles: live.roles };
}
