// Profile reads and writes of accounts' own tables (user preferences, avatar key, addresses, account deletion).
import { type Database, type Queryable, schema } from "@bazaar/db";
import { and, asc, count, eq, inArray, or, sql } from "drizzle-orm";
import type { UserRow } from "../repo.ts";

export type AddressRow = typeof schema.address.$inferSelect;
export type NewAddress = typeof schema.address.$inferInsert;
export type AddressChanges = Partial<Omit<NewAddress, "id" | "userId" | "createdAt">>;

const { user, address } = schema;

/** Writes only to a live account: a request racing the account's deletion changes nothing. */
const activeUser = (userId: string) => and(eq(user.id, userId), eq(user.status, "active"));

export async function updateProfile(
  database: Database,
  userId: string,
  changes: { name?: string; locale?: string; currency?: string },
  now: number,
): Promise<UserRow | undefined> {
  const [row] = await database.write((db) =>
    db
      .update(user)
      .set({ ...changes, updatedAt: now })
      .where(activeUser(userId))
      .returning(),
  );
  return row;
}

/** Points the user at a new avatar (or none) and says what it replaced; undefined when the account is not active. */
export async function swapAvatarKey(
  tx: Queryable,
  userId: string,
  key: string | null,
  now: number,
): Promise<{ previous: string | null; user: UserRow } | undefined> {
  const [current] = await tx.select({ avatarKey: user.avatarKey }).from(user).where(activeUser(userId)).limit(1);
  if (!current) return undefined;
  const [updated] = await tx.update(user).set({ avatarKey: key, updatedAt: now }).where(eq(user.id, userId)).returning();
  return updated && { previous: current.avatarKey, user: updated };
}

export async function avatarKeyOf(database: Database, userId: string): Promise<string | null | undefined> {
  const [row] = await database.db.select({ avatarKey: user.avatarKey }).from(user).where(eq(user.id, userId)).limit(1);
  return row?.avatarKey;
}

// ---- addresses ----

export interface Defaults {
  shipping: string | null;
  billing: string | null;
}

export async function defaultsOf(db: Queryable, userId: string): Promise<Defaults> {
  const [row] = await db
    .select({ shipping: user.defaultShippingAddressId, billing: user.defaultBillingAddressId })
    .from(user)
    .where(eq(user.id, userId))
    .limit(1);
  return row ?? { shipping: null, billing: null };
}

export async function addressesOf(database: Database, userId: string): Promise<AddressRow[]> {
  return database.db.select().from(address).where(eq(address.userId, userId)).orderBy(asc(address.id));
}

export async function findAddress(database: Database, addressId: string): Promise<AddressRow | undefined> {
  const [row] = await database.db.select().from(address).where(eq(address.id, addressId)).limit(1);
  return row;
}

/** Inside a transaction: is the account still live? (a request that raced its deletion must write nothing) */
export async function isActiveUser(tx: Queryable, userId: string): Promise<boolean> {
  const [row] = await tx.select({ id: user.id }).from(user).where(activeUser(userId)).limit(1);
  return row !== undefined;
}

export async function countAddresses(tx: Queryable, userId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(address).where(eq(address.userId, userId));
  return row?.n ?? 0;
}

export async function insertAddress(tx: Queryable, row: NewAddress): Promise<AddressRow | undefined> {
  const [created] = await tx.insert(address).values(row).returning();
  return created;
}

/** Scoped by owner as well as id: the BOLA check already ran, this keeps the write honest if it ever did not. */
export async function updateAddress(tx: Queryable, userId: string, addressId: string, changes: AddressChanges): Promise<AddressRow | undefined> {
  const [row] = await tx
    .update(address)
    .set(changes)
    .where(and(eq(address.id, addressId), eq(address.userId, userId)))
    .returning();
  return row;
}

export function deleteAddress(db: Queryable, userId: string, addressId: string) {
  return db.delete(address).where(and(eq(address.id, addressId), eq(address.userId, userId)));
}

/** Makes `addressId` the user's default of `kind`, or (`makeDefault` false) stops it being so if it is. */
export function setDefault(db: Queryable, userId: string, kind: "shipping" | "billing", addressId: string, makeDefault: boolean) {
  const column = kind === "shipping" ? user.defaultShippingAddressId : user.defaultBillingAddressId;
  const value = makeDefault ? addressId : null;
  const changes = kind === "shipping" ? { defaultShippingAddressId: value } : { defaultBillingAddressId: value };
  return db
    .update(user)
    .set(changes)
    .where(makeDefault ? eq(user.id, userId) : and(eq(user.id, userId), eq(column, addressId)));
}

// ---- account deletion ----

export const DELETED_NAME = "Deleted user";
export const deletedEmail = (userId: string) => `deleted+${userId}@deleted.invalid`;

/**
 * Replaces the personal fields of a live account with placeholders and marks it deleted, in `tx`.
 * Returns the avatar it had (read in the same transaction, so a concurrent upload's file is not
 * missed); undefined when the account was not active (deleted, suspended or banned under us).
 */
export async function anonymiseUser(tx: Queryable, userId: string, now: number): Promise<{ avatarKey: string | null } | undefined> {
  const [current] = await tx.select({ avatarKey: user.avatarKey }).from(user).where(activeUser(userId)).limit(1);
  if (!current) return undefined;
  await tx
    .update(user)
    .set({
      email: deletedEmail(userId),
      name: DELETED_NAME,
      passwordHash: "",
      emailVerifiedAt: null,
      locale: "en",
      currency: "USD",
      avatarKey: null,
      defaultShippingAddressId: null,
      defaultBillingAddressId: null,
      status: "deleted",
      deletedAt: now,
      updatedAt: now,
    })
    .where(eq(user.id, userId));
  return current;
}

/**
 * Erases what identifies the person outside the user row, in `tx`: addresses, sign-in factors,
 * links and challenges go; sessions and the security log keep their ids and times but lose the
 * address, device and location they recorded; throttle counters keyed by the email or id go.
 */
export async function erasePersonalData(tx: Queryable, userId: string, email: string): Promise<void> {
  await tx.delete(address).where(eq(address.userId, userId));
  await tx.delete(schema.totpFactor).where(eq(schema.totpFactor.userId, userId));
  await tx.delete(schema.recoveryCode).where(eq(schema.recoveryCode.userId, userId));
  await tx.delete(schema.passkey).where(eq(schema.passkey.userId, userId));
  await tx.delete(schema.oauthIdentity).where(eq(schema.oauthIdentity.userId, userId));
  await tx.delete(schema.accountToken).where(eq(schema.accountToken.userId, userId));
  await tx.delete(schema.authChallenge).where(eq(schema.authChallenge.userId, userId));
  const sessions = tx.select({ id: schema.session.id }).from(schema.session).where(eq(schema.session.userId, userId));
  await tx.delete(schema.refreshToken).where(inArray(schema.refreshToken.sessionId, sessions));
  await tx.update(schema.session).set({ ip: null, userAgent: null, deviceName: null, location: null }).where(eq(schema.session.userId, userId));
  await tx.update(schema.securityLog).set({ detail: null }).where(eq(schema.securityLog.userId, userId));
  // keys end in the email or id (`login:account:<email>`) or carry it before an address (`login:account-address:<email>|<ip>`);
  // matched whole, so deleting bob@x.com never clears a count kept for ob@x.com
  const key = schema.throttle.key;
  await tx
    .delete(schema.throttle)
    .where(
      or(
        sql`substr(${key}, -length(${`:${email}`})) = ${`:${email}`}`,
        sql`instr(${key}, ${`:${email}|`}) > 0`,
        sql`substr(${key}, -length(${`:${userId}`})) = ${`:${userId}`}`,
      ),
    );
}
