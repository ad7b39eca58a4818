import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type CreatePaymentInput, ProviderError, WebhookSignatureError } from "./provider.ts";
import { StripeProvider } from "./stripe.ts";
import { FakeStripe, TEST_CARDS } from "./testing/fake-stripe.ts";

const WEBHOOK_SECRET = "whsec_bazaar_test_secret";
let fake: FakeStripe;
let stripe: StripeProvider;
beforeAll(() => {
  fake = new FakeStripe();
  stripe = new StripeProvider({ secretKey: fake.secretKey, webhookSecret: WEBHOOK_SECRET, apiBase: fake.apiBase });
});
afterAll(() => fake.stop());

let paymentCount = 0;
const payment = (overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
  paymentId: `pay_test${++paymentCount}`,
  amountMinor: 2599,
  currency: "USD",
  paymentMethod: "pm_card_visa",
  captureMode: "automatic",
  idempotencyKey: crypto.randomUUID(),
  description: "Bazaar order",
  ...overrides,
});
const key = () => crypto.randomUUID();
const lastRequest = () => fake.requests.at(-1) as NonNullable<ReturnType<typeof fake.requests.at>>;
/** The ProviderError a call failed with (fails the test if it did not). */
const providerError = async (call: Promise<unknown>) => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
};
const captured = async (amountMinor = 2599, currency = "USD") => {
  const paid = await stripe.createPayment(payment({ amountMinor, currency }));
  expect(paid.status).toBe("captured");
  return paid;
};

describe("createPayment", () => {
  test("automatic capture: a Visa test card is charged in full, sent in Stripe's form encoding", async () => {
    const input = payment({ amountMinor: 2599 });
    const result = await stripe.createPayment(input);

    expect(result).toEqual({
      providerRef: expect.stringMatching(/^pi_/),
      status: "captured",
      capturedMinor: 2599,
      cardFingerprint: "Xt5EWLLDS7FJjR1c",
      cardCountry: "US",
    });
    const request = lastRequest();
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/v1/payment_intents");
    expect(request.headers.get("authorization")).toBe(`Bearer ${fake.secretKey}`);
    expect(request.headers.get("content-type")).toStartWith("application/x-www-form-urlencoded");
    expect(request.headers.get("idempotency-key")).toBe(input.idempotencyKey);
    expect(request.params).toEqual({
      amount: "2599",
      currency: "usd",
      confirm: "true",
      capture_method: "automatic",
      metadata: { payment_id: input.paymentId },
      description: "Bazaar order",
      payment_method: "pm_card_visa",
      automatic_payment_methods: { enabled: "true", allow_redirects: "never" },
      expand: ["latest_charge"],
    });
    expect(fake.paymentIntents.get(result.providerRef)).toMatchObject({
      status: "succeeded",
      amount_received: 2599,
      metadata: { payment_id: input.paymentId },
    });
  });

  test("a zero-decimal currency goes as is: ¥500 is amount 500", async () => {
    const result = await stripe.createPayment(payment({ amountMinor: 500, currency: "JPY" }));
    expect(result.capturedMinor).toBe(500);
    expect(lastRequest().params).toMatchObject({ amount: "500", currency: "jpy" });
  });

  test("manual capture authorises, then a partial capture takes only what was asked", async () => {
    const authorized = await stripe.createPayment(payment({ captureMode: "manual", amountMinor: 5000 }));
    expect(authorized).toMatchObject({ status: "authorized", capturedMinor: 0, cardFingerprint: "Xt5EWLLDS7FJjR1c" });
    expect(lastRequest().params.capture_method).toBe("manual");

    const captureKey = key();
    const capturedPayment = await stripe.capture(authorized.providerRef, 3200, captureKey);
    expect(capturedPayment).toMatchObject({ providerRef: authorized.providerRef, status: "captured", capturedMinor: 3200 });
    expect(lastRequest()).toMatchObject({ path: `/v1/payment_intents/${authorized.providerRef}/capture`, params: { amount_to_capture: "3200" } });
    expect(lastRequest().headers.get("idempotency-key")).toBe(captureKey);
    const intent = fake.paymentIntents.get(authorized.providerRef);
    expect(intent).toMatchObject({ status: "succeeded", amount_received: 3200, amount_capturable: 0 });
    expect(fake.charges.get(intent?.latest_charge as string)?.amount_captured).toBe(3200);

    // a second capture is refused by Stripe, not replayed as a success
    const again = await providerError(stripe.capture(authorized.providerRef, 100, key()));
    expect(again.kind).toBe("invalid_request");
    expect(again.message).toContain("status of succeeded");
  });

  test("capturing more than was authorised is Stripe's invalid request", async () => {
    const authorized = await stripe.createPayment(payment({ captureMode: "manual", amountMinor: 1000 }));
    const error = await providerError(stripe.capture(authorized.providerRef, 1001, key()));
    expect(error.kind).toBe("invalid_request");
    expect(fake.paymentIntents.get(authorized.providerRef)?.status).toBe("requires_capture");
  });

  test("cancel releases an authorisation; a captured payment cannot be canceled", async () => {
    const authorized = await stripe.createPayment(payment({ captureMode: "manual" }));
    const canceled = await stripe.cancel(authorized.providerRef, key());
    expect(canceled).toMatchObject({ providerRef: authorized.providerRef, status: "canceled", capturedMinor: 0 });
    expect(lastRequest().path).toBe(`/v1/payment_intents/${authorized.providerRef}/cancel`);
    expect(fake.paymentIntents.get(authorized.providerRef)?.status).toBe("canceled");

    const paid = await captured();
    const error = await providerError(stripe.cancel(paid.providerRef, key()));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toContain("You cannot cancel this PaymentIntent");
  });

  test("a declined card is a failed result with Stripe's reason, not a throw", async () => {
    const result = await stripe.createPayment(payment({ paymentMethod: "pm_card_chargeDeclined" }));
    expect(result).toEqual({
      providerRef: expect.stringMatching(/^pi_/),
      status: "failed",
      capturedMinor: 0,
      failureReason: "Your card was declined.",
      // the declined card still identifies itself, for velocity rules on recent declines
      cardFingerprint: TEST_CARDS.pm_card_chargeDeclined?.fingerprint,
      cardCountry: "US",
    });
    expect(fake.paymentIntents.get(result.providerRef)).toMatchObject({ status: "requires_payment_method", last_payment_error: { code: "card_declined" } });
  });

  test.each(["pm_card_authenticationRequired", "pm_card_threeDSecure2Required"])(
    "3-D Secure (%s) asks for action with Stripe's redirect URL",
    async (method) => {
      const result = await stripe.createPayment(payment({ paymentMethod: method, returnUrl: "https://bazaar.test/checkout/return" }));
      expect(result.status).toBe("requires_action");
      expect(result.nextActionUrl).toStartWith("https://hooks.stripe.com/3d_secure_2/hosted?");
      expect(result.nextActionUrl).toContain(result.providerRef);
      expect(result.capturedMinor).toBe(0);
      expect(lastRequest().params).toMatchObject({
        return_url: "https://bazaar.test/checkout/return",
        automatic_payment_methods: { enabled: "true", allow_redirects: "always" },
      });
    },
  );

  test("Alipay creates an alipay PaymentIntent and hands back Alipay's redirect", async () => {
    const result = await stripe.createPayment(
      payment({ paymentMethod: "alipay", currency: "CNY", amountMinor: 8800, returnUrl: "https://bazaar.test/return" }),
    );
    expect(result.status).toBe("requires_action");
    expect(result.nextActionUrl).toStartWith("https://hooks.stripe.com/redirect/authenticate/");
    const params = lastRequest().params;
    expect(params).toMatchObject({
      currency: "cny",
      payment_method_types: ["alipay"],
      payment_method_data: { type: "alipay" },
      return_url: "https://bazaar.test/return",
    });
    expect(params.payment_method).toBeUndefined();
    expect(params.automatic_payment_methods).toBeUndefined();

    // the buyer approves in Alipay: the intent completes at Stripe (its webhook is what tells us)
    fake.authenticate(result.providerRef);
    expect(fake.paymentIntents.get(result.providerRef)).toMatchObject({ status: "succeeded", amount_received: 8800 });
  });

  test("Alipay without a return URL is refused before anything reaches Stripe", async () => {
    const before = fake.requests.length;
    const error = await providerError(stripe.createPayment(payment({ paymentMethod: "alipay" })));
    expect(error.kind).toBe("invalid_request");
    expect(fake.requests.length).toBe(before);
  });

  test("amounts Stripe would read differently are refused: KWD not in tens, ISK (Stripe counts it in hundredths)", async () => {
    const before = fake.requests.length;
    expect((await providerError(stripe.createPayment(payment({ currency: "KWD", amountMinor: 1234 })))).message).toContain("multiples of 10");
    expect((await providerError(stripe.createPayment(payment({ currency: "ISK", amountMinor: 500 })))).kind).toBe("invalid_request");
    expect((await providerError(stripe.createPayment(payment({ amountMinor: 0 })))).kind).toBe("invalid_request");
    expect(fake.requests.length).toBe(before);

    const kwd = await stripe.createPayment(payment({ currency: "KWD", amountMinor: 1230 }));
    expect(kwd).toMatchObject({ status: "captured", capturedMinor: 1230 });
    expect(lastRequest().params).toMatchObject({ amount: "1230", currency: "kwd" });
  });
});

describe("idempotency keys", () => {
  test("the same key twice creates one PaymentIntent, and the key reached Stripe both times", async () => {
    const input = payment();
    const intentsBefore = fake.paymentIntents.size;
    const first = await stripe.createPayment(input);
    const second = await stripe.createPayment(input);

    expect(second).toEqual(first);
    expect(fake.paymentIntents.size).toBe(intentsBefore + 1);
    const sent = fake.requests.filter((r) => r.headers.get("idempotency-key") === input.idempotencyKey);
    expect(sent.map((r) => r.path)).toEqual(["/v1/payment_intents", "/v1/payment_intents"]);
  });

  test("a replayed decline is the same decline (Stripe replays errors too)", async () => {
    const input = payment({ paymentMethod: "pm_card_chargeDeclined" });
    const intentsBefore = fake.paymentIntents.size;
    const first = await stripe.createPayment(input);
    const second = await stripe.createPayment(input);
    expect(second).toEqual(first);
    expect(second.status).toBe("failed");
    expect(fake.paymentIntents.size).toBe(intentsBefore + 1);
  });

  test("the same key with other parameters is Stripe's idempotency_error, an invalid request", async () => {
    const input = payment();
    await stripe.createPayment(input);
    const error = await providerError(stripe.createPayment({ ...input, amountMinor: input.amountMinor + 1 }));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toContain("same parameters");
  });
});

describe("refund", () => {
  test("a full refund of a captured payment", async () => {
    const paid = await captured(2599);
    const refundKey = key();
    const refund = await stripe.refund({
      providerRef: paid.providerRef,
      amountMinor: 2599,
      currency: "USD",
      idempotencyKey: refundKey,
      reason: "requested_by_customer",
    });

    expect(refund).toEqual({ providerRef: expect.stringMatching(/^re_/), status: "succeeded" });
    const request = lastRequest();
    expect(request.path).toBe("/v1/refunds");
    expect(request.params).toEqual({ payment_intent: paid.providerRef, amount: "2599", reason: "requested_by_customer" });
    expect(request.headers.get("idempotency-key")).toBe(refundKey);
    expect(fake.refunds.get(refund.providerRef)).toMatchObject({ amount: 2599, payment_intent: paid.providerRef });
  });

  test("partial refunds add up to the captured amount and no further", async () => {
    const paid = await captured(2599);
    const first = await stripe.refund({ providerRef: paid.providerRef, amountMinor: 1000, currency: "USD", idempotencyKey: key(), reason: "item damaged" });
    expect(first.status).toBe("succeeded");
    // a reason Stripe has no word for travels as metadata
    expect(lastRequest().params).toEqual({ payment_intent: paid.providerRef, amount: "1000", metadata: { reason: "item damaged" } });

    expect((await stripe.refund({ providerRef: paid.providerRef, amountMinor: 1599, currency: "USD", idempotencyKey: key() })).status).toBe("succeeded");
    const error = await providerError(stripe.refund({ providerRef: paid.providerRef, amountMinor: 1, currency: "USD", idempotencyKey: key() }));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toContain("already been refunded");
  });

  test("a refund above the captured amount: Stripe refuses it and the adapter throws invalid_request", async () => {
    const paid = await captured(2599);
    const refundsBefore = fake.refunds.size;
    const error = await providerError(stripe.refund({ providerRef: paid.providerRef, amountMinor: 2600, currency: "USD", idempotencyKey: key() }));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toBe("Refund amount ($26.00) is greater than unrefunded amount on charge ($25.99)");
    expect(fake.refunds.size).toBe(refundsBefore);
  });

  test("after a partial capture only the captured part can be refunded", async () => {
    const authorized = await stripe.createPayment(payment({ captureMode: "manual", amountMinor: 5000 }));
    await stripe.capture(authorized.providerRef, 2000, key());
    const error = await providerError(stripe.refund({ providerRef: authorized.providerRef, amountMinor: 2001, currency: "USD", idempotencyKey: key() }));
    expect(error.message).toContain("($20.00)");
    expect((await stripe.refund({ providerRef: authorized.providerRef, amountMinor: 2000, currency: "USD", idempotencyKey: key() })).status).toBe("succeeded");
  });
});

describe("getRefund", () => {
  /** A refund Stripe answers pending: pm_card_pendingRefund's, as in Stripe's test mode. */
  const pendingRefund = async () => {
    const paid = await stripe.createPayment(payment({ paymentMethod: "pm_card_pendingRefund", amountMinor: 3000 }));
    expect(paid.status).toBe("captured");
    const refund = await stripe.refund({ providerRef: paid.providerRef, amountMinor: 1200, currency: "USD", idempotencyKey: key() });
    expect(refund).toEqual({ providerRef: expect.stringMatching(/^re_/), status: "pending" });
    return refund;
  };

  test("a refund answered pending reads back pending with GET /v1/refunds/:id, then succeeded once Stripe settles it", async () => {
    const refund = await pendingRefund();
    expect(await stripe.getRefund(refund.providerRef)).toEqual({ providerRef: refund.providerRef, status: "pending" });
    const request = lastRequest();
    expect(request.method).toBe("GET");
    expect(request.path).toBe(`/v1/refunds/${refund.providerRef}`);
    expect(request.headers.get("authorization")).toBe(`Bearer ${fake.secretKey}`);

    fake.settleRefund(refund.providerRef, "succeeded");
    expect(await stripe.getRefund(refund.providerRef)).toEqual({ providerRef: refund.providerRef, status: "succeeded" });
  });

  test("a pending refund Stripe fails reads back failed with Stripe's failure_reason", async () => {
    const refund = await pendingRefund();
    fake.settleRefund(refund.providerRef, "failed", "charge_for_pending_refund_disputed");
    expect(await stripe.getRefund(refund.providerRef)).toEqual({
      providerRef: refund.providerRef,
      status: "failed",
      failureReason: "charge_for_pending_refund_disputed",
    });
  });

  test("a card refund that succeeded and was returned later (pm_card_refundFail's path) reads back failed", async () => {
    const paid = await captured(2000);
    const refund = await stripe.refund({ providerRef: paid.providerRef, amountMinor: 2000, currency: "USD", idempotencyKey: key() });
    expect(await stripe.getRefund(refund.providerRef)).toEqual({ providerRef: refund.providerRef, status: "succeeded" });
    fake.failRefund(refund.providerRef, "expired_or_canceled_card");
    expect(await stripe.getRefund(refund.providerRef)).toEqual({
      providerRef: refund.providerRef,
      status: "failed",
      failureReason: "expired_or_canceled_card",
    });
  });

  test("an unknown refund is Stripe's 404 resource_missing: an invalid request; an empty id is refused unasked", async () => {
    const error = await providerError(stripe.getRefund("re_doesnotexist"));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toBe("No such refund: 're_doesnotexist'");

    const before = fake.requests.length;
    for (const ref of ["", "re_1/../x"]) expect((await providerError(stripe.getRefund(ref))).kind).toBe("invalid_request");
    expect(fake.requests.length).toBe(before);
  });

  test("a Stripe outage (500 api_error) while reading a refund is unavailable", async () => {
    const refund = await pendingRefund();
    fake.failNext(1);
    const error = await providerError(stripe.getRefund(refund.providerRef));
    expect(error.kind).toBe("unavailable");
    expect(lastRequest().path).toBe(`/v1/refunds/${refund.providerRef}`);
    // the outage over, the same refund reads back
    expect((await stripe.getRefund(refund.providerRef)).status).toBe("pending");
  });
});

describe("findRefund", () => {
  let refundSerial = 0;
  const refundId = () => `rfd_01JD4M3Z8Q5V7W9X1Y2Z3C${String(++refundSerial).padStart(4, "0")}`;
  const refundFor = (providerRef: string, id: string | undefined, amountMinor = 100, reason?: string) =>
    stripe.refund({ providerRef, amountMinor, currency: "USD", idempotencyKey: key(), ...(id ? { refundId: id } : {}), ...(reason ? { reason } : {}) });

  test("our refund id travels in the refund's metadata, beside a reason Stripe has no word for", async () => {
    const paid = await captured(3000);
    const id = refundId();
    const refund = await refundFor(paid.providerRef, id, 1000, "item damaged");
    expect(lastRequest()).toMatchObject({
      method: "POST",
      path: "/v1/refunds",
      params: { payment_intent: paid.providerRef, amount: "1000", metadata: { reason: "item damaged", bazaar_refund_id: id } },
    });
    expect(fake.refunds.get(refund.providerRef)?.metadata).toEqual({ reason: "item damaged", bazaar_refund_id: id });

    // a reason Stripe knows goes as `reason`, and the metadata carries only our id
    const second = refundId();
    await refundFor(paid.providerRef, second, 500, "requested_by_customer");
    expect(lastRequest().params).toEqual({
      payment_intent: paid.providerRef,
      amount: "500",
      reason: "requested_by_customer",
      metadata: { bazaar_refund_id: second },
    });
  });

  test("finds the refund made for our id among the payment's refunds, listed with GET /v1/refunds?payment_intent=", async () => {
    const paid = await captured(3000);
    const ours = refundId();
    await refundFor(paid.providerRef, refundId());
    const made = await refundFor(paid.providerRef, ours, 700);
    await refundFor(paid.providerRef, undefined);
    await refundFor(paid.providerRef, refundId());

    expect(await stripe.findRefund({ providerRef: paid.providerRef, refundId: ours })).toEqual({ providerRef: made.providerRef, status: "succeeded" });
    const request = lastRequest();
    expect(request.method).toBe("GET");
    expect(request.path).toBe("/v1/refunds");
    expect(request.params).toEqual({ payment_intent: paid.providerRef, limit: "100" });
  });

  test("a refund Stripe later failed is found as failed, with its reason", async () => {
    const paid = await captured(2000);
    const ours = refundId();
    const made = await refundFor(paid.providerRef, ours, 2000);
    fake.failRefund(made.providerRef, "lost_or_stolen_card");
    expect(await stripe.findRefund({ providerRef: paid.providerRef, refundId: ours })).toEqual({
      providerRef: made.providerRef,
      status: "failed",
      failureReason: "lost_or_stolen_card",
    });
  });

  test("past the first page of 100: the SDK follows has_more with starting_after", async () => {
    const paid = await captured(20_000);
    const ours = refundId();
    await refundFor(paid.providerRef, ours);
    for (let i = 0; i < 100; i++) await refundFor(paid.providerRef, refundId());
    const before = fake.requests.length;

    expect((await stripe.findRefund({ providerRef: paid.providerRef, refundId: ours }))?.status).toBe("succeeded");
    const pages = fake.requests.slice(before);
    expect(pages.map((r) => r.params)).toEqual([
      { payment_intent: paid.providerRef, limit: "100" },
      { payment_intent: paid.providerRef, limit: "100", starting_after: expect.stringMatching(/^re_/) },
    ]);
  });

  test("null when the payment's refunds carry other ids (or none), and when it has no refund at all", async () => {
    const paid = await captured(3000);
    await refundFor(paid.providerRef, refundId());
    await refundFor(paid.providerRef, undefined, 100, "item damaged");
    expect(await stripe.findRefund({ providerRef: paid.providerRef, refundId: refundId() })).toBeNull();

    const untouched = await captured(3000);
    expect(await stripe.findRefund({ providerRef: untouched.providerRef, refundId: refundId() })).toBeNull();
    expect(lastRequest().path).toBe("/v1/refunds");
  });

  test("a Stripe outage is unavailable, never null; once over, the refund is found", async () => {
    const paid = await captured(3000);
    const ours = refundId();
    await refundFor(paid.providerRef, ours);
    fake.failNext(1);
    const error = await providerError(stripe.findRefund({ providerRef: paid.providerRef, refundId: ours }));
    expect(error.kind).toBe("unavailable");
    expect(lastRequest().path).toBe("/v1/refunds");
    expect(await stripe.findRefund({ providerRef: paid.providerRef, refundId: ours })).not.toBeNull();
  });

  test("an unknown PaymentIntent is Stripe's invalid request, not null", async () => {
    const error = await providerError(stripe.findRefund({ providerRef: "pi_doesnotexist", refundId: refundId() }));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toContain("No such payment_intent");
  });

  test("a malformed payment or refund id is refused without asking Stripe", async () => {
    const before = fake.requests.length;
    for (const input of [
      { providerRef: "", refundId: refundId() },
      { providerRef: "pi_1/../x", refundId: refundId() },
      { providerRef: "pi_123", refundId: "" },
      { providerRef: "pi_123", refundId: "rfd_1&limit=1" },
    ]) {
      expect((await providerError(stripe.findRefund(input))).kind).toBe("invalid_request");
    }
    expect(fake.requests.length).toBe(before);
  });
});

describe("describePaymentMethod", () => {
  test("a test token: its card's fingerprint and issuing country, read with GET /v1/payment_methods/:id", async () => {
    expect(await stripe.describePaymentMethod("pm_card_gb")).toEqual({ cardFingerprint: "gB8x0a2kQf3mUy7Z", cardCountry: "GB" });
    const request = lastRequest();
    expect(request.method).toBe("GET");
    expect(request.path).toBe("/v1/payment_methods/pm_card_gb");
    expect(request.headers.get("authorization")).toBe(`Bearer ${fake.secretKey}`);
  });

  test("a PaymentMethod Stripe minted describes the card it holds: the same card the charge then reports", async () => {
    const paid = await stripe.createPayment(payment({ paymentMethod: "pm_card_chargeDeclined" }));
    const minted = fake.paymentIntents.get(paid.providerRef)?.payment_method as string;
    expect(minted).toMatch(/^pm_/);
    const described = await stripe.describePaymentMethod(minted);
    expect(described).toEqual({ cardFingerprint: TEST_CARDS.pm_card_chargeDeclined?.fingerprint, cardCountry: "US" });
    expect(described).toEqual({ cardFingerprint: paid.cardFingerprint, cardCountry: paid.cardCountry });
  });

  test("a method without a card (an Alipay PaymentMethod) has nothing to tell; 'alipay' is not looked up at all", async () => {
    const pending = await stripe.createPayment(
      payment({ paymentMethod: "alipay", currency: "CNY", amountMinor: 500, returnUrl: "https://bazaar.test/return" }),
    );
    const minted = fake.paymentIntents.get(pending.providerRef)?.payment_method as string;
    expect(await stripe.describePaymentMethod(minted)).toEqual({});
    const before = fake.requests.length;
    expect(await stripe.describePaymentMethod("alipay")).toEqual({});
    expect(fake.requests.length).toBe(before);
  });

  test("an unknown PaymentMethod is Stripe's 404 resource_missing: an invalid request", async () => {
    const error = await providerError(stripe.describePaymentMethod("pm_doesnotexist"));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toBe("No such PaymentMethod: 'pm_doesnotexist'");
  });

  test("a Stripe outage while describing is unavailable (the fraud check goes on without the card)", async () => {
    fake.failNext(1);
    expect((await providerError(stripe.describePaymentMethod("pm_card_visa"))).kind).toBe("unavailable");
  });
});

describe("errors", () => {
  test("an unknown PaymentIntent is an invalid request", async () => {
    const error = await providerError(stripe.capture("pi_doesnotexist", 100, key()));
    expect(error.kind).toBe("invalid_request");
    expect(error.message).toContain("No such payment_intent");
  });

  test("a wrong secret key is unavailable, and the message does not repeat the key", async () => {
    const wrong = new StripeProvider({ secretKey: "sk_test_wrong_key_1234", webhookSecret: WEBHOOK_SECRET, apiBase: fake.apiBase });
    const error = await providerError(wrong.createPayment(payment()));
    expect(error.kind).toBe("unavailable");
    expect(error.message).not.toContain("sk_test");
  });

  test("a Stripe outage (500 api_error) is unavailable", async () => {
    fake.failNext(1);
    const error = await providerError(stripe.createPayment(payment()));
    expect(error.kind).toBe("unavailable");
  });
});

describe("parseWebhook", () => {
  const parse = async (event: Record<string, unknown>, options: { secret?: string; timestamp?: number } = {}) => {
    const { body, headers } = await fake.webhook(event, options.secret ?? WEBHOOK_SECRET, options);
    return stripe.parseWebhook(body, headers);
  };
  const signatureError = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WebhookSignatureError);
  };

  test("payment_intent.succeeded: verified, and named by our payment id and Stripe's intent", async () => {
    const input = payment({ amountMinor: 4200 });
    const paid = await stripe.createPayment(input);
    const event = fake.event("payment_intent.succeeded", fake.paymentIntentJson(paid.providerRef), { created: 1_760_000_000 });

    expect(await parse(event)).toEqual({
      eventId: event.id as string,
      type: "payment.succeeded",
      providerRef: paid.providerRef,
      paymentId: input.paymentId,
      occurredAt: 1_760_000_000_000,
      amountMinor: 4200,
      providerType: "payment_intent.succeeded",
    });
  });

  test("payment_intent.payment_failed carries the decline reason", async () => {
    const input = payment({ paymentMethod: "pm_card_chargeDeclined" });
    const failed = await stripe.createPayment(input);
    const parsed = await parse(fake.event("payment_intent.payment_failed", fake.paymentIntentJson(failed.providerRef)));
    expect(parsed).toMatchObject({
      type: "payment.failed",
      providerRef: failed.providerRef,
      paymentId: input.paymentId,
      failureReason: "Your card was declined.",
    });
  });

  test("payment_intent.amount_capturable_updated is an authorisation of the capturable amount", async () => {
    const input = payment({ captureMode: "manual", amountMinor: 7000 });
    const authorized = await stripe.createPayment(input);
    const parsed = await parse(fake.event("payment_intent.amount_capturable_updated", fake.paymentIntentJson(authorized.providerRef)));
    expect(parsed).toMatchObject({ type: "payment.authorized", providerRef: authorized.providerRef, paymentId: input.paymentId, amountMinor: 7000 });
  });

  test("payment_intent.requires_action and .canceled", async () => {
    const input = payment({ paymentMethod: "pm_card_authenticationRequired", returnUrl: "https://bazaar.test/return" });
    const pending = await stripe.createPayment(input);
    expect(await parse(fake.event("payment_intent.requires_action", fake.paymentIntentJson(pending.providerRef)))).toMatchObject({
      type: "payment.requires_action",
      paymentId: input.paymentId,
    });
    await stripe.cancel(pending.providerRef, key());
    expect(await parse(fake.event("payment_intent.canceled", fake.paymentIntentJson(pending.providerRef)))).toMatchObject({
      type: "payment.canceled",
      providerRef: pending.providerRef,
    });
  });

  test("3-D Secure completed at Stripe arrives as payment_intent.succeeded", async () => {
    const pending = await stripe.createPayment(payment({ paymentMethod: "pm_card_threeDSecure2Required", returnUrl: "https://bazaar.test/return" }));
    fake.authenticate(pending.providerRef);
    const parsed = await parse(fake.event("payment_intent.succeeded", fake.paymentIntentJson(pending.providerRef)));
    expect(parsed).toMatchObject({ type: "payment.succeeded", providerRef: pending.providerRef, amountMinor: 2599 });
  });

  test("charge.refunded: a refund succeeded, named by the PaymentIntent, with the charge's total refunded", async () => {
    const input = payment({ amountMinor: 3000 });
    const paid = await stripe.createPayment(input);
    await stripe.refund({ providerRef: paid.providerRef, amountMinor: 1000, currency: "USD", idempotencyKey: key() });
    await stripe.refund({ providerRef: paid.providerRef, amountMinor: 500, currency: "USD", idempotencyKey: key() });
    const chargeId = fake.paymentIntents.get(paid.providerRef)?.latest_charge as string;
    const parsed = await parse(fake.event("charge.refunded", fake.chargeJson(chargeId)));
    expect(parsed).toMatchObject({
      type: "refund.succeeded",
      providerRef: paid.providerRef,
      paymentId: input.paymentId, // Stripe copied the intent's metadata onto its charge
      amountMinor: 1500,
      providerType: "charge.refunded",
    });
  });

  test("charge.refunded with its refunds expanded names the newest refund: the id refund() returned", async () => {
    const input = payment({ amountMinor: 3000 });
    const paid = await stripe.createPayment(input);
    const first = await stripe.refund({ providerRef: paid.providerRef, amountMinor: 1000, currency: "USD", idempotencyKey: key() });
    const chargeId = fake.paymentIntents.get(paid.providerRef)?.latest_charge as string;
    expect(await parse(fake.event("charge.refunded", fake.chargeJson(chargeId, { expandRefunds: true })))).toMatchObject({
      type: "refund.succeeded",
      providerRef: paid.providerRef,
      refundRef: first.providerRef,
      amountMinor: 1000,
    });

    const second = await stripe.refund({ providerRef: paid.providerRef, amountMinor: 500, currency: "USD", idempotencyKey: key() });
    expect(second.providerRef).not.toBe(first.providerRef);
    const parsed = await parse(fake.event("charge.refunded", fake.chargeJson(chargeId, { expandRefunds: true })));
    expect(parsed).toMatchObject({ type: "refund.succeeded", refundRef: second.providerRef, paymentId: input.paymentId, amountMinor: 1500 });

    // without the list (Stripe's default) no refund is named: the refund.* event about it is what settles it
    expect((await parse(fake.event("charge.refunded", fake.chargeJson(chargeId)))).refundRef).toBeUndefined();
  });

  test("refund.created (succeeded) and refund.updated (failed) name the PaymentIntent, the refund and its amount", async () => {
    const paid = await captured(3000);
    const refund = await stripe.refund({ providerRef: paid.providerRef, amountMinor: 1200, currency: "USD", idempotencyKey: key() });
    expect(refund.providerRef).toMatch(/^re_/);
    const created = fake.event("refund.created", fake.refundJson(refund.providerRef), { created: 1_760_000_100 });
    expect(await parse(created)).toEqual({
      eventId: created.id as string,
      type: "refund.succeeded",
      providerRef: paid.providerRef,
      refundRef: refund.providerRef,
      paymentId: undefined, // our payment id travels on the intent and its charge, not on a refund
      occurredAt: 1_760_000_100_000,
      amountMinor: 1200,
      providerType: "refund.created",
    });

    fake.failRefund(refund.providerRef, "expired_or_canceled_card");
    expect(await parse(fake.event("refund.updated", fake.refundJson(refund.providerRef)))).toMatchObject({
      type: "refund.failed",
      providerRef: paid.providerRef,
      refundRef: refund.providerRef,
      amountMinor: 1200,
      failureReason: "expired_or_canceled_card",
      providerType: "refund.updated",
    });
  });

  test("refund.failed and charge.refund.updated about a returned refund: refund.failed, that refund, the reason", async () => {
    const paid = await captured(2000);
    const refund = await stripe.refund({ providerRef: paid.providerRef, amountMinor: 2000, currency: "USD", idempotencyKey: key() });
    fake.failRefund(refund.providerRef, "lost_or_stolen_card");
    for (const type of ["refund.failed", "charge.refund.updated"]) {
      expect(await parse(fake.event(type, fake.refundJson(refund.providerRef)))).toMatchObject({
        type: "refund.failed",
        providerRef: paid.providerRef,
        refundRef: refund.providerRef,
        amountMinor: 2000,
        failureReason: "lost_or_stolen_card",
        providerType: type,
      });
    }
    // the charge's newest refund failed: charge.refunded says so too, rather than a success
    const chargeId = fake.paymentIntents.get(paid.providerRef)?.latest_charge as string;
    expect(await parse(fake.event("charge.refunded", fake.chargeJson(chargeId, { expandRefunds: true })))).toMatchObject({
      type: "refund.failed",
      refundRef: refund.providerRef,
      failureReason: "lost_or_stolen_card",
    });
  });

  test("an event type we do not act on is 'other', still deduplicable by its id", async () => {
    const paid = await captured();
    const chargeId = fake.paymentIntents.get(paid.providerRef)?.latest_charge as string;
    const charge = await parse(fake.event("charge.succeeded", fake.chargeJson(chargeId)));
    expect(charge).toMatchObject({ type: "other", providerRef: paid.providerRef, providerType: "charge.succeeded" });

    const customer = fake.event("customer.created", { id: "cus_123", object: "customer", metadata: {} });
    expect(await parse(customer)).toEqual({
      eventId: customer.id as string,
      type: "other",
      providerRef: undefined,
      paymentId: undefined,
      occurredAt: (customer.created as number) * 1000,
      providerType: "customer.created",
    });
  });

  test("a forged signature (another secret) is refused", async () => {
    const paid = await captured();
    await signatureError(parse(fake.event("payment_intent.succeeded", fake.paymentIntentJson(paid.providerRef)), { secret: "whsec_attacker" }));
  });

  test("a body altered after signing is refused", async () => {
    const paid = await captured(1000);
    const { body, headers } = await fake.webhook(fake.event("payment_intent.succeeded", fake.paymentIntentJson(paid.providerRef)), WEBHOOK_SECRET);
    const altered = body.replace('"amount_received": 1000', '"amount_received": 100000');
    expect(altered).not.toBe(body);
    await signatureError(stripe.parseWebhook(altered, headers));
    // the untouched body still verifies: only the alteration was refused
    expect((await stripe.parseWebhook(body, headers)).amountMinor).toBe(1000);
  });

  test("a correctly signed but stale event (older than Stripe's 300 s tolerance) is refused", async () => {
    const paid = await captured();
    const event = fake.event("payment_intent.succeeded", fake.paymentIntentJson(paid.providerRef));
    await signatureError(parse(event, { timestamp: Math.floor(Date.now() / 1000) - 301 }));
    // inside the tolerance it verifies
    expect((await parse(event, { timestamp: Math.floor(Date.now() / 1000) - 240 })).type).toBe("payment.succeeded");
  });

  test("a missing or malformed Stripe-Signature header is refused", async () => {
    const { body } = await fake.webhook(fake.event("customer.created", { id: "cus_1", object: "customer" }), WEBHOOK_SECRET);
    await signatureError(stripe.parseWebhook(body, new Headers()));
    await signatureError(stripe.parseWebhook(body, new Headers({ "stripe-signature": "garbage" })));
    await signatureError(stripe.parseWebhook(body, new Headers({ "stripe-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` })));
  });
});

// Runs the success path against Stripe's real test API when a test-mode key is in the environment; never a live key.
const liveKey = process.env.STRIPE_SECRET_KEY;
const liveTestKey = liveKey !== undefined && /^(sk|rk)_test_/.test(liveKey);
describe("live Stripe test API", () => {
  test.skipIf(!liveTestKey)(
    "LIVE: pm_card_visa with automatic capture is captured by api.stripe.com (STRIPE_SECRET_KEY, test mode)",
    async () => {
      const live = new StripeProvider({ secretKey: liveKey as string, webhookSecret: "whsec_unused_live" });
      const input = payment({ amountMinor: 1099, description: "Bazaar adapter live test" });
      const result = await live.createPayment(input);
      expect(result).toMatchObject({ providerRef: expect.stringMatching(/^pi_/), status: "captured", capturedMinor: 1099, cardCountry: "US" });
      expect(result.cardFingerprint).toBeString();
      // the same key replays the same PaymentIntent at Stripe itself
      expect((await live.createPayment(input)).providerRef).toBe(result.providerRef);
    },
    30_000,
  );
});
