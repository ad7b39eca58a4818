// Owned by the accounts service (core/accounts). No other service writes these tables.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const user = sqliteTable("user", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  /** argon2id; "" for an account that has no password (social or passkey sign-in only) */
  passwordHash: text("password_hash").notNull(),
  roles: text("roles", { mode: "json" }).$type<string[]>().notNull().default(sql`'["buyer"]'`),
  emailVerifiedAt: integer("email_verified_at"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** active | suspended | banned | deleted: only active accounts sign in or pass the auth check */
  status: text("status").notNull().default("active"),
  locale: text("locale").notNull().default("en"),
  currency: text("currency").notNull().default("USD"),
  /** key of the avatar in the file store */
  avatarKey: text("avatar_key"),
  defaultShippingAddressId: text("default_shipping_address_id"),
  defaultBillingAddressId: text("default_billing_address_id"),
  deletedAt: integer("deleted_at"),
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
    /** "Chrome on macOS", parsed from the user agent at sign-in */
    deviceName: text("device_name"),
    /** coarse, from the edge's geo headers when it sent them ("Lisbon, PT") */
    location: text("location"),
    /** password | passkey | oauth:<provider>, with "+mfa" when a second factor was shown */
    authMethod: text("auth_method"),
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

/**
 * Single-use emailed tokens (verify an email, reset a password). Only the SHA-256 of the
 * token is kept; `usedAt` makes each one single-use.
 */
export const accountToken = sqliteTable(
  "account_token",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id),
    purpose: text("purpose").notNull(),
    /** the address it was sent to: verifying proves this email, not whatever the account has now */
    email: text("email").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("account_token_user_idx").on(t.userId, t.purpose)],
);

/** Who changed what on whose account (roles, status): written in the same batch as the change. */
export const auditEntry = sqliteTable(
  "audit_entry",
  {
    id: text("id").primaryKey(),
    actorId: text("actor_id").notNull(),
    action: text("action").notNull(),
    targetUserId: text("target_user_id").notNull(),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
    ip: text("ip"),
    occurredAt: integer("occurred_at").notNull(),
  },
  (t) => [index("audit_entry_target_idx").on(t.targetUserId, t.occurredAt)],
);

/**
 * Attempt counters for throttled actions (login, reset, second factor), keyed like
 * `login:account:<email>`. In the database so every core process shares one exact count.
 */
export const throttle = sqliteTable("throttle", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  attempts: integer("attempts").notNull(),
  /** how many times this key has been locked; each lock lasts twice the previous (backoff) */
  lockouts: integer("lockouts").notNull().default(0),
  blockedUntil: integer("blocked_until").notNull().default(0),
});

/** A user's TOTP authenticator (RFC 6238). The secret is encrypted with the app secret. */
export const totpFactor = sqliteTable("totp_factor", {
  userId: text("user_id")
    .primaryKey()
    .references(() => user.id),
  secretEncrypted: text("secret_encrypted").notNull(),
  /** null while enrolment awaits its first code */
  confirmedAt: integer("confirmed_at"),
  /** the last 30-second step a code was accepted for: a code of that step or earlier is a replay */
  lastUsedStep: integer("last_used_step").notNull().default(0),
  createdAt: integer("created_at").notNull(),
});

/** Ten single-use recovery codes per user with two-factor on; SHA-256 only. */
export const recoveryCode = sqliteTable(
  "recovery_code",
  {
    codeHash: text("code_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id),
    createdAt: integer("created_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("recovery_code_user_idx").on(t.userId)],
);

/** A WebAuthn credential (passkey): second factor or passwordless sign-in. */
export const passkey = sqliteTable(
  "passkey",
  {
    /** the credential id, base64url */
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id),
    /** COSE public key, base64url */
    publicKey: text("public_key").notNull(),
    counter: integer("counter").notNull(),
    transports: text("transports", { mode: "json" }).$type<string[]>(),
    deviceType: text("device_type"),
    backedUp: integer("backed_up", { mode: "boolean" }).notNull().default(false),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [index("passkey_user_idx").on(t.userId)],
);

/**
 * Short-lived, single-use challenges: a login waiting for its second factor, a WebAuthn
 * challenge, an OAuth state with its PKCE verifier and nonce. Keyed by the SHA-256 of the
 * handle the client holds.
 */
export const authChallenge = sqliteTable(
  "auth_challenge",
  {
    idHash: text("id_hash").primaryKey(),
    purpose: text("purpose").notNull(),
    userId: text("user_id"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    attempts: integer("attempts").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("auth_challenge_expiry_idx").on(t.expiresAt)],
);

/** An account at a social or SSO provider linked to a user. */
export const oauthIdentity = sqliteTable(
  "oauth_identity",
  {
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id),
    email: text("email"),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [primaryKey({ columns: [t.provider, t.subject] }), index("oauth_identity_user_idx").on(t.userId)],
);

/** A user's saved addresses (the shipping service reads them through accounts). */
export const address = sqliteTable(
  "address",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => user.id),
    label: text("label"),
    recipient: text("recipient").notNull(),
    line1: text("line1").notNull(),
    line2: text("line2"),
    city: text("city").notNull(),
    region: text("region"),
    postalCode: text("postal_code"),
    /** ISO 3166-1 alpha-2 */
    country: text("country").notNull(),
    phone: text("phone"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("address_user_idx").on(t.userId)],
);
