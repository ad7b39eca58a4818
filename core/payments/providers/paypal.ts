// Not run against a live PayPal account; tested against a local endpoint that follows the documented wire format.
//
// PayPal through its REST API (plain fetch): Orders v2 for payments, Payments v2 for authorizations, captures and
// refunds, an OAuth2 client-credentials token cached until shortly before it expires (refetched once if PayPal
// refuses it earlier). Every mutating call sends our idempotency key as PayPal-Request-Id, so a retry gets PayPal's
// first answer. Amounts are decimal strings with the currency's exponent, converted from minor units with string
// arithmetic, never floats.
//
// `providerRef` is the PayPal order id, from creation to refund: capture and refund find the authorization or
// capture on the order themselves, and webhook events about captures, authorizations and refunds are mapped back to
// the order. Payment methods: "paypal" (the buyer approves on PayPal: `requires_action` with the payer-action link)
// or "vault:<id>" (a saved PayPal wallet: charged at once, no buyer step).
//
// PayPal's approval is not a payment: after the buyer approves (CHECKOUT.ORDER.APPROVED, read as payment.authorized)
// the merchant must call PayPal within the order's validity (3 hours by default). `confirm` does that: it captures a
// CAPTURE-intent (automatic) order and authorizes an AUTHORIZE-intent (manual) one, holding the funds for up to 29
// days until `capture`. `capture` also confirms first when needed. An order nobody captured moves no money, so
// `cancel` of an unpaid order only voids an authorization if there is one.
//
// Webhooks are verified by PayPal (POST /v1/notifications/verify-webhook-signature with the transmission headers and
// our webhook id). PayPal checks a CRC32 of the event it is sent, so the raw body goes in verbatim, not re-serialised.
//
// Refund events: PAYMENT.CAPTURE.REFUNDED carries the Refund itself, so `refundRef` is its id (what `refund()`
// returned); its "up" link names the capture, whose order is `providerRef`. It is refund.succeeded for a COMPLETED
// refund (PayPal sends it when a refund completes, a pending one included). Payments v2 documents no event for a
// refund that fails or is cancelled: should a REFUNDED event ever carry a FAILED or CANCELLED refund it is read as
// refund.failed, a PENDING one as other. A refund `refund()` answered pending can be polled with `getRefund` (GET
// /v2/payments/refunds/{id}): the only way to learn it failed. PAYMENT.CAPTURE.REVERSED (PayPal taking the money back,
// not our refund) is other.
//
// Our refund id goes as the refund's `invoice_id`, not its `custom_id`: that already carries our payment id, which the
// refund webhook reads as `paymentId`. PayPal shows invoice_id to the buyer, and refuses a second refund under an
// invoice_id already refunded (422 DUPLICATE_REFUND): `refund()` answers that with the refund made first. `findRefund`
// reads the order, whose purchase unit lists its refunds, and matches invoice_id.
import { minorUnitExponent } from "@bazaar/contracts";
import {
  type CreatePaymentInput,
  guarded,
  type PaymentProvider,
  ProviderError,
  type ProviderEvent,
  type ProviderPayment,
  type ProviderRefund,
  type RefundInput,
  WebhookSignatureError,
} from "./provider.ts";

export interface PayPalProviderOptions {
  clientId: string;
  clientSecret: string;
  /** the id PayPal gave the webhook subscription; verification is bound to it */
  webhookId: string;
  /** default https://api-m.sandbox.paypal.com; production is https://api-m.paypal.com */
  apiBase?: string;
  /** per request; default 30 s */
  timeoutMs?: number;
  /** epoch ms, for the token's expiry */
  clock?: () => number;
}

interface Token {
  value: string;
  expiresAt: number;
}

interface Money {
  currency_code: string;
  value: string;
}

interface Link {
  href: string;
  rel: string;
  method?: string;
}

interface PayPalCapture {
  id: string;
  status: "COMPLETED" | "DECLINED" | "PARTIALLY_REFUNDED" | "PENDING" | "REFUNDED" | "FAILED";
  amount: Money;
  custom_id?: string;
  status_details?: { reason?: string };
  supplementary_data?: { related_ids?: { order_id?: string } };
  links?: Link[];
}

interface PayPalAuthorization {
  id: string;
  status: "CREATED" | "CAPTURED" | "DENIED" | "PARTIALLY_CAPTURED" | "VOIDED" | "PENDING" | "EXPIRED";
  amount: Money;
  custom_id?: string;
  supplementary_data?: { related_ids?: { order_id?: string } };
}

interface PayPalRefund {
  id: string;
  status: "CANCELLED" | "FAILED" | "PENDING" | "COMPLETED";
  amount?: Money;
  custom_id?: string;
  invoice_id?: string;
  status_details?: { reason?: string };
  links?: Link[];
}

interface PayPalOrder {
  id: string;
  intent: "CAPTURE" | "AUTHORIZE";
  status: "CREATED" | "SAVED" | "APPROVED" | "VOIDED" | "COMPLETED" | "PAYER_ACTION_REQUIRED";
  purchase_units?: {
    custom_id?: string;
    amount: Money;
    payments?: { captures?: PayPalCapture[]; authorizations?: PayPalAuthorization[]; refunds?: PayPalRefund[] };
  }[];
  links?: Link[];
}

interface PayPalErrorBody {
  name?: string;
  message?: string;
  error?: string;
  error_description?: string;
  details?: { field?: string; issue?: string; description?: string }[];
}

/** A non-2xx answer, before it is turned into our words. */
class PayPalApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: PayPalErrorBody,
  ) {
    super(body.details?.[0]?.description ?? body.message ?? body.error_description ?? `PayPal answered ${status}`);
  }

  get issue(): string | undefined {
    return this.body.details?.[0]?.issue;
  }
}

/** Issues that mean the buyer's money source said no: a failed payment, not a broken request. */
const DECLINES = new Set(["INSTRUMENT_DECLINED", "PAYER_CANNOT_PAY", "TRANSACTION_REFUSED", "PAYER_ACCOUNT_RESTRICTED", "PAYER_ACCOUNT_LOCKED_OR_CLOSED"]);
const CAPTURED = new Set(["COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"]);
/** Ids as PayPal and we write them (order and refund ids, `rfd_…`): nothing that would change the path. */
const ID = /^\w+$/;
const TRANSMISSION_HEADERS = ["paypal-transmission-id", "paypal-transmission-time", "paypal-transmission-sig", "paypal-cert-url", "paypal-auth-algo"] as const;

/** Minor units as PayPal's decimal string ("0.001" for 1 fils, "1500" for ¥1500): exact, with no float in between. */
export function toPayPalValue(amountMinor: number, currency: string): string {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0)
    throw new ProviderError(`amount must be a non-negative integer of minor units, got ${amountMinor}`, "invalid_request");
  const exponent = minorUnitExponent(currency);
  if (exponent === 0) return String(amountMinor);
  const digits = String(amountMinor).padStart(exponent + 1, "0");
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** PayPal's decimal string back to minor units; undefined when it has more decimals than the currency. */
export function fromPayPalValue(value: string, currency: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(value);
  const exponent = minorUnitExponent(currency);
  if (!match || (match[2] ?? "").length > exponent) return undefined;
  const minor = Number(`${match[1]}${(match[2] ?? "").padEnd(exponent, "0")}`);
  return Number.isSafeInteger(minor) ? minor : undefined;
}

export class PayPalProvider implements PaymentProvider {
  readonly name = "paypal" as const;
  private readonly base: string;
  private readonly basic: string;
  private readonly webhookId: string;
  private readonly timeoutMs: number;
  private readonly clock: () => number;
  private token: Promise<Token> | undefined;

  constructor(options: PayPalProviderOptions) {
    this.base = (options.apiBase ?? "https://api-m.sandbox.paypal.com").replace(/\/+$/, "");
    this.basic = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString("base64")}`;
    this.webhookId = options.webhookId;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.clock = options.clock ?? Date.now;
  }

  async createPayment(input: CreatePaymentInput): Promise<ProviderPayment> {
    const value = toPayPalValue(input.amountMinor, input.currency);
    if (input.amountMinor <= 0) throw new ProviderError("amount must be positive", "invalid_request");
    let paymentSource: Record<string, unknown>;
    if (input.paymentMethod === "paypal") {
      if (!input.returnUrl) throw new ProviderError("PayPal needs a return URL to send the buyer back to", "invalid_request");
      paymentSource = {
        paypal: {
          experience_context: { return_url: input.returnUrl, cancel_url: input.returnUrl, user_action: "PAY_NOW", shipping_preference: "NO_SHIPPING" },
        },
      };
    } else if (/^vault:[0-9a-zA-Z_-]+$/.test(input.paymentMethod)) {
      paymentSource = { paypal: { vault_id: input.paymentMethod.slice("vault:".length) } };
    } else {
      throw new ProviderError('PayPal payment method must be "paypal" or vault:<id>', "invalid_request");
    }
    const body = {
      intent: input.captureMode === "automatic" ? "CAPTURE" : "AUTHORIZE",
      purchase_units: [
        {
          custom_id: input.paymentId,
          ...(input.description ? { description: input.description.slice(0, 127) } : {}),
          amount: { currency_code: input.currency, value },
        },
      ],
      payment_source: paymentSource,
    };
    return guarded(toProviderError, async () => {
      try {
        return toPayment(await this.call<PayPalOrder>("POST", "/v2/checkout/orders", body, input.idempotencyKey));
      } catch (error) {
        if (error instanceof PayPalApiError && DECLINES.has(error.issue ?? "")) {
          // PayPal made no order to point at; our payment id keeps the (unique) reference meaningful
          return { providerRef: `declined:${input.paymentId}`, status: "failed", capturedMinor: 0, failureReason: error.message };
        }
        throw error;
      }
    });
  }

  /**
   * After the buyer approved: captures a CAPTURE-intent order, authorizes an AUTHORIZE-intent one. Anything else
   * (not yet approved, already done) answers the order as it stands.
   */
  async confirm(providerRef: string, idempotencyKey: string): Promise<ProviderPayment> {
    return guarded(toProviderError, async () => {
      const order = await this.order(providerRef);
      try {
        return toPayment(await this.confirmOrder(order, idempotencyKey));
      } catch (error) {
        return declined(order, error);
      }
    });
  }

  async capture(providerRef: string, amountMinor: number, idempotencyKey: string): Promise<ProviderPayment> {
    return guarded(toProviderError, async () => {
      const found = await this.order(providerRef);
      if (found.status !== "COMPLETED" && found.status !== "APPROVED") {
        throw new ProviderError(`The buyer has not approved this PayPal order (${found.status})`, "invalid_request");
      }
      if (found.intent === "CAPTURE" && amountMinor !== orderAmount(found))
        throw new ProviderError("PayPal captures an automatic-capture order in full", "invalid_request");
      const key = found.intent === "CAPTURE" ? idempotencyKey : `${idempotencyKey}:authorize`;
      let order: PayPalOrder;
      try {
        order = await this.confirmOrder(found, key);
      } catch (error) {
        return declined(found, error);
      }
      if (order.intent === "CAPTURE") return toPayment(order);
      const authorization = payments(order).authorizations?.find((a) => a.status === "CREATED" || a.status === "PENDING");
      if (!authorization) {
        // a retried capture finds it done: the same answer, nothing captured twice
        if (payments(order).captures?.some((c) => CAPTURED.has(c.status))) return toPayment(order);
        throw new ProviderError(`This PayPal order has no authorization to capture (${order.status})`, "invalid_request");
      }
      const amount = { currency_code: authorization.amount.currency_code, value: toPayPalValue(amountMinor, authorization.amount.currency_code) };
      // final_capture: like a partial capture elsewhere, what is not captured now is released
      await this.call("POST", `/v2/payments/authorizations/${encodeURIComponent(authorization.id)}/capture`, { amount, final_capture: true }, idempotencyKey);
      return toPayment(await this.order(providerRef));
    });
  }

  async cancel(providerRef: string, idempotencyKey: string): Promise<ProviderPayment> {
    return guarded(toProviderError, async () => {
      const order = await this.order(providerRef);
      if (payments(order).captures?.some((c) => CAPTURED.has(c.status)))
        throw new ProviderError("A captured payment cannot be canceled; refund it", "invalid_request");
      const authorization = payments(order).authorizations?.find((a) => a.status === "CREATED" || a.status === "PENDING");
      if (authorization) {
        await this.call("POST", `/v2/payments/authorizations/${encodeURIComponent(authorization.id)}/void`, undefined, idempotencyKey);
        return toPayment(await this.order(providerRef));
      }
      // PayPal has no call to void an order; one nobody captures expires and never moves money
      return { providerRef: order.id, status: "canceled", capturedMinor: 0 };
    });
  }

  async refund(input: RefundInput): Promise<ProviderRefund> {
    const value = toPayPalValue(input.amountMinor, input.currency);
    return guarded(toProviderError, async () => {
      const order = await this.order(input.providerRef);
      const captures = payments(order).captures ?? [];
      // a fully refunded capture still goes to PayPal: a retried refund gets its first answer back by request id
      const capture = captures.find((c) => c.status === "COMPLETED" || c.status === "PARTIALLY_REFUNDED") ?? captures.find((c) => c.status === "REFUNDED");
      if (!capture) throw new ProviderError("This PayPal payment has nothing captured to refund", "invalid_request");
      if (capture.amount.currency_code !== input.currency)
        throw new ProviderError(`The payment is in ${capture.amount.currency_code}, not ${input.currency}`, "invalid_request");
      const customId = order.purchase_units?.[0]?.custom_id;
      const body = {
        amount: { currency_code: input.currency, value },
        ...(input.refundId ? { invoice_id: input.refundId } : {}),
        ...(customId ? { custom_id: customId } : {}),
        ...(input.reason ? { note_to_payer: input.reason.slice(0, 255) } : {}),
      };
      try {
        return toRefund(await this.call<PayPalRefund>("POST", `/v2/payments/captures/${encodeURIComponent(capture.id)}/refund`, body, input.idempotencyKey));
      } catch (error) {
        if (!input.refundId || !(error instanceof PayPalApiError) || error.issue !== "DUPLICATE_REFUND") throw error;
        // made already, under another request id: that refund is the answer; one PayPal does not show yet is no failure
        const made = await this.refundOf(await this.order(input.providerRef), input.refundId);
        if (made) return toRefund(made);
        throw new ProviderError("PayPal has a refund for this refund id but does not show it yet; try again shortly", "unavailable");
      }
    });
  }

  async getRefund(refundRef: string): Promise<ProviderRefund> {
    if (!ID.test(refundRef)) throw new ProviderError(`Not a PayPal refund id: '${refundRef}'`, "invalid_request");
    // an unknown id is PayPal's 404 RESOURCE_NOT_FOUND (INVALID_RESOURCE_ID): toProviderError makes it an invalid request
    return guarded(toProviderError, async () => toRefund(await this.readRefund(refundRef)));
  }

  async findRefund(input: { providerRef: string; refundId: string }): Promise<ProviderRefund | null> {
    // providerRef is the order id; a refused payment's `declined:…` ref has no order, so nothing PayPal could answer
    if (!ID.test(input.providerRef)) throw new ProviderError(`Not a PayPal order id: '${input.providerRef}'`, "invalid_request");
    if (!ID.test(input.refundId)) throw new ProviderError(`Not a refund id: '${input.refundId}'`, "invalid_request");
    // an unknown order is PayPal's 404: an invalid request, never "no refund"
    return guarded(toProviderError, async () => {
      const refund = await this.refundOf(await this.order(input.providerRef), input.refundId);
      return refund ? toRefund(refund) : null;
    });
  }

  async parseWebhook(rawBody: string, headers: Headers): Promise<ProviderEvent> {
    const transmission = TRANSMISSION_HEADERS.map((name) => headers.get(name));
    if (transmission.some((value) => !value)) throw new WebhookSignatureError("missing PayPal transmission headers");
    const [id, time, sig, certUrl, algo] = transmission as string[];
    let event: PayPalEvent;
    try {
      event = JSON.parse(rawBody) as PayPalEvent;
    } catch {
      throw new WebhookSignatureError("the body is not JSON");
    }
    if (!event || typeof event !== "object" || Array.isArray(event)) throw new WebhookSignatureError("the body is not a webhook event");
    const fields = JSON.stringify({
      auth_algo: algo,
      cert_url: certUrl,
      transmission_id: id,
      transmission_sig: sig,
      transmission_time: time,
      webhook_id: this.webhookId,
    });
    // the raw event spliced in as it came: PayPal's CRC32 is over these bytes, which a re-serialisation could change
    const body = `${fields.slice(0, -1)},"webhook_event":${rawBody}}`;
    let verdict: { verification_status?: string };
    try {
      verdict = await this.call("POST", "/v1/notifications/verify-webhook-signature", body);
    } catch (error) {
      // PayPal refuses malformed transmission headers outright: as forged as a bad signature
      if (error instanceof PayPalApiError && (error.status === 400 || error.status === 422))
        throw new WebhookSignatureError("PayPal refused the transmission headers");
      throw toProviderError(error);
    }
    if (verdict.verification_status !== "SUCCESS") throw new WebhookSignatureError("PayPal did not verify the webhook signature");
    return guarded(toProviderError, () => this.toEvent(event));
  }

  private async toEvent(event: PayPalEvent): Promise<ProviderEvent> {
    const type = String(event.event_type ?? "");
    const resource = event.resource ?? {};
    const base = {
      eventId: String(event.id ?? ""),
      occurredAt: Date.parse(String(event.create_time ?? "")) || 0,
      providerType: type,
      paymentId: resource.custom_id ?? resource.purchase_units?.[0]?.custom_id,
    };
    const amount = resource.amount ?? resource.purchase_units?.[0]?.amount;
    const amountMinor = amount ? fromPayPalValue(amount.value, amount.currency_code) : undefined;
    const withAmount = amountMinor === undefined ? {} : { amountMinor };
    const orderId = resource.supplementary_data?.related_ids?.order_id;
    switch (type) {
      case "CHECKOUT.ORDER.APPROVED":
        return { ...base, ...withAmount, type: "payment.authorized", providerRef: resource.id };
      case "PAYMENT.AUTHORIZATION.CREATED":
        return { ...base, ...withAmount, type: "payment.authorized", providerRef: orderId };
      case "PAYMENT.AUTHORIZATION.VOIDED":
        return { ...base, ...withAmount, type: "payment.canceled", providerRef: orderId };
      case "PAYMENT.CAPTURE.COMPLETED":
        return { ...base, ...withAmount, type: "payment.succeeded", providerRef: orderId };
      case "PAYMENT.CAPTURE.DENIED":
      case "PAYMENT.CAPTURE.DECLINED":
        return { ...base, ...withAmount, type: "payment.failed", providerRef: orderId, failureReason: "PayPal declined the payment" };
      case "PAYMENT.CAPTURE.REFUNDED": {
        // a refund names its capture (the "up" link), and the capture its order
        const captureUrl = resource.links?.find((l) => l.rel === "up")?.href;
        const captureId = captureUrl ? /\/v2\/payments\/captures\/([^/?#]+)/.exec(captureUrl)?.[1] : undefined;
        const capture = captureId ? await this.call<PayPalCapture>("GET", `/v2/payments/captures/${encodeURIComponent(captureId)}`) : undefined;
        // no status: a refund happened, as the event says; a status we do not know settles nothing
        const status = resource.status === undefined ? "succeeded" : (REFUND_STATUSES[resource.status] ?? "pending");
        const failed = status === "failed";
        return {
          ...base,
          ...withAmount,
          type: status === "succeeded" ? "refund.succeeded" : failed ? "refund.failed" : "other",
          providerRef: capture?.supplementary_data?.related_ids?.order_id,
          ...(resource.id ? { refundRef: resource.id } : {}),
          ...(failed ? { failureReason: resource.status_details?.reason ?? "PayPal could not process the refund" } : {}),
        };
      }
      default:
        return { ...base, type: "other", providerRef: orderId ?? resource.id };
    }
  }

  /** Captures or authorizes an approved order (see the header); any other order comes back as it is. */
  private async confirmOrder(order: PayPalOrder, idempotencyKey: string): Promise<PayPalOrder> {
    if (order.status !== "APPROVED") return order;
    const action = order.intent === "CAPTURE" ? "capture" : "authorize";
    return this.call<PayPalOrder>("POST", `/v2/checkout/orders/${encodeURIComponent(order.id)}/${action}`, {}, idempotencyKey);
  }

  /** The order's refund whose invoice_id is our refund id; one the order lists without its invoice_id is read in full. */
  private async refundOf(order: PayPalOrder, refundId: string): Promise<PayPalRefund | undefined> {
    for (const unit of order.purchase_units ?? []) {
      for (const listed of unit.payments?.refunds ?? []) {
        const refund = listed.invoice_id === undefined ? await this.readRefund(listed.id) : listed;
        if (refund.invoice_id === refundId) return refund;
      }
    }
    return undefined;
  }

  private readRefund(id: string): Promise<PayPalRefund> {
    return this.call<PayPalRefund>("GET", `/v2/payments/refunds/${encodeURIComponent(id)}`);
  }

  private order(id: string): Promise<PayPalOrder> {
    return this.call<PayPalOrder>("GET", `/v2/checkout/orders/${encodeURIComponent(id)}`);
  }

  /** The cached token while it is fresh; otherwise one new request, shared by every caller waiting meanwhile. */
  private async accessToken(): Promise<Token> {
    const pending = this.token;
    if (pending) {
      const token = await pending.catch(() => undefined);
      if (token && token.expiresAt > this.clock()) return token;
      if (this.token === pending) this.token = undefined;
    }
    this.token ??= this.fetchToken().catch((error: unknown) => {
      this.token = undefined;
      throw error;
    });
    return this.token;
  }

  private async fetchToken(): Promise<Token> {
    const requested = this.clock();
    const response = await this.send("/v1/oauth2/token", {
      method: "POST",
      headers: { authorization: this.basic, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: "grant_type=client_credentials",
    });
    const json = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!response.ok || !json.access_token) throw new PayPalApiError(response.status, json as PayPalErrorBody);
    // renewed a little early, so a token never expires between our check and PayPal's
    const lifetime = (json.expires_in ?? 0) * 1000;
    return { value: json.access_token, expiresAt: requested + lifetime - Math.min(60_000, lifetime / 10) };
  }

  /** One API call with the bearer token; a token PayPal refuses early is dropped and the call made once more. */
  private async call<T>(method: string, path: string, body?: unknown, requestId?: string, retried = false): Promise<T> {
    const token = await this.accessToken();
    const response = await this.send(path, {
      method,
      headers: {
        authorization: `Bearer ${token.value}`,
        accept: "application/json",
        prefer: "return=representation",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(requestId ? { "paypal-request-id": requestId } : {}),
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    if (response.status === 401 && !retried) {
      if (this.token && (await this.token.catch(() => undefined))?.value === token.value) this.token = undefined;
      return this.call<T>(method, path, body, requestId, true);
    }
    const text = await response.text();
    let json: unknown = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (response.ok && json !== undefined) return json as T;
    throw new PayPalApiError(response.status, (json ?? {}) as PayPalErrorBody);
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const failure = new ProviderError("PayPal is unavailable, try again shortly", "unavailable");
      failure.cause = error;
      throw failure;
    }
  }
}

function payments(order: PayPalOrder) {
  return order.purchase_units?.[0]?.payments ?? {};
}

function orderAmount(order: PayPalOrder): number | undefined {
  const amount = order.purchase_units?.[0]?.amount;
  return amount ? fromPayPalValue(amount.value, amount.currency_code) : undefined;
}

/** The buyer's funding source said no at the last step (INSTRUMENT_DECLINED…): a failed payment, not an error. */
function declined(order: PayPalOrder, error: unknown): ProviderPayment {
  if (error instanceof PayPalApiError && DECLINES.has(error.issue ?? ""))
    return { providerRef: order.id, status: "failed", capturedMinor: 0, failureReason: error.message };
  throw error;
}

function toPayment(order: PayPalOrder): ProviderPayment {
  const base = { providerRef: order.id, capturedMinor: 0 };
  const { captures = [], authorizations = [] } = payments(order);
  const captured = captures.filter((c) => CAPTURED.has(c.status)).reduce((sum, c) => sum + (fromPayPalValue(c.amount.value, c.amount.currency_code) ?? 0), 0);
  switch (order.status) {
    case "CREATED":
    case "SAVED":
    case "PAYER_ACTION_REQUIRED": {
      const link = order.links?.find((l) => l.rel === "payer-action") ?? order.links?.find((l) => l.rel === "approve");
      return { ...base, status: "requires_action", ...(link ? { nextActionUrl: link.href } : {}) };
    }
    case "APPROVED":
      return { ...base, status: "authorized" };
    case "VOIDED":
      return { ...base, status: "canceled" };
    default:
      break;
  }
  if (captured > 0) return { ...base, status: "captured", capturedMinor: captured };
  const capture = captures[0];
  if (capture?.status === "PENDING") return { ...base, status: "processing" };
  if (capture && (capture.status === "DECLINED" || capture.status === "FAILED")) {
    return { ...base, status: "failed", failureReason: capture.status_details?.reason ?? "PayPal declined the payment" };
  }
  const authorization = authorizations[0];
  if (authorization?.status === "CREATED" || authorization?.status === "PENDING") return { ...base, status: "authorized" };
  if (authorization?.status === "VOIDED" || authorization?.status === "EXPIRED") return { ...base, status: "canceled" };
  if (authorization?.status === "DENIED") return { ...base, status: "failed", failureReason: "PayPal denied the authorization" };
  return { ...base, status: "processing" };
}

/** A Refund's status in our words. */
const REFUND_STATUSES: Record<string, ProviderRefund["status"]> = { COMPLETED: "succeeded", PENDING: "pending", FAILED: "failed", CANCELLED: "failed" };

function toRefund(refund: PayPalRefund): ProviderRefund {
  if (refund.status === "COMPLETED") return { providerRef: refund.id, status: "succeeded" };
  if (refund.status === "PENDING") return { providerRef: refund.id, status: "pending" };
  return { providerRef: refund.id, status: "failed", failureReason: refund.status_details?.reason ?? "PayPal could not process the refund" };
}

function toProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  let result: ProviderError;
  if (error instanceof PayPalApiError) {
    if (error.status === 401 || error.status === 403) result = new ProviderError("PayPal refused our credentials", "unavailable");
    else if (error.status >= 500 || error.status === 429) result = new ProviderError("PayPal is unavailable, try again shortly", "unavailable");
    else if (DECLINES.has(error.issue ?? "")) result = new ProviderError(error.message, "declined");
    else result = new ProviderError(error.issue ? `${error.issue}: ${error.message}` : error.message, "invalid_request");
  } else result = new ProviderError("PayPal is unavailable, try again shortly", "unavailable");
  result.cause = error;
  return result;
}

interface PayPalEvent {
  id?: string;
  event_type?: string;
  create_time?: string;
  resource?: {
    id?: string;
    status?: string;
    status_details?: { reason?: string };
    custom_id?: string;
    amount?: Money;
    purchase_units?: { custom_id?: string; amount?: Money }[];
    supplementary_data?: { related_ids?: { order_id?: string } };
    links?: Link[];
  };
}
