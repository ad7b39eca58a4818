import { expect, test } from "bun:test";
import { PasswordHasher } from "./password.ts";

test("never more than `concurrency` hashes at once, however calls interleave; beyond the queue, 429", async () => {
  const hasher = new PasswordHasher(1024, 2, 20);
  let most = 0;
  const watch = setInterval(() => {
    most = Math.max(most, hasher.running);
  }, 0);
  // waves that arrive while earlier hashes finish, so waiters and newcomers compete for freed slots
  const waves = await Promise.all(
    Array.from({ length: 4 }, async (_, wave) => {
      await Bun.sleep(wave * 3);
      return Promise.allSettled(Array.from({ length: 5 }, () => hasher.hash("correct horse battery")));
    }),
  );
  clearInterval(watch);
  const results = waves.flat();
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(20);
  expect(most).toBeLessThanOrEqual(2);
  expect(hasher.running).toBe(0);

  const flood = await Promise.allSettled(Array.from({ length: 30 }, () => hasher.verify("guess", undefined)));
  const refused = flood.filter((r) => r.status === "rejected");
  expect(refused.length).toBe(30 - 2 - 20);
  expect(String((refused[0] as PromiseRejectedResult).reason.code)).toBe("RATE_LIMITED");
});
