import {
  ACCOUNT_DELETION_PHRASE,
  type AddressList,
  type AddressView,
  AppError,
  ConflictError,
  type CreateAddressBody,
  type DeleteAccountBody,
  MAX_ADDRESSES_PER_USER,
  UnauthenticatedError,
  type UpdateAddressBody,
  type UpdateProfileBody,
  type UserView,
  ValidationError,
} from "@bazaar/contracts";
import { outboxInsert, sessionRevoked, userDeleted, userStatusChanged } from "@bazaar/events";
import { type FileStore, inspectImage, isImageType } from "@bazaar/files";
import { requireOwner } from "../../http/authentication.ts";
import type { Actor, Ctx } from "../../platform/deps.ts";
import type { PasswordHasher } from "../password.ts";
import * as accountsRepo from "../repo.ts";
import { eventFor, requireRecentSignIn, signInThrottleKeys, toUserView } from "../service.ts";
import type { Throttle } from "../throttle.ts";
import { addressProblems, normalisePhone, normalisePostalCode } from "./address-rules.ts";
import { AVATAR_IMAGE_LIMITS } from "./image.ts";
import * as repo from "./repo.ts";

export interface ProfileDeps {
  files: FileStore;
  hasher: PasswordHasher;
  throttle: Throttle;
}

export interface AvatarFile {
  bytes: Uint8Array;
  contentType: string;
  /** what UserView.avatarUrl carries as `?v=` */
  version: string;
  etag: string;
}

type AddressFields = Omit<repo.NewAddress, "id" | "userId" | "createdAt" | "updatedAt">;

/** The signed-in user's own profile: preferences, avatar, address book, and deleting the account. */
export function createProfileService(deps: ProfileDeps) {
  async function activeUser(ctx: Ctx, actor: Actor): Promise<accountsRepo.UserRow> {
    const user = await accountsRepo.findUserById(ctx.database, actor.userId);
    if (user?.status !== "active") throw gone();
    return user;
  }

  /** Files go after the database has moved on: a failed delete orphans a file, never breaks a profile. */
  async function deleteFile(ctx: Ctx, key: string): Promise<void> {
    try {
      await deps.files.delete(key);
    } catch (error) {
      ctx.log.warn("file not deleted; it is orphaned", { key, error });
    }
  }

  async function swapAvatar(ctx: Ctx, actor: Actor, key: string | null): Promise<accountsRepo.UserRow> {
    const now = ctx.clock();
    let swapped: Awaited<ReturnType<typeof repo.swapAvatarKey>>;
    try {
      swapped = await ctx.database.transaction((tx) => repo.swapAvatarKey(tx, actor.userId, key, now));
    } catch (error) {
      if (key) await deleteFile(ctx, key);
      throw error;
    }
    if (!swapped) {
      if (key) await deleteFile(ctx, key);
      throw gone();
    }
    if (swapped.previous && swapped.previous !== key) await deleteFile(ctx, swapped.previous);
    return swapped.user;
  }

  async function reauthenticate(ctx: Ctx, actor: Actor, user: accountsRepo.UserRow, input: DeleteAccountBody): Promise<void> {
    if (user.passwordHash) {
      if (input.password === undefined) throw new ValidationError([{ path: "/password", message: "is required to delete an account that has a password" }]);
      // counted before hashing, as for sign-in: a stolen access token must not become a password oracle
      await deps.throttle.enforce(signInThrottleKeys(ctx, user.email).slice(0, 2), "Too many password attempts; try again later");
      if (!(await deps.hasher.verify(input.password, user.passwordHash))) {
        throw new AppError("INVALID_CREDENTIALS", "The password is wrong", [{ path: "/password", message: "is wrong" }]);
      }
      return;
    }
    if (input.confirm !== ACCOUNT_DELETION_PHRASE) throw new ValidationError([{ path: "/confirm", message: `must be exactly "${ACCOUNT_DELETION_PHRASE}"` }]);
    // no password to ask for: a sign-in (passkey or provider) minutes ago is the proof instead
    await requireRecentSignIn(ctx, actor, "delete an account without a password");
  }

  return {
    async updateProfile(ctx: Ctx, actor: Actor, input: UpdateProfileBody): Promise<UserView> {
      const changes: { name?: string; locale?: string; currency?: string } = {};
      if (input.name !== undefined) changes.name = input.name.trim();
      if (input.locale !== undefined) changes.locale = input.locale;
      if (input.currency !== undefined) changes.currency = input.currency;
      if (!Object.keys(changes).length) throw new ValidationError([{ path: "/", message: "must change at least one of name, locale, currency" }]);
      const user = await repo.updateProfile(ctx.database, actor.userId, changes, ctx.clock());
      if (!user) throw gone();
      return toUserView(user);
    },

    /**
     * Stores the image under a new random key, points the user at it, then deletes the old file:
     * a reader sees the old avatar or the new one, never a missing one.
     */
    async setAvatar(ctx: Ctx, actor: Actor, upload: { bytes: Uint8Array; contentType: string }): Promise<UserView> {
      const image = inspectImage(upload.bytes, upload.contentType, AVATAR_IMAGE_LIMITS);
      const key = `avatars/${actor.userId}/${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url")}`;
      await deps.files.put(key, image.bytes, image.type);
      const user = await swapAvatar(ctx, actor, key);
      ctx.log.info("avatar set", { userId: actor.userId, type: image.type, width: image.width, height: image.height, bytes: image.bytes.length });
      return toUserView(user);
    },

    async removeAvatar(ctx: Ctx, actor: Actor): Promise<void> {
      await swapAvatar(ctx, actor, null);
    },

    async getAvatar(ctx: Ctx, userId: string): Promise<AvatarFile> {
      const key = await repo.avatarKeyOf(ctx.database, userId);
      if (!key) throw new AppError("NOT_FOUND", "This user has no avatar");
      const file = await deps.files.get(key);
      // only what we stored, as we stored it: anything else in the store is not served from this route
      if (!file || !isImageType(file.contentType, AVATAR_IMAGE_LIMITS.types)) {
        ctx.log.warn("avatar file missing or of an unexpected type", { userId, key, contentType: file?.contentType });
        throw new AppError("NOT_FOUND", "This user has no avatar");
      }
      const random = key.slice(key.lastIndexOf("/") + 1);
      return { bytes: file.bytes, contentType: file.contentType, version: key.slice(-8), etag: `"${random}"` };
    },

    async listAddresses(ctx: Ctx, actor: Actor): Promise<AddressList> {
      const [rows, defaults] = await Promise.all([repo.addressesOf(ctx.database, actor.userId), repo.defaultsOf(ctx.database.db, actor.userId)]);
      return { items: rows.map((row) => toAddressView(row, defaults)) };
    },

    async getAddress(ctx: Ctx, actor: Actor, addressId: string): Promise<AddressView> {
      const row = requireOwner(actor, await repo.findAddress(ctx.database, addressId), "address");
      return toAddressView(row, await repo.defaultsOf(ctx.database.db, actor.userId));
    },

    /** At most MAX_ADDRESSES_PER_USER: counted and inserted in one transaction, so concurrent creates cannot pass it. */
    async createAddress(ctx: Ctx, actor: Actor, input: CreateAddressBody): Promise<AddressView> {
      const fields = addressFields(input) as AddressFields;
      assertAddress(fields);
      const now = ctx.clock();
      const id = ctx.ids("address");
      const created = await ctx.database.transaction(async (tx) => {
        if (!(await repo.isActiveUser(tx, actor.userId))) throw new UnauthenticatedError("This account no longer exists");
        if ((await repo.countAddresses(tx, actor.userId)) >= MAX_ADDRESSES_PER_USER) return undefined;
        const row = await repo.insertAddress(tx, { ...fields, id, userId: actor.userId, createdAt: now, updatedAt: now });
        if (input.isDefaultShipping) await repo.setDefault(tx, actor.userId, "shipping", id, true);
        if (input.isDefaultBilling) await repo.setDefault(tx, actor.userId, "billing", id, true);
        return row && { row, defaults: await repo.defaultsOf(tx, actor.userId) };
      });
      if (!created) throw new ConflictError(`An account holds at most ${MAX_ADDRESSES_PER_USER} addresses; delete one first`);
      return toAddressView(created.row, created.defaults);
    },

    async updateAddress(ctx: Ctx, actor: Actor, addressId: string, input: UpdateAddressBody): Promise<AddressView> {
      const existing = requireOwner(actor, await repo.findAddress(ctx.database, addressId), "address");
      const changes = addressFields(input);
      if (!Object.keys(changes).length && input.isDefaultShipping === undefined && input.isDefaultBilling === undefined) {
        throw new ValidationError([{ path: "/", message: "must change at least one field" }]);
      }
      assertAddress({ ...existing, ...changes });
      const now = ctx.clock();
      const updated = await ctx.database.transaction(async (tx) => {
        const row = await repo.updateAddress(tx, actor.userId, addressId, { ...changes, updatedAt: now });
        if (!row) return undefined; // deleted since we read it
        if (input.isDefaultShipping !== undefined) await repo.setDefault(tx, actor.userId, "shipping", addressId, input.isDefaultShipping);
        if (input.isDefaultBilling !== undefined) await repo.setDefault(tx, actor.userId, "billing", addressId, input.isDefaultBilling);
        return { row, defaults: await repo.defaultsOf(tx, actor.userId) };
      });
      if (!updated) throw new AppError("NOT_FOUND", "No such address");
      return toAddressView(updated.row, updated.defaults);
    },

    /** A default address that is deleted stops being the default, in the same batch. */
    async deleteAddress(ctx: Ctx, actor: Actor, addressId: string): Promise<void> {
      requireOwner(actor, await repo.findAddress(ctx.database, addressId), "address");
      const { db } = ctx.database;
      await ctx.database.batch([
        repo.deleteAddress(db, actor.userId, addressId),
        repo.setDefault(db, actor.userId, "shipping", addressId, false),
        repo.setDefault(db, actor.userId, "billing", addressId, false),
      ]);
    },

    /**
     * Erases the person and keeps the records: one transaction anonymises the user row, erases
     * addresses, factors, links and device details, ends every session and announces it all.
     * The id stays, so orders, payouts, reviews and the audit trail keep a (now pseudonymous)
     * owner; other services anonymise their copies when `user.deleted` reaches them.
     */
    async deleteAccount(ctx: Ctx, actor: Actor, input: DeleteAccountBody): Promise<void> {
      const user = await activeUser(ctx, actor);
      await reauthenticate(ctx, actor, user, input);
      const now = ctx.clock();
      const deleted = await ctx.database.transaction(async (tx) => {
        const erased = await repo.anonymiseUser(tx, user.id, now);
        if (!erased) return undefined;
        const sessions = await accountsRepo.revokeAllLiveSessions(tx, user.id, now, "account_deleted");
        await repo.erasePersonalData(tx, user.id, user.email);
        for (const sessionId of sessions) await outboxInsert(tx, eventFor(ctx, sessionRevoked, { userId: user.id, sessionId, reason: "account_deleted" }, now));
        await outboxInsert(
          tx,
          eventFor(ctx, userStatusChanged, { userId: user.id, status: "deleted", actorId: user.id, reason: "deleted by the account holder" }, now),
        );
        await outboxInsert(tx, eventFor(ctx, userDeleted, { userId: user.id }, now));
        return erased;
      });
      if (!deleted) throw gone(); // deleted, suspended or banned since we read it
      ctx.eventsWritten();
      if (deleted.avatarKey) await deleteFile(ctx, deleted.avatarKey);
      ctx.log.info("account deleted", { userId: user.id });
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;

function gone(): UnauthenticatedError {
  return new UnauthenticatedError("This account is no longer active; sign in again");
}

/** The stored form of whichever address fields `input` has: trimmed, postal code and phone normalised, null clears. */
function addressFields(input: CreateAddressBody | UpdateAddressBody): Partial<AddressFields> {
  const fields: Partial<AddressFields> = {};
  const text = (value: string | null | undefined) => (value === null || value === undefined ? value : value.trim());
  if (input.label !== undefined) fields.label = text(input.label);
  if (input.recipient !== undefined) fields.recipient = input.recipient.trim();
  if (input.line1 !== undefined) fields.line1 = input.line1.trim();
  if (input.line2 !== undefined) fields.line2 = text(input.line2);
  if (input.city !== undefined) fields.city = input.city.trim();
  if (input.region !== undefined) fields.region = text(input.region);
  if (input.postalCode !== undefined) fields.postalCode = input.postalCode === null ? null : normalisePostalCode(input.postalCode);
  if (input.country !== undefined) fields.country = input.country;
  if (input.phone !== undefined) fields.phone = input.phone === null ? null : normalisePhone(input.phone);
  return fields;
}

function assertAddress(address: { country: string; postalCode?: string | null; phone?: string | null }): void {
  const errors = addressProblems({ country: address.country, postalCode: address.postalCode ?? null, phone: address.phone ?? null });
  if (errors.length) throw new ValidationError(errors);
}

export function toAddressView(row: repo.AddressRow, defaults: repo.Defaults): AddressView {
  return {
    id: row.id,
    label: row.label,
    recipient: row.recipient,
    line1: row.line1,
    line2: row.line2,
    city: row.city,
    region: row.region,
    postalCode: row.postalCode,
    country: row.country,
    phone: row.phone,
    isDefaultShipping: defaults.shipping === row.id,
    isDefaultBilling: defaults.billing === row.id,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
