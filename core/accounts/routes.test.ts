import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { localKeyResolver, verifyAccessToken } from "@bazaar/auth";
import type { Jwks, TokenPair, UserView } from "@bazaar/contracts";
import { createHarness, type Harness } from "../testing/harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
const outboxTypes = async () => (await h.database.client.execute("SELECT type FROM outbox_event ORDER BY id")).rows.map((r) => String(r.type));

describe("register", () => {
  test("creates a buyer, signs them in, and announces user.registered in the outbox", async () => {
    const response = await h.request("POST", "/v1/auth/register", {
      body: { email: "Ada@Example.COM", password: "correct horse battery", name: " Ada Lovelace " },
    });
    expect(response.status).toBe(201);
    const body = await json<TokenPair>(response);
    expect(body.user).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace", roles: ["buyer"], emailVerified: false });
    expect(body.user.id).toMatch(/^usr_[0-9A-Z]{26}$/);
    expect(body.expiresIn).toBe(900);
    expect(body.refreshToken).toMatch(/^rt_/);
    expect(await outboxTypes()).toEqual(["user.registered"]);
    // the request id travels on into the event it caused
    const event = await h.database.client.execute("SELECT request_id FROM outbox_event");
    expect(event.rows[0]?.request_id).toBe(response.headers.get("x-request-id"));
    const stored = await h.database.client.execute("SELECT password_hash FROM user");
    expect(String(stored.rows[0]?.password_hash)).toStartWith("$argon2id$");
  });

  test("the access token verifies against the published JWKS with the right claims", async () => {
    const { accessToken, user } = await h.register();
    const jwks = await json<Jwks>(await h.request("GET", "/.well-known/jwks.json"));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig", kid: "key_test" });
    expect(JSON.stringify(jwks)).not.toContain('"d"');
    const claims = await verifyAccessToken(accessToken, localKeyResolver(jwks), h.clock.now);
    expect(claims.sub).toBe(user.id);
    expect(claims.roles).toEqual(["buyer"]);
    expect(claims.sid).toMatch(/^ses_/);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
  });
});

describe("login, me, refresh, logout", () => {
  test("login with the right password opens a new session; /v1/me returns the user", async () => {
    const registered = await h.register({ email: "bea@example.com" });
    const login = await h.request("POST", "/v1/auth/login", {
      body: { email: "BEA@example.com", password: registered.password },
      headers: { "user-agent": "Bazaar/1.0 (iPhone)" },
    });
    expect(login.status).toBe(200);
    const devices = await h.database.client.execute("SELECT user_agent FROM session ORDER BY created_at, id");
    expect(devices.rows.map((r) => r.user_agent)).toEqual([null, "Bazaar/1.0 (iPhone)"]);
    const tokens = await json<TokenPair>(login);
    expect(tokens.user.id).toBe(registered.user.id);
    expect(tokens.refreshToken).not.toBe(registered.refreshToken);
    const me = await h.request("GET", "/v1/me", { token: tokens.accessToken });
    expect(me.status).toBe(200);
    expect(await json<UserView>(me)).toEqual(registered.user);
    // registration happened on no particular device; the iPhone is new to this account
    expect(await outboxTypes()).toEqual(["user.registered", "user.logged_in", "user.new_device_login"]);
  });

  test("refresh rotates: new tokens work, the old refresh token is dead", async () => {
    const first = await h.register();
    h.clock.advance(1000);
    const refreshed = await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: first.refreshToken } });
    expect(refreshed.status).toBe(200);
    const second = await json<TokenPair>(refreshed);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect((await h.request("GET", "/v1/me", { token: second.accessToken })).status).toBe(200);
    const third = await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: second.refreshToken } });
    expect(third.status).toBe(200);
  });

  test("logout ends the session: its refresh token and access tokens stop working", async () => {
    const tokens = await h.register();
    const logout = await h.request("POST", "/v1/auth/logout", { body: { refreshToken: tokens.refreshToken } });
    expect(logout.status).toBe(204);
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
    const me = await h.request("GET", "/v1/me", { token: tokens.accessToken });
    expect(me.status).toBe(401);
    expect(await outboxTypes()).toEqual(["user.registered", "session.revoked"]);
    // logging out twice, or with a token we never issued, reveals nothing
    expect((await h.request("POST", "/v1/auth/logout", { body: { refreshToken: tokens.refreshToken } })).status).toBe(204);
    expect((await h.request("POST", "/v1/auth/logout", { body: { refreshToken: "rt_neverissuedneverissuedneverissued" } })).status).toBe(204);
  });

  test("logging out one session leaves the user's other sessions alone", async () => {
    const phone = await h.register();
    const laptop = await json<TokenPair>(await h.request("POST", "/v1/auth/login", { body: { email: phone.user.email, password: phone.password } }));
    await h.request("POST", "/v1/auth/logout", { body: { refreshToken: phone.refreshToken } });
    expect((await h.request("GET", "/v1/me", { token: laptop.accessToken })).status).toBe(200);
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: laptop.refreshToken } })).status).toBe(200);
  });

  test("an expired refresh token is refused", async () => {
    const tokens = await h.register();
    h.clock.advance(31 * 86_400_000);
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
  });
});

describe("security log (an outbox consumer)", () => {
  test("records registration, login, and a refresh-token reuse once each, however often events are delivered", async () => {
    const tokens = await h.register();
    await h.request("POST", "/v1/auth/login", { body: { email: tokens.user.email, password: tokens.password } });
    await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: tokens.refreshToken } });
    await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: tokens.refreshToken } }); // reuse
    await h.deliverEvents();
    await h.database.client.execute("UPDATE outbox_event SET delivered_at = NULL"); // as if the relay crashed before marking
    await h.deliverEvents();
    const log = await h.database.client.execute("SELECT kind, user_id FROM security_log ORDER BY event_id");
    expect(log.rows.map((r) => r.kind)).toEqual(["registered", "logged_in", "refresh_token_reused"]);
    expect(new Set(log.rows.map((r) => r.user_id))).toEqual(new Set([tokens.user.id]));
  });
});
