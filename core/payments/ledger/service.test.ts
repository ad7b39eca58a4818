import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createIdGenerator } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { createTestDatabase, type TestDatabase } from "@bazaar/db/testing";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { type AccountKey, assertBalanced, balancesOf, InsufficientFundsError, type LedgerDeps, PLATFORM, post, reconcile } from "./service.ts";

let database: TestDatabase;
let deps: LedgerDeps;
beforeAll(async () => {
  database = await createTestDatabase();
  deps = { database, ids: createIdGenerator(), clock: Date.now };
});
afterAll(() => database.destroy());

const wallet = (user: string, currency = "EUR"): AccountKey => ({ kind: "buyer_wallet", ownerId: user, currency });
const clearing = (currency = "EUR"): AccountKey => ({ kind: "provider_clearing", ownerId: "sandbox", currency });
const commission = (currency = "EUR"): AccountKey => ({ kind: "platform_commission", ownerId: PLATFORM, currency });
const balance = async (user: string, currency = "EUR") =>
  (await balancesOf(database, user, "buyer_wallet")).find((b) => b.currency === currency)?.amountMinor ?? 0;
let keys = 0;
const key = () => `test-${++keys}`;

const topUp = (user: string, amount: number, currency = "EUR") =>
  post(deps, {
    kind: "top_up",
    reference: null,
    idempotencyKey: key(),
    postings: [
      { account: clearing(currency), amountMinor: -amount },
      { account: wallet(user, currency), amountMinor: amount },
    ],
  });
const spend = (user: string, amount: number, currency = "EUR") =>
  post(deps, {
    kind: "payment",
    reference: null,
    idempotencyKey: key(),
    postings: [
      { account: wallet(user, currency), amountMinor: -amount },
      { account: commission(currency), amountMinor: amount },
    ],
  });

describe("a transaction", () => {
  test("must balance in every currency, with non-zero whole amounts", () => {
    expect(() =>
      assertBalanced([
        { account: wallet("u"), amountMinor: 5 },
        { account: clearing(), amountMinor: -4 },
      ]),
    ).toThrow("does not balance");
    expect(() =>
      assertBalanced([
        { account: wallet("u"), amountMinor: 5 },
        { account: clearing("USD"), amountMinor: -5 },
      ]),
    ).toThrow("does not balance");
    expect(() =>
      assertBalanced([
        { account: wallet("u"), amountMinor: 0.5 },
        { account: clearing(), amountMinor: -0.5 },
      ]),
    ).toThrow("non-zero integers");
    expect(() => assertBalanced([{ account: wallet("u"), amountMinor: 5 }])).toThrow("at least two");
  });

  test("an idempotency key replayed posts nothing twice", async () => {
    const k = key();
    const make = () =>
      post(deps, {
        kind: "top_up",
        reference: null,
        idempotencyKey: k,
        postings: [
          { account: clearing(), amountMinor: -700 },
          { account: wallet("replay"), amountMinor: 700 },
        ],
      });
    expect(await make()).toEqual({ replayed: false });
    expect(await make()).toEqual({ replayed: true });
    expect(await balance("replay")).toBe(700);
  });

  test("a debit the wallet cannot cover is refused whole (409), and nothing of it is written", async () => {
    await topUp("poor", 100);
    const before = await database.db.select({ n: sql<number>`count(*)` }).from(schema.ledgerEntry);
    await expect(spend("poor", 101)).rejects.toBeInstanceOf(InsufficientFundsError);
    expect(await balance("poor")).toBe(100);
    expect(await database.db.select({ n: sql<number>`count(*)` }).from(schema.ledgerEntry)).toEqual(before);
  });
});

describe("concurrency", () => {
  test("100 parallel debits of 1 on a balance of 10: exactly 10 succeed, the balance ends at 0", async () => {
    await topUp("racer", 10);
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => spend("racer", 1)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(10);
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused).toHaveLength(90);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientFundsError);
    expect(await balance("racer")).toBe(0);
    expect(await reconcile(database)).toEqual([]);
  });
});

describe("properties", () => {
  type Op = { kind: "topUp" | "spend" | "refund"; user: number; amount: number; currency: "EUR" | "JPY" };
  const op = fc.record({
    kind: fc.constantFrom<Op["kind"]>("topUp", "spend", "refund"),
    user: fc.integer({ min: 0, max: 3 }),
    amount: fc.integer({ min: 1, max: 5_000 }),
    currency: fc.constantFrom<Op["currency"]>("EUR", "JPY"),
  });
  let run = 0;

  test("random top-ups, payments and refunds: every transaction balances, no wallet goes negative, total money never changes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        run++;
        const user = (n: number) => `prop-${run}-${n}`;
        const spent = new Map<string, number>();
        for (const o of ops) {
          const who = user(o.user);
          if (o.kind === "topUp") await topUp(who, o.amount, o.currency);
          else if (o.kind === "spend") {
            const result = await spend(who, o.amount, o.currency).catch((error: unknown) => error);
            if (!(result instanceof InsufficientFundsError)) spent.set(`${who}|${o.currency}`, (spent.get(`${who}|${o.currency}`) ?? 0) + o.amount);
          } else {
            // a refund gives back at most what this user spent
            const k = `${who}|${o.currency}`;
            const amount = Math.min(o.amount, spent.get(k) ?? 0);
            if (amount === 0) continue;
            spent.set(k, (spent.get(k) ?? 0) - amount);
            await post(deps, {
              kind: "refund",
              reference: null,
              idempotencyKey: key(),
              postings: [
                { account: commission(o.currency), amountMinor: -amount },
                { account: wallet(who, o.currency), amountMinor: amount },
              ],
            });
          }
        }
        // no wallet below zero, and money is conserved: all balances together sum to zero per currency
        const negative = await database.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM ledger_account WHERE kind = 'buyer_wallet' AND balance_minor < 0`);
        expect(negative[0]?.n).toBe(0);
        const totals = await database.db.all<{ currency: string; total: number }>(
          sql`SELECT currency, sum(balance_minor) AS total FROM ledger_account GROUP BY currency`,
        );
        for (const t of totals) expect(t.total).toBe(0);
        expect(await reconcile(database)).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });
});

describe("reconciliation", () => {
  test("finds a cached balance written around the ledger, and a transaction that does not balance", async () => {
    await topUp("tampered", 50);
    expect(await reconcile(database)).toEqual([]);
    await database.client.execute("UPDATE ledger_account SET balance_minor = balance_minor + 1 WHERE owner_id = 'tampered'");
    const found = await reconcile(database);
    expect(found).toHaveLength(1);
    expect(found[0]?.detail).toBe("cached balance 51, entries sum to 50");
    await database.client.execute("UPDATE ledger_account SET balance_minor = balance_minor - 1 WHERE owner_id = 'tampered'");
    await database.client.execute(
      "UPDATE ledger_entry SET amount_minor = amount_minor + 1 WHERE account_id = (SELECT id FROM ledger_account WHERE owner_id = 'tampered')",
    );
    const again = await reconcile(database);
    expect(again.map((m) => m.what.split(" ")[0]).sort()).toEqual(["account", "transaction"]);
    await database.client.execute(
      "UPDATE ledger_entry SET amount_minor = amount_minor - 1 WHERE account_id = (SELECT id FROM ledger_account WHERE owner_id = 'tampered')",
    );
    expect(await reconcile(database)).toEqual([]);
  });
});
