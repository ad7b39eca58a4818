import { afterEach, beforeEach, expect, test } from "bun:test";
import { createHarness, type Harness } from "../testing/harness.ts";
import { pruneExpiredAccountsData } from "./housekeeping.ts";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.destroy());

const count = async (table: string) => Number((await h.database.client.execute(`SELECT count(*) FROM ${table}`)).rows[0]?.[0]);

test("pruning deletes only what can no longer be used, and running it twice changes nothing more", async () => {
  await h.register({ email: "keep@example.com" }); // a live verification link
  await h.request("POST", "/v1/auth/login", { body: { email: "keep@example.com", password: "wrong password!" } }); // a live throttle counter
  expect(await pruneExpiredAccountsData.run(h.deps)).toBe(0);
  // the sign-up's address counter and the failed sign-in's three
  expect([await count("account_token"), await count("throttle")]).toEqual([1, 4]);

  h.clock.advance(10 * 86_400_000);
  await h.register({ email: "fresh@example.com" });
  expect(await pruneExpiredAccountsData.run(h.deps)).toBe(4); // the old link and the three idle sign-in counters (the sign-up counter was just used again)
  expect(await count("account_token")).toBe(1); // the fresh one stays
  expect(await pruneExpiredAccountsData.run(h.deps)).toBe(0);
});
