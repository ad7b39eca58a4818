import { InvalidTokenError } from "@bazaar/auth";
import { UnauthenticatedError } from "@bazaar/contracts";
import type { Actor, Deps } from "../platform/deps.ts";
import { plugin } from "./plugin.ts";

/** `{ auth: true }` on a route: requires a valid bearer access token and resolves `actor`. */
export function authentication(deps: Deps) {
  return plugin("authentication").macro({
    auth: {
      detail: { security: [{ bearerAuth: [] }] },
      async resolve({ headers }): Promise<{ actor: Actor }> {
        const header = headers.authorization ?? "";
        const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
        if (!match?.[1]) throw new UnauthenticatedError();
        try {
          const claims = await deps.keys.verify(match[1], deps.clock());
          return { actor: { userId: claims.sub, sessionId: claims.sid, roles: claims.roles } };
        } catch (error) {
          if (error instanceof InvalidTokenError) throw new UnauthenticatedError("The access token is invalid or expired");
          throw error;
        }
      },
    },
  });
}
