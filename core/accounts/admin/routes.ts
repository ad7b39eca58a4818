import { AdminUserView, AuditPage, PageQuery, SetStatusBody, UserIdParams, UserRoleParams, UserView } from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { createAdminService } from "./service.ts";

const STAFF = ["admin", "support"] as const;

export function adminRoutes(deps: Deps) {
  const admin = createAdminService();
  return plugin("accounts/admin-routes")
    .use(requestContext(deps))
    .use(authentication(deps))
    .post("/v1/me/seller-onboarding", ({ ctx, actor }) => admin.startSellerOnboarding(ctx, actor), {
      auth: true,
      response: { 200: UserView, ...problems(401, 403, 409) },
      detail: {
        operationId: "startSellerOnboarding",
        tags: ["auth"],
        summary: "Start selling: grants the seller role (the sellers service holds the rest of onboarding)",
      },
    })
    .group("/v1/admin/users/:id", (app) =>
      app
        .get("", ({ ctx, params }) => admin.getUser(ctx, params.id), {
          auth: [...STAFF],
          params: UserIdParams,
          response: { 200: AdminUserView, ...problems(401, 403, 404, 422) },
          detail: { operationId: "adminGetUser", tags: ["admin"], summary: "A user's account as staff see it" },
        })
        .put("/roles/:role", ({ ctx, actor, params }) => admin.grantRole(ctx, actor, params.id, params.role), {
          auth: ["admin"],
          params: UserRoleParams,
          response: { 200: UserView, ...problems(401, 403, 404, 409, 422) },
          detail: { operationId: "adminGrantRole", tags: ["admin"], summary: "Grant a role (audited)" },
        })
        .delete("/roles/:role", ({ ctx, actor, params }) => admin.revokeRole(ctx, actor, params.id, params.role), {
          auth: ["admin"],
          params: UserRoleParams,
          response: { 200: UserView, ...problems(401, 403, 404, 409, 422) },
          detail: { operationId: "adminRevokeRole", tags: ["admin"], summary: "Revoke a role (audited)" },
        })
        .put("/status", ({ ctx, actor, params, body }) => admin.setStatus(ctx, actor, params.id, body), {
          auth: ["admin"],
          params: UserIdParams,
          body: SetStatusBody,
          response: { 200: AdminUserView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
          detail: {
            operationId: "adminSetUserStatus",
            tags: ["admin"],
            summary: "Suspend, ban or reinstate an account (audited); a non-active account loses every session and is refused at the edge",
          },
        })
        .get("/audit", ({ ctx, params, query }) => admin.audit(ctx, params.id, query), {
          auth: [...STAFF],
          params: UserIdParams,
          query: PageQuery,
          response: { 200: AuditPage, ...problems(400, 401, 403, 404, 422) },
          detail: { operationId: "adminListUserAudit", tags: ["admin"], summary: "Who changed what on this account, newest first" },
        }),
    );
}
