import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { AdminUserView, Problem, TokenPair, UserView } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";

let h: Harness;
let admin: TokenPair;
let buyer: TokenPair & { password: string };
beforeEach(async () => {
  h = await createHarness();
  admin = await h.register({ email: "root@example.com" });
  await h.grantRole(admin.user.id, "admin");
  buyer = await h.register({ email: "buyer@example.com" });
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const audit = async (userId: string) =>
  (
    await h.database.client.execute({
      sql: "SELECT actor_id, action, detail FROM audit_entry WHERE target_user_id = ? ORDER BY occurred_at, id",
      args: [userId],
    })
  ).rows;
const suspend = (userId: string, token = admin.accessToken, status = "suspended") =>
  h.request("PUT", `/v1/admin/users/${userId}/status`, { token, body: { status, reason: "Counterfeit listings" } });

describe("authorization", () => {
  test("a buyer calling admin routes gets 403, and nothing changes", async () => {
    const other = await h.register();
    for (const [method, path, body] of [
      ["GET", `/v1/admin/users/${other.user.id}`],
      ["PUT", `/v1/admin/users/${other.user.id}/roles/admin`],
      ["PUT", `/v1/admin/users/${buyer.user.id}/roles/admin`],
      ["DELETE", `/v1/admin/users/${other.user.id}/roles/seller`],
      ["PUT", `/v1/admin/users/${other.user.id}/status`, { status: "banned", reason: "x" }],
      ["GET", `/v1/admin/users/${other.user.id}/audit`],
    ] as [string, string, unknown?][]) {
      const response = await h.request(method, path, { token: buyer.accessToken, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((await json<Problem>(response)).code).toBe("FORBIDDEN");
    }
    expect(await audit(other.user.id)).toHaveLength(0);
    expect((await json<UserView>(await h.request("GET", "/v1/me", { token: buyer.accessToken }))).roles).toEqual(["buyer"]);
  });

  test("without a token it is 401; a forged roles claim does not help (roles come from the database)", async () => {
    expect((await h.request("GET", `/v1/admin/users/${buyer.user.id}`)).status).toBe(401);
    const { signAccessToken } = await import("@bazaar/auth");
    const claims = JSON.parse(Buffer.from(buyer.accessToken.split(".")[1] ?? "", "base64url").toString());
    // correctly signed (as if our key leaked into a token with admin in it) but the user is no admin
    const elevated = await signAccessToken(h.deps.keys.current, { sub: claims.sub, sid: claims.sid, roles: ["admin"] }, h.clock.now, 900);
    expect((await h.request("GET", `/v1/admin/users/${buyer.user.id}`, { token: elevated })).status).toBe(403);
  });

  test("support staff read accounts and audits, but cannot change roles or status", async () => {
    const support = await h.register({ email: "support@example.com" });
    await h.grantRole(support.user.id, "support");
    expect((await h.request("GET", `/v1/admin/users/${buyer.user.id}`, { token: support.accessToken })).status).toBe(200);
    expect((await h.request("GET", `/v1/admin/users/${buyer.user.id}/audit`, { token: support.accessToken })).status).toBe(200);
    expect((await h.request("PUT", `/v1/admin/users/${buyer.user.id}/roles/seller`, { token: support.accessToken })).status).toBe(403);
    expect((await suspend(buyer.user.id, support.accessToken)).status).toBe(403);
  });

  test("a role revoked takes effect on the next request, not when the token expires", async () => {
    const deputy = await h.register({ email: "deputy@example.com" });
    await h.request("PUT", `/v1/admin/users/${deputy.user.id}/roles/admin`, { token: admin.accessToken });
    expect((await h.request("GET", `/v1/admin/users/${buyer.user.id}`, { token: deputy.accessToken })).status).toBe(200);
    await h.request("DELETE", `/v1/admin/users/${deputy.user.id}/roles/admin`, { token: admin.accessToken });
    expect((await h.request("GET", `/v1/admin/users/${buyer.user.id}`, { token: deputy.accessToken })).status).toBe(403);
  });
});

describe("roles", () => {
  test("granting and revoking a role writes an audit entry and an event each", async () => {
    const granted = await h.request("PUT", `/v1/admin/users/${buyer.user.id}/roles/seller`, { token: admin.accessToken });
    expect(granted.status).toBe(200);
    expect((await json<UserView>(granted)).roles).toEqual(["buyer", "seller"]);
    // granting what is held changes nothing and audits nothing
    await h.request("PUT", `/v1/admin/users/${buyer.user.id}/roles/seller`, { token: admin.accessToken });
    const revoked = await h.request("DELETE", `/v1/admin/users/${buyer.user.id}/roles/seller`, { token: admin.accessToken });
    expect((await json<UserView>(revoked)).roles).toEqual(["buyer"]);

    const entries = await audit(buyer.user.id);
    expect(entries.map((e) => [e.actor_id, e.action])).toEqual([
      [admin.user.id, "role.granted"],
      [admin.user.id, "role.revoked"],
    ]);
    expect(JSON.parse(String(entries[0]?.detail))).toEqual({ role: "seller", before: ["buyer"], after: ["buyer", "seller"] });
    const events = await h.database.client.execute("SELECT payload FROM outbox_event WHERE type = 'user.roles_changed' ORDER BY id");
    expect(events.rows.map((r) => JSON.parse(String(r.payload)).granted)).toEqual([["seller"], []]);

    const page = await json<{ items: { action: string }[] }>(await h.request("GET", `/v1/admin/users/${buyer.user.id}/audit`, { token: admin.accessToken }));
    expect(page.items.map((i) => i.action)).toEqual(["role.revoked", "role.granted"]);
  });

  test("concurrent grants of different roles all stick (no lost update)", async () => {
    const roles = ["seller", "support", "admin"];
    const responses = await Promise.all(roles.map((role) => h.request("PUT", `/v1/admin/users/${buyer.user.id}/roles/${role}`, { token: admin.accessToken })));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    const user = await json<AdminUserView>(await h.request("GET", `/v1/admin/users/${buyer.user.id}`, { token: admin.accessToken }));
    expect(user.roles.sort()).toEqual(["admin", "buyer", "seller", "support"]);
    expect(await audit(buyer.user.id)).toHaveLength(3);
  });

  test("an admin cannot demote themselves; buyer cannot be revoked; unknown roles and users are refused", async () => {
    expect((await h.request("DELETE", `/v1/admin/users/${admin.user.id}/roles/admin`, { token: admin.accessToken })).status).toBe(409);
    expect((await h.request("DELETE", `/v1/admin/users/${buyer.user.id}/roles/buyer`, { token: admin.accessToken })).status).toBe(422);
    const unknownRole = await h.request("PUT", `/v1/admin/users/${buyer.user.id}/roles/superuser`, { token: admin.accessToken });
    expect(unknownRole.status).toBe(422);
    expect((await json<Problem>(unknownRole)).errors?.some((e) => e.path.includes("role"))).toBe(true);
    expect((await h.request("PUT", "/v1/admin/users/usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C/roles/seller", { token: admin.accessToken })).status).toBe(404);
    expect((await h.request("PUT", "/v1/admin/users/1%20OR%201=1/roles/seller", { token: admin.accessToken })).status).toBe(422);
  });

  test("starting seller onboarding makes a buyer a seller, audited as their own act", async () => {
    const response = await h.request("POST", "/v1/me/seller-onboarding", { token: buyer.accessToken });
    expect((await json<UserView>(response)).roles).toEqual(["buyer", "seller"]);
    expect((await audit(buyer.user.id)).map((e) => [e.actor_id, e.action])).toEqual([[buyer.user.id, "seller_onboarding.started"]]);
  });
});

describe("account status", () => {
  test("suspending ends every session at once: tokens, refresh and login all refused; reinstating restores sign-in", async () => {
    expect((await h.request("GET", "/v1/me", { token: buyer.accessToken })).status).toBe(200);
    const suspended = await suspend(buyer.user.id);
    expect(suspended.status).toBe(200);
    expect((await json<AdminUserView>(suspended)).status).toBe("suspended");

    expect((await h.request("GET", "/v1/me", { token: buyer.accessToken })).status).toBe(401);
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: buyer.refreshToken } })).status).toBe(401);
    const login = await h.request("POST", "/v1/auth/login", { body: { email: buyer.user.email, password: buyer.password } });
    expect(login.status).toBe(403);
    expect((await json<Problem>(login)).code).toBe("ACCOUNT_DISABLED");

    const types = (await h.database.client.execute("SELECT type, payload FROM outbox_event WHERE type IN ('user.status_changed', 'session.revoked')")).rows;
    expect(types.map((r) => r.type).sort()).toEqual(["session.revoked", "user.status_changed"]);
    expect(JSON.parse(String(types.find((r) => r.type === "user.status_changed")?.payload))).toMatchObject({
      userId: buyer.user.id,
      status: "suspended",
      actorId: admin.user.id,
      reason: "Counterfeit listings",
    });

    expect((await suspend(buyer.user.id, admin.accessToken, "active")).status).toBe(200);
    expect((await h.request("POST", "/v1/auth/login", { body: { email: buyer.user.email, password: buyer.password } })).status).toBe(200);
    expect((await audit(buyer.user.id)).map((e) => e.action)).toEqual(["status.suspended", "status.active"]);
  });

  test("an access token of a user suspended after it was issued, in a session that somehow survived, is refused by status", async () => {
    // status is read on every request: even without the session revocation the account is refused
    await h.database.client.execute({ sql: "UPDATE user SET status = 'banned' WHERE id = ?", args: [buyer.user.id] });
    const response = await h.request("GET", "/v1/me", { token: buyer.accessToken });
    expect(response.status).toBe(403);
    expect((await json<Problem>(response)).code).toBe("ACCOUNT_DISABLED");
  });

  test("a status change needs a reason, a known status, and another admin for one's own account", async () => {
    const noReason = await h.request("PUT", `/v1/admin/users/${buyer.user.id}/status`, { token: admin.accessToken, body: { status: "banned" } });
    expect(noReason.status).toBe(422);
    expect((await json<Problem>(noReason)).errors?.map((e) => e.path)).toContain("/reason");
    const deleted = await h.request("PUT", `/v1/admin/users/${buyer.user.id}/status`, { token: admin.accessToken, body: { status: "deleted", reason: "x" } });
    expect(deleted.status).toBe(422);
    expect((await suspend(admin.user.id)).status).toBe(409);
    expect(await audit(buyer.user.id)).toHaveLength(0);
  });

  test("the audit pages: ?limit= is a query string number, bounded; cursors walk every entry once", async () => {
    for (const role of ["seller", "support", "admin"]) await h.request("PUT", `/v1/admin/users/${buyer.user.id}/roles/${role}`, { token: admin.accessToken });
    const first = await h.request("GET", `/v1/admin/users/${buyer.user.id}/audit?limit=2`, { token: admin.accessToken });
    expect(first.status).toBe(200);
    const page = (await first.json()) as { items: { id: string }[]; nextCursor: string };
    expect(page.items).toHaveLength(2);
    const rest = (await (
      await h.request("GET", `/v1/admin/users/${buyer.user.id}/audit?limit=2&cursor=${page.nextCursor}`, { token: admin.accessToken })
    ).json()) as { items: { id: string }[]; nextCursor: string | null };
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    for (const limit of ["0", "101", "1.5", "abc"]) {
      const refused = await h.request("GET", `/v1/admin/users/${buyer.user.id}/audit?limit=${limit}`, { token: admin.accessToken });
      expect(refused.status, limit).toBe(422);
      expect(
        (await json<Problem>(refused)).errors?.map((e) => e.path),
        limit,
      ).toContain("/limit");
    }
  });

  test("a forged audit cursor is a 400, not a 500", async () => {
    for (const position of [{}, { t: "abc", id: "x" }, { t: 1.5, id: "x" }, { t: 1, id: 2 }]) {
      const cursor = Buffer.from(JSON.stringify(position)).toString("base64url");
      const response = await h.request("GET", `/v1/admin/users/${buyer.user.id}/audit?cursor=${cursor}`, { token: admin.accessToken });
      expect(response.status, JSON.stringify(position)).toBe(400);
    }
  });

  test("hostile reasons are stored as data", async () => {
    const reason = `<img src=x onerror=alert(1)> '); DELETE FROM user; --`;
    await h.request("PUT", `/v1/admin/users/${buyer.user.id}/status`, { token: admin.accessToken, body: { status: "suspended", reason } });
    const page = await json<{ items: { detail: { reason: string } }[] }>(
      await h.request("GET", `/v1/admin/users/${buyer.user.id}/audit`, { token: admin.accessToken }),
    );
    expect(page.items[0]?.detail.reason).toBe(reason);
    expect(Number((await h.database.client.execute("SELECT count(*) FROM user")).rows[0]?.[0])).toBe(2);
  });
});
