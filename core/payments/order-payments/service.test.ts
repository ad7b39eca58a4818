// Order payments against the real database and the sandbox gateway (its webhooks over real HTTP): wallet, card and
// split payments across sellers and currencies, the ledger after each, fraud holds, captures, cancellations,
// lapsed authorisations, refunds per sub-order and the release of sellers' proceeds.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AppError, type PaymentView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import type { Person } from "../../catalog/products/test-fixtures.ts";
import { cancelPayment, capturePayment, followUpOpenPayments } from "../charges/service.ts";
import { post } from "../ledger/service.ts";
import { SANDBOX_CARDS } from "../providers/sandbox.ts";
import { refundPayment, refundsOf } from "../refunds/service.ts";
import { releaseDueHolds, scheduleSettlement } from "../settlement/service.ts";
import { createPaymentsHarness, type PaymentsHarness } from "../testing/payments-harness.ts";
import { type OrderPaymentInput, payOrder, type SubOrderPayment } from "./service.ts";

let p: PaymentsHarness;
let sellerA: Person;
let sellerB: Person;
let CATEGORY_PHONES: string;
let CATEGORY_BOOKS: string;
const DAY = 86_400_000;

beforeAll(async () => {
  p = await createPaymentsHarness();
  sellerA = await p.person("seller");
  sellerB = await p.person("seller");
  CATEGORY_PHONES = await p.category("phones", 800);
  CATEGORY_BOOKS = await p.category("books", 1500);
});
afterAll(() => p.destroy());

let orders = 0;
/** An order's payment input: two sellers in EUR by default, paid by `buyer`. */
function order(buyer: Person, overrides: Partial<OrderPaymentInput> = {}, subOrders?: SubOrderPayment[]): OrderPaymentInput {
  const n = ++orders;
  return {
    orderId: `ord_test_${n}`,
    buyerId: buyer.userId,
    currency: "EUR",
    walletMinor: 0,
    idempotencyKey: `checkout-${n}`,
    subOrders: subOrders ?? [
      {
        subOrderId: `sub_${n}_a`,
        sellerId: sellerA.userId,
        chargeMinor: 10_000,
        settlementCurrency: "EUR",
        lines: [{ categoryId: CATEGORY_PHONES, settlementMinor: 10_000 }],
      },
      {
        subOrderId: `sub_${n}_b`,
        sellerId: sellerB.userId,
        chargeMinor: 2_500,
        settlementCurrency: "EUR",
        lines: [{ categoryId: CATEGORY_BOOKS, settlementMinor: 2_000 }],
        shippingMinor: 500,
      },
    ],
    ...overrides,
  };
}

const pay = (input: OrderPaymentInput) => payOrder(p.ctx, p.providers, input);
const pending = (seller: Person, currency = "EUR") => p.balance("seller_pending", seller.userId, currency);
const available = (seller: Person, currency = "EUR") => p.balance("seller_available", seller.userId, currency);
const wallet = (buyer: Person, currency = "EUR") => p.balance("buyer_wallet", buyer.userId, currency);

async function rejected(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("paying an order", () => {
  test("from the wallet: captured at once; each seller's pending balance gets their prices less the frozen commission", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 20_000);
    const [aBefore, bBefore, commissionBefore] = [await pending(sellerA), await pending(sellerB), await p.platform("platform_commission", "EUR")];
    const payment = await pay(order(buyer, { walletMinor: 12_500 }));
    expect(payment).toMatchObject({ status: "captured", purpose: "order", amount: 12_500, walletAmount: 12_500, captured: 12_500, provider: "wallet" });
    expect(payment.risk?.decision).toBe("allow");
    expect(await wallet(buyer)).toBe(7_500);
    // phones 8 % of 10 000 = 800; books 15 % of 2 000 = 300, none on the 500 of shipping
    expect(await pending(sellerA)).toBe(aBefore + 9_200);
    expect(await pending(sellerB)).toBe(bBefore + 2_200);
    expect(await p.platform("platform_commission", "EUR")).toBe(commissionBefore + 1_100);
    expect(await p.platform("payment_holding", "EUR")).toBe(0);
    const splits = await p.h.database.db.select().from(schema.paymentSplit).where(eq(schema.paymentSplit.paymentId, payment.id));
    expect(splits.map((s) => s.commissionMinor).sort()).toEqual([300, 800]);
    const holds = await p.h.database.db.select().from(schema.settlementHold);
    expect(
      holds
        .filter((hold) => hold.reference.startsWith(`sub_${orders}_`))
        .map((hold) => hold.amountMinor)
        .sort(),
    ).toEqual([2_200, 9_200]);
    expect(await p.reconcile()).toEqual([]);
  });

  test("split wallet + card: the wallet part is set aside, the card pays the rest, and the sale moves once even after the webhooks", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 3_000);
    const clearingBefore = await p.balance("provider_clearing", "sandbox", "EUR");
    const payment = await pay(order(buyer, { walletMinor: 3_000, paymentMethod: SANDBOX_CARDS.success }));
    expect(payment).toMatchObject({ status: "captured", walletAmount: 3_000, provider: "sandbox", captured: 12_500 });
    await p.settle();
    expect(await wallet(buyer)).toBe(0);
    expect(await p.balance("provider_clearing", "sandbox", "EUR")).toBe(clearingBefore - 9_500);
    const captures = await p.h.database.db.select().from(schema.ledgerTransaction).where(eq(schema.ledgerTransaction.reference, payment.id));
    expect(captures.map((t) => t.kind).sort()).toEqual(["capture", "payment"]);
    expect(await p.reconcile()).toEqual([]);
  });

  test("a declined card: the wallet part comes back and no seller is credited", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 2_000);
    const aBefore = await pending(sellerA);
    const payment = await pay(order(buyer, { walletMinor: 2_000, paymentMethod: SANDBOX_CARDS.declined }));
    expect(payment).toMatchObject({ status: "failed", failureReason: "Your card was declined." });
    await p.settle();
    expect(await wallet(buyer)).toBe(2_000);
    expect(await pending(sellerA)).toBe(aBefore);
    expect(await p.platform("payment_holding", "EUR")).toBe(0);
  });

  test("a card that fails later: processing until the webhook, then the wallet part comes back", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 1_000);
    const payment = await pay(order(buyer, { walletMinor: 1_000, paymentMethod: SANDBOX_CARDS.asyncFailure }));
    expect(payment.status).toBe("processing");
    expect(await wallet(buyer)).toBe(0);
    await p.settle();
    await p.settle();
    const [row] = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.id, payment.id));
    expect(row?.status).toBe("failed");
    expect(await wallet(buyer)).toBe(1_000);
  });

  test("a wallet that cannot cover its part is a 409 and writes nothing: no payment, no split", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 100);
    const input = order(buyer, { walletMinor: 12_500 });
    const error = await rejected(pay(input));
    expect(error.status).toBe(409);
    expect(await wallet(buyer)).toBe(100);
    const rows = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.reference, input.orderId));
    expect(rows).toHaveLength(0);
  });

  test("the buyer pays in USD, the seller settles in JPY: the seller gets exactly their yen, FX takes the difference, every currency balances", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 5_000, "USD");
    const before = await pending(sellerA, "JPY");
    const fxUsd = await p.platform("fx_conversion", "USD");
    const fxJpy = await p.platform("fx_conversion", "JPY");
    const payment = await pay(
      order(buyer, { currency: "USD", walletMinor: 3_300 }, [
        {
          subOrderId: `sub_jpy_${orders}`,
          sellerId: sellerA.userId,
          chargeMinor: 3_300,
          settlementCurrency: "JPY",
          lines: [{ categoryId: CATEGORY_PHONES, settlementMinor: 5_000 }],
        },
      ]),
    );
    expect(payment.status).toBe("captured");
    // ¥5 000 less 8 % = ¥4 600
    expect(await pending(sellerA, "JPY")).toBe(before + 4_600);
    expect(await p.platform("fx_conversion", "USD")).toBe(fxUsd + 3_300);
    expect(await p.platform("fx_conversion", "JPY")).toBe(fxJpy - 5_000);
    expect(await p.reconcile()).toEqual([]);
  });

  test("bad input names every field at once and writes nothing", async () => {
    const buyer = await p.person();
    const error = await rejected(
      pay({
        ...order(buyer),
        currency: "XXX",
        walletMinor: -1,
        subOrders: [
          { subOrderId: "s1", sellerId: "", chargeMinor: 0, settlementCurrency: "EUR", lines: [] },
          { subOrderId: "s1", sellerId: sellerA.userId, chargeMinor: 100, settlementCurrency: "EUR", lines: [{ categoryId: "c", settlementMinor: 99 }] },
        ],
      }),
    );
    expect(error.status).toBe(422);
    const paths = (error.errors ?? []).map((e) => e.path);
    for (const path of ["/currency", "/walletMinor", "/subOrders/0/sellerId", "/subOrders/0/chargeMinor", "/subOrders/0/lines", "/subOrders/1/subOrderId"]) {
      expect(paths).toContain(path);
    }
    // in one currency the buyer pays exactly what the seller's lines and shipping add up to
    const mismatch = await rejected(
      pay(
        order(buyer, { walletMinor: 100 }, [
          { subOrderId: "s1", sellerId: sellerA.userId, chargeMinor: 100, settlementCurrency: "EUR", lines: [{ categoryId: "c", settlementMinor: 99 }] },
        ]),
      ),
    );
    expect((mismatch.errors ?? []).map((e) => e.path)).toEqual(["/subOrders/0/chargeMinor"]);
    const missingMethod = await rejected(pay(order(buyer, { walletMinor: 0 })));
    expect((missingMethod.errors ?? []).map((e) => e.path)).toEqual(["/paymentMethod"]);
  });
});

describe("what must never happen again (GOTCHAS)", () => {
  test("a late, validly signed 'succeeded' webhook for a failed payment re-runs nothing: no seller credit, no second wallet hold", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 2_000);
    const payment = await pay(order(buyer, { walletMinor: 2_000, paymentMethod: SANDBOX_CARDS.declined }));
    await p.settle();
    const [row] = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.id, payment.id));
    const aBefore = await pending(sellerA);
    const late = p.sandbox.signedWebhook("payment.succeeded", { ref: row?.providerRef, paymentId: payment.id, amountMinor: 10_500 });
    const response = await fetch(new URL("/v1/payments/webhooks/sandbox", p.webhookOrigin), { method: "POST", body: late.body, headers: late.headers });
    expect(response.status).toBe(200);
    await p.settle();
    const [after] = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.id, payment.id));
    expect(after?.status).toBe("failed");
    expect(await pending(sellerA)).toBe(aBefore);
    expect(await wallet(buyer)).toBe(2_000);
    expect(await p.reconcile()).toEqual([]);
  });

  test("a charge whose answer was lost: the payment fails, and when the gateway's webhook says it charged, the money goes back at the gateway, once", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 2_000);
    const aBefore = await pending(sellerA);
    const clearingBefore = await p.balance("provider_clearing", "sandbox", "EUR");
    const input = order(buyer, { walletMinor: 2_000, paymentMethod: SANDBOX_CARDS.answerLost });
    expect((await rejected(pay(input))).status).toBe(502);
    // its "succeeded" arrives and is applied (the refund is made then), then the refund's own webhook
    await p.settle();
    await p.settle();
    const [row] = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.reference, input.orderId));
    // the gateway's own news ("succeeded", then its refund) arrived: the payment stays failed and says why
    expect(row).toMatchObject({ purpose: "order", status: "failed", capturedMinor: 0 });
    expect(row?.failureReason).toContain("we refunded it");
    const gatewayNews = async (type: string) =>
      (await p.h.database.db.select().from(schema.providerEvent).where(eq(schema.providerEvent.type, type))).filter(
        (event) => (JSON.parse(event.payload) as { paymentId?: string }).paymentId === row?.id,
      );
    const refundsAtGateway = () => gatewayNews("refund.succeeded");
    expect((await refundsAtGateway()).map((event) => (JSON.parse(event.payload) as { amountMinor: number }).amountMinor)).toEqual([10_500]);
    // the same news again (a new event id, so not deduplicated as a redelivery) gives nothing back twice
    const [charged] = await gatewayNews("payment.succeeded");
    const again = p.sandbox.signedWebhook("payment.succeeded", { ref: charged?.objectRef, paymentId: row?.id, amountMinor: 10_500 });
    await fetch(new URL("/v1/payments/webhooks/sandbox", p.webhookOrigin), { method: "POST", body: again.body, headers: again.headers });
    await p.settle();
    await p.settle();
    expect(await refundsAtGateway()).toHaveLength(1);
    // nothing of it ever reached the ledger: the wallet part came back, no seller was credited
    expect(await wallet(buyer)).toBe(2_000);
    expect(await pending(sellerA)).toBe(aBefore);
    expect(await p.balance("provider_clearing", "sandbox", "EUR")).toBe(clearingBefore);
    expect(await p.reconcile()).toEqual([]);
  });

  test("a capture the gateway fails once: the retry goes under a new key and captures, where the old key would replay the failure", async () => {
    const buyer = await p.person();
    const aBefore = await pending(sellerA);
    const payment = await pay(order(buyer, { paymentMethod: SANDBOX_CARDS.captureFailsOnce, captureLater: true }));
    expect(payment.status).toBe("authorized");
    expect((await rejected(capturePayment(p.ctx, p.providers, payment.id))).status).toBe(502);
    const captured = await capturePayment(p.ctx, p.providers, payment.id);
    expect(captured).toMatchObject({ status: "captured", gatewayFailures: 1 });
    await p.settle();
    expect(await pending(sellerA)).toBe(aBefore + 9_200);
    expect(await p.reconcile()).toEqual([]);
  });

  test("commission is frozen at the sale: a rate changed afterwards changes neither the sale nor its refund", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 10_000);
    const frozen = await p.category("frozen", null);
    const input = order(buyer, { walletMinor: 10_000 }, [
      {
        subOrderId: `sub_frozen_${orders + 1}`,
        sellerId: sellerB.userId,
        chargeMinor: 10_000,
        settlementCurrency: "EUR",
        lines: [{ categoryId: frozen, settlementMinor: 10_000 }],
      },
    ]);
    const payment = await pay(input);
    // the default rate (10 %) applied; then an admin gives the category its own, through the catalog's API
    const admin = await p.person("admin");
    const changed = await p.h.request("PATCH", `/v1/admin/categories/${frozen}`, { token: admin.token, body: { commissionBps: 3_000 } });
    expect(changed.status).toBe(200);
    const commissionBefore = await p.platform("platform_commission", "EUR");
    await refundPayment(p.ctx, p.providers, payment.id, { amount: 10_000, subOrderId: input.subOrders[0]?.subOrderId, destination: "wallet" }, "frozen-refund");
    expect(await p.platform("platform_commission", "EUR")).toBe(commissionBefore - 1_000);
    // the sum of the lines is what was charged, to the minor unit
    const [split] = await p.h.database.db.select().from(schema.paymentSplit).where(eq(schema.paymentSplit.paymentId, payment.id));
    expect(split).toMatchObject({ chargeMinor: 10_000, settlementMinor: 10_000, commissionMinor: 1_000, refundedCommissionMinor: 1_000 });
  });
});

describe("idempotency and concurrency", () => {
  test("a replayed checkout gets the first payment; another request under the same key is a 409", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 20_000);
    const input = order(buyer, { walletMinor: 12_500 });
    const first = await pay(input);
    const again = await pay(input);
    expect(again.id).toBe(first.id);
    expect(await wallet(buyer)).toBe(7_500);
    const error = await rejected(pay({ ...input, walletMinor: 2_500, paymentMethod: SANDBOX_CARDS.success }));
    expect(error.status).toBe(409);
  });

  test("20 parallel replays of one checkout: one payment, the wallet debited once", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 20_000);
    const input = order(buyer, { walletMinor: 12_500 });
    const results = await Promise.all(Array.from({ length: 20 }, () => pay(input)));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await wallet(buyer)).toBe(7_500);
    const rows = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.reference, input.orderId));
    expect(rows).toHaveLength(1);
    expect(await p.reconcile()).toEqual([]);
  });

  test("100 parallel wallet payments on a balance that covers 10: exactly 10 take money, the others are refused, the wallet ends at 0", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 10_000);
    const one = (n: number) =>
      order(buyer, { walletMinor: 1_000, idempotencyKey: `hammer-${n}` }, [
        {
          subOrderId: `sub_hammer_${n}`,
          sellerId: sellerA.userId,
          chargeMinor: 1_000,
          settlementCurrency: "EUR",
          lines: [{ categoryId: CATEGORY_PHONES, settlementMinor: 1_000 }],
        },
      ]);
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, n) => pay(one(n))));
    const paid = outcomes.filter(
      (o): o is PromiseFulfilledResult<PaymentView> => o.status === "fulfilled" && ["captured", "authorized"].includes(o.value.status),
    );
    const refused = outcomes.filter((o) => o.status === "rejected" && o.reason instanceof AppError && o.reason.status === 409);
    // a burst of 100 orders also trips the fraud check's velocity rule; a blocked payment takes no money
    const blocked = outcomes.filter((o) => o.status === "fulfilled" && o.value.status === "failed");
    expect(paid.length + refused.length + blocked.length).toBe(100);
    expect(paid).toHaveLength(Math.min(10, 100 - blocked.length));
    expect(await wallet(buyer)).toBe(10_000 - 1_000 * paid.length);
    expect(await p.reconcile()).toEqual([]);
  });
});

describe("held payments: fraud review, capture later, lapsed authorisations", () => {
  test("captureLater authorises the card and holds the wallet part; capturePayment moves the sale, once", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 1_000);
    const aBefore = await pending(sellerA);
    const payment = await pay(order(buyer, { walletMinor: 1_000, paymentMethod: SANDBOX_CARDS.success, captureLater: true }));
    expect(payment.status).toBe("authorized");
    expect(await pending(sellerA)).toBe(aBefore);
    expect(await p.platform("payment_holding", "EUR")).toBe(1_000);
    const captured = await capturePayment(p.ctx, p.providers, payment.id);
    expect(captured.status).toBe("captured");
    expect((await capturePayment(p.ctx, p.providers, payment.id)).status).toBe("captured");
    await p.settle();
    expect(await pending(sellerA)).toBe(aBefore + 9_200);
    expect(await p.platform("payment_holding", "EUR")).toBe(0);
    expect(await p.reconcile()).toEqual([]);
  });

  test("cancelling an authorised payment voids the card and gives the wallet part back", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 1_000);
    const payment = await pay(order(buyer, { walletMinor: 1_000, paymentMethod: SANDBOX_CARDS.success, captureLater: true }));
    const canceled = await cancelPayment(p.ctx, p.providers, payment.id, "buyer cancelled");
    expect(canceled.status).toBe("canceled");
    await p.settle();
    expect(await wallet(buyer)).toBe(1_000);
    expect((await rejected(capturePayment(p.ctx, p.providers, payment.id))).status).toBe(409);
  });

  test("an authorisation nobody captured lapses: the follow-up cancels it after the policy's days and the wallet part comes back", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 500);
    const payment = await pay(order(buyer, { walletMinor: 500, paymentMethod: SANDBOX_CARDS.success, captureLater: true }));
    expect(await followUpOpenPayments(p.ctx, p.providers)).toBe(0);
    p.h.clock.advance(p.providers.policy.authorizationMs + 1);
    expect(await followUpOpenPayments(p.ctx, p.providers)).toBeGreaterThanOrEqual(1);
    const [row] = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.id, payment.id));
    expect(row?.status).toBe("canceled");
    expect(await wallet(buyer)).toBe(500);
  });

  test("a brand-new account's large order is held for review; approving it through the admin queue captures it", async () => {
    const admin = await p.person("admin");
    const buyer = await (async () => {
      const fresh = await p.person();
      await p.fund(fresh, 40_000);
      // a new account from here on: the new-account rule fires on this order
      await p.h.database.db.update(schema.user).set({ createdAt: p.h.clock.now }).where(eq(schema.user.id, fresh.userId));
      return fresh;
    })();
    const aBefore = await pending(sellerA);
    const input = order(buyer, { walletMinor: 20_000, paymentMethod: SANDBOX_CARDS.success }, [
      {
        subOrderId: `sub_review_${orders + 1}`,
        sellerId: sellerA.userId,
        chargeMinor: 60_000,
        settlementCurrency: "EUR",
        lines: [{ categoryId: CATEGORY_PHONES, settlementMinor: 60_000 }],
      },
    ]);
    const payment = await pay(input);
    expect(payment.risk?.decision).toBe("review");
    expect(payment.status).toBe("authorized");
    expect(await wallet(buyer)).toBe(20_000);
    const [assessment] = await p.h.database.db.select().from(schema.fraudAssessment).where(eq(schema.fraudAssessment.paymentId, payment.id));
    const decided = await p.h.request("POST", `/v1/admin/fraud/reviews/${assessment?.id}/decision`, { token: admin.token, body: { decision: "approve" } });
    expect(decided.status).toBe(200);
    await p.settle();
    const [row] = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.id, payment.id));
    expect(row?.status).toBe("captured");
    expect(await pending(sellerA)).toBe(aBefore + 55_200);
  });

  test("rejecting a held payment cancels it and gives the wallet part back", async () => {
    const admin = await p.person("admin");
    const buyer = await p.person();
    await p.fund(buyer, 40_000);
    await p.h.database.db.update(schema.user).set({ createdAt: p.h.clock.now }).where(eq(schema.user.id, buyer.userId));
    const payment = await pay(
      order(buyer, { walletMinor: 40_000, paymentMethod: SANDBOX_CARDS.success }, [
        {
          subOrderId: `sub_reject_${orders + 1}`,
          sellerId: sellerA.userId,
          chargeMinor: 60_000,
          settlementCurrency: "EUR",
          lines: [{ categoryId: CATEGORY_PHONES, settlementMinor: 60_000 }],
        },
      ]),
    );
    expect(payment.status).toBe("authorized");
    expect(await wallet(buyer)).toBe(0);
    const [assessment] = await p.h.database.db.select().from(schema.fraudAssessment).where(eq(schema.fraudAssessment.paymentId, payment.id));
    await p.h.request("POST", `/v1/admin/fraud/reviews/${assessment?.id}/decision`, { token: admin.token, body: { decision: "reject" } });
    await p.settle();
    const [row] = await p.h.database.db.select().from(schema.payment).where(eq(schema.payment.id, payment.id));
    expect(row?.status).toBe("canceled");
    expect(await wallet(buyer)).toBe(40_000);
  });

  test("a blocked payment is failed at once: nothing held, nothing charged", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 1_000);
    // a card issued in Brazil (the gateway says so before the charge), countries that disagree, a new account and a large amount
    await p.h.database.db.update(schema.user).set({ createdAt: p.h.clock.now }).where(eq(schema.user.id, buyer.userId));
    const payment = await pay(
      order(buyer, { walletMinor: 1_000, paymentMethod: SANDBOX_CARDS.foreignCard, risk: { ipCountry: "NG", billingCountry: "US", shippingCountry: "RU" } }, [
        {
          subOrderId: `sub_block_${orders + 1}`,
          sellerId: sellerA.userId,
          chargeMinor: 90_000,
          settlementCurrency: "EUR",
          lines: [{ categoryId: CATEGORY_PHONES, settlementMinor: 90_000 }],
        },
      ]),
    );
    expect(payment.risk?.decision).toBe("block");
    expect(payment.status).toBe("failed");
    const [assessment] = await p.h.database.db.select().from(schema.fraudAssessment).where(eq(schema.fraudAssessment.paymentId, payment.id));
    expect(assessment?.reasons).toContain("card BR");
    expect(await wallet(buyer)).toBe(1_000);
    const splits = await p.h.database.db.select().from(schema.paymentSplit).where(eq(schema.paymentSplit.paymentId, payment.id));
    expect(splits).toHaveLength(0);
  });
});

describe("refunds per sub-order", () => {
  test("partial refunds to the wallet take the seller's share and the commission back in proportion; the last one takes exactly the rest", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 12_500);
    const input = order(buyer, { walletMinor: 12_500 });
    const payment = await pay(input);
    const sub = input.subOrders[0]?.subOrderId as string;
    const [aBefore, commissionBefore] = [await pending(sellerA), await p.platform("platform_commission", "EUR")];
    const first = await refundPayment(p.ctx, p.providers, payment.id, { amount: 3_333, subOrderId: sub, destination: "wallet" }, "r1");
    expect(first).toMatchObject({ status: "succeeded", amount: 3_333, walletAmount: 3_333, subOrderId: sub });
    // 3 333 of 10 000: the seller's 9 200 × 0.3333 = 3 066.36 → 3 066 net (3 333 gross less 267 commission)
    expect(await pending(sellerA)).toBe(aBefore - 3_066);
    expect(await p.platform("platform_commission", "EUR")).toBe(commissionBefore - 267);
    await refundPayment(p.ctx, p.providers, payment.id, { amount: 3_333, subOrderId: sub, destination: "wallet" }, "r2");
    await refundPayment(p.ctx, p.providers, payment.id, { amount: 3_334, subOrderId: sub, destination: "wallet" }, "r3");
    expect(await pending(sellerA)).toBe(aBefore - 9_200);
    expect(await p.platform("platform_commission", "EUR")).toBe(commissionBefore - 800);
    expect(await wallet(buyer)).toBe(10_000);
    const [hold] = await p.h.database.db.select().from(schema.settlementHold).where(eq(schema.settlementHold.reference, sub));
    expect(hold?.reversedMinor).toBe(9_200);
    // nothing left of that sub-order; the other one is untouched
    const more = await rejected(refundPayment(p.ctx, p.providers, payment.id, { amount: 1, subOrderId: sub, destination: "wallet" }, "r4"));
    expect(more.status).toBe(422);
    expect(await p.reconcile()).toEqual([]);
  });

  test("a replayed refund is the same refund; another refund under the key is a 409; an unknown or missing sub-order is a 422", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 12_500);
    const input = order(buyer, { walletMinor: 12_500 });
    const payment = await pay(input);
    const sub = input.subOrders[1]?.subOrderId as string;
    const once = await refundPayment(p.ctx, p.providers, payment.id, { amount: 1_000, subOrderId: sub, destination: "wallet" }, "same-key");
    const twice = await refundPayment(p.ctx, p.providers, payment.id, { amount: 1_000, subOrderId: sub, destination: "wallet" }, "same-key");
    expect(twice.id).toBe(once.id);
    expect(await wallet(buyer)).toBe(1_000);
    expect((await rejected(refundPayment(p.ctx, p.providers, payment.id, { amount: 2_000, subOrderId: sub }, "same-key"))).status).toBe(409);
    expect((await rejected(refundPayment(p.ctx, p.providers, payment.id, { amount: 100 }, "k-missing"))).errors?.[0]?.path).toBe("/subOrderId");
    expect((await rejected(refundPayment(p.ctx, p.providers, payment.id, { amount: 100, subOrderId: "sub_nope" }, "k-unknown"))).errors?.[0]?.path).toBe(
      "/subOrderId",
    );
  });

  test("10 parallel refunds of 300 on a sub-order of 2 500: at most 8 succeed and never more than it was paid", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 12_500);
    const input = order(buyer, { walletMinor: 12_500 });
    const payment = await pay(input);
    const sub = input.subOrders[1]?.subOrderId as string;
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, n) => refundPayment(p.ctx, p.providers, payment.id, { amount: 300, subOrderId: sub, destination: "wallet" }, `par-${n}`)),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    expect(ok).toHaveLength(8);
    const [split] = await p.h.database.db.select().from(schema.paymentSplit).where(eq(schema.paymentSplit.subOrderId, sub));
    expect(split?.refundedMinor).toBe(2_400);
    expect(await wallet(buyer)).toBe(2_400);
    expect(await p.reconcile()).toEqual([]);
  });

  test("to the original method of a split payment: the card gets back up to what it paid, the rest goes to the wallet", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 2_500);
    const input = order(buyer, { walletMinor: 2_500, paymentMethod: SANDBOX_CARDS.success });
    const payment = await pay(input);
    await p.settle();
    const [a, b] = input.subOrders.map((s) => s.subOrderId) as [string, string];
    const card = await refundPayment(p.ctx, p.providers, payment.id, { amount: 10_000, subOrderId: a }, "orig-1");
    expect(card).toMatchObject({ status: "succeeded", amount: 10_000, walletAmount: 0 });
    const mixed = await refundPayment(p.ctx, p.providers, payment.id, { amount: 2_500, subOrderId: b }, "orig-2");
    // the card paid 10 000 and has it all back: the rest of this refund goes to the wallet
    expect(mixed).toMatchObject({ status: "succeeded", walletAmount: 2_500 });
    await p.settle();
    expect(await wallet(buyer)).toBe(2_500);
    expect(await p.platform("refunds", "EUR")).toBe(0);
    expect(await p.reconcile()).toEqual([]);
  });

  test("a card refund the bank refuses later (only its webhook tells): the buyer gets it in the wallet, the card part is not paid twice", async () => {
    const buyer = await p.person();
    const input = order(buyer, { paymentMethod: SANDBOX_CARDS.refundFails });
    const payment = await pay(input);
    await p.settle();
    const sub = input.subOrders[0]?.subOrderId as string;
    const refund = await refundPayment(p.ctx, p.providers, payment.id, { amount: 4_000, subOrderId: sub }, "refused-later");
    // the gateway accepted it: pending, nothing credited yet, the money parked in the platform's refunds account
    expect(refund).toMatchObject({ status: "pending", amount: 4_000, walletAmount: 0 });
    expect(await wallet(buyer)).toBe(0);
    expect(await p.platform("refunds", "EUR")).toBeGreaterThanOrEqual(4_000);
    await p.settle();
    const [settled] = await refundsOf(p.ctx, payment.id);
    expect(settled).toMatchObject({ id: refund.id, status: "succeeded", walletAmount: 4_000, failureReason: "The card's bank refused the refund." });
    expect(await wallet(buyer)).toBe(4_000);
    // the signed refund.failed webhook named the refund by the gateway's ref; a replay of it changes nothing
    const [row] = await p.h.database.db.select().from(schema.refund).where(eq(schema.refund.id, refund.id));
    expect(row?.providerRef).toMatch(/^sbr_/);
    const replay = p.sandbox.signedWebhook("refund.failed", { ref: "sbx_unused", refundRef: row?.providerRef, failureReason: "again" });
    expect((await fetch(`${p.webhookOrigin}/v1/payments/webhooks/sandbox`, { method: "POST", body: replay.body, headers: replay.headers })).status).toBe(200);
    await p.settle();
    expect(await wallet(buyer)).toBe(4_000);
    expect(await p.reconcile()).toEqual([]);
  });

  test("after the release: the refund comes from the available balance, and what that cannot cover is owed and netted from the next release", async () => {
    const buyer = await p.person();
    const seller = await p.person("seller");
    await p.fund(buyer, 4_000);
    const one = (id: string) =>
      order(buyer, { walletMinor: 2_000 }, [
        {
          subOrderId: id,
          sellerId: seller.userId,
          chargeMinor: 2_000,
          settlementCurrency: "EUR",
          lines: [{ categoryId: CATEGORY_BOOKS, settlementMinor: 2_000 }],
        },
      ]);
    const first = await pay(one("sub_release_1"));
    await scheduleSettlement(p.ctx, "sub_release_1", p.h.clock.now);
    expect(await releaseDueHolds(p.ctx)).toBe(1);
    expect(await available(seller)).toBe(1_700);
    expect(await pending(seller)).toBe(0);
    expect((await rejected(scheduleSettlement(p.ctx, "sub_release_1", p.h.clock.now + DAY))).status).toBe(409);
    // the seller was paid out (a payout moves available money out through the gateway)
    await post(
      { database: p.h.database, ids: p.h.deps.ids, clock: p.ctx.clock },
      {
        kind: "adjustment",
        reference: null,
        idempotencyKey: "test-payout-1",
        postings: [
          { account: { kind: "seller_available", ownerId: seller.userId, currency: "EUR" }, amountMinor: -1_200 },
          { account: { kind: "provider_clearing", ownerId: "sandbox", currency: "EUR" }, amountMinor: 1_200 },
        ],
      },
    );
    await refundPayment(p.ctx, p.providers, first.id, { amount: 2_000, subOrderId: "sub_release_1", destination: "wallet" }, "after-release");
    expect(await available(seller)).toBe(0);
    expect(await p.balance("seller_receivable", seller.userId, "EUR")).toBe(-1_200);
    // the next sale's release repays what is owed first
    await pay(one("sub_release_2"));
    await scheduleSettlement(p.ctx, "sub_release_2", p.h.clock.now);
    await releaseDueHolds(p.ctx);
    expect(await p.balance("seller_receivable", seller.userId, "EUR")).toBe(0);
    expect(await available(seller)).toBe(500);
    expect(await p.reconcile()).toEqual([]);
  });

  test("the release job moves only what is due, and a partly refunded hold releases what is left", async () => {
    const buyer = await p.person();
    const seller = await p.person("seller");
    await p.fund(buyer, 2_000);
    const payment = await pay(
      order(buyer, { walletMinor: 2_000 }, [
        {
          subOrderId: "sub_due",
          sellerId: seller.userId,
          chargeMinor: 2_000,
          settlementCurrency: "EUR",
          lines: [{ categoryId: CATEGORY_BOOKS, settlementMinor: 2_000 }],
        },
      ]),
    );
    expect(await releaseDueHolds(p.ctx)).toBe(0);
    await refundPayment(p.ctx, p.providers, payment.id, { amount: 1_000, subOrderId: "sub_due", destination: "wallet" }, "due-partial");
    p.h.clock.advance(p.providers.policy.settlementHoldMs + 1);
    expect(await releaseDueHolds(p.ctx)).toBeGreaterThanOrEqual(1);
    expect(await available(seller)).toBe(850);
    expect(await pending(seller)).toBe(0);
    const released = await p.h.database.db.select().from(schema.ledgerTransaction).where(eq(schema.ledgerTransaction.kind, "release"));
    expect(released.length).toBeGreaterThan(0);
  });
});

describe("events", () => {
  test("a captured order payment announces itself with the order id; a refund announces its sub-order", async () => {
    const buyer = await p.person();
    await p.fund(buyer, 12_500);
    const input = order(buyer, { walletMinor: 12_500 });
    const payment = await pay(input);
    await refundPayment(p.ctx, p.providers, payment.id, { amount: 500, subOrderId: input.subOrders[1]?.subOrderId, destination: "wallet" }, "evt-1");
    const rows = await p.h.database.db.select().from(schema.outboxEvent);
    const payloads = rows.map((r) => ({ type: r.type, payload: JSON.parse(r.payload) as Record<string, unknown> }));
    expect(payloads).toContainEqual({
      type: "payment.status_changed",
      payload: expect.objectContaining({ paymentId: payment.id, status: "captured", reference: input.orderId }),
    });
    expect(payloads).toContainEqual({
      type: "payment.refund_settled",
      payload: expect.objectContaining({
        paymentId: payment.id,
        orderId: input.orderId,
        subOrderId: input.subOrders[1]?.subOrderId,
        status: "succeeded",
        walletMinor: 500,
      }),
    });
  });
});
