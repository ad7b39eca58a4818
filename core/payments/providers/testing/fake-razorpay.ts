// A local stand-in for Razorpay's REST API, for tests: exactly the endpoints the adapter uses, with Razorpay's Basic
// auth, entity shapes (notes answered as `[]` when empty), error objects ({ error: { code, description, source,
// step, reason, metadata, field } }, a bad key answered 401 with code BAD_REQUEST_ERROR), the documented input rules
// and signed webhooks (HMAC-SHA256 hex of the raw body in X-Razorpay-Signature, the id in X-Razorpay-Event-Id).
// A payment's refunds are listed as Razorpay lists them: { entity: "collection", count, items }, newest first,
// `count` a page (10 unless asked, at most 100) after `skip`.
//
// Outcomes are chosen by the payment method, like Razorpay's test mode:
//   upi collect   success@razorpay succeeds, failure@razorpay fails, once `settleUpi` plays the buyer's UPI app
//   saved cards   token_success authorises at once, token_3ds needs the bank page (`authenticate`), token_decline
//                 is declined by the bank; any other token does not exist
//   netbanking    HDFC, ICIC, SBIN, UTIB: the bank page (`authenticate`)
// Deliberately lenient: email, contact and ip (mandatory at Razorpay unless support relaxes them) are not required,
// since the adapter has no buyer contact to send.
import { createHmac, randomBytes } from "node:crypto";

type Notes = Record<string, string>;

export interface FakeOrder {
  id: string;
  entity: "order";
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  status: "created" | "attempted" | "paid";
  attempts: number;
  notes: Notes;
  payment_capture: boolean;
  created_at: number;
}

export interface FakePayment {
  id: string;
  entity: "payment";
  amount: number;
  currency: string;
  status: "created" | "authorized" | "captured" | "refunded" | "failed";
  order_id: string;
  method: string;
  amount_refunded: number;
  refund_status: "partial" | "full" | null;
  captured: boolean;
  description: string | null;
  token_id: string | null;
  bank: string | null;
  vpa: string | null;
  notes: Notes;
  error_code: string | null;
  error_description: string | null;
  error_source: string | null;
  error_step: string | null;
  error_reason: string | null;
  created_at: number;
}

export interface FakeRefund {
  id: string;
  entity: "refund";
  amount: number;
  currency: string;
  payment_id: string;
  notes: Notes;
  receipt: string | null;
  status: "pending" | "processed" | "failed";
  speed_requested: string;
  created_at: number;
}

/** A webhook Razorpay would POST: the exact body and headers. */
export interface Delivery {
  event: string;
  body: string;
  headers: Headers;
}

const SUPPORTED_CURRENCIES = new Set(["INR", "USD", "EUR", "GBP", "SGD", "AED", "AUD", "CAD", "JPY", "KWD", "BHD", "OMR", "MYR", "SAR", "CHF"]);
const BANKS = new Set(["HDFC", "ICIC", "SBIN", "UTIB"]);
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const razorpayId = (prefix: string) => `${prefix}_${Array.from(randomBytes(14), (b) => BASE62[b % 62]).join("")}`;

function rzpError(status: number, description: string, extra: Record<string, unknown> = {}): Response {
  const error = {
    code: status >= 500 ? "SERVER_ERROR" : "BAD_REQUEST_ERROR",
    description,
    source: "business",
    step: "payment_initiation",
    reason: "input_validation_failed",
    metadata: {},
    ...extra,
  };
  return Response.json({ error }, { status });
}

const invalid = (description: string, field?: string) => rzpError(400, description, field ? { field } : {});
/** Razorpay's PHP heritage: an empty notes object is answered as an empty array. */
const withNotes = <T extends { notes: Notes }>(entity: T) => ({ ...entity, notes: Object.keys(entity.notes).length ? entity.notes : [] });

export class FakeRazorpay {
  readonly keyId = "rzp_test_FAKE0123456789";
  readonly keySecret = "fake_key_secret_0123456789";
  readonly webhookSecret = "fake_webhook_secret_0123";
  readonly orders = new Map<string, FakeOrder>();
  readonly payments = new Map<string, FakePayment>();
  readonly refunds = new Map<string, FakeRefund>();
  /** every webhook it would have sent, oldest first */
  readonly deliveries: Delivery[] = [];
  /** every request, for asserting on the wire format */
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  /** the next POST /v1/payments/create/json answers 500 after its order exists (a hiccup between the two calls) */
  failNextPaymentCreate = false;
  /** how many of the next API calls answer 500 SERVER_ERROR, as during a Razorpay incident (`failNext`) */
  private outages = 0;
  /** refunds are created with this status (Razorpay's normal refunds may stay pending for days) */
  refundStatus: FakeRefund["status"] = "processed";
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor() {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => this.handle(request) });
  }

  get base(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  stop(): void {
    this.server.stop(true);
  }

  /** The next `count` API calls answer 500 SERVER_ERROR. */
  failNext(count = 1): void {
    this.outages = count;
  }

  /** Signs a body as Razorpay does; pass another secret to forge. */
  sign(body: string, secret = this.webhookSecret): string {
    return createHmac("sha256", secret).update(body).digest("hex");
  }

  /** A webhook for `event` about these entities, signed, as Razorpay would POST it. */
  webhook(event: string, entities: { payment?: FakePayment; refund?: FakeRefund }, createdAt = this.now()): Delivery {
    const payload: Record<string, { entity: unknown }> = {};
    if (entities.refund) payload.refund = { entity: withNotes(entities.refund) };
    if (entities.payment) payload.payment = { entity: withNotes(entities.payment) };
    const body = JSON.stringify({ entity: "event", account_id: "acc_FAKE0123456789", event, contains: Object.keys(payload), payload, created_at: createdAt });
    const headers = new Headers({
      "content-type": "application/json",
      "x-razorpay-signature": this.sign(body),
      "x-razorpay-event-id": razorpayId("evt").replace("evt_", ""),
    });
    return { event, body, headers };
  }

  /** The buyer approves (or, for failure@razorpay, declines) the collect request in their UPI app. */
  settleUpi(paymentId: string): FakePayment {
    const payment = this.pending(paymentId, "upi");
    if (payment.vpa === "failure@razorpay")
      this.fail(
        payment,
        "BAD_REQUEST_ERROR",
        "Payment was unsuccessful as you declined the request on your UPI app.",
        "customer",
        "payment_authorization",
        "payment_declined",
      );
    else this.authorize(payment);
    return payment;
  }

  /** The buyer finishes (or abandons) the bank's page the redirect led to. */
  authenticate(paymentId: string, outcome: "success" | "failure"): FakePayment {
    const payment = this.pending(paymentId);
    if (outcome === "success") this.authorize(payment);
    else
      this.fail(
        payment,
        "BAD_REQUEST_ERROR",
        "Payment failed because the authentication was not completed.",
        "customer",
        "payment_authentication",
        "authentication_failed",
      );
    return payment;
  }

  /** A pending refund settles at the bank: processed, or failed (its amount refundable again), with its webhook. */
  settleRefund(refundId: string, outcome: "processed" | "failed"): FakeRefund {
    const refund = this.refunds.get(refundId);
    if (refund?.status !== "pending") throw new Error(`no pending refund ${refundId}`);
    const payment = this.payments.get(refund.payment_id) as FakePayment;
    refund.status = outcome;
    if (outcome === "failed") {
      payment.amount_refunded -= refund.amount;
      payment.refund_status = payment.amount_refunded === 0 ? null : "partial";
      if (payment.status === "refunded") payment.status = "captured";
    }
    this.emit(outcome === "processed" ? "refund.processed" : "refund.failed", { refund, payment });
    return refund;
  }

  private now(): number {
    return Math.floor(Date.now() / 1000);
  }

  private pending(paymentId: string, method?: string): FakePayment {
    const payment = this.payments.get(paymentId);
    if (payment?.status !== "created" || (method && payment.method !== method)) throw new Error(`no pending ${method ?? ""} payment ${paymentId}`);
    return payment;
  }

  private emit(event: string, entities: { payment?: FakePayment; refund?: FakeRefund }): void {
    // a snapshot, as Razorpay's payloads are: later changes do not reach an event already sent
    this.deliveries.push(this.webhook(event, structuredClone(entities)));
  }

  private authorize(payment: FakePayment): void {
    const order = this.orders.get(payment.order_id) as FakeOrder;
    payment.status = "authorized";
    this.emit("payment.authorized", { payment });
    if (order.payment_capture) this.captureNow(payment);
  }

  private captureNow(payment: FakePayment): void {
    const order = this.orders.get(payment.order_id) as FakeOrder;
    payment.status = "captured";
    payment.captured = true;
    Object.assign(order, { status: "paid", amount_paid: payment.amount, amount_due: 0 });
    this.emit("payment.captured", { payment });
  }

  private fail(payment: FakePayment, code: string, description: string, source: string, step: string, reason: string): void {
    Object.assign(payment, {
      status: "failed",
      error_code: code,
      error_description: description,
      error_source: source,
      error_step: step,
      error_reason: reason,
    });
    this.emit("payment.failed", { payment });
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    let body: Record<string, unknown> = {};
    if (request.method === "POST") {
      const text = await request.text();
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return invalid("The request body is not valid JSON");
      }
    }
    this.requests.push({ method: request.method, path: url.pathname + url.search, body });
    const [user, secret] = Buffer.from((request.headers.get("authorization") ?? "").replace(/^Basic /i, ""), "base64")
      .toString()
      .split(":", 2);
    if (user !== this.keyId || secret !== this.keySecret) {
      return rzpError(401, "The api key provided is invalid", { source: "NA", step: "NA", reason: "NA" });
    }
    if (this.outages > 0) {
      this.outages--;
      return rzpError(500, "The server encountered an error. The incident has been reported to admins.", { source: "NA", step: "NA", reason: "NA" });
    }
    const route = `${request.method} ${url.pathname}`;
    if (route === "POST /v1/orders") return this.createOrder(body);
    if (route === "GET /v1/orders") return this.listOrders(url.searchParams);
    if (route === "POST /v1/payments/create/json") return this.createPayment(body);
    const refundById = /^GET \/v1\/refunds\/([^/]+)$/.exec(route);
    if (refundById) {
      const refundId = decodeURIComponent(refundById[1] as string);
      const refund = this.refunds.get(refundId);
      // Razorpay answers an unknown id 400, not 404; one not of its form is "not a valid id"
      if (!refund) return invalid(/^rfnd_[0-9A-Za-z]{14}$/.test(refundId) ? "The id provided does not exist" : `${refundId} is not a valid id`);
      return Response.json(withNotes(refund));
    }
    const orderPayments = /^GET \/v1\/orders\/([^/]+)\/payments$/.exec(route);
    if (orderPayments) {
      const orderId = orderPayments[1] as string;
      if (!this.orders.has(orderId)) return invalid("The id provided does not exist");
      return collection([...this.payments.values()].filter((p) => p.order_id === orderId));
    }
    const onPayment = /^(GET|POST) \/v1\/payments\/([^/]+)(?:\/(capture|refund|refunds))?$/.exec(route);
    if (onPayment) {
      const payment = this.payments.get(onPayment[2] as string);
      if (!payment) return invalid("The id provided does not exist");
      const action = `${onPayment[1]} ${onPayment[3] ?? ""}`;
      if (action === "GET ") return Response.json(withNotes(payment));
      if (action === "POST capture") return this.capture(payment, body);
      if (action === "POST refund") return this.refund(payment, body);
      if (action === "GET refunds") return this.listRefunds(payment, url.searchParams);
    }
    return rzpError(400, "The requested URL was not found on the server.");
  }

  private createOrder(body: Record<string, unknown>): Response {
    const amountError = checkAmount(body.amount, body.currency);
    if (amountError) return amountError;
    if (typeof body.receipt === "string" && body.receipt.length > 40) return invalid("The receipt may not be greater than 40 characters.", "receipt");
    const notes = checkNotes(body.notes);
    if (notes instanceof Response) return notes;
    if (body.payment_capture !== undefined && typeof body.payment_capture !== "boolean" && body.payment_capture !== 0 && body.payment_capture !== 1) {
      return invalid("The payment capture field is invalid.", "payment_capture");
    }
    const amount = body.amount as number;
    const order: FakeOrder = {
      id: razorpayId("order"),
      entity: "order",
      amount,
      amount_paid: 0,
      amount_due: amount,
      currency: body.currency as string,
      receipt: typeof body.receipt === "string" ? body.receipt : null,
      status: "created",
      attempts: 0,
      notes,
      // the account default is automatic capture
      payment_capture: body.payment_capture === undefined ? true : Boolean(body.payment_capture),
      created_at: this.now(),
    };
    this.orders.set(order.id, order);
    const { payment_capture: _, ...answer } = order;
    return Response.json(withNotes(answer as FakeOrder));
  }

  private listOrders(query: URLSearchParams): Response {
    const receipt = query.get("receipt");
    const count = Math.min(Number(query.get("count") ?? 10), 100);
    const skip = Number(query.get("skip") ?? 0);
    const items = [...this.orders.values()]
      .filter((o) => receipt === null || o.receipt === receipt)
      .reverse()
      .slice(skip, skip + count)
      .map(({ payment_capture: _, ...order }) => order as FakeOrder);
    return collection(items);
  }

  private listRefunds(payment: FakePayment, query: URLSearchParams): Response {
    const count = Number(query.get("count") ?? 10);
    const skip = Number(query.get("skip") ?? 0);
    if (!Number.isInteger(count) || count < 1) return invalid("The count must be at least 1.", "count");
    if (count > 100) return invalid("The count may not be greater than 100.", "count");
    if (!Number.isInteger(skip) || skip < 0) return invalid("The skip must be at least 0.", "skip");
    const refunds = [...this.refunds.values()].filter((r) => r.payment_id === payment.id).reverse();
    return collection(refunds.slice(skip, skip + count));
  }

  private createPayment(body: Record<string, unknown>): Response {
    const order = this.orders.get(String(body.order_id ?? ""));
    if (!order) return invalid("The id provided does not exist", "order_id");
    const amountError = checkAmount(body.amount, body.currency);
    if (amountError) return amountError;
    if (body.amount !== order.amount) return invalid("The amount must match the order amount", "amount");
    if (body.currency !== order.currency) return invalid("Currency should be same as order currency", "currency");
    if (order.status === "paid") return invalid("Order has already been paid", "order_id");
    const notes = checkNotes(body.notes);
    if (notes instanceof Response) return notes;
    const payment: FakePayment = {
      id: razorpayId("pay"),
      entity: "payment",
      amount: order.amount,
      currency: order.currency,
      status: "created",
      order_id: order.id,
      method: String(body.method ?? ""),
      amount_refunded: 0,
      refund_status: null,
      captured: false,
      description: typeof body.description === "string" ? body.description : null,
      token_id: null,
      bank: null,
      vpa: null,
      notes,
      error_code: null,
      error_description: null,
      error_source: null,
      error_step: null,
      error_reason: null,
      created_at: this.now(),
    };
    const next = (action: string, url: string) => Response.json({ razorpay_payment_id: payment.id, next: [{ action, url }] });
    const start = () => {
      this.payments.set(payment.id, payment);
      order.attempts += 1;
      order.status = "attempted";
    };
    if (this.failNextPaymentCreate) {
      this.failNextPaymentCreate = false;
      return rzpError(500, "The server encountered an error. The incident has been reported to admins.");
    }
    switch (payment.method) {
      case "upi": {
        const upi = body.upi as { flow?: unknown; vpa?: unknown } | undefined;
        if (upi?.flow !== "collect") return invalid("The upi.flow field is invalid.", "upi.flow");
        if (typeof upi.vpa !== "string" || !/^[\w.-]{2,256}@[a-zA-Z][a-zA-Z0-9]{1,64}$/.test(upi.vpa)) {
          return invalid("Invalid VPA. Please enter a valid Virtual Payment Address", "vpa");
        }
        payment.vpa = upi.vpa;
        start();
        return next("poll", `${this.base}/v1/payments/${payment.id}`);
      }
      case "netbanking": {
        if (typeof body.bank !== "string" || !BANKS.has(body.bank)) return invalid("The selected bank is invalid.", "bank");
        payment.bank = body.bank;
        start();
        return next("redirect", `${this.base}/v1/payments/${payment.id}/authenticate`);
      }
      case "card": {
        const token = body.token;
        if (token !== "token_success" && token !== "token_3ds" && token !== "token_decline") return invalid("The token id provided does not exist", "token");
        payment.token_id = token;
        start();
        if (token === "token_3ds") return next("redirect", `${this.base}/v1/payments/${payment.id}/authenticate`);
        if (token === "token_decline") {
          const description = "Your payment has been declined by your bank. Please contact your bank for any queries.";
          this.fail(payment, "BAD_REQUEST_ERROR", description, "bank", "payment_authorization", "payment_declined");
          return rzpError(400, description, {
            source: "bank",
            step: "payment_authorization",
            reason: "payment_declined",
            metadata: { payment_id: payment.id, order_id: order.id },
          });
        }
        this.authorize(payment);
        const signature = createHmac("sha256", this.keySecret).update(`${order.id}|${payment.id}`).digest("hex");
        return Response.json({ razorpay_payment_id: payment.id, razorpay_order_id: order.id, razorpay_signature: signature });
      }
      default:
        return invalid("The method field is invalid.", "method");
    }
  }

  private capture(payment: FakePayment, body: Record<string, unknown>): Response {
    if (!Number.isInteger(body.amount)) return invalid("The amount must be an integer.", "amount");
    if (payment.status === "captured" || payment.status === "refunded") return invalid("This payment has already been captured");
    if (payment.status !== "authorized") return invalid("Only payments which have been authorized and not yet captured can be captured");
    if (body.amount !== payment.amount) return invalid("Capture amount must be equal to the amount authorized", "amount");
    if (body.currency !== undefined && body.currency !== payment.currency) return invalid("Currency should be same as payment currency", "currency");
    this.captureNow(payment);
    return Response.json(withNotes(payment));
  }

  private refund(payment: FakePayment, body: Record<string, unknown>): Response {
    if (!payment.captured) return invalid("The payment has not been captured yet and cannot be refunded");
    const amount = body.amount === undefined ? payment.amount - payment.amount_refunded : body.amount;
    if (!Number.isInteger(amount)) return invalid("The amount must be an integer.", "amount");
    if ((amount as number) < 100) return invalid(`The amount must be at least ${payment.currency} 1.00`, "amount");
    if ((amount as number) > payment.amount - payment.amount_refunded) {
      return invalid("The refund amount provided is greater than amount captured", "amount");
    }
    const notes = checkNotes(body.notes);
    if (notes instanceof Response) return notes;
    const refund: FakeRefund = {
      id: razorpayId("rfnd"),
      entity: "refund",
      amount: amount as number,
      currency: payment.currency,
      payment_id: payment.id,
      notes,
      receipt: typeof body.receipt === "string" ? body.receipt : null,
      status: this.refundStatus,
      speed_requested: typeof body.speed === "string" ? body.speed : "normal",
      created_at: this.now(),
    };
    this.refunds.set(refund.id, refund);
    payment.amount_refunded += refund.amount;
    payment.refund_status = payment.amount_refunded === payment.amount ? "full" : "partial";
    if (payment.amount_refunded === payment.amount) payment.status = "refunded";
    this.emit("refund.created", { refund, payment });
    if (refund.status === "processed") this.emit("refund.processed", { refund, payment });
    if (refund.status === "failed") this.emit("refund.failed", { refund, payment });
    return Response.json(withNotes(refund));
  }
}

function collection<T extends { notes: Notes }>(items: T[]): Response {
  return Response.json({ entity: "collection", count: items.length, items: items.map(withNotes) });
}

/** Razorpay's rules for an amount: an integer of the currency's subunits, at least 100, in a supported currency. */
function checkAmount(amount: unknown, currency: unknown): Response | undefined {
  if (typeof currency !== "string" || !SUPPORTED_CURRENCIES.has(currency)) return invalid("The currency provided is not supported", "currency");
  if (typeof amount !== "number" || !Number.isInteger(amount)) return invalid("The amount must be an integer.", "amount");
  if (amount < 100) return invalid("Order amount less than minimum amount allowed", "amount");
  if (["KWD", "BHD", "OMR"].includes(currency) && amount % 10 !== 0) return invalid("The last digit of a three-decimal amount must be 0", "amount");
  return undefined;
}

function checkNotes(notes: unknown): Notes | Response {
  if (notes === undefined) return {};
  if (!notes || typeof notes !== "object" || Array.isArray(notes)) return invalid("The notes field must be an object.", "notes");
  const entries = Object.entries(notes);
  if (entries.length > 15) return invalid("Number of notes cannot be more than 15", "notes");
  for (const [, value] of entries) {
    if (typeof value !== "string" || value.length > 256) return invalid("The notes value may not be greater than 256 characters.", "notes");
  }
  return Object.fromEntries(entries) as Notes;
}
