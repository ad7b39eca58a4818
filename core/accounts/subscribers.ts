import type { EventBus } from "@bazaar/events";
import { sessionRevoked, userLoggedIn, userRegistered } from "@bazaar/events";
import type { Deps } from "../platform/deps.ts";
import * as repo from "./repo.ts";

/** Keeps the security log from the account events (through the outbox, so it sees exactly what was committed). */
export function subscribeAccounts(bus: EventBus, deps: Deps): void {
  const { db } = deps.database;
  const at = (occurredAt: string) => Date.parse(occurredAt);
  bus.subscribe("accounts.security-log", userRegistered, async (payload, event) => [
    repo.insertSecurityLog(db, {
      eventId: event.id,
      userId: payload.userId,
      kind: "registered",
      sessionId: null,
      detail: null,
      occurredAt: at(event.occurredAt),
    }),
  ]);
  bus.subscribe("accounts.security-log", userLoggedIn, async (payload, event) => [
    repo.insertSecurityLog(db, {
      eventId: event.id,
      userId: payload.userId,
      kind: "logged_in",
      sessionId: payload.sessionId,
      detail: payload.userAgent,
      occurredAt: at(event.occurredAt),
    }),
  ]);
  bus.subscribe("accounts.security-log", sessionRevoked, async (payload, event) => [
    repo.insertSecurityLog(db, {
      eventId: event.id,
      userId: payload.userId,
      kind: payload.reason === "refresh_reuse" ? "refresh_token_reused" : "logged_out",
      sessionId: payload.sessionId,
      detail: null,
      occurredAt: at(event.occurredAt),
    }),
  ]);
}
