// Not run against a live Razorpay account; tested against a local endpoint that follows the documented wire format.
//
// Razorpay through its REST API (plain fetch, Basic auth with the key id and secret): an Order per payment, then a
// server-to-server payment on it (`POST /v1/payments/create/json`, the S2S JSON API Razorpay enables per account).
// Payment methods, as `CreatePaymentInput.paymentMethod`:
//   upi:<vpa>          UPI collect: the buyer approves in their UPI app; `processing` until the webhook says
//   netbanking:<bank>  the buyer is redirected to the bank's page (`requires_action` + nextActionUrl)
//   token_…            a saved (tokenised) card; Razorpay answers authorised, redirect to 3-D Secure, or declined
// Capture follows the order's `payment_capture`: true for automatic, false for manual (then `capture`). Razorpay
// captures the whole authorised amount or nothing, and has no call to void an authorisation: it refunds an
// uncaptured one by itself after the capture window (3–5 days), so `cancel` refuses rather than pretend.
//
// Idempotency: Razorpay takes no idempotency header on these calls. The order's `receipt` is our payment id and
// its notes carry the idempotency key, so a retried createPayment finds the order (`GET /v1/orders?receipt=`) and
// its payments instead of creating new ones: the same key returns the attempt it made; a new key adds an attempt
// only if every earlier one failed. Refunds carry the key in their notes and are looked up the same way, every page
// of them (Razorpay lists 10 by default, at most 100 a page), as does `findRefund` by our refund id (notes.refund_id).
// Two calls racing for the same payment id can both miss the lookup: the caller serialises per payment (it holds the row).
//
// Not sent, though Razorpay documents them as mandatory for S2S payments: the buyer's email, phone and IP, which
// CreatePaymentInput does not carry (an account can have email made optional). Webhooks: HMAC-SHA256 hex of the
// raw body with the webhook secret in X-Razorpay-Signature; no timestamp is signed, so replays are caught only by
// the event id (X-Razorpay-Event-Id) the caller dedupes on. Refund events (refund.processed → refund.succeeded,
// refund.failed → refund.failed; refund.created is other, nothing settled yet) name the payment in `providerRef`, as
// the other adapters do, and the refund in `refundRef`: payload.refund.entity.id, the `rfnd_…` `refund()` returned.
// `getRefund` reads one back by that id (GET /v1/refunds/:id); Razorpay answers an unknown id 400, not 404.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { minorUnitExponent } from "@bazaar/contracts";
import {
  type CreatePaymentInput,
  guarded,
  type PaymentProvider,
  ProviderError,
  type ProviderEvent,
  type ProviderPayment,
  type ProviderPaymentStatus,
  type ProviderRefund,
  type RefundInput,
  WebhookSignatureError,
} from "./provider.ts";

export interface RazorpayProviderOptions {
  keyId: string;
  keySecret: string;
  webhookSecret: string;
  /** another API endpoint (a local fake in tests); default https://api.razorpay.com */
  apiBase?: string;
  /** per request; default 30 s */
  timeoutMs?: number;
}

/** Razorpay answers an empty notes object as `[]`. */
type Notes = Record<string, string> | unknown[];

interface RazorpayOrder {
  id: string;
  amount: number;
  currency: string;
  receipt: string | null;
  status: string;
  notes: Notes;
}

interface RazorpayPayment {
  id: string;
  amount: number;
  currency: string;
  status: "created" | "authorized" | "captured" | "refunded" | "failed";
  order_id: string | null;
  method: string;
  amount_refunded: number;
  captured: boolean;
  notes: Notes;
  error_description: string | null;
  created_at: number;
}

interface RazorpayRefund {
  id: string;
  amount: number;
  currency: string;
  payment_id: string;
  status: "pending" | "processed" | "failed";
  notes: Notes;
}

interface Collection<T> {
  entity: "collection";
  count: number;
  items: T[];
}

interface NextAction {
  action: string;
  url: string;
}

interface RazorpayErrorBody {
  code?: string;
  description?: string;
  field?: string | null;
  source?: string;
  step?: string;
  reason?: string;
  metadata?: { payment_id?: string; order_id?: string };
}

/** A non-2xx answer, before it is turned into our words. */
class RazorpayApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: RazorpayErrorBody,
  ) {
    super(body.description ?? `Razorpay answered ${status}`);
  }
}

/** The steps at which a payment attempt, once made, is refused: a decline to report, not an error to throw. */
const PAYMENT_FAILURE_STEPS = new Set(["payment_authentication", "payment_authorization"]);
const VPA = /^[a-zA-Z0-9.\-_]{2,256}@[a-zA-Z][a-zA-Z0-9]{1,64}$/;
/** Ids as Razorpay and we write them (`pay_…`, `rfnd_…`, `rfd_…`): nothing that would change the path. */
const ID = /^\w+$/;
/** Razorpay's largest page of a list. */
const PAGE = 100;

export class RazorpayProvider implements PaymentProvider {
  readonly name = "razorpay" as const;
  private readonly base: string;
  private readonly authorization: string;
  private readonly webhookSecret: string;
  private readonly timeoutMs: number;

  constructor(options: RazorpayProviderOptions) {
    this.base = (options.apiBase ?? "https://api.razorpay.com").replace(/\/+$/, "");
    this.authorization = `Basic ${Buffer.from(`${options.keyId}:${options.keySecret}`).toString("base64")}`;
    this.webhookSecret = options.webhookSecret;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  async createPayment(input: CreatePaymentInput): Promise<ProviderPayment> {
    checkAmount(input.amountMinor, input.currency);
    const method = paymentMethod(input.paymentMethod);
    return guarded(toProviderError, async () => {
      const order = await this.findOrCreateOrder(input);
      const attempts = (await this.get<Collection<RazorpayPayment>>(`/v1/orders/${order.id}/payments`)).items;
      const mine = attempts.find((p) => note(p.notes, "idempotency_key") === input.idempotencyKey);
      if (mine) return toPayment(mine);
      // an earlier attempt under another key that has not failed is the payment: never a second charge
      const live = attempts.find((p) => p.status !== "failed");
      if (live) return toPayment(live);
      let created: { razorpay_payment_id: string; next?: NextAction[] };
      try {
        created = await this.post("/v1/payments/create/json", {
          amount: input.amountMinor,
          currency: input.currency,
          order_id: order.id,
          ...method,
          ...(input.description ? { description: input.description.slice(0, 255) } : {}),
          ...(input.returnUrl ? { callback_url: input.returnUrl } : {}),
          notes: { payment_id: input.paymentId, idempotency_key: input.idempotencyKey },
        });
      } catch (error) {
        // a declined or failed authentication names the payment it made: that is a result, not an error
        const refused = error instanceof RazorpayApiError ? error.body : undefined;
        if (refused?.metadata?.payment_id && PAYMENT_FAILURE_STEPS.has(refused.step ?? "")) {
          return { providerRef: refused.metadata.payment_id, status: "failed", capturedMinor: 0, failureReason: refused.description ?? "payment failed" };
        }
        throw error;
      }
      const payment = await this.get<RazorpayPayment>(`/v1/payments/${encodeURIComponent(created.razorpay_payment_id)}`);
      return toPayment(payment, created.next ?? []);
    });
  }

  async capture(providerRef: string, amountMinor: number, _idempotencyKey: string): Promise<ProviderPayment> {
    return guarded(toProviderError, async () => {
      const payment = await this.get<RazorpayPayment>(`/v1/payments/${encodeURIComponent(providerRef)}`);
      // a retried capture finds the payment captured already: the same answer, nothing done twice
      if (payment.captured && payment.amount === amountMinor) return toPayment(payment);
      if (payment.status !== "authorized")
        throw new ProviderError(`Only an authorized payment can be captured; this one is ${payment.status}`, "invalid_request");
      if (amountMinor !== payment.amount) throw new ProviderError("Razorpay captures the whole authorized amount or nothing", "invalid_request");
      const body = { amount: amountMinor, currency: payment.currency };
      return toPayment(await this.post<RazorpayPayment>(`/v1/payments/${encodeURIComponent(providerRef)}/capture`, body));
    });
  }

  async cancel(providerRef: string, _idempotencyKey: string): Promise<ProviderPayment> {
    return guarded(toProviderError, async () => {
      const payment = await this.get<RazorpayPayment>(`/v1/payments/${encodeURIComponent(providerRef)}`);
      if (payment.status === "failed") return toPayment(payment);
      if (payment.captured) throw new ProviderError("A captured payment cannot be canceled; refund it", "invalid_request");
      throw new ProviderError("Razorpay cannot void an authorization; an uncaptured payment is refunded to the buyer automatically", "invalid_request");
    });
  }

  async refund(input: RefundInput): Promise<ProviderRefund> {
    checkAmount(input.amountMinor, input.currency);
    const path = `/v1/payments/${encodeURIComponent(input.providerRef)}`;
    return guarded(toProviderError, async () => {
      const existing = (await this.refundsOf(input.providerRef)).find((r) => note(r.notes, "idempotency_key") === input.idempotencyKey);
      if (existing) return toRefund(existing);
      const payment = await this.get<RazorpayPayment>(path);
      if (payment.currency !== input.currency) throw new ProviderError(`The payment is in ${payment.currency}, not ${input.currency}`, "invalid_request");
      const notes: Record<string, string> = { idempotency_key: input.idempotencyKey };
      const paymentId = note(payment.notes, "payment_id");
      if (paymentId) notes.payment_id = paymentId;
      if (input.refundId) notes.refund_id = input.refundId;
      if (input.reason) notes.reason = input.reason.slice(0, 256);
      return toRefund(await this.post<RazorpayRefund>(`${path}/refund`, { amount: input.amountMinor, speed: "normal", notes }));
    });
  }

  async getRefund(refundRef: string): Promise<ProviderRefund> {
    // an empty id would read GET /v1/refunds/, Razorpay's list of every refund, not this one
    if (!ID.test(refundRef)) throw new ProviderError(`Not a Razorpay refund id: '${refundRef}'`, "invalid_request");
    return guarded(toProviderError, async () => toRefund(await this.get<RazorpayRefund>(`/v1/refunds/${encodeURIComponent(refundRef)}`)));
  }

  async findRefund(input: { providerRef: string; refundId: string }): Promise<ProviderRefund | null> {
    if (!ID.test(input.providerRef)) throw new ProviderError(`Not a Razorpay payment id: '${input.providerRef}'`, "invalid_request");
    if (!ID.test(input.refundId)) throw new ProviderError(`Not a refund id: '${input.refundId}'`, "invalid_request");
    // an unknown payment is Razorpay's 400, an invalid request: never "no refund"
    return guarded(toProviderError, async () => {
      const refund = (await this.refundsOf(input.providerRef)).find((r) => note(r.notes, "refund_id") === input.refundId);
      return refund ? toRefund(refund) : null;
    });
  }

  async parseWebhook(rawBody: string, headers: Headers): Promise<ProviderEvent> {
    const signature = headers.get("x-razorpay-signature");
    if (!signature) throw new WebhookSignatureError("missing X-Razorpay-Signature header");
    const expected = createHmac("sha256", this.webhookSecret).update(rawBody).digest();
    const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, "hex") : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookSignatureError("the signature does not match the body");
    let event: RazorpayEvent;
    try {
      event = JSON.parse(rawBody) as RazorpayEvent;
    } catch {
      throw new WebhookSignatureError("the body is not JSON");
    }
    // Razorpay sends the id in a header; a delivery without one still dedupes on its (signed, retried unchanged) body
    const eventId = headers.get("x-razorpay-event-id") || `sha256:${createHash("sha256").update(rawBody).digest("hex")}`;
    return toEvent(event, eventId);
  }

  private async findOrCreateOrder(input: CreatePaymentInput): Promise<RazorpayOrder> {
    const found = (await this.get<Collection<RazorpayOrder>>(`/v1/orders?receipt=${encodeURIComponent(input.paymentId)}`)).items.find(
      (o) => o.receipt === input.paymentId && note(o.notes, "payment_id") === input.paymentId,
    );
    if (found) {
      if (found.amount !== input.amountMinor || found.currency !== input.currency) {
        throw new ProviderError(`Payment ${input.paymentId} already has a Razorpay order for another amount`, "invalid_request");
      }
      return found;
    }
    return this.post<RazorpayOrder>("/v1/orders", {
      amount: input.amountMinor,
      currency: input.currency,
      receipt: input.paymentId,
      payment_capture: input.captureMode === "automatic",
      notes: { payment_id: input.paymentId, idempotency_key: input.idempotencyKey },
    });
  }

  /**
   * Every refund of a payment, page by page. Razorpay lists newest first, so a refund made while paging pushes the
   * older ones a place down the pages: one may be read twice, none is missed.
   */
  private async refundsOf(providerRef: string): Promise<RazorpayRefund[]> {
    const path = `/v1/payments/${encodeURIComponent(providerRef)}/refunds`;
    const refunds: RazorpayRefund[] = [];
    for (;;) {
      const page = (await this.get<Collection<RazorpayRefund>>(`${path}?count=${PAGE}&skip=${refunds.length}`)).items;
      refunds.push(...page);
      if (page.length < PAGE) return refunds;
    }
  }

  private get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  /** The parsed 2xx answer; a RazorpayApiError for any other (the public methods turn it into a ProviderError). */
  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: this.authorization, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const failure = new ProviderError("Razorpay is unavailable, try again shortly", "unavailable");
      failure.cause = error;
      throw failure;
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok && json && typeof json === "object") return json as T;
    throw new RazorpayApiError(response.status, json && typeof json === "object" && "error" in json ? (json.error as RazorpayErrorBody) : {});
  }
}

/** Refuses what Razorpay would refuse, before anything is created. */
function checkAmount(amountMinor: number, currency: string): void {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0)
    throw new ProviderError(`amount must be a positive integer of minor units, got ${amountMinor}`, "invalid_request");
  // documented: three-decimal amounts end in 0 (99.991 KWD is sent as 99990)
  if (minorUnitExponent(currency) === 3 && amountMinor % 10 !== 0) {
    throw new ProviderError(`Razorpay takes ${currency} amounts only in multiples of 10 minor units`, "invalid_request");
  }
}

function paymentMethod(method: string): Record<string, unknown> {
  if (method.startsWith("upi:")) {
    const vpa = method.slice(4);
    if (!VPA.test(vpa)) throw new ProviderError("Not a valid UPI address (name@bank)", "invalid_request");
    return { method: "upi", upi: { flow: "collect", vpa } };
  }
  if (method.startsWith("netbanking:")) return { method: "netbanking", bank: method.slice("netbanking:".length) };
  if (/^token_[A-Za-z0-9_]+$/.test(method)) return { method: "card", token: method };
  throw new ProviderError("Razorpay payment method must be upi:<vpa>, netbanking:<bank> or a saved card token_…", "invalid_request");
}

function toPayment(payment: RazorpayPayment, next: NextAction[] = []): ProviderPayment {
  const redirect = next.find((a) => a.action === "redirect")?.url;
  const status = paymentStatus(payment, redirect !== undefined);
  return {
    providerRef: payment.id,
    status,
    capturedMinor: payment.captured ? payment.amount : 0,
    ...(status === "requires_action" && redirect ? { nextActionUrl: redirect } : {}),
    ...(status === "failed" ? { failureReason: payment.error_description ?? "payment failed" } : {}),
  };
}

function paymentStatus(payment: RazorpayPayment, redirect: boolean): ProviderPaymentStatus {
  switch (payment.status) {
    case "authorized":
      return "authorized";
    case "captured":
    case "refunded":
      // a refund is its own record; the payment was captured all the same
      return "captured";
    case "failed":
      return "failed";
    default:
      // created: waiting for the bank page (redirect) or for the buyer's UPI app (poll)
      return redirect ? "requires_action" : "processing";
  }
}

function toRefund(refund: RazorpayRefund): ProviderRefund {
  const status = refund.status === "processed" ? "succeeded" : refund.status === "failed" ? "failed" : "pending";
  return { providerRef: refund.id, status, ...(status === "failed" ? { failureReason: "Razorpay could not process the refund" } : {}) };
}

function toProviderError(error: unknown): ProviderError {
  let result: ProviderError;
  if (error instanceof ProviderError) return error;
  if (error instanceof RazorpayApiError) {
    if (error.status === 401 || error.status === 403) result = new ProviderError("Razorpay refused our credentials", "unavailable");
    else if (error.status >= 500 || error.status === 429) result = new ProviderError("Razorpay is unavailable, try again shortly", "unavailable");
    else if (PAYMENT_FAILURE_STEPS.has(error.body.step ?? "")) result = new ProviderError(error.message, "declined");
    else result = new ProviderError(error.message, "invalid_request");
  } else result = new ProviderError("Razorpay is unavailable, try again shortly", "unavailable");
  result.cause = error;
  return result;
}

function note(notes: Notes | undefined, key: string): string | undefined {
  if (!notes || Array.isArray(notes)) return undefined;
  const value = notes[key];
  return typeof value === "string" && value ? value : undefined;
}

interface RazorpayEvent {
  event?: string;
  created_at?: number;
  payload?: { payment?: { entity?: RazorpayPayment }; refund?: { entity?: RazorpayRefund } };
}

const PAYMENT_EVENTS = {
  "payment.captured": "payment.succeeded",
  "payment.authorized": "payment.authorized",
  "payment.failed": "payment.failed",
} as const;

function toEvent(event: RazorpayEvent, eventId: string): ProviderEvent {
  const type = String(event.event ?? "");
  const payment = event.payload?.payment?.entity;
  const refund = event.payload?.refund?.entity;
  const base = {
    eventId,
    occurredAt: (typeof event.created_at === "number" ? event.created_at : 0) * 1000,
    providerType: type,
    providerRef: payment?.id ?? refund?.payment_id,
    paymentId: note(payment?.notes, "payment_id") ?? note(refund?.notes, "payment_id"),
  };
  if (type in PAYMENT_EVENTS && payment) {
    const ours = PAYMENT_EVENTS[type as keyof typeof PAYMENT_EVENTS];
    return {
      ...base,
      type: ours,
      amountMinor: payment.amount,
      ...(ours === "payment.failed" ? { failureReason: payment.error_description ?? "payment failed" } : {}),
    };
  }
  if ((type === "refund.processed" || type === "refund.failed") && refund) {
    return {
      ...base,
      type: type === "refund.processed" ? "refund.succeeded" : "refund.failed",
      providerRef: refund.payment_id,
      refundRef: refund.id,
      amountMinor: refund.amount,
      ...(type === "refund.failed" ? { failureReason: "Razorpay could not process the refund" } : {}),
    };
  }
  return { ...base, type: "other" };
}
