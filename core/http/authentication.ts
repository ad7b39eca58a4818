import { InvalidTokenError } from "@bazaar/auth";
import { AppError, type Role, UnauthenticatedError } from "@bazaar/contracts";
import type { Actor, Deps } from "../platform/deps.ts";
import { plugin } from "./plugin.ts";

/**
 * `auth: true` on a route requires a signed-in user; `auth: ["admin", "support"]` requires one of
 * those roles too. The token proves who is calling; the database then confirms, on every
 * request, that the session is live and the account active, and supplies the current roles,
 * so a logout, a suspension or a revoked role takes effect at once, not when the token expires.
 */
export function authentication(deps: Deps) {
  return plugin("authentication").macro({
    auth: (required: true | Role[]) => ({
      detail: { security: [{ bearerAuth: [] }] },
      async resolve({ headers }): Promise<{ actor: Actor }> {
        const actor = await authenticate(deps, headers.authorization);
        if (required !== true) requireRole(actor, required);
        return { actor };
      },
    }),
  });
}

/** The actor an Authorization header proves (401/403 otherwise): the one check every signed-in request passes. */
export async function authenticate(deps: Deps, authorization: string | undefined): Promise<Actor> {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? "");
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

/** The one role check every route uses: 403 unless the actor holds one of `roles`. */
export function requireRole(actor: Actor, roles: readonly Role[]): void {
  if (!roles.some((role) => actor.roles.includes(role))) throw new AppError("FORBIDDEN", `This needs the ${roles.join(" or ")} role`);
}

/**
 * BOLA guard for an object the caller named by id: unless it is theirs (or they are staff and
 * `staff` allows it), it does not exist for them — 404, so ids of others' objects reveal nothing.
 * `ownerOf` says whose it is (a product's seller, say); by default its `userId`.
 */
export function requireOwner<T extends object>(
  actor: Actor,
  object: T | undefined,
  what: string,
  staff: readonly Role[] = [],
  ownerOf: (object: T) => string = (o) => (o as { userId: string }).userId,
): T {
  if (object && (ownerOf(object) === actor.userId || staff.some((role) => actor.roles.includes(role)))) return object;
  throw new AppError("NOT_FOUND", `No such ${what}`);
}
