import type { Statement } from "@bazaar/db";
import type { EventBus, EventEnvelope } from "@bazaar/events";
import {
  sessionRevoked,
  userEmailVerificationRequested,
  userEmailVerified,
  userLoggedIn,
  userNewDeviceLogin,
  userPasswordChanged,
  userPasswordResetRequested,
  userRegistered,
  userRolesChanged,
  userStatusChanged,
  userTwoFactorChanged,
} from "@bazaar/events";
import type { Deps } from "../platform/deps.ts";
import type { EmailLinks } from "./email-links.ts";
import * as repo from "./repo.ts";

/**
 * Accounts reacts to its own events, through the outbox, so it acts on exactly what was
 * committed: the security log (a user's "recent activity"), and the emailed links.
 */
export function subscribeAccounts(bus: EventBus, deps: Deps, links: EmailLinks): void {
  const { db } = deps.database;
  const log = async (
    kind: string,
    userId: string,
    event: EventEnvelope,
    sessionId: string | null = null,
    detail: string | null = null,
  ): Promise<Statement[]> => {
    // an event from before an account's deletion may arrive after it: its device details must not come back
    if (detail !== null && (await repo.findUserById(deps.database, userId))?.status === "deleted") detail = null;
    return [repo.insertSecurityLog(db, { eventId: event.id, userId, kind, sessionId, detail, occurredAt: Date.parse(event.occurredAt) })];
  };

  bus.subscribe("accounts.security-log", userRegistered, (p, event) => log("registered", p.userId, event));
  bus.subscribe("accounts.security-log", userLoggedIn, (p, event) => log("logged_in", p.userId, event, p.sessionId, p.userAgent));
  bus.subscribe("accounts.security-log", userNewDeviceLogin, (p, event) =>
    log("new_device_login", p.userId, event, p.sessionId, [p.deviceName, p.ip, p.location].filter(Boolean).join(" · ")),
  );
  bus.subscribe("accounts.security-log", sessionRevoked, (p, event) =>
    log(p.reason === "refresh_reuse" ? "refresh_token_reused" : `session_revoked:${p.reason}`, p.userId, event, p.sessionId),
  );
  bus.subscribe("accounts.security-log", userEmailVerified, (p, event) => log("email_verified", p.userId, event));
  bus.subscribe("accounts.security-log", userPasswordResetRequested, (p, event) => log("password_reset_requested", p.userId, event));
  bus.subscribe("accounts.security-log", userPasswordChanged, (p, event) => log(`password_changed:${p.via}`, p.userId, event));
  bus.subscribe("accounts.security-log", userRolesChanged, (p, event) =>
    log("roles_changed", p.userId, event, null, JSON.stringify({ granted: p.granted, revoked: p.revoked, by: p.actorId })),
  );
  bus.subscribe("accounts.security-log", userStatusChanged, (p, event) => log(`status:${p.status}`, p.userId, event, null, p.reason));
  bus.subscribe("accounts.security-log", userTwoFactorChanged, (p, event) => log(`two_factor:${p.method}:${p.change}`, p.userId, event));

  // the links: a failed send throws, the relay retries, and the idempotency key keeps a retry from mailing twice
  bus.subscribe("accounts.email-links", userRegistered, async (p, event) => {
    // an address a provider already verified has no link to send
    if (await links.owed(deps.database, "verify_email", event.id)) await links.send("verify_email", event.id, { email: p.email, name: p.name });
    return [];
  });
  bus.subscribe("accounts.email-links", userEmailVerificationRequested, async (p, event) => {
    await links.send("verify_email", event.id, { email: p.email });
    return [];
  });
  bus.subscribe("accounts.email-links", userPasswordResetRequested, async (p, event) => {
    await links.send("reset_password", event.id, { email: p.email });
    return [];
  });
}
