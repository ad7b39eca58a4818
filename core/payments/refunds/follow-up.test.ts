// The refund follow-up job against the real database and the sandbox gateway: a card refund whose answer was lost
// stays pending (the gateway may have made it) and is found at the gateway, or sent again under a new key only
// once the gateway surely holds none for it, never refunded twice; a
// refund whose webhook never came is read back from the gateway; neither is settled before its time or twice.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { PaymentView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq } from "drizzle-orm";
import { json, type Person } from "../../catalog/products/test-fixtures.ts";
import { type OrderPaymentInput, payOrder } from "../order-payments/service.ts";
import { SANDBOX_CARDS } from "../providers/sandbox.ts";
import { createPaymentsHarness, type PaymentsHarness } from "../testing/payments-harness.ts";
import { followUpPendingRefunds, REFUND_FOLLOW_UP_MS, refundPayment, refundsOf } from "./service.ts";

let orders = 0;
/** One seller's sub-order of 10 000 EUR, paid by card. */
function cardOrder(buyer: Person, seller: Person, category: string, paymentMethod: string): OrderPaymentInput {
  const n = ++orders;
  return {
    orderId: `ord_follow_${n}`,
    buyerId: buyer.userId,
    currency: "EUR",
    walletMinor: 0,
    paymentMethod,
    idempotencyKey: `checkout-follow-${n}`,
    subOrders: [
      {
        subOrderId: `sub_follow_${n}`,
        sellerId: seller.userId,
        chargeMinor: 10_000,
        settlementCurrency: "EUR",
        lines: [{ categoryId: category, settlementMinor: 10_000 }],
      },
    ],
  };
}

async function refundRow(p: PaymentsHarness, refundId: string) {
  const [row] = await p.h.database.db.select().from(schema.refund).where(eq(schema.refund.id, refundId));
  return row;
}

describe("a refund the gateway did not answer", () => {
  let p: PaymentsHarness;
  let seller: Person;
  let category: string;
  beforeAll(async () => {
    p = await createPaymentsHarness();
    seller = await p.person("seller");
    category = await p.category("phones", 800);
  });
  afterAll(() => p.destroy());

  /** the gateway's refund.succeeded news about `paymentId`, as stored by the webhook endpoint */
  const refundsAtGateway = async (paymentId: string) =>
    (await p.h.database.db.select().from(schema.providerEvent).where(eq(schema.providerEvent.type, "refund.succeeded"))).filter(
      (event) => (JSON.parse(event.payload) as { paymentId?: string }).paymentId === paymentId,
    );

  test("stays pending, credits nothing, and is settled by finding it at the gateway: the card is refunded once", async () => {
    const buyer = await p.person();
    const input = cardOrder(buyer, seller, category, SANDBOX_CARDS.refundAnswerLost);
    const payment = await payOrder(p.ctx, p.providers, input);
    expect(payment.status).toBe("captured");
    await p.settle();
    const refundsBefore = await p.platform("refunds", "EUR");
    const refund = await refundPayment(p.ctx, p.providers, payment.id, { amount: 4_000, subOrderId: input.subOrders[0]?.subOrderId }, "lost-answer-1");
    // no answer: not failed (the gateway may have paid it), so not credited to the wallet either
    expect(refund).toMatchObject({ status: "pending", amount: 4_000, walletAmount: 0, failureReason: null });
    await p.settle();
    // the gateway did make it and said so, but about a refund ref we never heard: nothing is settled by guesswork
    expect(await refundsAtGateway(payment.id)).toHaveLength(1);
    expect(await refundRow(p, refund.id)).toMatchObject({ status: "pending", providerRef: null });
    expect(await p.balance("buyer_wallet", buyer.userId, "EUR")).toBe(0);
    expect(await p.platform("refunds", "EUR")).toBe(refundsBefore + 4_000);

    // too early: the webhook may still come
    expect(await followUpPendingRefunds(p.ctx, p.providers)).toBe(0);
    p.h.clock.advance(REFUND_FOLLOW_UP_MS + 1);
    // two passes at once (two processes run jobs): one refund at the gateway, one settlement in the ledger
    const passes = await Promise.all([followUpPendingRefunds(p.ctx, p.providers), followUpPendingRefunds(p.ctx, p.providers)]);
    expect(passes[0] + passes[1]).toBeGreaterThanOrEqual(1);
    await p.settle();
    const [settled] = await refundsOf(p.ctx, payment.id);
    expect(settled).toMatchObject({ id: refund.id, status: "succeeded", walletAmount: 0, failureReason: null });
    // the gateway had made it: found by our refund id, never sent again
    expect(await refundRow(p, refund.id)).toMatchObject({ providerRef: expect.stringMatching(/^sbr_/), gatewayFailures: 0 });
    expect(await refundsAtGateway(payment.id)).toHaveLength(1);
    expect(await p.balance("buyer_wallet", buyer.userId, "EUR")).toBe(0);
    expect(await p.platform("refunds", "EUR")).toBe(refundsBefore);
    const outToCard = await p.h.database.db
      .select()
      .from(schema.ledgerTransaction)
      .where(eq(schema.ledgerTransaction.idempotencyKey, `refund-out:${refund.id}`));
    expect(outToCard).toHaveLength(1);
    // settled: later passes leave it alone
    p.h.clock.advance(REFUND_FOLLOW_UP_MS + 1);
    expect(await followUpPendingRefunds(p.ctx, p.providers)).toBe(0);
    expect(await p.reconcile()).toEqual([]);
  });

  test("the gateway failed it and made none: found missing at the gateway, sent under a new key by one of two passes: refunded once", async () => {
    const buyer = await p.person();
    const input = cardOrder(buyer, seller, category, SANDBOX_CARDS.refundUnavailableOnce);
    const payment = await payOrder(p.ctx, p.providers, input);
    await p.settle();
    const refund = await refundPayment(p.ctx, p.providers, payment.id, { amount: 2_500, subOrderId: input.subOrders[0]?.subOrderId }, "gateway-down-1");
    expect(refund).toMatchObject({ status: "pending", walletAmount: 0 });
    expect(await refundRow(p, refund.id)).toMatchObject({ status: "pending", providerRef: null, gatewayFailures: 0 });
    // asked too soon: left alone
    expect(await followUpPendingRefunds(p.ctx, p.providers)).toBe(0);
    p.h.clock.advance(REFUND_FOLLOW_UP_MS + 1);
    // the first key would get the gateway's first answer again (its error); the gateway has no refund for ours, so one
    // pass claims the next key and sends it, the other leaves it to that one
    const passes = await Promise.all([followUpPendingRefunds(p.ctx, p.providers), followUpPendingRefunds(p.ctx, p.providers)]);
    expect(passes[0] + passes[1]).toBe(1);
    await p.settle();
    expect(await refundRow(p, refund.id)).toMatchObject({ status: "succeeded", providerRef: expect.stringMatching(/^sbr_/), gatewayFailures: 1 });
    expect((await refundsOf(p.ctx, payment.id))[0]).toMatchObject({ status: "succeeded", walletAmount: 0 });
    expect(await refundsAtGateway(payment.id)).toHaveLength(1);
    expect(await p.balance("buyer_wallet", buyer.userId, "EUR")).toBe(0);
    p.h.clock.advance(REFUND_FOLLOW_UP_MS + 1);
    expect(await followUpPendingRefunds(p.ctx, p.providers)).toBe(0);
    expect(await refundsAtGateway(payment.id)).toHaveLength(1);
    expect(await p.reconcile()).toEqual([]);
  });

  test("a refund the gateway answered at once is not the job's business", async () => {
    const buyer = await p.person();
    const input = cardOrder(buyer, seller, category, SANDBOX_CARDS.success);
    const payment = await payOrder(p.ctx, p.providers, input);
    const refund = await refundPayment(p.ctx, p.providers, payment.id, { amount: 10_000, subOrderId: input.subOrders[0]?.subOrderId }, "answered-1");
    expect(refund.status).toBe("succeeded");
    await p.settle();
    p.h.clock.advance(REFUND_FOLLOW_UP_MS + 1);
    expect(await followUpPendingRefunds(p.ctx, p.providers)).toBe(0);
    expect(await refundsAtGateway(payment.id)).toHaveLength(1);
    expect(await p.reconcile()).toEqual([]);
  });
});

describe("a refund whose webhook never comes", () => {
  let p: PaymentsHarness;
  let seller: Person;
  let category: string;
  beforeAll(async () => {
    // the sandbox's webhooks go to a port nobody listens on: only asking the gateway can tell
    p = await createPaymentsHarness({ PAYMENTS_SANDBOX_WEBHOOK_URL: "http://127.0.0.1:9/v1/payments/webhooks/sandbox" });
    seller = await p.person("seller");
    category = await p.category("phones", 800);
  });
  afterAll(() => p.destroy());

  test("an order's card refund the bank refused later is read back from the gateway and credited to the wallet, once", async () => {
    const buyer = await p.person();
    const input = cardOrder(buyer, seller, category, SANDBOX_CARDS.refundFails);
    const payment = await payOrder(p.ctx, p.providers, input);
    const refund = await refundPayment(p.ctx, p.providers, payment.id, { amount: 6_000, subOrderId: input.subOrders[0]?.subOrderId }, "no-news-1");
    expect(refund.status).toBe("pending");
    await p.settle();
    // the bank refused it by now, but no webhook said so
    expect((await refundRow(p, refund.id))?.status).toBe("pending");
    p.h.clock.advance(REFUND_FOLLOW_UP_MS + 1);
    expect(await followUpPendingRefunds(p.ctx, p.providers)).toBe(1);
    const [settled] = await refundsOf(p.ctx, payment.id);
    expect(settled).toMatchObject({ status: "succeeded", walletAmount: 6_000, failureReason: "The card's bank refused the refund." });
    expect(await p.balance("buyer_wallet", buyer.userId, "EUR")).toBe(6_000);
    p.h.clock.advance(REFUND_FOLLOW_UP_MS + 1);
    expect(await followUpPendingRefunds(p.ctx, p.providers)).toBe(0);
    expect(await p.balance("buyer_wallet", buyer.userId, "EUR")).toBe(6_000);
    expect(await p.reconcile()).toEqual([]);
  });

  test("a top-up's refund refused later goes back to the wallet it came from and is failed", async () => {
    const buyer = await p.person();
    const response = await p.h.request("POST", "/v1/me/wallet/top-ups", {
      token: buyer.token,
      body: { amount: 3_000, currency: "EUR", paymentMethod: SANDBOX_CARDS.refundFails },
    });
    const topUp = await json<PaymentView>(response);
    expect(topUp).toMatchObject({ purpose: "top_up", status: "captured" });
    expect(await p.balance("buyer_wallet", buyer.userId, "EUR")).toBe(3_000);
    const refund = await refundPayment(p.ctx, p.providers, topUp.id, { amount: 3_000 }, "no-news-top-up");
    expect(refund.status).toBe("pending");
    expect(await p.balance("buyer_wallet", buyer.userId, "EUR")).toBe(0);
    await p.settle();
    p.h.clock.advance(REFUND_FOLLOW_UP_MS + 1);
    expect(await followUpPendingRefunds(p.ctx, p.providers)).toBe(1);
    const [settled] = await refundsOf(p.ctx, topUp.id);
    expect(settled).toMatchObject({ status: "failed", failureReason: "The card's bank refused the refund." });
    expect(await p.balance("buyer_wallet", buyer.userId, "EUR")).toBe(3_000);
    expect(await p.reconcile()).toEqual([]);
  });
});
