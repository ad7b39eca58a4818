// Sellers' balances over HTTP: what each seller sees of an order paid to several of them, the release when the
// return window closes, who may look; and the commission each sale pays: the catalog's rate for its category (or
// the nearest ancestor's, or the default), frozen at the sale.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Problem, SellerBalanceView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { json, type Person } from "../../catalog/products/test-fixtures.ts";
import { paymentsModule } from "../index.ts";
import { type OrderPaymentInput, payOrder } from "../order-payments/service.ts";
import { createPaymentsHarness, type PaymentsHarness } from "../testing/payments-harness.ts";

const DAY_MS = 86_400_000;

let p: PaymentsHarness;
let admin: Person;
let buyer: Person;

beforeEach(async () => {
  p = await createPaymentsHarness();
  admin = await p.person("admin");
  buyer = await p.person();
  await p.fund(buyer, 50_000);
});
afterEach(() => p.destroy());

let orders = 0;
/** An order paid in full from the buyer's wallet, one EUR sub-order per entry. */
async function payFromWallet(subOrders: { seller: Person; categoryId: string; priceMinor: number; shippingMinor?: number }[]) {
  const n = ++orders;
  const input: OrderPaymentInput = {
    orderId: `ord_settle_${n}`,
    buyerId: buyer.userId,
    currency: "EUR",
    walletMinor: subOrders.reduce((sum, s) => sum + s.priceMinor + (s.shippingMinor ?? 0), 0),
    idempotencyKey: `checkout-settle-${n}`,
    subOrders: subOrders.map((s, i) => ({
      subOrderId: `sub_settle_${n}_${i}`,
      sellerId: s.seller.userId,
      chargeMinor: s.priceMinor + (s.shippingMinor ?? 0),
      settlementCurrency: "EUR",
      lines: [{ categoryId: s.categoryId, settlementMinor: s.priceMinor }],
      ...(s.shippingMinor ? { shippingMinor: s.shippingMinor } : {}),
    })),
  };
  const payment = await payOrder(p.ctx, p.providers, input);
  expect(payment.status).toBe("captured");
  return { payment, input };
}

const sellerBalance = (person: Person) => p.h.request("GET", "/v1/seller/balance", { token: person.token });
async function balancesOf(person: Person): Promise<SellerBalanceView["balances"]> {
  const response = await sellerBalance(person);
  expect(response.status).toBe(200);
  return (await json<SellerBalanceView>(response)).balances;
}
/** Sets a category's commission as admins do, through the catalog's API (null: back to the parent's or the default). */
const setRate = (categoryId: string, commissionBps: number | null) =>
  p.h.request("PATCH", `/v1/admin/categories/${categoryId}`, { token: admin.token, body: { commissionBps } });
async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  return json<Problem>(response);
}

/** The release job as the scheduler runs it. */
async function runReleaseJob(): Promise<number> {
  const job = paymentsModule.jobs.find((j) => j.name === "payments.settlement_release");
  if (!job) throw new Error("no settlement release job");
  return job.run(p.h.deps);
}

describe("GET /v1/seller/balance", () => {
  test("two sellers of one order each see their own proceeds less commission, pending; the release job makes them available once the window closes", async () => {
    const [sellerA, sellerB, idle] = [await p.person("seller"), await p.person("seller"), await p.person("seller")];
    const [phones, books] = [await p.category("phones", 800), await p.category("books", null)];
    const defaultBps = p.h.deps.config.payments.defaultCommissionBps;
    await payFromWallet([
      { seller: sellerA, categoryId: phones, priceMinor: 10_000 },
      { seller: sellerB, categoryId: books, priceMinor: 2_000, shippingMinor: 500 },
    ]);
    // A: 10 000 less 8 % = 9 200; B: 2 000 less the default rate, plus the 500 shipping (no commission on it)
    const expectedA = 10_000 - (10_000 * 800) / 10_000;
    const expectedB = 2_000 - (2_000 * defaultBps) / 10_000 + 500;
    expect(expectedA).toBe(9_200);
    expect(await balancesOf(sellerA)).toEqual([{ currency: "EUR", pending: expectedA, available: 0, owed: 0 }]);
    expect(await balancesOf(sellerB)).toEqual([{ currency: "EUR", pending: expectedB, available: 0, owed: 0 }]);
    expect(await balancesOf(idle)).toEqual([]);
    expect(await p.platform("platform_commission", "EUR")).toBe(12_500 - expectedA - expectedB);

    // the window is still open: the job moves nothing
    expect(await runReleaseJob()).toBe(0);
    p.h.clock.advance(p.h.deps.config.payments.settlementHoldDays * DAY_MS - 1_000);
    expect(await runReleaseJob()).toBe(0);
    p.h.clock.advance(1_001);
    expect(await runReleaseJob()).toBe(2);
    expect(await runReleaseJob()).toBe(0);
    const [a, b] = [await p.signInAgain(sellerA), await p.signInAgain(sellerB)];
    expect(await balancesOf(a)).toEqual([{ currency: "EUR", pending: 0, available: expectedA, owed: 0 }]);
    expect(await balancesOf(b)).toEqual([{ currency: "EUR", pending: 0, available: expectedB, owed: 0 }]);
    expect(await p.reconcile()).toEqual([]);
  });

  test("sellers only: without a token 401, a buyer or an admin 403", async () => {
    expect((await problem(await p.h.request("GET", "/v1/seller/balance"), 401)).code).toBe("UNAUTHENTICATED");
    expect((await problem(await p.h.request("GET", "/v1/seller/balance", { token: "not-a-token" }), 401)).code).toBe("UNAUTHENTICATED");
    expect((await problem(await sellerBalance(buyer), 403)).code).toBe("FORBIDDEN");
    expect((await problem(await sellerBalance(admin), 403)).code).toBe("FORBIDDEN");
  });
});

describe("commission", () => {
  test("each line pays its category's rate, else the nearest ancestor's, else the platform's default", async () => {
    const seller = await p.person("seller");
    const electronics = await p.category("electronics", 800);
    const phones = await p.category("phones", null, electronics);
    const android = await p.category("android", 500, phones);
    const books = await p.category("books", null);
    const defaultBps = p.h.deps.config.payments.defaultCommissionBps;
    const cases: [string, number][] = [
      [electronics, 800],
      [phones, 800],
      [android, 500],
      [books, defaultBps],
      // an id the catalog does not know (deleted since the cart was filled, say) pays the default, never nothing
      [p.h.deps.ids("category"), defaultBps],
    ];
    for (const [categoryId, bps] of cases) {
      const { payment } = await payFromWallet([{ seller, categoryId, priceMinor: 10_000 }]);
      const [split] = await p.h.database.db.select().from(schema.paymentSplit).where(eq(schema.paymentSplit.paymentId, payment.id));
      expect(split?.commissionMinor, categoryId).toBe((10_000 * bps) / 10_000);
    }
    expect(await p.reconcile()).toEqual([]);
  });

  test("a rate changed through the catalog's admin API applies to sales captured after it; the earlier sale keeps its commission", async () => {
    const seller = await p.person("seller");
    const category = await p.category("garden", 500);
    const { payment: first } = await payFromWallet([{ seller, categoryId: category, priceMinor: 10_000 }]);
    expect(await balancesOf(seller)).toEqual([{ currency: "EUR", pending: 9_500, available: 0, owed: 0 }]);
    expect((await setRate(category, 2_000)).status).toBe(200);
    expect(await balancesOf(seller)).toEqual([{ currency: "EUR", pending: 9_500, available: 0, owed: 0 }]);
    const { payment: second } = await payFromWallet([{ seller, categoryId: category, priceMinor: 10_000 }]);
    // back to the default: the next sale pays it
    expect((await setRate(category, null)).status).toBe(200);
    const { payment: third } = await payFromWallet([{ seller, categoryId: category, priceMinor: 10_000 }]);
    const defaultBps = p.h.deps.config.payments.defaultCommissionBps;
    const splits = async (paymentId: string) =>
      (await p.h.database.db.select().from(schema.paymentSplit).where(eq(schema.paymentSplit.paymentId, paymentId))).map((s) => s.commissionMinor);
    expect([await splits(first.id), await splits(second.id), await splits(third.id)]).toEqual([[500], [2_000], [defaultBps]]);
    // 9 500 (5 %, frozen) + 8 000 (20 %) + the default's net
    expect(await balancesOf(seller)).toEqual([{ currency: "EUR", pending: 9_500 + 8_000 + (10_000 - defaultBps), available: 0, owed: 0 }]);
    expect(await p.reconcile()).toEqual([]);
  });
});
