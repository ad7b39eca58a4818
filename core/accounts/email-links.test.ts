import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Problem, TokenPair, UserView } from "@bazaar/contracts";
import { createHarness, type Harness } from "../testing/harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.destroy());

const VERIFY = "/account/verify-email";
const RESET = "/account/reset-password";
const json = async <T>(response: Response) => (await response.json()) as T;
const count = async (sql: string) => Number((await h.database.client.execute(sql)).rows[0]?.[0]);

describe("email verification", () => {
  test("registering mails a link to the address; the link verifies it once", async () => {
    const { user, accessToken } = await h.register({ email: "vera@example.com", name: "Vera" });
    expect(user.emailVerified).toBe(false);
    const token = await h.linkToken("vera@example.com", VERIFY);
    const [mail] = await h.mailTo("vera@example.com");
    expect(mail?.subject).toBe("Confirm your email address");
    expect(mail?.text).toContain(`https://shop.example${VERIFY}?token=ev_`);
    expect(mail?.html).toContain("Hi Vera,");

    const verified = await h.request("POST", "/v1/auth/verify-email", { body: { token } });
    expect(verified.status).toBe(200);
    expect((await json<UserView>(verified)).emailVerified).toBe(true);
    expect((await json<UserView>(await h.request("GET", "/v1/me", { token: accessToken }))).emailVerified).toBe(true);

    const again = await h.request("POST", "/v1/auth/verify-email", { body: { token } });
    expect(again.status).toBe(400);
    const problem = await json<Problem>(again);
    expect(problem.code).toBe("INVALID_LINK_TOKEN");
    expect(problem.errors?.[0]?.path).toBe("/token");
  });

  test("the link is not stored anywhere but the mail: only its hash is in the database, and the event does not carry it", async () => {
    await h.register({ email: "hash@example.com" });
    const token = await h.linkToken("hash@example.com", VERIFY);
    const dump = JSON.stringify([
      (await h.database.client.execute("SELECT * FROM account_token")).rows,
      (await h.database.client.execute("SELECT * FROM outbox_event")).rows,
    ]);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(token.slice(3));
  });

  test("redelivering the event does not send a second mail", async () => {
    await h.register({ email: "once@example.com" });
    await h.deliverEvents();
    await h.database.client.execute("DELETE FROM handled_event"); // as if every consumer crashed after sending
    await h.database.client.execute("UPDATE outbox_event SET delivered_at = NULL, attempts = 0, available_at = 0, lease_until = NULL");
    await h.deliverEvents();
    // the mailer really ran again (its dedupe record is back), and still only one mail exists
    expect(await count("SELECT count(*) FROM handled_event WHERE consumer = 'accounts.email-links'")).toBe(1);
    expect(await h.mailTo("once@example.com")).toHaveLength(1);
  });

  test("an expired link is refused, and a made-up one too", async () => {
    await h.register({ email: "late@example.com" });
    const token = await h.linkToken("late@example.com", VERIFY);
    h.clock.advance(49 * 3_600_000);
    expect((await h.request("POST", "/v1/auth/verify-email", { body: { token } })).status).toBe(400);
    expect((await h.request("POST", "/v1/auth/verify-email", { body: { token: `ev_${"A".repeat(43)}` } })).status).toBe(400);
    expect((await h.request("POST", "/v1/auth/verify-email", { body: { token: "x" } })).status).toBe(422);
    expect((await h.request("POST", "/v1/auth/verify-email", { body: { token: `ev_${"'; DROP TABLE user;--".repeat(2)}` } })).status).toBe(422);
  });

  test("a reset link cannot verify an email, nor a verification link reset a password", async () => {
    const { password } = await h.register({ email: "cross@example.com" });
    const verifyToken = await h.linkToken("cross@example.com", VERIFY);
    await h.request("POST", "/v1/auth/password-reset", { body: { email: "cross@example.com" } });
    const resetToken = await h.linkToken("cross@example.com", RESET);
    expect((await h.request("POST", "/v1/auth/verify-email", { body: { token: resetToken } })).status).toBe(400);
    expect((await h.request("POST", "/v1/auth/password-reset/confirm", { body: { token: verifyToken, password: `${password}!x` } })).status).toBe(400);
  });

  test("resend sends a new link; it needs a signed-in, unverified user and is throttled", async () => {
    const { accessToken } = await h.register({ email: "again@example.com" });
    expect((await h.request("POST", "/v1/auth/verify-email/resend")).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await h.request("POST", "/v1/auth/verify-email/resend", { token: accessToken })).status).toBe(202);
    const throttled = await h.request("POST", "/v1/auth/verify-email/resend", { token: accessToken });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    await h.deliverEvents();
    expect(await h.mailTo("again@example.com")).toHaveLength(6);

    // verified: nothing more to send, which is said before (and whatever) the throttle says
    await h.request("POST", "/v1/auth/verify-email", { body: { token: await h.linkToken("again@example.com", VERIFY) } });
    expect((await h.request("POST", "/v1/auth/verify-email/resend", { token: accessToken })).status).toBe(409);
  });
});

describe("password reset", () => {
  const ask = (email: string) => h.request("POST", "/v1/auth/password-reset", { body: { email } });
  const confirm = (token: string, password: string) => h.request("POST", "/v1/auth/password-reset/confirm", { body: { token, password } });

  test("the request answers the same for an account and for nobody; only the account gets mail", async () => {
    await h.register({ email: "real@example.com" });
    const known = await ask("REAL@example.com");
    const unknown = await ask("ghost@example.com");
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(await known.json()).toEqual(await unknown.json());
    await h.deliverEvents();
    expect((await h.mailTo("real@example.com")).filter((m) => m.text.includes(RESET))).toHaveLength(1);
    expect(await h.mailTo("ghost@example.com")).toHaveLength(0);
  });

  test("resetting sets the new password, ends every session, and the link works once", async () => {
    const first = await h.register({ email: "rosa@example.com" });
    const second = (await json<TokenPair>(
      await h.request("POST", "/v1/auth/login", { body: { email: "rosa@example.com", password: first.password }, headers: { "user-agent": "Firefox/1" } }),
    )) as TokenPair;
    await ask("rosa@example.com");
    const token = await h.linkToken("rosa@example.com", RESET);

    expect((await confirm(token, "a brand new passphrase")).status).toBe(204);
    for (const tokens of [first, second]) {
      expect((await h.request("GET", "/v1/me", { token: tokens.accessToken })).status).toBe(401);
      expect((await h.request("POST", "/v1/auth/refresh", { body: { refreshToken: tokens.refreshToken } })).status).toBe(401);
    }
    const old = await h.request("POST", "/v1/auth/login", { body: { email: "rosa@example.com", password: first.password } });
    expect(old.status).toBe(401);
    expect((await h.request("POST", "/v1/auth/login", { body: { email: "rosa@example.com", password: "a brand new passphrase" } })).status).toBe(200);

    const reused = await confirm(token, "another new passphrase");
    expect(reused.status).toBe(400);
    expect((await json<Problem>(reused)).code).toBe("INVALID_LINK_TOKEN");
    const revoked = await h.database.client.execute("SELECT type, payload FROM outbox_event WHERE type = 'session.revoked'");
    expect(revoked.rows.map((r) => JSON.parse(String(r.payload)).reason)).toEqual(["password_reset", "password_reset"]);
  });

  test("ten concurrent uses of one link: exactly one resets", async () => {
    await h.register({ email: "race@example.com" });
    await ask("race@example.com");
    const token = await h.linkToken("race@example.com", RESET);
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => confirm(token, `concurrent passphrase ${i}`)));
    expect(responses.filter((r) => r.status === 204)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 400)).toHaveLength(9);
    expect(await count("SELECT count(*) FROM outbox_event WHERE type = 'user.password_changed'")).toBe(1);
  });

  test("a newer reset makes older links die with it; an expired link is refused", async () => {
    await h.register({ email: "two@example.com" });
    await ask("two@example.com");
    const older = await h.linkToken("two@example.com", RESET);
    h.clock.advance(1000);
    await ask("two@example.com");
    const newer = await h.linkToken("two@example.com", RESET);
    expect(newer).not.toBe(older);
    expect((await confirm(newer, "the newest passphrase")).status).toBe(204);
    expect((await confirm(older, "an older passphrase")).status).toBe(400);

    await ask("two@example.com");
    const late = await h.linkToken("two@example.com", RESET);
    h.clock.advance(31 * 60_000);
    expect((await confirm(late, "too late passphrase")).status).toBe(400);
  });

  test("the new password must pass the policy, and a refused one leaves the link usable", async () => {
    await h.register({ email: "weak@example.com", name: "Wendy Weak" });
    await ask("weak@example.com");
    const token = await h.linkToken("weak@example.com", RESET);
    for (const password of ["qwertyuiop", "1234567890", "weak@example.com!!", "wendy weak forever", "short"]) {
      const refused = await confirm(token, password);
      expect(refused.status).toBe(422);
      expect((await json<Problem>(refused)).errors?.[0]?.path).toBe("/password");
    }
    expect((await confirm(token, "finally a decent passphrase")).status).toBe(204);
  });

  test("an account gets at most 5 reset mails an hour, silently; an address that floods gets 429", async () => {
    await h.register({ email: "flood@example.com" });
    for (let i = 0; i < 8; i++) expect((await ask("flood@example.com")).status).toBe(202);
    await h.deliverEvents();
    expect((await h.mailTo("flood@example.com")).filter((m) => m.text.includes(RESET))).toHaveLength(5);
    for (let i = 0; i < 30; i++) await ask(`stranger${i}@example.com`);
    const blocked = await ask("one-more@example.com");
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).not.toBeNull();
  });

  test("changing the password kills outstanding reset links", async () => {
    const { accessToken, password } = await h.register({ email: "changer@example.com" });
    await ask("changer@example.com");
    const token = await h.linkToken("changer@example.com", RESET);
    const changed = await h.request("POST", "/v1/me/password", { token: accessToken, body: { currentPassword: password, newPassword: "my next passphrase" } });
    expect(changed.status).toBe(204);
    expect((await confirm(token, "someone else's passphrase")).status).toBe(400);
  });

  test("a reset ends the sign-in lockout: owning the mailbox proves the account", async () => {
    const { password } = await h.register({ email: "locked@example.com" });
    for (let i = 0; i < 10; i++) await h.request("POST", "/v1/auth/login", { body: { email: "locked@example.com", password: "wrong guess!" } });
    expect((await h.request("POST", "/v1/auth/login", { body: { email: "locked@example.com", password } })).status).toBe(429);
    await ask("locked@example.com");
    expect((await confirm(await h.linkToken("locked@example.com", RESET), "fresh start passphrase")).status).toBe(204);
    // the per-account key is cleared; the same address's key for this account stays locked, so log in from elsewhere
    expect(await count("SELECT count(*) FROM throttle WHERE key = 'login:account:locked@example.com'")).toBe(0);
  });
});
