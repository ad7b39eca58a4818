import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { fromPayPalValue, PayPalProvider, toPayPalValue } from "./paypal.ts";
import { type CreatePaymentInput, ProviderError, WebhookSignatureError } from "./provider.ts";
import { type Delivery, FakePayPal } from "./testing/fake-paypal.ts";

let fake: FakePayPal;
let paypal: PayPalProvider;
beforeAll(() => {
  fake = new FakePayPal();
  paypal = provider();
});
afterAll(() => fake.stop());

function provider(over: Partial<ConstructorParameters<typeof PayPalProvider>[0]> = {}): PayPalProvider {
  return new PayPalProvider({ clientId: fake.clientId, clientSecret: fake.clientSecret, webhookId: fake.webhookId, apiBase: fake.base, ...over });
}

let serial = 0;
const input = (over: Partial<CreatePaymentInput> = {}): CreatePaymentInput => {
  serial += 1;
  return {
    paymentId: `pay_01JD4M3Z8Q5V7W9X1Y2Z3B${String(serial).padStart(4, "0")}`,
    amountMinor: 10_000,
    currency: "USD",
    paymentMethod: "paypal",
    captureMode: "automatic",
    idempotencyKey: `key-${serial}-${crypto.randomUUID()}`,
    returnUrl: "https://shop.example/payments/return",
    ...over,
  };
};

/** The newest webhook of this type about this order. */
function delivered(eventType: string, orderId: string): Delivery {
  const found = fake.deliveries
    .filter((d) => d.eventType === eventType)
    .findLast((d) => {
      const resource = (
        JSON.parse(d.body) as { resource: { id: string; supplementary_data?: { related_ids: { order_id: string } }; links?: { rel: string; href: string }[] } }
      ).resource;
      if (resource.id === orderId || resource.supplementary_data?.related_ids.order_id === orderId) return true;
      const capture = resource.links
        ?.find((l) => l.rel === "up")
        ?.href.split("/")
        .at(-1);
      return capture !== undefined && fake.captures.get(capture)?.orderId === orderId;
    });
  if (!found) throw new Error(`no ${eventType} for ${orderId}`);
  return found;
}

async function refusal(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const sentTo = (path: string) => fake.requests.filter((r) => r.method === "POST" && r.path === path);

describe("amounts as PayPal's decimal strings", () => {
  test("exact per currency exponent: JPY 0, USD 2, KWD 3", () => {
    expect(toPayPalValue(1, "KWD")).toBe("0.001");
    expect(toPayPalValue(1_000, "KWD")).toBe("1.000");
    expect(toPayPalValue(123_456, "KWD")).toBe("123.456");
    expect(toPayPalValue(1_999, "USD")).toBe("19.99");
    expect(toPayPalValue(5, "USD")).toBe("0.05");
    expect(toPayPalValue(0, "USD")).toBe("0.00");
    expect(toPayPalValue(99_999_999_999, "USD")).toBe("999999999.99");
    expect(toPayPalValue(1_500, "JPY")).toBe("1500");
    expect(toPayPalValue(1, "JPY")).toBe("1");
    // 0.1 + 0.2 style float error would show here: 1.10 + 2.20 is 3.3000000000000003 in floats
    expect(toPayPalValue(110 + 220, "EUR")).toBe("3.30");
    expect(() => toPayPalValue(1.5, "USD")).toThrow(ProviderError);
    expect(() => toPayPalValue(2 ** 53, "USD")).toThrow(ProviderError);
  });

  test("back to minor units, refusing more decimals than the currency has", () => {
    expect(fromPayPalValue("0.001", "KWD")).toBe(1);
    expect(fromPayPalValue("19.99", "USD")).toBe(1_999);
    expect(fromPayPalValue("19.9", "USD")).toBe(1_990);
    expect(fromPayPalValue("1500", "JPY")).toBe(1_500);
    expect(fromPayPalValue("1500.5", "JPY")).toBeUndefined();
    expect(fromPayPalValue("19.999", "USD")).toBeUndefined();
    expect(fromPayPalValue("-1.00", "USD")).toBeUndefined();
    expect(fromPayPalValue("1e3", "USD")).toBeUndefined();
  });

  test("any amount survives the round trip, with exactly the currency's decimals", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000_000 }), fc.constantFrom("JPY", "USD", "KWD", "EUR", "BHD", "KRW"), (amount, currency) => {
        const value = toPayPalValue(amount, currency);
        const decimals = value.includes(".") ? (value.split(".")[1] as string).length : 0;
        expect(decimals).toBe(currency === "JPY" || currency === "KRW" ? 0 : currency === "KWD" || currency === "BHD" ? 3 : 2);
        expect(fromPayPalValue(value, currency)).toBe(amount);
        // the integer digits and the decimals are the minor units' digits, unchanged
        expect(BigInt(value.replace(".", ""))).toBe(BigInt(amount));
      }),
    );
  });

  test("on the wire: JPY and USD as PayPal takes them; KWD, which PayPal does not support, refused as PayPal refuses it", async () => {
    const yen = await paypal.createPayment(input({ currency: "JPY", amountMinor: 1_500 }));
    expect(fake.orders.get(yen.providerRef)?.purchaseUnit.amount).toEqual({ currency_code: "JPY", value: "1500" });
    const dollars = await paypal.createPayment(input({ currency: "USD", amountMinor: 1_999 }));
    expect(fake.orders.get(dollars.providerRef)?.purchaseUnit.amount).toEqual({ currency_code: "USD", value: "19.99" });

    const orders = fake.orders.size;
    const kwd = await refusal(paypal.createPayment(input({ currency: "KWD", amountMinor: 1 })));
    expect(kwd.kind).toBe("invalid_request");
    expect(kwd.message).toContain("CURRENCY_NOT_SUPPORTED");
    expect(sentTo("/v2/checkout/orders").at(-1)?.body).toMatchObject({ purchase_units: [{ amount: { currency_code: "KWD", value: "0.001" } }] });
    expect(fake.orders.size).toBe(orders);
  });

  test("the fake refuses what PayPal refuses: too many decimals, decimals for JPY, a number instead of a string", async () => {
    const token = (
      (await (
        await fetch(`${fake.base}/v1/oauth2/token`, {
          method: "POST",
          headers: { authorization: `Basic ${btoa(`${fake.clientId}:${fake.clientSecret}`)}`, "content-type": "application/x-www-form-urlencoded" },
          body: "grant_type=client_credentials",
        })
      ).json()) as { access_token: string }
    ).access_token;
    const create = async (amount: unknown) => {
      const response = await fetch(`${fake.base}/v2/checkout/orders`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ intent: "CAPTURE", purchase_units: [{ amount }] }),
      });
      const body = (await response.json()) as { name: string; details: { issue: string; field: string }[] };
      return { status: response.status, name: body.name, issue: body.details?.[0]?.issue, field: body.details?.[0]?.field };
    };
    expect(await create({ currency_code: "USD", value: "19.999" })).toEqual({
      status: 422,
      name: "UNPROCESSABLE_ENTITY",
      issue: "DECIMAL_PRECISION",
      field: "/purchase_units/@reference_id=='default'/amount/value",
    });
    expect(await create({ currency_code: "JPY", value: "1500.00" })).toMatchObject({ status: 422, issue: "DECIMAL_PRECISION" });
    expect(await create({ currency_code: "USD", value: 19.99 })).toMatchObject({ status: 400, name: "INVALID_REQUEST", issue: "INVALID_PARAMETER_SYNTAX" });
    expect(await create({ currency_code: "USD", value: "0.00" })).toMatchObject({ status: 422, issue: "CANNOT_BE_ZERO_OR_NEGATIVE" });
  });
});

describe("buyer approval", () => {
  test("requires_action with the payer-action link; approval, confirm and the webhooks complete it", async () => {
    const request = input({ description: "Wallet top-up" });
    const created = await paypal.createPayment(request);
    expect(created).toEqual({
      providerRef: expect.stringMatching(/^[A-Z0-9]{17}$/),
      status: "requires_action",
      capturedMinor: 0,
      nextActionUrl: `${fake.base}/checkoutnow?token=${created.providerRef}`,
    });
    const sent = sentTo("/v2/checkout/orders").at(-1);
    expect(sent?.headers.get("paypal-request-id")).toBe(request.idempotencyKey);
    expect(sent?.body).toEqual({
      intent: "CAPTURE",
      purchase_units: [{ custom_id: request.paymentId, description: "Wallet top-up", amount: { currency_code: "USD", value: "100.00" } }],
      payment_source: {
        paypal: {
          experience_context: { return_url: request.returnUrl, cancel_url: request.returnUrl, user_action: "PAY_NOW", shipping_preference: "NO_SHIPPING" },
        },
      },
    });

    fake.approve(created.providerRef);
    const approved = delivered("CHECKOUT.ORDER.APPROVED", created.providerRef);
    expect(await paypal.parseWebhook(approved.body, approved.headers)).toMatchObject({
      type: "payment.authorized",
      providerRef: created.providerRef,
      paymentId: request.paymentId,
      amountMinor: 10_000,
      providerType: "CHECKOUT.ORDER.APPROVED",
    });

    expect(await paypal.confirm(created.providerRef, `${request.idempotencyKey}:confirm`)).toEqual({
      providerRef: created.providerRef,
      status: "captured",
      capturedMinor: 10_000,
    });
    const completed = delivered("PAYMENT.CAPTURE.COMPLETED", created.providerRef);
    expect(await paypal.parseWebhook(completed.body, completed.headers)).toMatchObject({
      type: "payment.succeeded",
      providerRef: created.providerRef,
      paymentId: request.paymentId,
      amountMinor: 10_000,
    });
    // confirming again changes nothing
    expect(await paypal.confirm(created.providerRef, "another")).toMatchObject({ status: "captured" });
    expect(fake.orders.get(created.providerRef)?.captureIds).toHaveLength(1);
  });

  test("capture() on an approved automatic order captures it, in full only; before approval it is refused", async () => {
    const created = await paypal.createPayment(input());
    expect((await refusal(paypal.capture(created.providerRef, 10_000, "c0"))).message).toContain("not approved");
    fake.approve(created.providerRef);
    expect((await refusal(paypal.capture(created.providerRef, 5_000, "c1"))).kind).toBe("invalid_request");
    expect(await paypal.capture(created.providerRef, 10_000, "c2")).toMatchObject({ status: "captured", capturedMinor: 10_000 });
  });

  test("a funding source that declines at the last step: failed with PayPal's reason, not a throw", async () => {
    const created = await paypal.createPayment(input());
    fake.approve(created.providerRef, { fundingDeclines: true });
    expect(await paypal.confirm(created.providerRef, "k")).toEqual({
      providerRef: created.providerRef,
      status: "failed",
      capturedMinor: 0,
      failureReason: "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.",
    });
  });

  test("the buyer's approval needs somewhere to come back to", async () => {
    expect((await refusal(paypal.createPayment(input({ returnUrl: undefined })))).kind).toBe("invalid_request");
    expect((await refusal(paypal.createPayment(input({ paymentMethod: "pm_card_visa" })))).kind).toBe("invalid_request");
  });
});

describe("manual capture", () => {
  test("approve, authorize, then capture part: the rest is released", async () => {
    const request = input({ captureMode: "manual" });
    const created = await paypal.createPayment(request);
    expect(sentTo("/v2/checkout/orders").at(-1)?.body).toMatchObject({ intent: "AUTHORIZE" });
    fake.approve(created.providerRef);
    expect(await paypal.confirm(created.providerRef, `${request.idempotencyKey}:confirm`)).toEqual({
      providerRef: created.providerRef,
      status: "authorized",
      capturedMinor: 0,
    });
    const authorizationEvent = delivered("PAYMENT.AUTHORIZATION.CREATED", created.providerRef);
    expect(await paypal.parseWebhook(authorizationEvent.body, authorizationEvent.headers)).toMatchObject({
      type: "payment.authorized",
      providerRef: created.providerRef,
      paymentId: request.paymentId,
    });

    const captured = await paypal.capture(created.providerRef, 6_000, "cap-1");
    expect(captured).toEqual({ providerRef: created.providerRef, status: "captured", capturedMinor: 6_000 });
    const [authorizationId] = fake.orders.get(created.providerRef)?.authorizationIds ?? [];
    expect(sentTo(`/v2/payments/authorizations/${authorizationId}/capture`).map((r) => [r.body, r.headers.get("paypal-request-id")])).toEqual([
      [{ amount: { currency_code: "USD", value: "60.00" }, final_capture: true }, "cap-1"],
    ]);
    expect(fake.authorizations.get(authorizationId as string)?.status).toBe("CAPTURED");

    // a retried capture, with the same key or another, captures nothing twice
    expect(await paypal.capture(created.providerRef, 6_000, "cap-1")).toEqual(captured);
    expect(await paypal.capture(created.providerRef, 6_000, "cap-2")).toEqual(captured);
    expect(fake.orders.get(created.providerRef)?.captureIds).toHaveLength(1);
  });

  test("capture() straight after approval authorizes first; more than authorized is refused", async () => {
    const created = await paypal.createPayment(input({ captureMode: "manual", amountMinor: 2_500 }));
    fake.approve(created.providerRef);
    expect((await refusal(paypal.capture(created.providerRef, 2_501, "over"))).message).toContain("MAX_CAPTURE_AMOUNT_EXCEEDED");
    expect(await paypal.capture(created.providerRef, 2_500, "exact")).toMatchObject({ status: "captured", capturedMinor: 2_500 });
  });

  test("cancel voids an authorization; an unapproved order is simply abandoned; a captured one must be refunded", async () => {
    const authorized = await paypal.createPayment(input({ captureMode: "manual", paymentMethod: "vault:vault_ok" }));
    expect(authorized.status).toBe("authorized");
    expect(await paypal.cancel(authorized.providerRef, "void-1")).toEqual({ providerRef: authorized.providerRef, status: "canceled", capturedMinor: 0 });
    const [authorizationId] = fake.orders.get(authorized.providerRef)?.authorizationIds ?? [];
    expect(fake.authorizations.get(authorizationId as string)?.status).toBe("VOIDED");
    expect(sentTo(`/v2/payments/authorizations/${authorizationId}/void`)[0]?.headers.get("paypal-request-id")).toBe("void-1");

    const unapproved = await paypal.createPayment(input());
    const before = fake.requests.length;
    expect(await paypal.cancel(unapproved.providerRef, "void-2")).toMatchObject({ status: "canceled" });
    expect(fake.requests.slice(before).map((r) => r.method)).toEqual(["GET"]);

    const captured = await paypal.createPayment(input({ paymentMethod: "vault:vault_ok" }));
    expect((await refusal(paypal.cancel(captured.providerRef, "void-3"))).message).toContain("refund");
  });
});

describe("saved wallets (no buyer step)", () => {
  test("charged at once, or declined as a result", async () => {
    expect(await paypal.createPayment(input({ paymentMethod: "vault:vault_ok" }))).toMatchObject({ status: "captured", capturedMinor: 10_000 });
    const declined = await paypal.createPayment(input({ paymentMethod: "vault:vault_decline" }));
    expect(declined).toMatchObject({ status: "failed", capturedMinor: 0, failureReason: expect.any(String) });
    const denied = delivered("PAYMENT.CAPTURE.DENIED", declined.providerRef);
    expect(await paypal.parseWebhook(denied.body, denied.headers)).toMatchObject({ type: "payment.failed", providerRef: declined.providerRef });
    expect(await paypal.createPayment(input({ paymentMethod: "vault:vault_decline", captureMode: "manual" }))).toMatchObject({ status: "failed" });

    const request = input({ paymentMethod: "vault:vault_refused" });
    expect(await paypal.createPayment(request)).toEqual({
      providerRef: `declined:${request.paymentId}`,
      status: "failed",
      capturedMinor: 0,
      failureReason: "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.",
    });
  });
});

describe("refunds", () => {
  test("partial, partial, then more than is left is refused", async () => {
    const request = input({ paymentMethod: "vault:vault_ok", amountMinor: 5_000 });
    const paid = await paypal.createPayment(request);
    const refund = (amountMinor: number, key: string) =>
      paypal.refund({ providerRef: paid.providerRef, amountMinor, currency: "USD", idempotencyKey: key, reason: "Item damaged" });

    expect(await refund(1_000, "r1")).toEqual({ providerRef: expect.stringMatching(/^[A-Z0-9]{17}$/), status: "succeeded" });
    const [captureId] = fake.orders.get(paid.providerRef)?.captureIds ?? [];
    const sent = sentTo(`/v2/payments/captures/${captureId}/refund`)[0];
    expect(sent?.body).toEqual({ amount: { currency_code: "USD", value: "10.00" }, custom_id: request.paymentId, note_to_payer: "Item damaged" });
    expect(sent?.headers.get("paypal-request-id")).toBe("r1");

    expect(await refund(3_000, "r2")).toMatchObject({ status: "succeeded" });
    const tooMuch = await refusal(refund(1_001, "r3"));
    expect(tooMuch).toMatchObject({ kind: "invalid_request" });
    expect(tooMuch.message).toContain("REFUND_AMOUNT_EXCEEDED");
    expect(await refund(1_000, "r4")).toMatchObject({ status: "succeeded" });
    expect(fake.captures.get(captureId as string)?.status).toBe("REFUNDED");
    expect((await refusal(refund(100, "r5"))).message).toContain("CAPTURE_FULLY_REFUNDED");
  });

  test("a full refund replayed with the same key refunds once", async () => {
    const paid = await paypal.createPayment(input({ paymentMethod: "vault:vault_ok", currency: "JPY", amountMinor: 1_500 }));
    const args = { providerRef: paid.providerRef, amountMinor: 1_500, currency: "JPY", idempotencyKey: `full-${paid.providerRef}` };
    const first = await paypal.refund(args);
    expect(await paypal.refund(args)).toEqual(first);
    const [captureId] = fake.orders.get(paid.providerRef)?.captureIds ?? [];
    expect([...fake.refunds.values()].filter((r) => r.captureId === captureId)).toHaveLength(1);
    expect(sentTo(`/v2/payments/captures/${captureId}/refund`)[0]?.body).toMatchObject({ amount: { currency_code: "JPY", value: "1500" } });
  });

  test("nothing captured, or another currency, cannot be refunded", async () => {
    const authorized = await paypal.createPayment(input({ paymentMethod: "vault:vault_ok", captureMode: "manual" }));
    expect((await refusal(paypal.refund({ providerRef: authorized.providerRef, amountMinor: 100, currency: "USD", idempotencyKey: "n1" }))).kind).toBe(
      "invalid_request",
    );
    const paid = await paypal.createPayment(input({ paymentMethod: "vault:vault_ok" }));
    expect((await refusal(paypal.refund({ providerRef: paid.providerRef, amountMinor: 100, currency: "EUR", idempotencyKey: "n2" }))).message).toContain("USD");
  });

  test("the refund webhook names the order, our payment id, the refund refund() returned and its amount", async () => {
    const request = input({ paymentMethod: "vault:vault_ok" });
    const paid = await paypal.createPayment(request);
    const refunded = await paypal.refund({ providerRef: paid.providerRef, amountMinor: 2_550, currency: "USD", idempotencyKey: "w1" });
    const { body, headers } = delivered("PAYMENT.CAPTURE.REFUNDED", paid.providerRef);
    const payload = JSON.parse(body) as { id: string; create_time: string; resource: { id: string } };
    expect(payload.resource.id).toBe(refunded.providerRef);
    expect(await paypal.parseWebhook(body, headers)).toEqual({
      eventId: payload.id,
      type: "refund.succeeded",
      providerRef: paid.providerRef,
      refundRef: refunded.providerRef,
      paymentId: request.paymentId,
      occurredAt: Date.parse(payload.create_time),
      amountMinor: 2_550,
      providerType: "PAYMENT.CAPTURE.REFUNDED",
    });
  });

  test("a refund PayPal answers pending: PAYMENT.CAPTURE.REFUNDED, once it completes, names that refund", async () => {
    const paid = await paypal.createPayment(input({ paymentMethod: "vault:vault_ok", amountMinor: 8_000 }));
    fake.refundStatus = "PENDING";
    let pending: Awaited<ReturnType<typeof paypal.refund>>;
    try {
      pending = await paypal.refund({ providerRef: paid.providerRef, amountMinor: 3_000, currency: "USD", idempotencyKey: `pending-${paid.providerRef}` });
    } finally {
      fake.refundStatus = "COMPLETED";
    }
    expect(pending).toEqual({ providerRef: expect.stringMatching(/^[A-Z0-9]{17}$/), status: "pending" });
    const completedBefore = fake.deliveries.filter((d) => d.eventType === "PAYMENT.CAPTURE.REFUNDED").length;

    fake.settleRefund(pending.providerRef, "COMPLETED");
    expect(fake.deliveries.filter((d) => d.eventType === "PAYMENT.CAPTURE.REFUNDED")).toHaveLength(completedBefore + 1);
    const { body, headers } = delivered("PAYMENT.CAPTURE.REFUNDED", paid.providerRef);
    expect(await paypal.parseWebhook(body, headers)).toMatchObject({
      type: "refund.succeeded",
      providerRef: paid.providerRef,
      refundRef: pending.providerRef,
      amountMinor: 3_000,
    });
  });

  test("should a REFUNDED event carry a refund that did not complete, it is not read as a success", async () => {
    const paid = await paypal.createPayment(input({ paymentMethod: "vault:vault_ok" }));
    fake.refundStatus = "FAILED";
    let failed: Awaited<ReturnType<typeof paypal.refund>>;
    try {
      failed = await paypal.refund({ providerRef: paid.providerRef, amountMinor: 1_000, currency: "USD", idempotencyKey: `failed-${paid.providerRef}` });
    } finally {
      fake.refundStatus = "COMPLETED";
    }
    expect(failed).toEqual({ providerRef: expect.stringMatching(/^[A-Z0-9]{17}$/), status: "failed", failureReason: "ECHECK" });
    const event = fake.webhook("PAYMENT.CAPTURE.REFUNDED", "refund", fake.refundJson(failed.providerRef));
    expect(await paypal.parseWebhook(event.body, event.headers)).toMatchObject({
      type: "refund.failed",
      providerRef: paid.providerRef,
      refundRef: failed.providerRef,
      failureReason: "ECHECK",
    });

    fake.refundStatus = "PENDING";
    let pending: Awaited<ReturnType<typeof paypal.refund>>;
    try {
      pending = await paypal.refund({ providerRef: paid.providerRef, amountMinor: 1_000, currency: "USD", idempotencyKey: `still-${paid.providerRef}` });
    } finally {
      fake.refundStatus = "COMPLETED";
    }
    const stillPending = fake.webhook("PAYMENT.CAPTURE.REFUNDED", "refund", fake.refundJson(pending.providerRef));
    expect(await paypal.parseWebhook(stillPending.body, stillPending.headers)).toMatchObject({ type: "other", refundRef: pending.providerRef });

    // a pending refund PayPal later fails sends nothing, and its amount is refundable again
    fake.settleRefund(pending.providerRef, "FAILED");
    const [captureId] = fake.orders.get(paid.providerRef)?.captureIds ?? [];
    expect(fake.captures.get(captureId as string)).toMatchObject({ status: "COMPLETED", refundedMinor: 0 });
  });
});

describe("getRefund", () => {
  /** A refund PayPal answers PENDING (an eCheck that has not cleared, say). */
  async function pendingRefund() {
    const paid = await paypal.createPayment(input({ paymentMethod: "vault:vault_ok", amountMinor: 6_000 }));
    fake.refundStatus = "PENDING";
    let refund: Awaited<ReturnType<typeof paypal.refund>>;
    try {
      refund = await paypal.refund({ providerRef: paid.providerRef, amountMinor: 2_000, currency: "USD", idempotencyKey: `get-${paid.providerRef}` });
    } finally {
      fake.refundStatus = "COMPLETED";
    }
    expect(refund).toEqual({ providerRef: expect.stringMatching(/^[A-Z0-9]{17}$/), status: "pending" });
    return refund;
  }

  test("a refund answered pending reads back pending with GET /v2/payments/refunds/{id}, then succeeded once COMPLETED", async () => {
    const refund = await pendingRefund();
    expect(await paypal.getRefund(refund.providerRef)).toEqual({ providerRef: refund.providerRef, status: "pending" });
    const request = fake.requests.at(-1);
    expect(request).toMatchObject({ method: "GET", path: `/v2/payments/refunds/${refund.providerRef}` });
    expect(request?.headers.get("authorization")).toStartWith("Bearer ");

    fake.settleRefund(refund.providerRef, "COMPLETED");
    expect(await paypal.getRefund(refund.providerRef)).toEqual({ providerRef: refund.providerRef, status: "succeeded" });
  });

  test("a pending refund PayPal fails (no webhook for that) reads back failed with PayPal's status_details reason", async () => {
    const refund = await pendingRefund();
    const before = fake.deliveries.length;
    fake.settleRefund(refund.providerRef, "FAILED");
    expect(fake.deliveries).toHaveLength(before);
    expect(await paypal.getRefund(refund.providerRef)).toEqual({ providerRef: refund.providerRef, status: "failed", failureReason: "ECHECK" });
  });

  test("an unknown refund is PayPal's 404 RESOURCE_NOT_FOUND: an invalid request; an empty id is refused unasked", async () => {
    const error = await refusal(paypal.getRefund("0ABCDEFGHIJKLMNOP"));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toStartWith("INVALID_RESOURCE_ID: ");

    const before = fake.requests.length;
    for (const ref of ["", "ABC/../x"]) expect((await refusal(paypal.getRefund(ref))).kind).toBe("invalid_request");
    expect(fake.requests.length).toBe(before);
  });

  test("a PayPal 500 while reading a refund is unavailable", async () => {
    const refund = await pendingRefund();
    fake.failNext(1);
    expect(await refusal(paypal.getRefund(refund.providerRef))).toMatchObject({ kind: "unavailable", message: "PayPal is unavailable, try again shortly" });
    expect(fake.requests.at(-1)?.path).toBe(`/v2/payments/refunds/${refund.providerRef}`);
    expect((await paypal.getRefund(refund.providerRef)).status).toBe("pending");
  });
});

describe("findRefund", () => {
  let refundSerial = 0;
  const refundId = () => `rfd_01JD4M3Z8Q5V7W9X1Y2Z3E${String(++refundSerial).padStart(4, "0")}`;
  const refundFor = (providerRef: string, id: string | undefined, amountMinor = 100, idempotencyKey = `find-${crypto.randomUUID()}`) =>
    paypal.refund({ providerRef, amountMinor, currency: "USD", idempotencyKey, ...(id ? { refundId: id } : {}) });
  const paidOrder = () => paypal.createPayment(input({ paymentMethod: "vault:vault_ok" }));
  /** Runs `fn` with the fake showing an order's refunds as given. */
  async function showingRefunds<T>(how: FakePayPal["orderRefunds"], fn: () => Promise<T>): Promise<T> {
    fake.orderRefunds = how;
    try {
      return await fn();
    } finally {
      fake.orderRefunds = "full";
    }
  }

  test("our refund id travels as the refund's invoice_id; custom_id stays our payment id", async () => {
    const request = input({ paymentMethod: "vault:vault_ok" });
    const paid = await paypal.createPayment(request);
    const id = refundId();
    const refund = await paypal.refund({
      providerRef: paid.providerRef,
      amountMinor: 1_000,
      currency: "USD",
      idempotencyKey: "i-1",
      refundId: id,
      reason: "Item damaged",
    });
    const [captureId] = fake.orders.get(paid.providerRef)?.captureIds ?? [];
    expect(sentTo(`/v2/payments/captures/${captureId}/refund`).map((r) => r.body)).toEqual([
      { amount: { currency_code: "USD", value: "10.00" }, invoice_id: id, custom_id: request.paymentId, note_to_payer: "Item damaged" },
    ]);
    expect(fake.refundJson(refund.providerRef)).toMatchObject({ invoice_id: id, custom_id: request.paymentId });
  });

  test("finds the refund made for our id among the order's refunds, read with GET /v2/checkout/orders/{id}", async () => {
    const paid = await paidOrder();
    const ours = refundId();
    await refundFor(paid.providerRef, refundId());
    const made = await refundFor(paid.providerRef, ours, 700);
    await refundFor(paid.providerRef, undefined);
    const before = fake.requests.length;

    expect(await paypal.findRefund({ providerRef: paid.providerRef, refundId: ours })).toEqual({ providerRef: made.providerRef, status: "succeeded" });
    expect(fake.requests.slice(before).map((r) => [r.method, r.path])).toEqual([["GET", `/v2/checkout/orders/${paid.providerRef}`]]);
  });

  test("an order listing its refunds without their invoice_id: each is read in full to tell", async () => {
    const paid = await paidOrder();
    const ours = refundId();
    const other = await refundFor(paid.providerRef, refundId());
    const made = await refundFor(paid.providerRef, ours);
    const before = fake.requests.length;

    const found = await showingRefunds("brief", () => paypal.findRefund({ providerRef: paid.providerRef, refundId: ours }));
    expect(found).toEqual({ providerRef: made.providerRef, status: "succeeded" });
    expect(fake.requests.slice(before).map((r) => r.path)).toEqual([
      `/v2/checkout/orders/${paid.providerRef}`,
      `/v2/payments/refunds/${other.providerRef}`,
      `/v2/payments/refunds/${made.providerRef}`,
    ]);
    expect(await showingRefunds("brief", () => paypal.findRefund({ providerRef: paid.providerRef, refundId: refundId() }))).toBeNull();
  });

  test("a refund PayPal failed is found as failed, with its reason", async () => {
    const paid = await paidOrder();
    const ours = refundId();
    fake.refundStatus = "FAILED";
    let made: Awaited<ReturnType<typeof paypal.refund>>;
    try {
      made = await refundFor(paid.providerRef, ours);
    } finally {
      fake.refundStatus = "COMPLETED";
    }
    expect(await paypal.findRefund({ providerRef: paid.providerRef, refundId: ours })).toEqual({
      providerRef: made.providerRef,
      status: "failed",
      failureReason: "ECHECK",
    });
  });

  test("null when the order's refunds carry other ids (or none), and when it has no refund at all", async () => {
    const paid = await paidOrder();
    await refundFor(paid.providerRef, refundId());
    await refundFor(paid.providerRef, undefined);
    expect(await paypal.findRefund({ providerRef: paid.providerRef, refundId: refundId() })).toBeNull();

    const untouched = await paidOrder();
    expect(await paypal.findRefund({ providerRef: untouched.providerRef, refundId: refundId() })).toBeNull();
    expect(fake.requests.at(-1)?.path).toBe(`/v2/checkout/orders/${untouched.providerRef}`);
  });

  test("a PayPal 500 is unavailable, never null; once over, the refund is found", async () => {
    const paid = await paidOrder();
    const ours = refundId();
    await refundFor(paid.providerRef, ours);
    fake.failNext(1);
    expect(await refusal(paypal.findRefund({ providerRef: paid.providerRef, refundId: ours }))).toMatchObject({
      kind: "unavailable",
      message: "PayPal is unavailable, try again shortly",
    });
    expect(await paypal.findRefund({ providerRef: paid.providerRef, refundId: ours })).not.toBeNull();
  });

  test("an unknown order is PayPal's 404: an invalid request, not null", async () => {
    const error = await refusal(paypal.findRefund({ providerRef: "0ABCDEFGHIJKLMNOP", refundId: refundId() }));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toStartWith("INVALID_RESOURCE_ID: ");
  });

  test("a malformed order or refund id (a refused payment's declined:… ref too) is refused without asking PayPal", async () => {
    const before = fake.requests.length;
    for (const request of [
      { providerRef: "", refundId: refundId() },
      { providerRef: "declined:pay_01JD4M3Z8Q5V7W9X1Y2Z3B0001", refundId: refundId() },
      { providerRef: "ABC/../x", refundId: refundId() },
      { providerRef: "ABC123", refundId: "" },
    ]) {
      expect((await refusal(paypal.findRefund(request))).kind).toBe("invalid_request");
    }
    expect(fake.requests.length).toBe(before);
  });

  test("a refund sent again under a new request id is PayPal's DUPLICATE_REFUND: answered with the refund made first", async () => {
    const paid = await paidOrder();
    const ours = refundId();
    const made = await refundFor(paid.providerRef, ours, 1_000, "dup-1");
    expect(await refundFor(paid.providerRef, ours, 1_000, "dup-2")).toEqual(made);
    const [captureId] = fake.orders.get(paid.providerRef)?.captureIds ?? [];
    expect([...fake.refunds.values()].filter((r) => r.captureId === captureId)).toHaveLength(1);
    expect(fake.captures.get(captureId as string)?.refundedMinor).toBe(1_000);
  });

  test("DUPLICATE_REFUND for a refund the order does not show yet is unavailable, not a failed refund", async () => {
    const paid = await paidOrder();
    const ours = refundId();
    await refundFor(paid.providerRef, ours, 1_000, "lag-1");
    await showingRefunds("hidden", async () => {
      const error = await refusal(refundFor(paid.providerRef, ours, 1_000, "lag-2"));
      expect(error.kind).toBe("unavailable");
    });
    const [captureId] = fake.orders.get(paid.providerRef)?.captureIds ?? [];
    expect([...fake.refunds.values()].filter((r) => r.captureId === captureId)).toHaveLength(1);
  });
});

describe("idempotency", () => {
  test("a replayed create returns PayPal's first answer: one order", async () => {
    const request = input();
    const first = await paypal.createPayment(request);
    expect(await paypal.createPayment(request)).toEqual(first);
    expect([...fake.orders.values()].filter((o) => o.purchaseUnit.custom_id === request.paymentId)).toHaveLength(1);
    expect(sentTo("/v2/checkout/orders").filter((r) => r.headers.get("paypal-request-id") === request.idempotencyKey)).toHaveLength(2);
  });

  test("a replayed charge of a saved wallet charges once", async () => {
    const request = input({ paymentMethod: "vault:vault_ok" });
    await paypal.createPayment(request);
    await paypal.createPayment(request);
    const orders = [...fake.orders.values()].filter((o) => o.purchaseUnit.custom_id === request.paymentId);
    expect(orders).toHaveLength(1);
    expect([...fake.captures.values()].filter((c) => c.orderId === orders[0]?.id)).toHaveLength(1);
  });
});

describe("OAuth token", () => {
  test("fetched once and reused until it is about to expire", async () => {
    let now = Date.now();
    const client = provider({ clock: () => now });
    const before = fake.tokensIssued;
    await Promise.all([client.createPayment(input()), client.createPayment(input()), client.createPayment(input())]);
    expect(fake.tokensIssued - before).toBe(1);
    expect(sentTo("/v1/oauth2/token").at(-1)?.body).toBe("grant_type=client_credentials");

    now += (32_400 - 30) * 1_000;
    await client.createPayment(input());
    expect(fake.tokensIssued - before).toBe(2);
  });

  test("a token PayPal stops accepting early is replaced and the call made once more", async () => {
    const client = provider();
    await client.createPayment(input());
    const before = fake.tokensIssued;
    fake.revokeTokens();
    expect(await client.createPayment(input())).toMatchObject({ status: "requires_action" });
    expect(fake.tokensIssued - before).toBe(1);
  });

  test("wrong credentials are a ProviderError, not a crash", async () => {
    const wrong = provider({ clientSecret: "wrong" });
    expect(await refusal(wrong.createPayment(input()))).toMatchObject({ kind: "unavailable", message: "PayPal refused our credentials" });
  });

  test("an unreachable PayPal is unavailable", async () => {
    const gone = provider({ apiBase: "http://127.0.0.1:1", timeoutMs: 2_000 });
    expect((await refusal(gone.createPayment(input()))).kind).toBe("unavailable");
  });
});

describe("webhook verification", () => {
  let event: Delivery;
  beforeAll(async () => {
    const created = await paypal.createPayment(input());
    fake.approve(created.providerRef);
    event = delivered("CHECKOUT.ORDER.APPROVED", created.providerRef);
  });
  const rejected = async (body: string, headers: Headers, client = paypal) =>
    expect(await client.parseWebhook(body, headers).catch((e: unknown) => e)).toBeInstanceOf(WebhookSignatureError);

  test("PayPal is asked with the transmission headers, our webhook id and the event as it came", async () => {
    const parsed = await paypal.parseWebhook(event.body, event.headers);
    const asked = sentTo("/v1/notifications/verify-webhook-signature").at(-1)?.body as Record<string, unknown>;
    expect(asked).toEqual({
      auth_algo: "SHA256withRSA",
      cert_url: fake.certUrl,
      transmission_id: event.headers.get("paypal-transmission-id"),
      transmission_sig: event.headers.get("paypal-transmission-sig"),
      transmission_time: event.headers.get("paypal-transmission-time"),
      webhook_id: fake.webhookId,
      webhook_event: JSON.parse(event.body),
    });
    const payload = JSON.parse(event.body) as { id: string; create_time: string };
    expect(parsed.eventId).toBe(payload.id);
    expect(parsed.occurredAt).toBe(Date.parse(payload.create_time));
  });

  test("a forged signature, an altered body or another webhook's signature is refused", async () => {
    const forged = new Headers(event.headers);
    forged.set("paypal-transmission-sig", fake.signedHeaders(event.body, { webhookId: "9XX00000000000000" }).get("paypal-transmission-sig") as string);
    await rejected(event.body, forged);
    await rejected(event.body.replace('"value":"100.00"', '"value":"1.00"'), event.headers);
    expect(event.body).toContain('"value":"100.00"');
    await rejected(event.body, event.headers, provider({ webhookId: "2AB00000000000000" }));
    const elsewhere = new Headers(event.headers);
    elsewhere.set("paypal-cert-url", "https://attacker.example/cert.pem");
    await rejected(event.body, elsewhere);
  });

  test("missing or malformed headers are refused", async () => {
    const before = fake.requests.length;
    for (const name of ["paypal-transmission-sig", "paypal-transmission-id", "paypal-cert-url", "paypal-auth-algo", "paypal-transmission-time"]) {
      const missing = new Headers(event.headers);
      missing.delete(name);
      await rejected(event.body, missing);
    }
    // refused without asking PayPal
    expect(fake.requests.length).toBe(before);
    const malformed = new Headers(event.headers);
    malformed.set("paypal-transmission-sig", "!!!");
    await rejected(event.body, malformed);
    await rejected("not json", event.headers);
  });

  test("events it does not act on are read as other", async () => {
    const other = fake.webhook("CUSTOMER.DISPUTE.CREATED", "dispute", { id: "PP-D-1234" });
    expect(await paypal.parseWebhook(other.body, other.headers)).toMatchObject({
      type: "other",
      providerType: "CUSTOMER.DISPUTE.CREATED",
      providerRef: "PP-D-1234",
    });
  });
});
