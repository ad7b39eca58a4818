import { afterEach, beforeEach, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { grantRole } from "./database-tasks.ts";

let database: TestDatabase;
beforeEach(async () => {
  database = await createTestDatabase();
  await database.client.execute(
    "INSERT INTO user (id, email, name, password_hash, created_at, updated_at) VALUES ('usr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C', 'first@example.com', 'First', '', 0, 0)",
  );
});
afterEach(() => database.destroy());

const url = () => `file:${database.path}`;

test("the first admin is made from the command line, audited and announced like an API grant", async () => {
  expect(await grantRole(url(), undefined, "FIRST@example.com", "admin")).toBe("granted");
  expect(await grantRole(url(), undefined, "first@example.com", "admin")).toBe("already");
  const user = await database.client.execute("SELECT roles FROM user");
  expect(JSON.parse(String(user.rows[0]?.roles))).toEqual(["buyer", "admin"]);
  const audit = await database.client.execute("SELECT actor_id, action FROM audit_entry");
  expect(audit.rows.map((r) => [r.actor_id, r.action])).toEqual([["cli", "role.granted"]]);
  const events = await database.client.execute("SELECT type FROM outbox_event");
  expect(events.rows.map((r) => r.type)).toEqual(["user.roles_changed"]);
});

test("an unknown role or email is refused and changes nothing", async () => {
  await expect(grantRole(url(), undefined, "first@example.com", "root")).rejects.toThrow('unknown role "root"');
  await expect(grantRole(url(), undefined, "nobody@example.com", "admin")).rejects.toThrow("no account with email");
  const audit = await database.client.execute("SELECT count(*) FROM audit_entry");
  expect(Number(audit.rows[0]?.[0])).toBe(0);
});
