import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { AddressList, AddressView, Problem, TokenPair, UserView } from "@bazaar/contracts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import { addressProblems } from "./address-rules.ts";
import { base64Bytes, EXIF_WITH_GPS, GIF_LOOP, gif, jpeg, png, WEBP_LOSSY_BASE64 } from "./test-images.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const problem = async (response: Response) => {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
};
const rows = async (sql: string, ...args: (string | number)[]) => (await h.database.client.execute({ sql, args })).rows;
const filesDir = () => (h.deps.config.files.store === "local" ? h.deps.config.files.directory : "");
/** Everything on disk under a user's avatar folder (the files and whatever the store keeps beside them). */
const avatarDir = (userId: string) => {
  const dir = join(filesDir(), "avatars", userId);
  return existsSync(dir) ? readdirSync(dir) : [];
};
const avatarKey = async (userId: string) => (await rows("SELECT avatar_key FROM user WHERE id = ?", userId))[0]?.avatar_key as string | null;

function upload(token: string, bytes: Uint8Array, type: string): Promise<Response> {
  return h.app.handle(
    new Request("http://localhost/v1/me/avatar", {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": type, "content-length": String(bytes.length) },
      body: bytes,
    }),
  );
}

const ADDRESS = { recipient: "Ada Lovelace", line1: "Rua Augusta 24", city: "Lisboa", postalCode: "1100-048", country: "PT" };
async function createAddress(token: string, body: Record<string, unknown> = {}): Promise<AddressView> {
  const response = await h.request("POST", "/v1/me/addresses", { token, body: { ...ADDRESS, ...body } });
  expect(response.status).toBe(201);
  return json<AddressView>(response);
}

describe("PATCH /v1/me", () => {
  test("changes name, locale and currency; the change is what GET /v1/me shows next", async () => {
    const { accessToken } = await h.register({ name: "Ada" });
    const response = await h.request("PATCH", "/v1/me", { token: accessToken, body: { name: "  Ada Lovelace  ", locale: "pt-BR", currency: "BRL" } });
    expect(response.status).toBe(200);
    const view = await json<UserView>(response);
    expect(view).toMatchObject({ name: "Ada Lovelace", locale: "pt-BR", currency: "BRL" });
    expect(await json<UserView>(await h.request("GET", "/v1/me", { token: accessToken }))).toEqual(view);
  });

  test("only the fields sent change", async () => {
    const { accessToken } = await h.register({ name: "Ada" });
    await h.request("PATCH", "/v1/me", { token: accessToken, body: { locale: "ja" } });
    const view = await json<UserView>(await h.request("PATCH", "/v1/me", { token: accessToken, body: { currency: "JPY" } }));
    expect(view).toMatchObject({ name: "Ada", locale: "ja", currency: "JPY" });
  });

  test("hostile strings are stored and returned as data", async () => {
    const { accessToken, user } = await h.register();
    const name = `Robert'); DROP TABLE user;-- <script>alert(1)</script> ${"\u202e"}gnp.exe`;
    const view = await json<UserView>(await h.request("PATCH", "/v1/me", { token: accessToken, body: { name } }));
    expect(view.name).toBe(name);
    expect((await rows("SELECT name FROM user WHERE id = ?", user.id))[0]?.name).toBe(name);
    expect((await rows("SELECT count(*) AS n FROM user"))[0]?.n).toBe(1);
  });
});

describe("avatar", () => {
  const images: [string, Uint8Array<ArrayBuffer>][] = [
    ["image/png", png()],
    ["image/jpeg", jpeg()],
    ["image/webp", base64Bytes(WEBP_LOSSY_BASE64)],
    ["image/gif", gif({ frames: 2, extensions: [GIF_LOOP] })],
  ];
  for (const [type, bytes] of images) {
    test(`${type}: upload, then anyone fetches it by the avatarUrl — same bytes, same type, safe headers`, async () => {
      const { accessToken, user } = await h.register();
      const response = await upload(accessToken, bytes, type);
      expect(response.status).toBe(200);
      const view = await json<UserView>(response);
      const key = await avatarKey(user.id);
      expect(key).toMatch(new RegExp(`^avatars/${user.id}/[A-Za-z0-9_-]{22}$`));
      expect(view.avatarUrl).toBe(`/v1/users/${user.id}/avatar?v=${key?.slice(-8)}`);

      const image = await h.request("GET", view.avatarUrl ?? ""); // no token: avatars are public
      expect(image.status).toBe(200);
      expect(image.headers.get("content-type")).toBe(type);
      expect(image.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(image.headers.get("x-content-type-options")).toBe("nosniff");
      expect(image.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
      expect(image.headers.get("x-request-id")).toBeString();
      expect(new Uint8Array(await image.arrayBuffer())).toEqual(bytes);
    });
  }

  test("without the current version the image is cached briefly; a matching If-None-Match gets 304", async () => {
    const { accessToken, user } = await h.register();
    await upload(accessToken, png(), "image/png");
    const plain = await h.request("GET", `/v1/users/${user.id}/avatar`);
    expect(plain.headers.get("cache-control")).toBe("public, max-age=300");
    const stale = await h.request("GET", `/v1/users/${user.id}/avatar?v=OLDVERSN`);
    expect(stale.headers.get("cache-control")).toBe("public, max-age=300");
    const etag = plain.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const revalidated = await h.request("GET", `/v1/users/${user.id}/avatar`, { headers: { "if-none-match": etag } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe("");
  });

  test("metadata is stripped before storing: the EXIF GPS position never reaches the store", async () => {
    const { accessToken, user } = await h.register();
    const view = await json<UserView>(await upload(accessToken, jpeg({ segments: [EXIF_WITH_GPS] }), "image/jpeg"));
    const served = new Uint8Array(await (await h.request("GET", view.avatarUrl ?? "")).arrayBuffer());
    expect(served).toEqual(jpeg());
    expect(Buffer.from(await Bun.file(join(filesDir(), (await avatarKey(user.id)) ?? "")).arrayBuffer()).toString("latin1")).not.toContain("GPS");
  });

  test("replacing it stores a new key and deletes the old file; the old version no longer caches forever", async () => {
    const { accessToken, user } = await h.register();
    const first = await json<UserView>(await upload(accessToken, png(), "image/png"));
    const firstKey = await avatarKey(user.id);
    const second = await json<UserView>(await upload(accessToken, gif(), "image/gif"));
    const secondKey = await avatarKey(user.id);
    expect(secondKey).not.toBe(firstKey);
    expect(second.avatarUrl).not.toBe(first.avatarUrl);
    expect(await h.deps.files.get(firstKey ?? "")).toBeUndefined();
    const current = secondKey?.split("/").at(-1) ?? "";
    expect(avatarDir(user.id).every((f) => f.startsWith(current))).toBe(true);
    const old = await h.request("GET", first.avatarUrl ?? "");
    expect(old.headers.get("content-type")).toBe("image/gif");
    expect(old.headers.get("cache-control")).toBe("public, max-age=300");
  });

  test("DELETE /v1/me/avatar removes it: avatarUrl null, the file gone, the URL a 404 problem", async () => {
    const { accessToken, user } = await h.register();
    const view = await json<UserView>(await upload(accessToken, png(), "image/png"));
    expect((await h.request("DELETE", "/v1/me/avatar", { token: accessToken })).status).toBe(204);
    expect((await json<UserView>(await h.request("GET", "/v1/me", { token: accessToken }))).avatarUrl).toBeNull();
    expect(avatarDir(user.id)).toEqual([]);
    const gone = await h.request("GET", view.avatarUrl ?? "");
    expect(gone.status).toBe(404);
    expect((await problem(gone)).code).toBe("NOT_FOUND");
    // removing no avatar is not an error
    expect((await h.request("DELETE", "/v1/me/avatar", { token: accessToken })).status).toBe(204);
  });

  test("a user without an avatar, an unknown user and a malformed id: 404, 404, 422", async () => {
    const { user } = await h.register();
    expect((await h.request("GET", `/v1/users/${user.id}/avatar`)).status).toBe(404);
    expect((await h.request("GET", "/v1/users/usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C/avatar")).status).toBe(404);
    const malformed = await h.request("GET", "/v1/users/..%2F..%2Fetc/avatar");
    expect(malformed.status).toBe(422);
    expect((await problem(malformed)).errors?.[0]?.path).toBe("/id");
  });
});

describe("addresses", () => {
  test("create, list, read, change and delete; phone and postal code stored in one normal form", async () => {
    const { accessToken } = await h.register();
    const created = await createAddress(accessToken, { label: " Home ", line2: "3º esq.", postalCode: " 1100-048 ", phone: "+351 (21) 123-4567" });
    expect(created).toMatchObject({
      label: "Home",
      recipient: "Ada Lovelace",
      line2: "3º esq.",
      region: null,
      postalCode: "1100-048",
      country: "PT",
      phone: "+351211234567",
      isDefaultShipping: false,
      isDefaultBilling: false,
    });
    expect(created.id).toMatch(/^adr_[0-9A-Z]{26}$/);
    expect((await json<AddressList>(await h.request("GET", "/v1/me/addresses", { token: accessToken }))).items).toEqual([created]);
    expect(await json<AddressView>(await h.request("GET", `/v1/me/addresses/${created.id}`, { token: accessToken }))).toEqual(created);

    h.clock.advance(1000);
    const changed = await h.request("PATCH", `/v1/me/addresses/${created.id}`, {
      token: accessToken,
      body: { line2: null, city: "Porto", postalCode: "4000-001" },
    });
    expect(changed.status).toBe(200);
    const view = await json<AddressView>(changed);
    expect(view).toMatchObject({ line2: null, city: "Porto", postalCode: "4000-001", label: "Home" });
    expect(Date.parse(view.updatedAt)).toBeGreaterThan(Date.parse(view.createdAt));

    expect((await h.request("DELETE", `/v1/me/addresses/${created.id}`, { token: accessToken })).status).toBe(204);
    expect((await h.request("GET", `/v1/me/addresses/${created.id}`, { token: accessToken })).status).toBe(404);
    expect((await h.request("DELETE", `/v1/me/addresses/${created.id}`, { token: accessToken })).status).toBe(404);
  });

  test("one default shipping and one default billing address: setting one clears the previous", async () => {
    const { accessToken, user } = await h.register();
    const home = await createAddress(accessToken, { label: "Home", isDefaultShipping: true, isDefaultBilling: true });
    expect(home).toMatchObject({ isDefaultShipping: true, isDefaultBilling: true });
    const work = await createAddress(accessToken, { label: "Work", isDefaultShipping: true });
    const list = async () => (await json<AddressList>(await h.request("GET", "/v1/me/addresses", { token: accessToken }))).items;
    expect((await list()).map((a) => [a.label, a.isDefaultShipping, a.isDefaultBilling])).toEqual([
      ["Home", false, true],
      ["Work", true, false],
    ]);
    await h.request("PATCH", `/v1/me/addresses/${work.id}`, { token: accessToken, body: { isDefaultBilling: true } });
    // false on an address that is not the default changes nothing
    await h.request("PATCH", `/v1/me/addresses/${home.id}`, { token: accessToken, body: { isDefaultShipping: false } });
    expect((await list()).map((a) => [a.label, a.isDefaultShipping, a.isDefaultBilling])).toEqual([
      ["Home", false, false],
      ["Work", true, true],
    ]);
    await h.request("PATCH", `/v1/me/addresses/${work.id}`, { token: accessToken, body: { isDefaultShipping: false } });
    expect((await list()).map((a) => a.isDefaultShipping)).toEqual([false, false]);

    // deleting the default billing address clears the default on the user row
    expect((await h.request("DELETE", `/v1/me/addresses/${work.id}`, { token: accessToken })).status).toBe(204);
    const defaults = await rows("SELECT default_shipping_address_id AS s, default_billing_address_id AS b FROM user WHERE id = ?", user.id);
    expect(defaults[0]).toMatchObject({ s: null, b: null });
  });

  test("at most 20 per account: the 21st is a 409 until one is deleted", async () => {
    const { accessToken } = await h.register();
    const created: AddressView[] = [];
    for (let i = 0; i < 20; i++) created.push(await createAddress(accessToken, { label: `#${i}` }));
    const full = await h.request("POST", "/v1/me/addresses", { token: accessToken, body: ADDRESS });
    expect(full.status).toBe(409);
    expect((await problem(full)).detail).toContain("at most 20");
    await h.request("DELETE", `/v1/me/addresses/${created[0]?.id}`, { token: accessToken });
    expect((await h.request("POST", "/v1/me/addresses", { token: accessToken, body: ADDRESS })).status).toBe(201);
  });

  test("postal-code rules plug in per country (the hook shipping will fill)", () => {
    const rules = { US: { pattern: /^\d{5}(-\d{4})?$/, example: "94103", required: true } };
    expect(addressProblems({ country: "US", postalCode: "94103", phone: null }, rules)).toEqual([]);
    expect(addressProblems({ country: "US", postalCode: "9410", phone: null }, rules).map((e) => e.path)).toEqual(["/postalCode"]);
    expect(addressProblems({ country: "US", postalCode: null, phone: null }, rules)[0]?.message).toBe("is required for US");
    expect(addressProblems({ country: "PT", postalCode: "anything-1", phone: null }, rules)).toEqual([]);
  });
});

describe("DELETE /v1/me", () => {
  /** A user with everything personal an account can hold, plus a second user who must be untouched. */
  async function populated() {
    const ada = await h.register({ email: "ada@example.com", name: "Ada Lovelace" });
    const login = await h.request("POST", "/v1/auth/login", {
      body: { email: "ada@example.com", password: ada.password },
      headers: { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "x-forwarded-for": "203.0.113.9" },
    });
    const phone = await json<TokenPair>(login);
    await upload(ada.accessToken, png(), "image/png");
    await createAddress(ada.accessToken, { isDefaultShipping: true, phone: "+351211234567" });
    await createAddress(ada.accessToken, { label: "Work" });
    const bob = await h.register({ email: "bob@example.com" });
    await createAddress(bob.accessToken);
    await h.deliverEvents(); // the security log gets its rows (with device details) before the deletion
    const keys = [
      "login:account:ada@example.com",
      "login:account-address:ada@example.com|203.0.113.9",
      `mail:account:${ada.user.id}`,
      "login:account:da@example.com", // ends like ada's address, but is someone else's
      "login:account:ada@example.com.evil",
    ];
    for (const key of keys)
      await h.database.client.execute({ sql: "INSERT OR REPLACE INTO throttle (key, window_start, attempts) VALUES (?, 0, 3)", args: [key] });
    return { ada, phone, bob, avatar: (await avatarKey(ada.user.id)) ?? "" };
  }

  test("erases the person, ends every session, keeps the id; the email can register again", async () => {
    const { ada, phone, bob, avatar } = await populated();
    const outboxBefore = Number((await rows("SELECT count(*) AS n FROM outbox_event"))[0]?.n);
    const response = await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { password: ada.password } });
    expect(response.status).toBe(204);

    const [user] = await rows("SELECT * FROM user WHERE id = ?", ada.user.id);
    expect(user).toMatchObject({
      email: `deleted+${ada.user.id}@deleted.invalid`,
      name: "Deleted user",
      password_hash: "",
      email_verified_at: null,
      avatar_key: null,
      default_shipping_address_id: null,
      status: "deleted",
      deleted_at: h.clock.now,
      roles: '["buyer"]',
    });
    for (const table of ["address", "account_token", "totp_factor", "recovery_code", "passkey", "oauth_identity", "auth_challenge"]) {
      expect((await rows(`SELECT count(*) AS n FROM ${table} WHERE user_id = ?`, ada.user.id))[0]?.n, table).toBe(0);
    }
    const sessions = await rows("SELECT revoked_reason, ip, user_agent, device_name, location FROM session WHERE user_id = ?", ada.user.id);
    expect(sessions).toHaveLength(2);
    for (const session of sessions)
      expect(session).toMatchObject({ revoked_reason: "account_deleted", ip: null, user_agent: null, device_name: null, location: null });
    expect((await rows("SELECT count(*) AS n FROM refresh_token JOIN session ON session.id = session_id WHERE user_id = ?", ada.user.id))[0]?.n).toBe(0);
    // the security log keeps what happened and when, not the device or address it happened from
    const log = await rows("SELECT kind, detail FROM security_log WHERE user_id = ?", ada.user.id);
    expect(log.map((r) => r.kind)).toContain("logged_in");
    expect(log.every((r) => r.detail === null)).toBe(true);
    expect(avatarDir(ada.user.id)).toEqual([]);
    expect(existsSync(join(filesDir(), avatar))).toBe(false);
    // attempt counters keyed by the email or id go with it; a key that only looks alike stays
    const throttled = (await rows("SELECT key FROM throttle ORDER BY key")).map((r) => String(r.key));
    expect(throttled.filter((k) => k.includes("@") || k.includes(ada.user.id))).toEqual(["login:account:ada@example.com.evil", "login:account:da@example.com"]);

    const events = await rows("SELECT type, payload FROM outbox_event ORDER BY id LIMIT -1 OFFSET ?", outboxBefore);
    expect(events.map((e) => e.type)).toEqual(["session.revoked", "session.revoked", "user.status_changed", "user.deleted"]);
    const payloads = events.map((e) => JSON.parse(String(e.payload)));
    expect(new Set(payloads.slice(0, 2).map((p) => p.sessionId))).toEqual(new Set(await sessionIds(ada.user.id)));
    expect(payloads.slice(0, 2).every((p) => p.reason === "account_deleted" && p.userId === ada.user.id)).toBe(true);
    expect(payloads[2]).toEqual({ userId: ada.user.id, status: "deleted", actorId: ada.user.id, reason: "deleted by the account holder" });
    expect(payloads[3]).toEqual({ userId: ada.user.id });
    expect(JSON.stringify(payloads)).not.toContain("ada@example.com");

    // every token of every session is refused, and so is the password
    for (const token of [ada.accessToken, phone.accessToken]) expect((await h.request("GET", "/v1/me", { token })).status).toBe(401);
    for (const refreshToken of [ada.refreshToken, phone.refreshToken]) {
      expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken } })).status).toBe(401);
    }
    expect((await h.request("POST", "/v1/auth/login", { body: { email: "ada@example.com", password: ada.password } })).status).toBe(401);
    expect((await h.request("GET", `/v1/users/${ada.user.id}/avatar`)).status).toBe(404);

    // the address is free again, for a new account with a new id
    const again = await h.register({ email: "ada@example.com" });
    expect(again.user.id).not.toBe(ada.user.id);

    // the other user is untouched
    expect((await json<AddressList>(await h.request("GET", "/v1/me/addresses", { token: bob.accessToken }))).items).toHaveLength(1);
    expect((await h.request("GET", "/v1/me", { token: bob.accessToken })).status).toBe(200);

    // delivered, the events land in the security log like any other
    await h.deliverEvents();
    const kinds = (await rows("SELECT kind FROM security_log WHERE user_id = ?", ada.user.id)).map((r) => r.kind);
    expect(kinds).toContain("status:deleted");
    expect(kinds.filter((k) => k === "session_revoked:account_deleted")).toHaveLength(2);
  });

  test("a wrong password is refused (401 naming /password) and nothing changes", async () => {
    const { ada } = await populated();
    const snapshot = async () => ({
      user: await rows("SELECT * FROM user WHERE id = ?", ada.user.id),
      addresses: await rows("SELECT * FROM address WHERE user_id = ? ORDER BY id", ada.user.id),
      sessions: await rows("SELECT * FROM session WHERE user_id = ? ORDER BY id", ada.user.id),
      outbox: await rows("SELECT id FROM outbox_event ORDER BY id"),
      files: avatarDir(ada.user.id),
    });
    const before = await snapshot();
    const response = await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { password: "not the password" } });
    expect(response.status).toBe(401);
    const body = await problem(response);
    expect(body.code).toBe("INVALID_CREDENTIALS");
    expect(body.errors).toEqual([{ path: "/password", message: "is wrong" }]);
    expect(await snapshot()).toEqual(before);
    expect((await h.request("GET", "/v1/me", { token: ada.accessToken })).status).toBe(200);
  });

  test("an account with a password must send it: 422 naming /password", async () => {
    const ada = await h.register();
    const response = await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { confirm: "delete my account" } });
    expect(response.status).toBe(422);
    expect((await problem(response)).errors?.[0]?.path).toBe("/password");
  });

  test("password guesses are throttled like sign-in: the 11th is a 429", async () => {
    const ada = await h.register();
    for (let i = 0; i < 10; i++) {
      expect((await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { password: `guess number ${i}` } })).status).toBe(401);
    }
    const blocked = await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { password: ada.password } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("an account without a password confirms with the phrase from a recent sign-in", async () => {
    const ada = await h.register();
    await h.database.client.execute({ sql: "UPDATE user SET password_hash = '' WHERE id = ?", args: [ada.user.id] });
    const noPhrase = await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { confirm: "delete it" } });
    expect(noPhrase.status).toBe(422);
    expect((await problem(noPhrase)).errors?.[0]?.path).toBe("/confirm");

    h.clock.advance(11 * 60_000);
    const stale = await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { confirm: "delete my account" } });
    expect(stale.status).toBe(403);
    expect((await problem(stale)).code).toBe("RECENT_SIGN_IN_REQUIRED");
    expect((await rows("SELECT status FROM user WHERE id = ?", ada.user.id))[0]?.status).toBe("active");

    h.clock.advance(-10 * 60_000);
    expect((await h.request("DELETE", "/v1/me", { token: ada.accessToken, body: { confirm: "delete my account" } })).status).toBe(204);
    expect((await rows("SELECT status FROM user WHERE id = ?", ada.user.id))[0]?.status).toBe("deleted");
  });
});

async function sessionIds(userId: string): Promise<string[]> {
  return (await rows("SELECT id FROM session WHERE user_id = ?", userId)).map((r) => String(r.id));
}
