import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type CreatePaymentInput, ProviderError, WebhookSignatureError } from "./provider.ts";
import { RazorpayProvider } from "./razorpay.ts";
import { type Delivery, FakeRazorpay } from "./testing/fake-razorpay.ts";

let fake: FakeRazorpay;
let razorpay: RazorpayProvider;
beforeAll(() => {
  fake = new FakeRazorpay();
  razorpay = new RazorpayProvider({ keyId: fake.keyId, keySecret: fake.keySecret, webhookSecret: fake.webhookSecret, apiBase: fake.base });
});
afterAll(() => fake.stop());

let serial = 0;
const input = (over: Partial<CreatePaymentInput> = {}): CreatePaymentInput => {
  serial += 1;
  return {
    paymentId: `pay_01JD4M3Z8Q5V7W9X1Y2Z3A${String(serial).padStart(4, "0")}`,
    amountMinor: 50_000,
    currency: "INR",
    paymentMethod: "token_success",
    captureMode: "automatic",
    idempotencyKey: `key-${serial}-${crypto.randomUUID()}`,
    ...over,
  };
};

/** The newest webhook the fake sent for this event about this Razorpay payment. */
function delivered(event: string, paymentRef: string): Delivery {
  const found = fake.deliveries
    .filter((d) => d.event === event && (JSON.parse(d.body) as { payload: { payment: { entity: { id: string } } } }).payload.payment.entity.id === paymentRef)
    .at(-1);
  if (!found) throw new Error(`no ${event} for ${paymentRef}`);
  return found;
}

const ordersFor = (paymentId: string) => [...fake.orders.values()].filter((o) => o.receipt === paymentId);
const paymentsFor = (paymentId: string) => [...fake.payments.values()].filter((p) => ordersFor(paymentId).some((o) => o.id === p.order_id));

async function refusal(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe("payments", () => {
  test("a saved card: an order whose receipt is our payment id, then a payment on it, captured", async () => {
    const request = input({ description: "Wallet top-up" });
    const result = await razorpay.createPayment(request);

    expect(result).toEqual({ providerRef: expect.stringMatching(/^pay_/), status: "captured", capturedMinor: 50_000 });
    const [order] = ordersFor(request.paymentId);
    expect(order).toMatchObject({
      amount: 50_000,
      currency: "INR",
      payment_capture: true,
      notes: { payment_id: request.paymentId, idempotency_key: request.idempotencyKey },
    });
    const sent = fake.requests.find((r) => r.path === "/v1/payments/create/json" && (r.body as { order_id: string }).order_id === order?.id);
    expect(sent?.body).toMatchObject({
      amount: 50_000,
      currency: "INR",
      method: "card",
      token: "token_success",
      description: "Wallet top-up",
      notes: { payment_id: request.paymentId },
    });
    expect(fake.payments.get(result.providerRef)).toMatchObject({ status: "captured", order_id: order?.id });
  });

  test("manual capture: authorized, then captured in full; Razorpay captures nothing less", async () => {
    const authorized = await razorpay.createPayment(input({ captureMode: "manual", amountMinor: 12_345 }));
    expect(authorized).toMatchObject({ status: "authorized", capturedMinor: 0 });

    expect((await refusal(razorpay.capture(authorized.providerRef, 10_000, "cap-1"))).kind).toBe("invalid_request");
    const captured = await razorpay.capture(authorized.providerRef, 12_345, "cap-2");
    expect(captured).toEqual({ providerRef: authorized.providerRef, status: "captured", capturedMinor: 12_345 });
    expect(fake.requests.filter((r) => r.path === `/v1/payments/${authorized.providerRef}/capture`).map((r) => r.body)).toEqual([
      { amount: 12_345, currency: "INR" },
    ]);

    // a retried capture answers the same and captures nothing twice
    expect(await razorpay.capture(authorized.providerRef, 12_345, "cap-2")).toEqual(captured);
    expect(fake.requests.filter((r) => r.path === `/v1/payments/${authorized.providerRef}/capture`)).toHaveLength(1);
  });

  test("a declined card is a failed result with the bank's words, not a throw", async () => {
    const result = await razorpay.createPayment(input({ paymentMethod: "token_decline" }));
    expect(result).toEqual({
      providerRef: expect.stringMatching(/^pay_/),
      status: "failed",
      capturedMinor: 0,
      failureReason: "Your payment has been declined by your bank. Please contact your bank for any queries.",
    });
    expect(fake.payments.get(result.providerRef)?.status).toBe("failed");
  });

  test("3-D Secure: requires_action with the bank's page; the webhook tells how it ended", async () => {
    const request = input({ paymentMethod: "token_3ds", returnUrl: "https://shop.example/return" });
    const result = await razorpay.createPayment(request);
    expect(result).toEqual({
      providerRef: expect.any(String),
      status: "requires_action",
      capturedMinor: 0,
      nextActionUrl: `${fake.base}/v1/payments/${result.providerRef}/authenticate`,
    });
    expect(fake.requests.at(-2)?.body).toMatchObject({ callback_url: "https://shop.example/return" });

    fake.authenticate(result.providerRef, "success");
    const { body, headers } = delivered("payment.captured", result.providerRef);
    expect(await razorpay.parseWebhook(body, headers)).toMatchObject({
      type: "payment.succeeded",
      providerRef: result.providerRef,
      paymentId: request.paymentId,
      amountMinor: 50_000,
    });
  });

  test("netbanking redirects to the bank", async () => {
    const result = await razorpay.createPayment(input({ paymentMethod: "netbanking:HDFC" }));
    expect(result).toMatchObject({ status: "requires_action", nextActionUrl: expect.stringContaining("/authenticate") });
    expect(fake.payments.get(result.providerRef)).toMatchObject({ method: "netbanking", bank: "HDFC" });
  });

  test("UPI collect: processing until the buyer approves in the app; the webhook completes it", async () => {
    const request = input({ paymentMethod: "upi:success@razorpay" });
    const pending = await razorpay.createPayment(request);
    expect(pending).toEqual({ providerRef: expect.any(String), status: "processing", capturedMinor: 0 });
    expect(fake.requests.at(-2)?.body).toMatchObject({ method: "upi", upi: { flow: "collect", vpa: "success@razorpay" } });

    fake.settleUpi(pending.providerRef);
    const authorized = delivered("payment.authorized", pending.providerRef);
    const captured = delivered("payment.captured", pending.providerRef);
    expect(await razorpay.parseWebhook(authorized.body, authorized.headers)).toMatchObject({ type: "payment.authorized", paymentId: request.paymentId });
    const event = await razorpay.parseWebhook(captured.body, captured.headers);
    expect(event).toMatchObject({
      type: "payment.succeeded",
      providerRef: pending.providerRef,
      paymentId: request.paymentId,
      amountMinor: 50_000,
      providerType: "payment.captured",
    });
  });

  test("UPI collect declined in the app: a payment.failed webhook with the reason", async () => {
    const request = input({ paymentMethod: "upi:failure@razorpay" });
    const pending = await razorpay.createPayment(request);
    fake.settleUpi(pending.providerRef);
    const { body, headers } = delivered("payment.failed", pending.providerRef);
    expect(await razorpay.parseWebhook(body, headers)).toMatchObject({
      type: "payment.failed",
      paymentId: request.paymentId,
      failureReason: "Payment was unsuccessful as you declined the request on your UPI app.",
    });
  });

  test("methods it cannot send are refused before anything is created", async () => {
    const before = fake.orders.size;
    for (const paymentMethod of ["upi:not a vpa", "pm_card_visa", "4242424242424242", ""]) {
      expect((await refusal(razorpay.createPayment(input({ paymentMethod })))).kind).toBe("invalid_request");
    }
    expect(fake.orders.size).toBe(before);
  });

  test("cancel: Razorpay cannot void an authorization, and says so", async () => {
    const authorized = await razorpay.createPayment(input({ captureMode: "manual" }));
    expect((await refusal(razorpay.cancel(authorized.providerRef, "cancel-1"))).message).toContain("cannot void");
    const declined = await razorpay.createPayment(input({ paymentMethod: "token_decline" }));
    expect(await razorpay.cancel(declined.providerRef, "cancel-2")).toMatchObject({ status: "failed" });
  });
});

describe("idempotency", () => {
  test("a replay finds the order by receipt and returns the same payment: nothing created twice", async () => {
    const request = input({ captureMode: "manual" });
    const first = await razorpay.createPayment(request);
    const again = await razorpay.createPayment(request);
    expect(again).toEqual(first);
    expect(ordersFor(request.paymentId)).toHaveLength(1);
    expect(paymentsFor(request.paymentId)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path === `/v1/orders?receipt=${request.paymentId}`)).toHaveLength(2);
  });

  test("a replayed decline is the same decline: no new attempt under the same key", async () => {
    const request = input({ paymentMethod: "token_decline" });
    const first = await razorpay.createPayment(request);
    expect(await razorpay.createPayment(request)).toEqual(first);
    expect(paymentsFor(request.paymentId)).toHaveLength(1);
  });

  test("a failure between order and payment: the retry reuses the order", async () => {
    const request = input();
    fake.failNextPaymentCreate = true;
    expect((await refusal(razorpay.createPayment(request))).kind).toBe("unavailable");
    expect(ordersFor(request.paymentId)).toHaveLength(1);
    expect(paymentsFor(request.paymentId)).toHaveLength(0);

    expect(await razorpay.createPayment(request)).toMatchObject({ status: "captured" });
    expect(ordersFor(request.paymentId)).toHaveLength(1);
    expect(paymentsFor(request.paymentId)).toHaveLength(1);
  });

  test("a new key adds an attempt only after the earlier ones failed", async () => {
    const request = input({ paymentMethod: "token_decline" });
    const failed = await razorpay.createPayment(request);
    const retried = await razorpay.createPayment({ ...request, paymentMethod: "token_success", idempotencyKey: `${request.idempotencyKey}-2` });
    expect(retried).toMatchObject({ status: "captured" });
    expect(retried.providerRef).not.toBe(failed.providerRef);
    // the payment is made: a third key gets the same payment back, never a second charge
    expect(await razorpay.createPayment({ ...request, paymentMethod: "token_success", idempotencyKey: `${request.idempotencyKey}-3` })).toEqual(retried);
    expect(ordersFor(request.paymentId)).toHaveLength(1);
    expect(paymentsFor(request.paymentId)).toHaveLength(2);
  });

  test("the same payment id with another amount is refused, not charged", async () => {
    const request = input();
    await razorpay.createPayment(request);
    expect((await refusal(razorpay.createPayment({ ...request, amountMinor: 60_000, idempotencyKey: "other" }))).kind).toBe("invalid_request");
    expect(paymentsFor(request.paymentId)).toHaveLength(1);
  });
});

describe("refunds", () => {
  test("partial, partial, then more than is left is refused; each with our key and payment id in its notes", async () => {
    const request = input({ amountMinor: 30_000 });
    const paid = await razorpay.createPayment(request);
    const refund = (amountMinor: number, key: string) =>
      razorpay.refund({ providerRef: paid.providerRef, amountMinor, currency: "INR", idempotencyKey: key, reason: "damaged" });

    expect(await refund(10_000, `${request.paymentId}-r1`)).toEqual({ providerRef: expect.stringMatching(/^rfnd_/), status: "succeeded" });
    expect(await refund(15_000, `${request.paymentId}-r2`)).toMatchObject({ status: "succeeded" });
    const tooMuch = await refusal(refund(5_001, `${request.paymentId}-r3`));
    expect(tooMuch.kind).toBe("invalid_request");
    expect(tooMuch.message).toContain("greater than amount captured");
    expect(await refund(5_000, `${request.paymentId}-r4`)).toMatchObject({ status: "succeeded" });

    const refunds = [...fake.refunds.values()].filter((r) => r.payment_id === paid.providerRef);
    expect(refunds.map((r) => r.amount)).toEqual([10_000, 15_000, 5_000]);
    expect(refunds[0]?.notes).toEqual({ idempotency_key: `${request.paymentId}-r1`, payment_id: request.paymentId, reason: "damaged" });
    expect(fake.payments.get(paid.providerRef)).toMatchObject({ status: "refunded", amount_refunded: 30_000 });
    expect(
      await razorpay.refund({ providerRef: paid.providerRef, amountMinor: 100, currency: "INR", idempotencyKey: "r5" }).catch((e: unknown) => e),
    ).toBeInstanceOf(ProviderError);
  });

  test("a full refund, replayed with the same key, refunds once", async () => {
    const paid = await razorpay.createPayment(input({ amountMinor: 20_000 }));
    const args = { providerRef: paid.providerRef, amountMinor: 20_000, currency: "INR", idempotencyKey: `full-${paid.providerRef}` };
    const first = await razorpay.refund(args);
    expect(await razorpay.refund(args)).toEqual(first);
    expect([...fake.refunds.values()].filter((r) => r.payment_id === paid.providerRef)).toHaveLength(1);
  });

  test("an uncaptured payment, or another currency, cannot be refunded", async () => {
    const authorized = await razorpay.createPayment(input({ captureMode: "manual" }));
    expect((await refusal(razorpay.refund({ providerRef: authorized.providerRef, amountMinor: 100, currency: "INR", idempotencyKey: "u1" }))).kind).toBe(
      "invalid_request",
    );
    const paid = await razorpay.createPayment(input());
    expect((await refusal(razorpay.refund({ providerRef: paid.providerRef, amountMinor: 100, currency: "USD", idempotencyKey: "u2" }))).message).toContain(
      "INR",
    );
  });

  test("refund webhooks name the payment, our payment id, the refund refund() returned and its amount", async () => {
    const request = input();
    const paid = await razorpay.createPayment(request);
    const refunded = await razorpay.refund({ providerRef: paid.providerRef, amountMinor: 2_500, currency: "INR", idempotencyKey: "w1" });
    expect(refunded.providerRef).toMatch(/^rfnd_/);
    const processed = delivered("refund.processed", paid.providerRef);
    expect(await razorpay.parseWebhook(processed.body, processed.headers)).toEqual({
      eventId: processed.headers.get("x-razorpay-event-id") as string,
      type: "refund.succeeded",
      providerRef: paid.providerRef,
      refundRef: refunded.providerRef,
      paymentId: request.paymentId,
      occurredAt: (JSON.parse(processed.body) as { created_at: number }).created_at * 1000,
      amountMinor: 2_500,
      providerType: "refund.processed",
    });
    // refund.created settles nothing
    const created = delivered("refund.created", paid.providerRef);
    expect((await razorpay.parseWebhook(created.body, created.headers)).type).toBe("other");

    fake.refundStatus = "failed";
    let failedRefund: Awaited<ReturnType<typeof razorpay.refund>>;
    try {
      failedRefund = await razorpay.refund({ providerRef: paid.providerRef, amountMinor: 1_000, currency: "INR", idempotencyKey: "w2" });
    } finally {
      fake.refundStatus = "processed";
    }
    expect(failedRefund).toMatchObject({ status: "failed" });
    const failed = delivered("refund.failed", paid.providerRef);
    expect(await razorpay.parseWebhook(failed.body, failed.headers)).toMatchObject({
      type: "refund.failed",
      providerRef: paid.providerRef,
      refundRef: failedRefund.providerRef,
      amountMinor: 1_000,
      failureReason: expect.any(String),
    });
  });

  test("a pending refund settled later: the webhook names the refund refund() answered pending", async () => {
    const paid = await razorpay.createPayment(input({ amountMinor: 10_000 }));
    fake.refundStatus = "pending";
    let first: Awaited<ReturnType<typeof razorpay.refund>>;
    let second: Awaited<ReturnType<typeof razorpay.refund>>;
    try {
      first = await razorpay.refund({ providerRef: paid.providerRef, amountMinor: 4_000, currency: "INR", idempotencyKey: `p1-${paid.providerRef}` });
      second = await razorpay.refund({ providerRef: paid.providerRef, amountMinor: 3_000, currency: "INR", idempotencyKey: `p2-${paid.providerRef}` });
    } finally {
      fake.refundStatus = "processed";
    }
    expect(first).toEqual({ providerRef: expect.stringMatching(/^rfnd_/), status: "pending" });
    expect(second.status).toBe("pending");

    fake.settleRefund(second.providerRef, "failed");
    const failed = delivered("refund.failed", paid.providerRef);
    expect(await razorpay.parseWebhook(failed.body, failed.headers)).toMatchObject({
      type: "refund.failed",
      providerRef: paid.providerRef,
      refundRef: second.providerRef,
      amountMinor: 3_000,
    });
    fake.settleRefund(first.providerRef, "processed");
    const processed = delivered("refund.processed", paid.providerRef);
    expect(await razorpay.parseWebhook(processed.body, processed.headers)).toMatchObject({
      type: "refund.succeeded",
      refundRef: first.providerRef,
      amountMinor: 4_000,
    });
    expect(fake.payments.get(paid.providerRef)).toMatchObject({ amount_refunded: 4_000, refund_status: "partial" });
  });
});

describe("getRefund", () => {
  /** A refund Razorpay answers pending (a normal-speed refund the bank has not processed yet). */
  async function pendingRefund() {
    const paid = await razorpay.createPayment(input({ amountMinor: 10_000 }));
    fake.refundStatus = "pending";
    let refund: Awaited<ReturnType<typeof razorpay.refund>>;
    try {
      refund = await razorpay.refund({ providerRef: paid.providerRef, amountMinor: 4_000, currency: "INR", idempotencyKey: `get-${paid.providerRef}` });
    } finally {
      fake.refundStatus = "processed";
    }
    expect(refund).toEqual({ providerRef: expect.stringMatching(/^rfnd_/), status: "pending" });
    return refund;
  }

  test("a refund answered pending reads back pending with GET /v1/refunds/:id, then succeeded once processed", async () => {
    const refund = await pendingRefund();
    expect(await razorpay.getRefund(refund.providerRef)).toEqual({ providerRef: refund.providerRef, status: "pending" });
    expect(fake.requests.at(-1)).toEqual({ method: "GET", path: `/v1/refunds/${refund.providerRef}`, body: {} });

    fake.settleRefund(refund.providerRef, "processed");
    expect(await razorpay.getRefund(refund.providerRef)).toEqual({ providerRef: refund.providerRef, status: "succeeded" });
  });

  test("a pending refund the bank fails reads back failed (Razorpay gives no reason: ours)", async () => {
    const refund = await pendingRefund();
    fake.settleRefund(refund.providerRef, "failed");
    expect(await razorpay.getRefund(refund.providerRef)).toEqual({
      providerRef: refund.providerRef,
      status: "failed",
      failureReason: "Razorpay could not process the refund",
    });
  });

  test("an unknown refund is Razorpay's 400 BAD_REQUEST_ERROR (not a 404): an invalid request; an empty id is refused unasked", async () => {
    const unknown = await refusal(razorpay.getRefund("rfnd_0000000000Zero"));
    expect(unknown).toMatchObject({ kind: "invalid_request", message: "The id provided does not exist" });
    expect(await refusal(razorpay.getRefund("rfnd_short"))).toMatchObject({ kind: "invalid_request", message: "rfnd_short is not a valid id" });

    const before = fake.requests.length;
    for (const ref of ["", "rfnd_1/../x"]) expect((await refusal(razorpay.getRefund(ref))).kind).toBe("invalid_request");
    expect(fake.requests.length).toBe(before);
  });

  test("a Razorpay 500 while reading a refund is unavailable", async () => {
    const refund = await pendingRefund();
    fake.failNext(1);
    expect(await refusal(razorpay.getRefund(refund.providerRef))).toMatchObject({ kind: "unavailable", message: "Razorpay is unavailable, try again shortly" });
    expect(fake.requests.at(-1)?.path).toBe(`/v1/refunds/${refund.providerRef}`);
    expect((await razorpay.getRefund(refund.providerRef)).status).toBe("pending");
  });
});

describe("findRefund", () => {
  let refundSerial = 0;
  const refundId = () => `rfd_01JD4M3Z8Q5V7W9X1Y2Z3D${String(++refundSerial).padStart(4, "0")}`;
  const refundFor = (providerRef: string, id: string | undefined, amountMinor = 100) =>
    razorpay.refund({ providerRef, amountMinor, currency: "INR", idempotencyKey: `find-${crypto.randomUUID()}`, ...(id ? { refundId: id } : {}) });
  const refundsSent = (providerRef: string) => fake.requests.filter((r) => r.method === "POST" && r.path === `/v1/payments/${providerRef}/refund`);

  test("our refund id travels in the refund's notes, beside our key and payment id", async () => {
    const request = input({ amountMinor: 10_000 });
    const paid = await razorpay.createPayment(request);
    const id = refundId();
    const refund = await razorpay.refund({
      providerRef: paid.providerRef,
      amountMinor: 2_000,
      currency: "INR",
      idempotencyKey: "n-1",
      refundId: id,
      reason: "damaged",
    });
    expect(refundsSent(paid.providerRef).map((r) => r.body)).toEqual([
      { amount: 2_000, speed: "normal", notes: { idempotency_key: "n-1", payment_id: request.paymentId, refund_id: id, reason: "damaged" } },
    ]);
    expect(fake.refunds.get(refund.providerRef)?.notes).toMatchObject({ refund_id: id });
  });

  test("finds the refund made for our id among the payment's refunds, listed with GET /v1/payments/:id/refunds", async () => {
    const paid = await razorpay.createPayment(input({ amountMinor: 10_000 }));
    const ours = refundId();
    await refundFor(paid.providerRef, refundId());
    const made = await refundFor(paid.providerRef, ours, 700);
    await refundFor(paid.providerRef, undefined);

    expect(await razorpay.findRefund({ providerRef: paid.providerRef, refundId: ours })).toEqual({ providerRef: made.providerRef, status: "succeeded" });
    expect(fake.requests.at(-1)).toEqual({ method: "GET", path: `/v1/payments/${paid.providerRef}/refunds?count=100&skip=0`, body: {} });
  });

  test("a refund the bank failed is found as failed", async () => {
    const paid = await razorpay.createPayment(input({ amountMinor: 10_000 }));
    const ours = refundId();
    fake.refundStatus = "pending";
    let made: Awaited<ReturnType<typeof razorpay.refund>>;
    try {
      made = await refundFor(paid.providerRef, ours, 1_000);
    } finally {
      fake.refundStatus = "processed";
    }
    expect(await razorpay.findRefund({ providerRef: paid.providerRef, refundId: ours })).toEqual({ providerRef: made.providerRef, status: "pending" });
    fake.settleRefund(made.providerRef, "failed");
    expect(await razorpay.findRefund({ providerRef: paid.providerRef, refundId: ours })).toMatchObject({ providerRef: made.providerRef, status: "failed" });
  });

  test("past the first page of 100 (newest first): the next page is read with skip", async () => {
    const paid = await razorpay.createPayment(input({ amountMinor: 20_000 }));
    const ours = refundId();
    await refundFor(paid.providerRef, ours);
    for (let i = 0; i < 100; i++) await refundFor(paid.providerRef, refundId());
    const before = fake.requests.length;

    expect((await razorpay.findRefund({ providerRef: paid.providerRef, refundId: ours }))?.status).toBe("succeeded");
    expect(fake.requests.slice(before).map((r) => r.path)).toEqual([
      `/v1/payments/${paid.providerRef}/refunds?count=100&skip=0`,
      `/v1/payments/${paid.providerRef}/refunds?count=100&skip=100`,
    ]);
  });

  test("a retried refund finds its first one past Razorpay's default page of 10: refunded once", async () => {
    const paid = await razorpay.createPayment(input({ amountMinor: 20_000 }));
    const first = { providerRef: paid.providerRef, amountMinor: 100, currency: "INR", idempotencyKey: `eleven-${paid.providerRef}` };
    const made = await razorpay.refund(first);
    for (let i = 0; i < 10; i++) await refundFor(paid.providerRef, refundId());
    expect(await razorpay.refund(first)).toEqual(made);
    expect([...fake.refunds.values()].filter((r) => r.payment_id === paid.providerRef)).toHaveLength(11);
  });

  test("null when the payment's refunds carry other ids (or none), and when it has no refund at all", async () => {
    const paid = await razorpay.createPayment(input({ amountMinor: 10_000 }));
    await refundFor(paid.providerRef, refundId());
    await refundFor(paid.providerRef, undefined);
    expect(await razorpay.findRefund({ providerRef: paid.providerRef, refundId: refundId() })).toBeNull();

    const untouched = await razorpay.createPayment(input());
    expect(await razorpay.findRefund({ providerRef: untouched.providerRef, refundId: refundId() })).toBeNull();
    expect(fake.requests.at(-1)?.path).toBe(`/v1/payments/${untouched.providerRef}/refunds?count=100&skip=0`);
  });

  test("a Razorpay 500 is unavailable, never null; once over, the refund is found", async () => {
    const paid = await razorpay.createPayment(input({ amountMinor: 10_000 }));
    const ours = refundId();
    await refundFor(paid.providerRef, ours);
    fake.failNext(1);
    expect(await refusal(razorpay.findRefund({ providerRef: paid.providerRef, refundId: ours }))).toMatchObject({
      kind: "unavailable",
      message: "Razorpay is unavailable, try again shortly",
    });
    expect(await razorpay.findRefund({ providerRef: paid.providerRef, refundId: ours })).not.toBeNull();
  });

  test("an unknown payment is Razorpay's 400: an invalid request, not null", async () => {
    expect(await refusal(razorpay.findRefund({ providerRef: "pay_0000000000Zero", refundId: refundId() }))).toMatchObject({
      kind: "invalid_request",
      message: "The id provided does not exist",
    });
  });

  test("a malformed payment or refund id is refused without asking Razorpay", async () => {
    const before = fake.requests.length;
    for (const request of [
      { providerRef: "", refundId: refundId() },
      { providerRef: "pay_1/../x", refundId: refundId() },
      { providerRef: "pay_123", refundId: "" },
      { providerRef: "pay_123?count=1", refundId: refundId() },
    ]) {
      expect((await refusal(razorpay.findRefund(request))).kind).toBe("invalid_request");
    }
    expect(fake.requests.length).toBe(before);
  });
});

describe("amounts across currencies", () => {
  test("minor units travel as integers, unchanged", async () => {
    for (const [currency, amountMinor] of [
      ["INR", 100],
      ["JPY", 1_500],
      ["USD", 1_999],
      ["KWD", 12_340],
    ] as const) {
      const request = input({ currency, amountMinor });
      await razorpay.createPayment(request);
      expect(ordersFor(request.paymentId)[0]).toMatchObject({ amount: amountMinor, currency });
      const wire = fake.requests.find((r) => r.path === "/v1/orders" && (r.body as { receipt: string }).receipt === request.paymentId)?.body;
      expect(wire).toMatchObject({ amount: amountMinor, currency });
    }
  });

  test("a three-decimal amount must end in 0, and Razorpay's minimum is 100 subunits", async () => {
    const sent = fake.requests.length;
    expect((await refusal(razorpay.createPayment(input({ currency: "KWD", amountMinor: 12_345 })))).message).toContain("multiples of 10");
    expect(fake.requests.length).toBe(sent);
    const small = await refusal(razorpay.createPayment(input({ amountMinor: 99 })));
    expect(small).toMatchObject({ kind: "invalid_request", message: "Order amount less than minimum amount allowed" });
    expect((await refusal(razorpay.createPayment(input({ amountMinor: 10.5 })))).kind).toBe("invalid_request");
  });
});

describe("webhooks", () => {
  const event = (name: string) => fake.deliveries.findLast((d) => d.event === name) as Delivery;

  test("a valid one is read: event id from the header, time from created_at", async () => {
    await razorpay.createPayment(input());
    const { body, headers } = event("payment.captured");
    const parsed = await razorpay.parseWebhook(body, headers);
    const payload = JSON.parse(body) as { created_at: number };
    expect(parsed.eventId).toBe(headers.get("x-razorpay-event-id") as string);
    expect(parsed.occurredAt).toBe(payload.created_at * 1000);
  });

  test("a forged signature, an altered body or a missing header is refused", async () => {
    await razorpay.createPayment(input());
    const { body, headers } = event("payment.captured");
    const forged = new Headers(headers);
    forged.set("x-razorpay-signature", fake.sign(body, "not-the-secret"));
    const altered = body.replace(/"amount":50000/, '"amount":5000000');
    expect(altered).not.toBe(body);
    const missing = new Headers(headers);
    missing.delete("x-razorpay-signature");
    const short = new Headers(headers);
    short.set("x-razorpay-signature", "abc123");

    for (const [raw, h] of [
      [body, forged],
      [altered, headers],
      [body, missing],
      [body, short],
    ] as const) {
      expect(await razorpay.parseWebhook(raw, h).catch((e: unknown) => e)).toBeInstanceOf(WebhookSignatureError);
    }
  });

  test("without an event id header, the body's hash is the dedupe key", async () => {
    const payment = [...fake.payments.values()][0];
    const { body, headers } = fake.webhook("payment.captured", { payment });
    headers.delete("x-razorpay-event-id");
    const first = await razorpay.parseWebhook(body, headers);
    expect(first.eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await razorpay.parseWebhook(body, headers)).eventId).toBe(first.eventId);
  });

  test("events it does not act on are read as other", async () => {
    const payment = [...fake.payments.values()][0];
    const { body, headers } = fake.webhook("order.paid", { payment });
    expect(await razorpay.parseWebhook(body, headers)).toMatchObject({ type: "other", providerType: "order.paid", providerRef: payment?.id });
  });
});

test("a wrong key is a ProviderError, not a crash", async () => {
  const wrong = new RazorpayProvider({ keyId: fake.keyId, keySecret: "wrong", webhookSecret: fake.webhookSecret, apiBase: fake.base });
  const error = await refusal(wrong.createPayment(input()));
  expect(error).toMatchObject({ kind: "unavailable", message: "Razorpay refused our credentials" });
});

test("an unreachable Razorpay is unavailable", async () => {
  const gone = new RazorpayProvider({ keyId: "k", keySecret: "s", webhookSecret: "w", apiBase: "http://127.0.0.1:1", timeoutMs: 2_000 });
  expect((await refusal(gone.createPayment(input()))).kind).toBe("unavailable");
});
