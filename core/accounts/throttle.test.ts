import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createDatabase } from "@bazaar/db";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { assertAcceptablePassword } from "./password-policy.ts";
import { Throttle, type ThrottlePolicy } from "./throttle.ts";

const policy: ThrottlePolicy = { limit: 3, windowMs: 60_000, lockMs: 10_000, maxLockMs: 40_000 };
let database: TestDatabase;
let now: number;
let throttle: Throttle;
beforeEach(async () => {
  database = await createTestDatabase();
  now = 1_000_000;
  throttle = new Throttle(database, () => now);
});
afterEach(() => database.destroy());

const attempt = (key = "k") => throttle.attempt([[key, policy]]);

describe("Throttle", () => {
  test("allows `limit` attempts per window, then locks for lockMs; the window then starts afresh", async () => {
    for (let i = 0; i < 3; i++) expect(await attempt()).toEqual({ allowed: true });
    expect(await attempt()).toEqual({ allowed: false, retryAfterSeconds: 10 });
    now += 5_000;
    expect(await attempt()).toEqual({ allowed: false, retryAfterSeconds: 5 });
    now += 5_000;
    expect(await attempt()).toEqual({ allowed: true });
  });

  test("each further lock lasts twice as long, up to the maximum", async () => {
    const lockLengths: number[] = [];
    for (let lock = 0; lock < 4; lock++) {
      for (let i = 0; i < 3; i++) await attempt();
      const refused = await attempt();
      if (refused.allowed) throw new Error("expected a lock");
      lockLengths.push(refused.retryAfterSeconds);
      now += refused.retryAfterSeconds * 1000;
    }
    expect(lockLengths).toEqual([10, 20, 40, 40]);
  });

  test("attempts outside the window are forgotten", async () => {
    await attempt();
    await attempt();
    now += 61_000;
    for (let i = 0; i < 3; i++) expect((await attempt()).allowed).toBe(true);
  });

  test("keys are independent, and clear() forgets one", async () => {
    for (let i = 0; i < 4; i++) await attempt("a");
    expect((await attempt("a")).allowed).toBe(false);
    expect((await attempt("b")).allowed).toBe(true);
    await throttle.clear("a");
    expect((await attempt("a")).allowed).toBe(true);
  });

  test("a refunded attempt does not count", async () => {
    for (let i = 0; i < 10; i++) {
      expect((await attempt()).allowed).toBe(true);
      await throttle.refund("k");
    }
    await throttle.refund("never-seen");
    expect((await database.client.execute("SELECT attempts FROM throttle WHERE key = 'k'")).rows[0]?.attempts).toBe(0);
  });

  test("100 concurrent attempts on one key: exactly `limit` are allowed", async () => {
    const verdicts = await Promise.all(Array.from({ length: 100 }, () => attempt()));
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(3);
  });

  test("a refusal on the first key stops the count there: a locked account does not also use up the address's budget", async () => {
    for (let i = 0; i < 4; i++) await throttle.attempt([["account", policy]]);
    await throttle.attempt([
      ["account", policy],
      ["address", policy],
    ]);
    const rows = await database.client.execute("SELECT key FROM throttle ORDER BY key");
    expect(rows.rows.map((r) => r.key)).toEqual(["account"]);
  });

  test("two processes share one count (the database is the source of truth)", async () => {
    // a second connection to the same file, as another core process would have
    const otherDatabase = createDatabase({ url: `file:${database.path}` });
    try {
      const other = new Throttle(otherDatabase, () => now);
      await attempt();
      await other.attempt([["k", policy]]);
      await attempt();
      expect((await other.attempt([["k", policy]])).allowed).toBe(false);
      expect((await attempt()).allowed).toBe(false);
    } finally {
      await otherDatabase.close();
    }
  });
});

describe("password policy", () => {
  const refusal = (password: string, context = {}) => {
    try {
      assertAcceptablePassword(password, context);
      return undefined;
    } catch (error) {
      return (error as { errors?: { message: string }[] }).errors?.[0]?.message;
    }
  };

  test("length is counted in characters, not bytes or UTF-16 units", () => {
    expect(refusal("short")).toContain("10 to 128");
    expect(refusal("🔐".repeat(9))).toContain("10 to 128");
    expect(refusal("🔐🔑🗝️🚪🧱🏠🌍🌙⭐🎲")).toBeUndefined();
    expect(refusal("x".repeat(129))).toContain("10 to 128");
  });

  test("common and breached passwords are refused, whatever their case", () => {
    for (const common of ["password123", "qwertyuiop", "1q2w3e4r5t", "Iloveyou123", "PASSWORD1234"]) expect(refusal(common), common).toBeDefined();
    expect(refusal("aaaaaaaaaaaa")).toBe("is too easy to guess");
    expect(refusal("0123456789")).toBeDefined();
    expect(refusal("correct horse battery staple")).toBeUndefined();
  });

  test("the account's own email or name is refused inside the password", () => {
    expect(refusal("margaret-2026!", { email: "margaret@example.com" })).toBe("must not contain your email address");
    expect(refusal("i am grace hopper", { name: "Grace Hopper" })).toBe("must not contain your name");
    expect(refusal("an unrelated phrase", { email: "margaret@example.com", name: "Grace Hopper" })).toBeUndefined();
  });
});
