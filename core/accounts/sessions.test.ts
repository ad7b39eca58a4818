import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { LoginResult, Problem, SessionList, TokenPair } from "@bazaar/contracts";
import { createHarness, type Harness } from "../testing/harness.ts";
import { deviceName } from "./device.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.destroy());

const CHROME_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const SAFARI_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

const json = async <T>(response: Response) => (await response.json()) as T;
const login = async (email: string, password: string, userAgent: string) =>
  json<TokenPair>(await h.request("POST", "/v1/auth/login", { body: { email, password }, headers: { "user-agent": userAgent } }));
const outbox = async (type: string) =>
  (await h.database.client.execute({ sql: "SELECT payload FROM outbox_event WHERE type = ? ORDER BY id", args: [type] })).rows.map((r) =>
    JSON.parse(String(r.payload)),
  );

test("device names are coarse and readable", () => {
  expect(deviceName(CHROME_MAC)).toBe("Chrome on macOS");
  expect(deviceName(SAFARI_IPHONE)).toBe("Safari on iPhone");
  expect(deviceName("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")).toBe(
    "Edge on Windows",
  );
  expect(deviceName("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")).toBe("Firefox on Linux");
  expect(deviceName("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36")).toBe(
    "Chrome on Android",
  );
  expect(deviceName("curl/8.5.0")).toBe("curl");
  expect(deviceName(null)).toBe("Unknown device");
  expect(deviceName("<script>alert(1)</script>")).toBe("Unknown device");
});

describe("devices and sessions", () => {
  test("the list shows each signed-in device, newest activity first, marking the current one", async () => {
    const { user, password } = await h.register({ email: "dev@example.com" });
    const mac = await login(user.email, password, CHROME_MAC);
    h.clock.advance(1000);
    const phone = await login(user.email, password, SAFARI_IPHONE);
    const list = await json<SessionList>(await h.request("GET", "/v1/me/sessions", { token: phone.accessToken }));
    expect(list.sessions.map((s) => [s.deviceName, s.current])).toEqual([
      ["Safari on iPhone", true],
      ["Chrome on macOS", false],
      ["Unknown device", false],
    ]);
    expect(list.sessions[0]?.authMethod).toBe("password");
    expect(Date.parse(list.sessions[0]?.createdAt ?? "")).toBe(h.clock.now);
    // the Mac sees the same sessions, with itself as current
    const fromMac = await json<SessionList>(await h.request("GET", "/v1/me/sessions", { token: mac.accessToken }));
    expect(fromMac.sessions.find((s) => s.current)?.deviceName).toBe("Chrome on macOS");
  });

  test("a sign-in from a new device announces user.new_device_login; the same device again does not", async () => {
    const { user, password } = await h.register({ email: "newdev@example.com" });
    await login(user.email, password, CHROME_MAC);
    await login(user.email, password, CHROME_MAC);
    await login(user.email, password, SAFARI_IPHONE);
    const announced = await outbox("user.new_device_login");
    expect(announced.map((p) => p.deviceName)).toEqual(["Chrome on macOS", "Safari on iPhone"]);
    expect(announced[0]).toMatchObject({ userId: user.id, ip: null, location: null });
    // the security log records it once delivered
    await h.deliverEvents();
    const log = await h.database.client.execute({ sql: "SELECT kind FROM security_log WHERE user_id = ? AND kind = 'new_device_login'", args: [user.id] });
    expect(log.rows).toHaveLength(2);
  });

  test("through a trusted proxy, the session keeps the client's address and coarse location", async () => {
    const server = h.app.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const { user, password } = await h.register({ email: "geo@example.com" });
      const response = await fetch(`http://127.0.0.1:${server.server?.port}/v1/auth/login`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": CHROME_MAC,
          "x-forwarded-for": "198.51.100.23",
          "x-bazaar-geo-country": "PT",
          "x-bazaar-geo-city": "Lisbon",
        },
        body: JSON.stringify({ email: user.email, password }),
      });
      const tokens = await json<TokenPair>(response);
      const list = await json<SessionList>(await h.request("GET", "/v1/me/sessions", { token: tokens.accessToken }));
      expect(list.sessions.find((s) => s.current)).toMatchObject({ ip: "198.51.100.23", location: "Lisbon, PT", deviceName: "Chrome on macOS" });
      expect((await outbox("user.new_device_login"))[0]).toMatchObject({ ip: "198.51.100.23", location: "Lisbon, PT" });
    } finally {
      await server.stop();
    }
  });

  test("revoking one device ends only that session", async () => {
    const { user, password, accessToken } = await h.register({ email: "one@example.com" });
    const phone = await login(user.email, password, SAFARI_IPHONE);
    const phoneSession = (await json<SessionList>(await h.request("GET", "/v1/me/sessions", { token: phone.accessToken }))).sessions.find((s) => s.current);
    const revoked = await h.request("DELETE", `/v1/me/sessions/${phoneSession?.id}`, { token: accessToken });
    expect(revoked.status).toBe(204);
    expect((await h.request("GET", "/v1/me", { token: phone.accessToken })).status).toBe(401);
    expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: phone.refreshToken } })).status).toBe(401);
    expect((await h.request("GET", "/v1/me", { token: accessToken })).status).toBe(200);
    expect((await outbox("session.revoked")).map((p) => p.reason)).toEqual(["revoked_by_user"]);
    // revoking it again is a no-op, not a second announcement
    expect((await h.request("DELETE", `/v1/me/sessions/${phoneSession?.id}`, { token: accessToken })).status).toBe(204);
    expect(await outbox("session.revoked")).toHaveLength(1);
  });

  test("BOLA: another user's session id is not found, and stays alive", async () => {
    const victim = await h.register({ email: "victim@example.com" });
    const attacker = await h.register({ email: "attacker@example.com" });
    const victimSession = (await json<SessionList>(await h.request("GET", "/v1/me/sessions", { token: victim.accessToken }))).sessions[0];
    const attempt = await h.request("DELETE", `/v1/me/sessions/${victimSession?.id}`, { token: attacker.accessToken });
    expect(attempt.status).toBe(404);
    expect((await json<Problem>(attempt)).code).toBe("NOT_FOUND");
    expect((await h.request("GET", "/v1/me", { token: victim.accessToken })).status).toBe(200);
    expect((await h.request("DELETE", "/v1/me/sessions/not-a-session-id", { token: attacker.accessToken })).status).toBe(422);
  });

  test("sign out other devices keeps this one; sign out everywhere ends all", async () => {
    const { user, password, accessToken } = await h.register({ email: "all@example.com" });
    const mac = await login(user.email, password, CHROME_MAC);
    const phone = await login(user.email, password, SAFARI_IPHONE);
    expect((await h.request("DELETE", "/v1/me/sessions", { token: mac.accessToken })).status).toBe(204);
    expect((await h.request("GET", "/v1/me", { token: mac.accessToken })).status).toBe(200);
    expect((await h.request("GET", "/v1/me", { token: phone.accessToken })).status).toBe(401);
    expect((await h.request("GET", "/v1/me", { token: accessToken })).status).toBe(401);

    const again = await login(user.email, password, SAFARI_IPHONE);
    expect((await h.request("POST", "/v1/auth/logout-all", { token: again.accessToken })).status).toBe(204);
    for (const tokens of [mac, again]) expect((await h.request("GET", "/v1/me", { token: tokens.accessToken })).status).toBe(401);
  });

  test("changing the password needs the current one and signs out the other devices", async () => {
    const { user, password, accessToken } = await h.register({ email: "change@example.com" });
    const phone = await login(user.email, password, SAFARI_IPHONE);
    const wrong = await h.request("POST", "/v1/me/password", {
      token: accessToken,
      body: { currentPassword: "not it at all", newPassword: "my next passphrase" },
    });
    expect(wrong.status).toBe(401);
    expect((await json<Problem>(wrong)).errors?.[0]?.path).toBe("/currentPassword");
    const weak = await h.request("POST", "/v1/me/password", { token: accessToken, body: { currentPassword: password, newPassword: "password123" } });
    expect(weak.status).toBe(422);
    expect((await json<Problem>(weak)).errors?.[0]?.path).toBe("/newPassword");

    expect(
      (await h.request("POST", "/v1/me/password", { token: accessToken, body: { currentPassword: password, newPassword: "my next passphrase" } })).status,
    ).toBe(204);
    expect((await h.request("GET", "/v1/me", { token: accessToken })).status).toBe(200);
    expect((await h.request("GET", "/v1/me", { token: phone.accessToken })).status).toBe(401);
    const relogin = await h.request("POST", "/v1/auth/login", { body: { email: user.email, password: "my next passphrase" } });
    expect(((await relogin.json()) as LoginResult & { accessToken?: string }).accessToken).toBeString();
  });
});

test("a sign-in announced before the account was deleted but delivered after it leaves no device details behind", async () => {
  const { user, password } = await h.register({ email: "gone@example.com" });
  const phone = await login(user.email, password, SAFARI_IPHONE);
  expect((await h.request("DELETE", "/v1/me", { token: phone.accessToken, body: { password } })).status).toBe(204);
  await h.deliverEvents(); // user.logged_in and user.new_device_login arrive only now
  const log = await h.database.client.execute({ sql: "SELECT kind, detail FROM security_log WHERE user_id = ? ORDER BY occurred_at", args: [user.id] });
  expect(log.rows.map((r) => r.kind)).toContain("new_device_login");
  expect(log.rows.every((r) => r.detail === null)).toBe(true);
});
