// Owned by the accounts service (core/accounts). No other service writes these tables.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const user = sqliteTable("user", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  passwordHash: text("password_hash").notNull(),
  roles: text("roles", { mode: "json" }).$type<string[]>().notNull().default(sql`'["buyer"]'`),
  emailVerifiedAt: integer("email_verified_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** A signed-in device. Refresh tokens belong to a session; revoking it ends them all. */
export const session = sqliteTable(
  "session",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id),
    userAgent: text("user_agent"),
    ip: text("ip"),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    revokedAt: integer("revoked_at"),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("session_user_idx").on(t.userId)],
);

/** Only the SHA-256 of a refresh token is stored; `usedAt` makes each one single-use. */
export const refreshToken = sqliteTable(
  "refresh_token",
  {
    tokenHash: text("token_hash").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => session.id),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("refresh_token_session_idx").on(t.sessionId)],
);

/** Security-relevant account events, one row per event (its id): what support and the user's "recent activity" read. */
export const securityLog = sqliteTable(
  "security_log",
  {
    eventId: text("event_id").primaryKey(),
    userId: text("user_id").notNull(),
    kind: text("kind").notNull(),
    sessionId: text("session_id"),
    detail: text("detail"),
    occurredAt: integer("occurred_at").notNull(),
  },
  (t) => [index("security_log_user_idx").on(t.userId, t.occurredAt)],
);
