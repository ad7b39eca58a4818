// Refunds of order payments over HTTP: staff refund one seller's sub-order of a multi-seller order, in parts; the
// seller's pending proceeds and the platform's commission come back in proportion and the buyer's wallet gets the
// money; the buyer lists them. Idempotency keys, races, other people's ids and hostile bodies.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { MAX_PAYMENT_MINOR, type PaymentView, type Problem, type RefundList, type RefundView, type SellerBalanceView } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { eq, sql } from "drizzle-orm";
import { json, type Person } from "../../catalog/products/test-fixtures.ts";
import { type OrderPaymentInput, payOrder } from "../order-payments/service.ts";
import { createPaymentsHarness, type PaymentsHarness } from "../testing/payments-harness.ts";

const FUNDS = 20_000;

let p: PaymentsHarness;
let admin: Person;
let buyer: Person;
let sellerA: Person;
let sellerB: Person;
/** the order: A sells a phone for 10 000 (8 %: 800 commission, 9 200 net); B a book for 2 000 (15 %: 300) plus 500 shipping (2 200 net) */
let payment: PaymentView;
let subA: string;
let subB: string;
let PHONES: string;
let BOOKS: string;

beforeEach(async () => {
  p = await createPaymentsHarness();
  admin = await p.person("admin");
  buyer = await p.person();
  sellerA = await p.person("seller");
  sellerB = await p.person("seller");
  PHONES = await p.category("phones", 800);
  BOOKS = await p.category("books", 1_500);
  await p.fund(buyer, FUNDS);
  const input: OrderPaymentInput = {
    orderId: "ord_refund_1",
    buyerId: buyer.userId,
    currency: "EUR",
    walletMinor: 12_500,
    idempotencyKey: "checkout-refund-1",
    subOrders: [
      {
        subOrderId: "sub_refund_a",
        sellerId: sellerA.userId,
        chargeMinor: 10_000,
        settlementCurrency: "EUR",
        lines: [{ categoryId: PHONES, settlementMinor: 10_000 }],
      },
      {
        subOrderId: "sub_refund_b",
        sellerId: sellerB.userId,
        chargeMinor: 2_500,
        settlementCurrency: "EUR",
        lines: [{ categoryId: BOOKS, settlementMinor: 2_000 }],
        shippingMinor: 500,
      },
    ],
  };
  payment = await payOrder(p.ctx, p.providers, input);
  expect(payment).toMatchObject({ status: "captured", provider: "wallet", captured: 12_500 });
  [subA, subB] = input.subOrders.map((s) => s.subOrderId) as [string, string];
  expect(await pendingOf(sellerA)).toBe(9_200);
  expect(await pendingOf(sellerB)).toBe(2_200);
  expect(await commission()).toBe(1_100);
  expect(await walletOf(buyer)).toBe(FUNDS - 12_500);
});
afterEach(() => p.destroy());

const refund = (paymentId: string, body: unknown, key: string | undefined, token = admin.token) =>
  p.h.request("POST", `/v1/admin/payments/${paymentId}/refunds`, { token, body, ...(key === undefined ? {} : { headers: { "idempotency-key": key } }) });
const refundsAs = (person: Person, paymentId = payment.id) => p.h.request("GET", `/v1/me/payments/${paymentId}/refunds`, { token: person.token });
const pendingOf = (seller: Person) => p.balance("seller_pending", seller.userId, "EUR");
const walletOf = (person: Person) => p.balance("buyer_wallet", person.userId, "EUR");
const commission = () => p.platform("platform_commission", "EUR");
async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  return json<Problem>(response);
}
async function refundRows(): Promise<number> {
  const [row] = await p.h.database.db.select({ n: sql<number>`count(*)` }).from(schema.refund);
  return Number(row?.n ?? 0);
}
async function refundedOf(paymentId = payment.id): Promise<number> {
  const response = await p.h.request("GET", `/v1/me/payments/${paymentId}`, { token: buyer.token });
  return (await json<PaymentView>(response)).refunded;
}
async function splitOf(subOrderId: string) {
  const [split] = await p.h.database.db.select().from(schema.paymentSplit).where(eq(schema.paymentSplit.subOrderId, subOrderId));
  return split;
}
/** Nothing moved since the order was paid: no refund, the sellers' proceeds, the commission and the wallet as they were. */
async function expectUntouched(): Promise<void> {
  expect(await refundRows()).toBe(0);
  expect(await refundedOf()).toBe(0);
  expect(await pendingOf(sellerA)).toBe(9_200);
  expect(await pendingOf(sellerB)).toBe(2_200);
  expect(await commission()).toBe(1_100);
  expect(await walletOf(buyer)).toBe(FUNDS - 12_500);
  expect(await p.reconcile()).toEqual([]);
}

describe("refunding a sub-order", () => {
  test("part, then the rest: B's proceeds and the commission come back in proportion (shipping included), A is untouched, the wallet gets it all", async () => {
    const first = await refund(payment.id, { amount: 1_000, subOrderId: subB, reason: "dented cover" }, "rf-b-1");
    expect(first.status).toBe(201);
    const one = await json<RefundView>(first);
    // a wallet-paid order: "original" means the wallet, at once
    expect(one).toMatchObject({
      paymentId: payment.id,
      subOrderId: subB,
      amount: 1_000,
      walletAmount: 1_000,
      currency: "EUR",
      destination: "original",
      status: "succeeded",
      reason: "dented cover",
      failureReason: null,
    });
    // 1 000 of B's 2 500: 1 000 of the 2 500 B earned (with shipping), 120 of the 300 commission: 880 net
    expect(await pendingOf(sellerB)).toBe(2_200 - 880);
    expect(await commission()).toBe(1_100 - 120);
    expect(await pendingOf(sellerA)).toBe(9_200);
    expect(await walletOf(buyer)).toBe(FUNDS - 12_500 + 1_000);
    // the seller sees it too
    const seen = await json<SellerBalanceView>(await p.h.request("GET", "/v1/seller/balance", { token: sellerB.token }));
    expect(seen.balances).toEqual([{ currency: "EUR", pending: 1_320, available: 0, owed: 0 }]);

    p.h.clock.advance(1_000);
    const rest = await json<RefundView>(await refund(payment.id, { amount: 1_500, subOrderId: subB }, "rf-b-2"));
    expect(rest).toMatchObject({ amount: 1_500, walletAmount: 1_500, status: "succeeded", reason: "" });
    // the last part takes exactly what was left: B's proceeds are gone, the commission is A's 800 alone
    expect(await pendingOf(sellerB)).toBe(0);
    expect(await commission()).toBe(800);
    expect(await splitOf(subB)).toMatchObject({ refundedMinor: 2_500, refundedSettlementMinor: 2_500, refundedCommissionMinor: 300 });
    expect(await walletOf(buyer)).toBe(FUNDS - 12_500 + 2_500);
    expect(await refundedOf()).toBe(2_500);

    // nothing is left of B; A's sub-order still is
    const more = await problem(await refund(payment.id, { amount: 1, subOrderId: subB }, "rf-b-3"), 422);
    expect(more.errors?.[0]?.path).toBe("/amount");
    p.h.clock.advance(1_000);
    const third = await json<RefundView>(await refund(payment.id, { amount: 4_000, subOrderId: subA, destination: "wallet" }, "rf-a-1"));
    // 4 000 of A's 10 000: 320 of the 800 commission, 3 680 of the 9 200 net
    expect(await pendingOf(sellerA)).toBe(9_200 - 3_680);
    expect(await commission()).toBe(800 - 320);

    const listed = await refundsAs(buyer);
    expect(listed.status).toBe(200);
    expect((await json<RefundList>(listed)).items).toEqual([one, rest, third]);
    expect(await p.reconcile()).toEqual([]);
  });

  test("more than the sub-order has left is a 422 on /amount, even when the payment has more: nothing written; the key stays usable", async () => {
    // B's sub-order is 2 500 of a 12 500 payment
    expect((await problem(await refund(payment.id, { amount: 2_501, subOrderId: subB }, "rf-over"), 422)).errors?.[0]?.path).toBe("/amount");
    expect((await problem(await refund(payment.id, { amount: 12_501, subOrderId: subA }, "rf-over"), 422)).errors?.[0]?.path).toBe("/amount");
    await expectUntouched();
    // a refusal wrote nothing, so its key was never taken
    expect((await refund(payment.id, { amount: 2_500, subOrderId: subB }, "rf-over")).status).toBe(201);
    expect(await pendingOf(sellerB)).toBe(0);
    expect(await p.reconcile()).toEqual([]);
  });

  test("an unknown or missing sub-order is a 422 on /subOrderId; an unknown payment a 404; a malformed payment id a 422 on /id", async () => {
    expect((await problem(await refund(payment.id, { amount: 100, subOrderId: "sub_elsewhere" }, "rf-unknown-sub"), 422)).errors?.[0]?.path).toBe(
      "/subOrderId",
    );
    // two sellers: which one is refunded must be said
    expect((await problem(await refund(payment.id, { amount: 100 }, "rf-no-sub"), 422)).errors?.[0]?.path).toBe("/subOrderId");
    const unknown = p.h.deps.ids("payment");
    expect((await problem(await refund(unknown, { amount: 100, subOrderId: subA }, "rf-unknown-pay"), 404)).code).toBe("NOT_FOUND");
    for (const id of ["not-a-payment", "rfd_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", "pay_", `${payment.id}x`]) {
      expect(
        (await problem(await refund(id, { amount: 100, subOrderId: subA }, `rf-bad-${id}`), 422)).errors?.map((e) => e.path),
        id,
      ).toContain("/id");
    }
    await expectUntouched();
  });
});

describe("Idempotency-Key", () => {
  test("required: without it a 422 naming /headers/idempotency-key; an empty or unprintable one is refused too; nothing written", async () => {
    const missing = await problem(await refund(payment.id, { amount: 100, subOrderId: subA }, undefined), 422);
    expect(missing.errors?.map((e) => e.path)).toEqual(["/headers/idempotency-key"]);
    for (const key of ["", "x".repeat(256), "has space"]) {
      expect((await refund(payment.id, { amount: 100, subOrderId: subA }, key)).status, JSON.stringify(key)).toBe(422);
    }
    await expectUntouched();
  });

  test("a replay, even ten at once, is the same refund and moves the money once; another refund under the key is a 409", async () => {
    const body = { amount: 2_000, subOrderId: subA, destination: "wallet" };
    const first = await refund(payment.id, body, "rf-replay");
    expect(first.status).toBe(201);
    const original = await json<RefundView>(first);
    const replays = await Promise.all(Array.from({ length: 10 }, () => refund(payment.id, body, "rf-replay")));
    expect(replays.map((r) => r.status)).toEqual(Array(10).fill(201));
    for (const replay of replays) expect(await json<RefundView>(replay)).toEqual(original);
    // 2 000 of A's 10 000 once: 160 commission, 1 840 net
    expect(await pendingOf(sellerA)).toBe(9_200 - 1_840);
    expect(await commission()).toBe(1_100 - 160);
    expect(await walletOf(buyer)).toBe(FUNDS - 12_500 + 2_000);
    expect(await refundRows()).toBe(1);

    expect((await problem(await refund(payment.id, { ...body, amount: 2_001 }, "rf-replay"), 409)).code).toBe("CONFLICT");
    // the key is the operation's, whatever the payment: another payment under it is a conflict, not a second refund
    const otherBuyer = await p.person();
    const topUp = await p.fund(otherBuyer, 5_000);
    expect((await problem(await refund(topUp.id, { amount: 2_000 }, "rf-replay"), 409)).code).toBe("CONFLICT");
    expect(await walletOf(otherBuyer)).toBe(5_000);
    expect(await refundRows()).toBe(1);
    expect(await pendingOf(sellerA)).toBe(9_200 - 1_840);
    expect(await p.reconcile()).toEqual([]);
  });

  test("the same key with another sub-order or destination (same amount) is a different refund: 409, and only the first was made", async () => {
    expect((await refund(payment.id, { amount: 500, subOrderId: subA }, "rf-other-sub")).status).toBe(201);
    expect((await refund(payment.id, { amount: 500, subOrderId: subB }, "rf-other-sub")).status).toBe(409);
    expect((await refund(payment.id, { amount: 500, subOrderId: subA, destination: "wallet" }, "rf-other-sub")).status).toBe(409);
    expect((await refund(payment.id, { amount: 500, subOrderId: subA }, "rf-other-sub")).status).toBe(201);
    expect(await pendingOf(sellerB)).toBe(2_200);
    expect(await pendingOf(sellerA)).toBe(9_200 - 460);
    expect(await p.reconcile()).toEqual([]);
  });
});

describe("who may see and refund", () => {
  test("another buyer, or the order's seller, reading the refunds: 404 exactly as for an unknown payment; staff and the buyer see them", async () => {
    await refund(payment.id, { amount: 300, subOrderId: subB }, "rf-seen");
    const stranger = await p.person();
    const unknown = await problem(await refundsAs(buyer, p.h.deps.ids("payment")), 404);
    for (const person of [stranger, sellerB]) {
      const hidden = await problem(await refundsAs(person), 404);
      expect({ ...hidden, instance: undefined, requestId: undefined }).toEqual({ ...unknown, instance: undefined, requestId: undefined });
    }
    expect((await problem(await refundsAs(buyer, "not-a-payment"), 422)).errors?.[0]?.path).toBe("/id");
    expect((await problem(await p.h.request("GET", `/v1/me/payments/${payment.id}/refunds`), 401)).code).toBe("UNAUTHENTICATED");
    expect((await json<RefundList>(await refundsAs(buyer))).items.map((r) => r.amount)).toEqual([300]);
    expect((await json<RefundList>(await refundsAs(admin))).items.map((r) => r.amount)).toEqual([300]);
  });

  test("the buyer, a seller of the order or support staff calling the staff refund: 403; without a token 401; nothing written", async () => {
    const support = await p.person();
    await p.h.grantRole(support.userId, "support");
    for (const person of [buyer, sellerA, support]) {
      expect((await problem(await refund(payment.id, { amount: 100, subOrderId: subA }, `rf-as-${person.userId}`, person.token), 403)).code).toBe("FORBIDDEN");
    }
    expect((await problem(await refund(payment.id, { amount: 100, subOrderId: subA }, "rf-anon", ""), 401)).code).toBe("UNAUTHENTICATED");
    expect((await problem(await refund(payment.id, { amount: 100, subOrderId: subA }, "rf-forged", "not-a-token"), 401)).code).toBe("UNAUTHENTICATED");
    await expectUntouched();
  });
});

describe("races", () => {
  test("10 refunds of 1 500 at once on A's 10 000, each under its own key: exactly 6 pass, never more than the sub-order; the rest is still refundable", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => refund(payment.id, { amount: 1_500, subOrderId: subA }, `rf-race-${n}`)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(Math.floor(10_000 / 1_500));
    expect(statuses.filter((s) => s !== 201)).toEqual(Array(4).fill(422));
    expect(await splitOf(subA)).toMatchObject({ refundedMinor: 9_000, refundedCommissionMinor: 720 });
    expect(await refundedOf()).toBe(9_000);
    // each took 120 commission and 1 380 of the seller's net
    expect(await pendingOf(sellerA)).toBe(9_200 - 6 * 1_380);
    expect(await commission()).toBe(1_100 - 6 * 120);
    expect(await walletOf(buyer)).toBe(FUNDS - 12_500 + 9_000);
    expect(await p.reconcile()).toEqual([]);
    // the last 1 000 takes exactly what is left of A
    expect((await refund(payment.id, { amount: 1_000, subOrderId: subA }, "rf-race-last")).status).toBe(201);
    expect(await pendingOf(sellerA)).toBe(0);
    expect(await commission()).toBe(300);
    expect(await pendingOf(sellerB)).toBe(2_200);
    expect(await p.reconcile()).toEqual([]);
  });
});

describe("hostile input", () => {
  test("a bad amount, destination, sub-order, reason or a stray field is a 422 naming it; nothing is refunded", async () => {
    const cases: [unknown, string][] = [
      [{ amount: 0, subOrderId: subA }, "/amount"],
      [{ amount: -100, subOrderId: subA }, "/amount"],
      [{ amount: 10.5, subOrderId: subA }, "/amount"],
      [{ amount: Number.MAX_SAFE_INTEGER + 2, subOrderId: subA }, "/amount"],
      [{ amount: MAX_PAYMENT_MINOR + 1, subOrderId: subA }, "/amount"],
      [{ amount: 1e308, subOrderId: subA }, "/amount"],
      [{ amount: "100", subOrderId: subA }, "/amount"],
      [{ amount: null, subOrderId: subA }, "/amount"],
      [{ subOrderId: subA }, "/amount"],
      [{ amount: 100, subOrderId: subA, destination: "bank" }, "/destination"],
      [{ amount: 100, subOrderId: "" }, "/subOrderId"],
      [{ amount: 100, subOrderId: "s".repeat(65) }, "/subOrderId"],
      [{ amount: 100, subOrderId: 42 }, "/subOrderId"],
      [{ amount: 100, subOrderId: subA, reason: "r".repeat(501) }, "/reason"],
      [{ amount: 100, subOrderId: subA, sellerId: sellerB.userId }, "/sellerId"],
      [{ amount: 100, subOrderId: subA, status: "succeeded" }, "/status"],
    ];
    for (const [n, [body, path]] of cases.entries()) {
      const refused = await problem(await refund(payment.id, body, `rf-hostile-${n}`), 422);
      expect(
        refused.errors?.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect((await problem(await refund(payment.id, [{ amount: 100 }], "rf-array"), 422)).code).toBe("VALIDATION_FAILED");
    await expectUntouched();
  });

  test("an oversized body is a 413, a body that is not JSON a 415, broken JSON a 400: nothing is refunded", async () => {
    const path = `/v1/admin/payments/${payment.id}/refunds`;
    const headers = { "idempotency-key": "rf-raw" };
    const huge = JSON.stringify({ amount: 100, subOrderId: subA, reason: "x".repeat(p.h.deps.config.maxBodyBytes) });
    expect((await problem(await p.h.request("POST", path, { token: admin.token, rawBody: huge, headers }), 413)).code).toBe("PAYLOAD_TOO_LARGE");
    const text = await p.h.request("POST", path, {
      token: admin.token,
      rawBody: JSON.stringify({ amount: 100, subOrderId: subA }),
      headers: { ...headers, "content-type": "text/plain" },
    });
    expect((await problem(text, 415)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect((await problem(await p.h.request("POST", path, { token: admin.token, rawBody: '{"amount":100,', headers }), 400)).code).toBe("MALFORMED_JSON");
    await expectUntouched();
  });
});
