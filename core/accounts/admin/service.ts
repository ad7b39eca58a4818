import {
  type AccountStatus,
  AppError,
  type AuditEntryView,
  ConflictError,
  decodeCursor,
  NotFoundError,
  type PageQuery,
  type Role,
  type SetStatusBody,
  toPage,
} from "@bazaar/contracts";
import { outboxInsert, sessionRevoked, userRolesChanged, userStatusChanged } from "@bazaar/events";
import type { Actor, Ctx } from "../../platform/deps.ts";
import * as accountsRepo from "../repo.ts";
import { eventFor, toUserView } from "../service.ts";
import * as repo from "./repo.ts";

/**
 * Roles and account status, as admins change them. Every change is one transaction: the
 * change, its audit entry and its event commit together or not at all.
 */
export function createAdminService() {
  async function loadUser(ctx: Ctx, userId: string): Promise<accountsRepo.UserRow> {
    const user = await accountsRepo.findUserById(ctx.database, userId);
    if (!user || user.status === "deleted") throw new NotFoundError("user", userId);
    return user;
  }

  async function changeRoles(ctx: Ctx, actor: Actor, userId: string, change: { grant?: Role; revoke?: Role }, action: string) {
    // a compare-and-set on the roles array, retried a few times: concurrent grants must not lose each other
    for (let attempt = 0; attempt < 5; attempt++) {
      const user = await loadUser(ctx, userId);
      const before = user.roles;
      const after = change.grant ? [...new Set([...before, change.grant])] : before.filter((r) => r !== change.revoke);
      if (after.length === before.length && after.every((r) => before.includes(r))) return toUserView(user); // already so
      const now = ctx.clock();
      const event = eventFor(
        ctx,
        userRolesChanged,
        { userId, roles: after, granted: change.grant ? [change.grant] : [], revoked: change.revoke ? [change.revoke] : [], actorId: actor.userId },
        now,
      );
      const changed = await ctx.database.transaction(async (tx) => {
        if (!(await repo.replaceRoles(tx, userId, before, after, now))) return false;
        await repo.insertAudit(tx, {
          id: ctx.ids("audit"),
          actorId: actor.userId,
          action,
          targetUserId: userId,
          detail: { role: change.grant ?? change.revoke, before, after },
          ip: ctx.client.ip,
          occurredAt: now,
        });
        await outboxInsert(tx, event);
        return true;
      });
      if (changed) {
        ctx.eventsWritten();
        return toUserView({ ...user, roles: after });
      }
    }
    throw new ConflictError("The user's roles kept changing under this request; try again");
  }

  return {
    async getUser(ctx: Ctx, userId: string) {
      const user = await loadUser(ctx, userId);
      return { ...toUserView(user), status: user.status as AccountStatus, secondFactors: await accountsRepo.secondFactorsOf(ctx.database, userId) };
    },

    grantRole: (ctx: Ctx, actor: Actor, userId: string, role: Role) => changeRoles(ctx, actor, userId, { grant: role }, "role.granted"),

    async revokeRole(ctx: Ctx, actor: Actor, userId: string, role: Role) {
      // an admin cannot demote themselves: the last admin would lock everyone out
      if (role === "admin" && userId === actor.userId) throw new ConflictError("Admins cannot revoke their own admin role; ask another admin");
      if (role === "buyer") throw new AppError("VALIDATION_FAILED", "Every account is a buyer", [{ path: "/role", message: "buyer cannot be revoked" }]);
      return changeRoles(ctx, actor, userId, { revoke: role }, "role.revoked");
    },

    /** Self-service: starting seller onboarding makes the user a seller (the sellers service takes it from there). */
    startSellerOnboarding: (ctx: Ctx, actor: Actor) => changeRoles(ctx, actor, actor.userId, { grant: "seller" }, "seller_onboarding.started"),

    /** Suspend, ban or reinstate. A non-active account loses every session at once, and the edge is told. */
    async setStatus(ctx: Ctx, actor: Actor, userId: string, input: SetStatusBody) {
      if (userId === actor.userId) throw new ConflictError("Admins cannot change their own account status");
      const user = await loadUser(ctx, userId);
      if (user.status === input.status) return this.getUser(ctx, userId);
      const now = ctx.clock();
      const changed = await ctx.database.transaction(async (tx) => {
        if (!(await repo.setStatus(tx, userId, user.status, input.status, now))) return false;
        await repo.insertAudit(tx, {
          id: ctx.ids("audit"),
          actorId: actor.userId,
          action: `status.${input.status}`,
          targetUserId: userId,
          detail: { from: user.status, to: input.status, reason: input.reason },
          ip: ctx.client.ip,
          occurredAt: now,
        });
        await outboxInsert(tx, eventFor(ctx, userStatusChanged, { userId, status: input.status, actorId: actor.userId, reason: input.reason }, now));
        if (input.status !== "active") {
          for (const sessionId of await accountsRepo.revokeAllLiveSessions(tx, userId, now, "account_suspended")) {
            await outboxInsert(tx, eventFor(ctx, sessionRevoked, { userId, sessionId, reason: "account_suspended" }, now));
          }
        }
        return true;
      });
      if (!changed) throw new ConflictError("The account's status changed under this request; reload and try again");
      ctx.eventsWritten();
      return this.getUser(ctx, userId);
    },

    async audit(ctx: Ctx, userId: string, query: PageQuery) {
      await loadUser(ctx, userId);
      const limit = Number(query.limit ?? 20);
      const after = query.cursor ? auditPosition(query.cursor) : undefined;
      const rows = await repo.auditOf(ctx.database, userId, limit + 1, after);
      return toPage(rows, limit, toAuditView, (row) => ({ t: row.occurredAt, id: row.id }));
    },
  };
}

export type AdminService = ReturnType<typeof createAdminService>;

/** A cursor this API issued for the audit list, or a 400 naming it. */
function auditPosition(cursor: string): { occurredAt: number; id: string } {
  const { t, id } = decodeCursor(cursor);
  if (typeof t !== "number" || !Number.isSafeInteger(t) || typeof id !== "string") {
    throw new AppError("BAD_REQUEST", "cursor is not a cursor this API issued", [{ path: "/cursor", message: "invalid cursor" }]);
  }
  return { occurredAt: t, id };
}

function toAuditView(row: repo.AuditRow): AuditEntryView {
  return {
    id: row.id,
    actorId: row.actorId,
    action: row.action,
    targetUserId: row.targetUserId,
    detail: row.detail ?? null,
    ip: row.ip,
    occurredAt: new Date(row.occurredAt).toISOString(),
  };
}
