// A local stand-in for PayPal's REST API, for tests: exactly the endpoints the adapter uses (OAuth2 token, Orders v2,
// Payments v2 authorizations/captures/refunds, webhook signature verification), with PayPal's auth (Basic for the
// token, Bearer after; expired or unknown tokens answered 401), error shapes ({ name, message, debug_id, details:
// [{ field, value, location, issue, description }], links }), amount rules (value a decimal string, no decimals for
// JPY/HUF/TWD, at most two otherwise → 422 DECIMAL_PRECISION; unsupported currencies → 422 CURRENCY_NOT_SUPPORTED),
// PayPal-Request-Id replays (the first answer again, errors included) and signed webhooks: SHA256withRSA over
// `transmission_id|transmission_time|webhook_id|crc32(body)`, checked by its verify-webhook-signature endpoint.
//
// Outcomes: the buyer approves with `approve` (optionally with a funding source that then declines at capture);
// saved wallets: vault_ok is charged, vault_decline is declined by PayPal (the order completes with a DECLINED
// capture or DENIED authorization), vault_refused is refused outright (422 INSTRUMENT_DECLINED, no order).
//
// Refunds keep their invoice_id; a second refund of a capture under an invoice_id already refunded is refused (422
// DUPLICATE_REFUND). PayPal has no list of refunds: an order shows its purchase unit's refunds in `payments.refunds`,
// in full; `orderRefunds` "brief" lists only their id, status, amount and links, "hidden" none (a read that lags).
import { createSign, createVerify, generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from "node:crypto";

interface Money {
  currency_code: string;
  value: string;
}

interface Link {
  href: string;
  rel: string;
  method: string;
}

export interface FakeCapture {
  id: string;
  status: "COMPLETED" | "DECLINED" | "PARTIALLY_REFUNDED" | "REFUNDED";
  amount: Money;
  final_capture: boolean;
  custom_id?: string;
  orderId: string;
  refundedMinor: number;
  create_time: string;
}

export interface FakeAuthorization {
  id: string;
  status: "CREATED" | "CAPTURED" | "PARTIALLY_CAPTURED" | "DENIED" | "VOIDED";
  amount: Money;
  custom_id?: string;
  orderId: string;
  capturedMinor: number;
  create_time: string;
}

export interface FakeRefund {
  id: string;
  status: "COMPLETED" | "PENDING" | "FAILED";
  amount: Money;
  custom_id?: string;
  invoice_id?: string;
  note_to_payer?: string;
  captureId: string;
  create_time: string;
}

export interface FakeOrder {
  id: string;
  intent: "CAPTURE" | "AUTHORIZE";
  status: "CREATED" | "PAYER_ACTION_REQUIRED" | "APPROVED" | "COMPLETED" | "VOIDED";
  purchaseUnit: { reference_id: string; custom_id?: string; description?: string; amount: Money };
  paymentSource: Record<string, unknown> | undefined;
  captureIds: string[];
  authorizationIds: string[];
  /** the buyer's funding source will decline when the order is captured or authorized */
  fundingDeclines: boolean;
  create_time: string;
}

/** A webhook PayPal would POST: the exact body and headers. */
export interface Delivery {
  eventType: string;
  body: string;
  headers: Headers;
}

const SUPPORTED = new Set([
  "AUD",
  "BRL",
  "CAD",
  "CNY",
  "CZK",
  "DKK",
  "EUR",
  "HKD",
  "HUF",
  "ILS",
  "JPY",
  "MYR",
  "MXN",
  "TWD",
  "NZD",
  "NOK",
  "PHP",
  "PLN",
  "GBP",
  "SGD",
  "SEK",
  "CHF",
  "THB",
  "USD",
]);
const NO_DECIMALS = new Set(["HUF", "JPY", "TWD"]);
const VALUE = /^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$/;
const ID_PATTERN = /^(?!\d+$)\w+\S+/;

const paypalId = () => Array.from(randomBytes(17), (b) => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[b % 36]).join("");
const debugId = () => randomBytes(7).toString("hex").slice(0, 13);
const iso = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

interface Detail {
  field?: string;
  value?: string;
  location?: string;
  issue: string;
  description: string;
}

function failure(status: number, name: string, message: string, details: Detail[] = []): Response {
  const links = details.map((d) => ({ href: `https://developer.paypal.com/docs/api/orders/v2/#error-${d.issue}`, rel: "information_link", method: "GET" }));
  return Response.json({ name, message, debug_id: debugId(), ...(details.length ? { details } : {}), links }, { status });
}

const unprocessable = (issue: string, description: string, field?: string, value?: string) =>
  failure(422, "UNPROCESSABLE_ENTITY", "The requested action could not be performed, semantically incorrect, or failed business validation.", [
    { ...(field ? { field, location: "body" } : {}), ...(value !== undefined ? { value } : {}), issue, description },
  ]);

const invalidRequest = (issue: string, description: string, field: string, value?: string) =>
  failure(400, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", [
    { field, ...(value !== undefined ? { value } : {}), location: "body", issue, description },
  ]);

const notFound = (field: string, value: string) =>
  failure(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", [
    {
      field,
      value,
      location: "path",
      issue: "INVALID_RESOURCE_ID",
      description: "Specified resource ID does not exist. Please check the resource ID and try again.",
    },
  ]);

/** PayPal's minor units for a currency: what its decimal strings are counted in. */
const paypalDecimals = (currency: string) => (NO_DECIMALS.has(currency) ? 0 : 2);

function toMinor(value: string, currency: string): number {
  const [whole = "0", fraction = ""] = value.split(".");
  return Number(`${whole}${fraction.padEnd(paypalDecimals(currency), "0")}`);
}

function fromMinor(minor: number, currency: string): string {
  const decimals = paypalDecimals(currency);
  if (decimals === 0) return String(minor);
  const digits = String(minor).padStart(decimals + 1, "0");
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** PayPal's checks on an amount object; the error it would answer, or nothing. */
function checkMoney(amount: unknown, field: string): Response | undefined {
  const money = amount as Partial<Money> | undefined;
  if (!money || typeof money !== "object") return invalidRequest("MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing.", field);
  if (typeof money.currency_code !== "string" || !/^[A-Z]{3}$/.test(money.currency_code)) {
    return invalidRequest("INVALID_PARAMETER_SYNTAX", "The value of a field does not conform to the expected format.", `${field}/currency_code`);
  }
  if (typeof money.value !== "string" || money.value.length > 32 || !VALUE.test(money.value)) {
    return invalidRequest("INVALID_PARAMETER_SYNTAX", "The value of a field does not conform to the expected format.", `${field}/value`, String(money.value));
  }
  if (!SUPPORTED.has(money.currency_code)) {
    return unprocessable(
      "CURRENCY_NOT_SUPPORTED",
      "Currency code is not currently supported. Please refer https://developer.paypal.com/docs/api/reference/currency-codes/ for list of supported currency codes.",
      `${field}/currency_code`,
      money.currency_code,
    );
  }
  const decimals = money.value.split(".")[1]?.length ?? 0;
  if (decimals > paypalDecimals(money.currency_code)) {
    const description = NO_DECIMALS.has(money.currency_code)
      ? "Currency does not support decimals."
      : "If the currency supports decimals, only two decimal place precision is supported.";
    return unprocessable("DECIMAL_PRECISION", description, `${field}/value`, money.value);
  }
  if (toMinor(money.value, money.currency_code) <= 0)
    return unprocessable("CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero.", `${field}/value`, money.value);
  return undefined;
}

export class FakePayPal {
  readonly clientId = "AfakeClientId0123456789-paypal";
  readonly clientSecret = "EfakeClientSecret0123456789-paypal";
  readonly webhookId = "1JE4291016473214C";
  readonly orders = new Map<string, FakeOrder>();
  readonly captures = new Map<string, FakeCapture>();
  readonly authorizations = new Map<string, FakeAuthorization>();
  readonly refunds = new Map<string, FakeRefund>();
  readonly deliveries: Delivery[] = [];
  readonly requests: { method: string; path: string; headers: Headers; body: unknown }[] = [];
  /** how long the tokens it issues live */
  tokenTtlSeconds = 32_400;
  /** refunds are created with this status */
  refundStatus: FakeRefund["status"] = "COMPLETED";
  /** how an order shows its refunds: as full Refund objects, only id/status/amount/links, or not yet at all */
  orderRefunds: "full" | "brief" | "hidden" = "full";
  #outages = 0;
  readonly #tokens = new Map<string, number>();
  readonly #replays = new Map<string, { status: number; body: string }>();
  readonly #keys: { privateKey: KeyObject; publicKey: KeyObject };
  readonly #server: ReturnType<typeof Bun.serve>;

  constructor() {
    this.#keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.#server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (request) => this.#handle(request) });
  }

  get base(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  get certUrl(): string {
    return `${this.base}/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77`;
  }

  /** how many tokens it has issued */
  get tokensIssued(): number {
    return this.requests.filter((r) => r.path === "/v1/oauth2/token").length;
  }

  stop(): void {
    this.#server.stop(true);
  }

  /** The next `count` API calls (the token endpoint aside) answer 500 INTERNAL_SERVER_ERROR, as during a PayPal incident. */
  failNext(count = 1): void {
    this.#outages = count;
  }

  /** Every token it issued stops working (PayPal may revoke before `expires_in`). */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  /** The buyer approves the order on PayPal's page; with `fundingDeclines`, their funding source fails later. */
  approve(orderId: string, options: { fundingDeclines?: boolean } = {}): void {
    const order = this.orders.get(orderId);
    if (!order || (order.status !== "CREATED" && order.status !== "PAYER_ACTION_REQUIRED")) throw new Error(`order ${orderId} is not waiting for the buyer`);
    order.status = "APPROVED";
    order.fundingDeclines = options.fundingDeclines ?? false;
    this.#emit("CHECKOUT.ORDER.APPROVED", "checkout-order", this.#orderView(order));
  }

  /**
   * A pending refund settles: COMPLETED sends PAYMENT.CAPTURE.REFUNDED, as PayPal does; FAILED gives the amount back
   * to the capture and sends nothing (Payments v2 has no event for it).
   */
  settleRefund(refundId: string, outcome: "COMPLETED" | "FAILED"): void {
    const refund = this.refunds.get(refundId);
    if (refund?.status !== "PENDING") throw new Error(`no pending refund ${refundId}`);
    refund.status = outcome;
    if (outcome === "COMPLETED") {
      this.#emit("PAYMENT.CAPTURE.REFUNDED", "refund", this.#refundView(refund));
      return;
    }
    const capture = this.captures.get(refund.captureId) as FakeCapture;
    capture.refundedMinor -= toMinor(refund.amount.value, refund.amount.currency_code);
    capture.status = capture.refundedMinor === 0 ? "COMPLETED" : "PARTIALLY_REFUNDED";
  }

  /** The Refund as GET /v2/payments/refunds/:id would show it. */
  refundJson(refundId: string) {
    const refund = this.refunds.get(refundId);
    if (!refund) throw new Error(`no refund ${refundId}`);
    return this.#refundView(refund);
  }

  /** A webhook event's headers, signed as PayPal signs them (pass another webhook id or key to forge). */
  signedHeaders(body: string, options: { webhookId?: string; transmissionId?: string; time?: string } = {}): Headers {
    const transmissionId = options.transmissionId ?? randomUUID();
    const time = options.time ?? iso();
    const signature = createSign("RSA-SHA256")
      .update(`${transmissionId}|${time}|${options.webhookId ?? this.webhookId}|${crc32(body)}`)
      .sign(this.#keys.privateKey, "base64");
    return new Headers({
      "content-type": "application/json",
      "paypal-transmission-id": transmissionId,
      "paypal-transmission-time": time,
      "paypal-transmission-sig": signature,
      "paypal-cert-url": this.certUrl,
      "paypal-auth-algo": "SHA256withRSA",
    });
  }

  /** A webhook event about `resource`, signed, as PayPal would POST it. */
  webhook(eventType: string, resourceType: string, resource: unknown): Delivery {
    const body = JSON.stringify({
      id: `WH-${paypalId()}`,
      event_version: "1.0",
      create_time: iso(),
      resource_type: resourceType,
      resource_version: "2.0",
      event_type: eventType,
      summary: eventType,
      resource,
      links: [],
    });
    return { eventType, body, headers: this.signedHeaders(body) };
  }

  #emit(eventType: string, resourceType: string, resource: unknown): void {
    this.deliveries.push(this.webhook(eventType, resourceType, resource));
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const text = request.method === "POST" ? await request.text() : "";
    let body: unknown = {};
    if (url.pathname !== "/v1/oauth2/token" && text) {
      try {
        body = JSON.parse(text);
      } catch {
        return failure(400, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", [
          { issue: "MALFORMED_REQUEST_JSON", description: "The request JSON is not well formed." },
        ]);
      }
    }
    this.requests.push({ method: request.method, path: url.pathname, headers: request.headers, body: url.pathname === "/v1/oauth2/token" ? text : body });
    if (request.method === "POST" && url.pathname === "/v1/oauth2/token") return this.#token(request, text);

    const token = /^Bearer (\S+)$/.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
    const expiresAt = this.#tokens.get(token);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      return Response.json(
        {
          name: "AUTHENTICATION_FAILURE",
          message: "Authentication failed due to invalid authentication credentials or a missing Authorization header.",
          links: [{ href: "https://developer.paypal.com/docs/api/overview/#error", rel: "information_link" }],
        },
        { status: 401 },
      );
    }
    if (this.#outages > 0) {
      this.#outages--;
      return failure(500, "INTERNAL_SERVER_ERROR", "An internal server error has occurred.");
    }
    const requestId = request.headers.get("paypal-request-id");
    const replayKey = requestId ? `${request.method} ${url.pathname} ${requestId}` : undefined;
    const stored = replayKey ? this.#replays.get(replayKey) : undefined;
    if (stored) return new Response(stored.body || null, { status: stored.status, headers: stored.body ? { "content-type": "application/json" } : {} });
    const response = this.#route(request.method, url.pathname, body as Record<string, unknown>);
    if (replayKey && response.status < 500) this.#replays.set(replayKey, { status: response.status, body: await response.clone().text() });
    return response;
  }

  #token(request: Request, text: string): Response {
    const [id, secret] = Buffer.from((request.headers.get("authorization") ?? "").replace(/^Basic /i, ""), "base64")
      .toString()
      .split(":", 2);
    if (id !== this.clientId || secret !== this.clientSecret)
      return Response.json({ error: "invalid_client", error_description: "Client Authentication failed" }, { status: 401 });
    if (new URLSearchParams(text).get("grant_type") !== "client_credentials") {
      return Response.json({ error: "unsupported_grant_type", error_description: "Grant Type is NULL" }, { status: 400 });
    }
    const token = `A21AA${randomBytes(32).toString("base64url")}`;
    this.#tokens.set(token, Date.now() + this.tokenTtlSeconds * 1000);
    return Response.json({
      scope: "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund",
      access_token: token,
      token_type: "Bearer",
      app_id: "APP-80W284485P519543T",
      expires_in: this.tokenTtlSeconds,
      nonce: `${iso()}${randomBytes(8).toString("hex")}`,
    });
  }

  #route(method: string, path: string, body: Record<string, unknown>): Response {
    if (method === "POST" && path === "/v2/checkout/orders") return this.#createOrder(body);
    if (method === "POST" && path === "/v1/notifications/verify-webhook-signature") return this.#verify(body);
    const onOrder = /^\/v2\/checkout\/orders\/([^/]+)(?:\/(capture|authorize))?$/.exec(path);
    if (onOrder) {
      const order = this.orders.get(onOrder[1] as string);
      if (!order) return notFound("order_id", onOrder[1] as string);
      if (method === "GET" && !onOrder[2]) return Response.json(this.#orderView(order));
      if (method === "POST" && onOrder[2]) return this.#completeOrder(order, onOrder[2] as "capture" | "authorize");
    }
    const onAuthorization = /^\/v2\/payments\/authorizations\/([^/]+)\/(capture|void)$/.exec(path);
    if (method === "POST" && onAuthorization) {
      const authorization = this.authorizations.get(onAuthorization[1] as string);
      if (!authorization) return notFound("authorization_id", onAuthorization[1] as string);
      return onAuthorization[2] === "capture" ? this.#captureAuthorization(authorization, body) : this.#void(authorization);
    }
    const onRefund = /^\/v2\/payments\/refunds\/([^/]+)$/.exec(path);
    if (method === "GET" && onRefund) {
      const refund = this.refunds.get(onRefund[1] as string);
      return refund ? Response.json(this.#refundView(refund)) : notFound("refund_id", onRefund[1] as string);
    }
    const onCapture = /^\/v2\/payments\/captures\/([^/]+)(\/refund)?$/.exec(path);
    if (onCapture) {
      const capture = this.captures.get(onCapture[1] as string);
      if (!capture) return notFound("capture_id", onCapture[1] as string);
      if (method === "GET" && !onCapture[2]) return Response.json(this.#captureView(capture));
      if (method === "POST" && onCapture[2]) return this.#refund(capture, body);
    }
    return failure(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.");
  }

  #createOrder(body: Record<string, unknown>): Response {
    if (body.intent !== "CAPTURE" && body.intent !== "AUTHORIZE") {
      return invalidRequest("INVALID_PARAMETER_VALUE", "The value of a field is invalid.", "/intent", String(body.intent));
    }
    const units = body.purchase_units;
    if (!Array.isArray(units) || units.length < 1 || units.length > 10) {
      return invalidRequest("MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing.", "/purchase_units");
    }
    const unit = units[0] as Record<string, unknown>;
    const reference = typeof unit.reference_id === "string" ? unit.reference_id : "default";
    const amountError = checkMoney(unit.amount, `/purchase_units/@reference_id=='${reference}'/amount`);
    if (amountError) return amountError;
    if (unit.custom_id !== undefined && (typeof unit.custom_id !== "string" || unit.custom_id.length > 127)) {
      return invalidRequest(
        "INVALID_STRING_LENGTH",
        "The value of a field is either too short or too long.",
        `/purchase_units/@reference_id=='${reference}'/custom_id`,
      );
    }
    const source = body.payment_source as { paypal?: { vault_id?: unknown; experience_context?: { return_url?: unknown; cancel_url?: unknown } } } | undefined;
    const context = source?.paypal?.experience_context;
    if (context && (typeof context.return_url !== "string" || typeof context.cancel_url !== "string")) {
      return invalidRequest("MISSING_REQUIRED_PARAMETER", "A required field / parameter is missing.", "/payment_source/paypal/experience_context/return_url");
    }
    const vault = source?.paypal?.vault_id;
    if (vault === "vault_refused") {
      return unprocessable(
        "INSTRUMENT_DECLINED",
        "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.",
      );
    }
    if (vault !== undefined && vault !== "vault_ok" && vault !== "vault_decline") {
      return unprocessable(
        "PAYMENT_SOURCE_INFO_CANNOT_BE_VERIFIED",
        "The combination of the payment_source name, billing address, shipping name and shipping address could not be verified.",
      );
    }
    const order: FakeOrder = {
      id: paypalId(),
      intent: body.intent,
      status: context ? "PAYER_ACTION_REQUIRED" : "CREATED",
      purchaseUnit: {
        reference_id: reference,
        ...(typeof unit.custom_id === "string" ? { custom_id: unit.custom_id } : {}),
        ...(typeof unit.description === "string" ? { description: unit.description } : {}),
        amount: unit.amount as Money,
      },
      paymentSource: source as Record<string, unknown> | undefined,
      captureIds: [],
      authorizationIds: [],
      fundingDeclines: vault === "vault_decline",
      create_time: iso(),
    };
    this.orders.set(order.id, order);
    // a saved wallet needs no buyer: PayPal processes the order as it creates it
    if (vault !== undefined) this.#process(order);
    return Response.json(this.#orderView(order), { status: 201 });
  }

  #completeOrder(order: FakeOrder, action: "capture" | "authorize"): Response {
    if ((action === "capture") !== (order.intent === "CAPTURE")) {
      return unprocessable(
        "ACTION_DOES_NOT_MATCH_INTENT",
        `Order was created with an intent to '${order.intent}'. Please use /v2/checkout/orders/order_id/${order.intent.toLowerCase()}.`,
      );
    }
    if (order.status === "COMPLETED") {
      return action === "capture"
        ? unprocessable("ORDER_ALREADY_CAPTURED", "Order already captured. If 'intent=CAPTURE' only one capture per order is allowed.")
        : unprocessable("ORDER_ALREADY_AUTHORIZED", "Order already authorized. If 'intent=AUTHORIZE' only one authorization per order is allowed.");
    }
    if (order.status !== "APPROVED")
      return unprocessable(
        "ORDER_NOT_APPROVED",
        "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request.",
      );
    if (order.fundingDeclines)
      return unprocessable(
        "INSTRUMENT_DECLINED",
        "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.",
      );
    this.#process(order);
    return Response.json(this.#orderView(order), { status: 201 });
  }

  /** Charges or authorizes the order (declined when its funding source declines). */
  #process(order: FakeOrder): void {
    order.status = "COMPLETED";
    const { amount, custom_id } = order.purchaseUnit;
    if (order.intent === "CAPTURE") {
      const capture = this.#newCapture(order, amount, order.fundingDeclines ? "DECLINED" : "COMPLETED");
      this.#emit(capture.status === "COMPLETED" ? "PAYMENT.CAPTURE.COMPLETED" : "PAYMENT.CAPTURE.DENIED", "capture", this.#captureView(capture));
      return;
    }
    const authorization: FakeAuthorization = {
      id: paypalId(),
      status: order.fundingDeclines ? "DENIED" : "CREATED",
      amount,
      ...(custom_id ? { custom_id } : {}),
      orderId: order.id,
      capturedMinor: 0,
      create_time: iso(),
    };
    this.authorizations.set(authorization.id, authorization);
    order.authorizationIds.push(authorization.id);
    if (authorization.status === "CREATED") this.#emit("PAYMENT.AUTHORIZATION.CREATED", "authorization", this.#authorizationView(authorization));
  }

  #newCapture(order: FakeOrder, amount: Money, status: FakeCapture["status"], finalCapture = true): FakeCapture {
    const capture: FakeCapture = {
      id: paypalId(),
      status,
      amount,
      final_capture: finalCapture,
      ...(order.purchaseUnit.custom_id ? { custom_id: order.purchaseUnit.custom_id } : {}),
      orderId: order.id,
      refundedMinor: 0,
      create_time: iso(),
    };
    this.captures.set(capture.id, capture);
    order.captureIds.push(capture.id);
    return capture;
  }

  #captureAuthorization(authorization: FakeAuthorization, body: Record<string, unknown>): Response {
    if (authorization.status === "CAPTURED")
      return unprocessable("AUTHORIZATION_ALREADY_CAPTURED", "Authorization has been previously captured and hence cannot be captured again.");
    if (authorization.status === "VOIDED") return unprocessable("AUTHORIZATION_VOIDED", "A voided authorization cannot be captured or reauthorized.");
    if (authorization.status === "DENIED") return unprocessable("AUTHORIZATION_DENIED", "A denied authorization cannot be captured.");
    const currency = authorization.amount.currency_code;
    const amount = (body.amount as Money | undefined) ?? {
      currency_code: currency,
      value: fromMinor(toMinor(authorization.amount.value, currency) - authorization.capturedMinor, currency),
    };
    const amountError = checkMoney(amount, "/amount");
    if (amountError) return amountError;
    if (amount.currency_code !== currency)
      return unprocessable(
        "CURRENCY_MISMATCH",
        "Currency of capture must be the same as currency of authorization.",
        "/amount/currency_code",
        amount.currency_code,
      );
    const minor = toMinor(amount.value, currency);
    if (minor > toMinor(authorization.amount.value, currency) - authorization.capturedMinor) {
      return unprocessable(
        "MAX_CAPTURE_AMOUNT_EXCEEDED",
        "Capture amount exceeds allowable limit. Please contact customer support or your account manager to request the change to your overcapture limit.",
      );
    }
    const order = this.orders.get(authorization.orderId) as FakeOrder;
    const finalCapture = body.final_capture === true;
    const capture = this.#newCapture(order, amount, "COMPLETED", finalCapture);
    authorization.capturedMinor += minor;
    authorization.status = finalCapture || authorization.capturedMinor === toMinor(authorization.amount.value, currency) ? "CAPTURED" : "PARTIALLY_CAPTURED";
    this.#emit("PAYMENT.CAPTURE.COMPLETED", "capture", this.#captureView(capture));
    return Response.json(this.#captureView(capture), { status: 201 });
  }

  #void(authorization: FakeAuthorization): Response {
    if (authorization.status === "CAPTURED")
      return unprocessable("PREVIOUSLY_CAPTURED", "Authorization has been previously captured and hence cannot be voided.");
    if (authorization.status === "VOIDED")
      return unprocessable("PREVIOUSLY_VOIDED", "Authorization has been previously voided and hence cannot be voided again.");
    authorization.status = "VOIDED";
    this.#emit("PAYMENT.AUTHORIZATION.VOIDED", "authorization", this.#authorizationView(authorization));
    return new Response(null, { status: 204 });
  }

  #refund(capture: FakeCapture, body: Record<string, unknown>): Response {
    const invoiceId = body.invoice_id;
    if (invoiceId !== undefined && (typeof invoiceId !== "string" || invoiceId.length < 1 || invoiceId.length > 127))
      return invalidRequest("INVALID_STRING_LENGTH", "The value of a field is either too short or too long.", "/invoice_id");
    if (invoiceId !== undefined && [...this.refunds.values()].some((r) => r.captureId === capture.id && r.invoice_id === invoiceId))
      return unprocessable("DUPLICATE_REFUND", "Requested invoice_id has been previously refunded. Possible duplicate transaction.");
    if (capture.status === "REFUNDED") return unprocessable("CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded");
    if (capture.status !== "COMPLETED" && capture.status !== "PARTIALLY_REFUNDED")
      return unprocessable("INVALID_CAPTURE_STATUS", "Invalid capture status. Only completed captures can be refunded.");
    const currency = capture.amount.currency_code;
    const left = toMinor(capture.amount.value, currency) - capture.refundedMinor;
    const amount = (body.amount as Money | undefined) ?? { currency_code: currency, value: fromMinor(left, currency) };
    const amountError = checkMoney(amount, "/amount");
    if (amountError) return amountError;
    if (amount.currency_code !== currency)
      return unprocessable(
        "REFUND_CAPTURE_CURRENCY_MISMATCH",
        "Refund must be in the same currency as the capture.",
        "/amount/currency_code",
        amount.currency_code,
      );
    const minor = toMinor(amount.value, currency);
    if (minor > left)
      return unprocessable("REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.");
    const refund: FakeRefund = {
      id: paypalId(),
      status: this.refundStatus,
      amount,
      ...(typeof body.custom_id === "string" ? { custom_id: body.custom_id } : {}),
      ...(typeof invoiceId === "string" ? { invoice_id: invoiceId } : {}),
      ...(typeof body.note_to_payer === "string" ? { note_to_payer: body.note_to_payer } : {}),
      captureId: capture.id,
      create_time: iso(),
    };
    this.refunds.set(refund.id, refund);
    if (refund.status !== "FAILED") {
      capture.refundedMinor += minor;
      capture.status = capture.refundedMinor === toMinor(capture.amount.value, currency) ? "REFUNDED" : "PARTIALLY_REFUNDED";
    }
    if (refund.status === "COMPLETED") this.#emit("PAYMENT.CAPTURE.REFUNDED", "refund", this.#refundView(refund));
    return Response.json(this.#refundView(refund), { status: 201 });
  }

  #verify(body: Record<string, unknown>): Response {
    const bad = (field: string) =>
      failure(400, "VALIDATION_ERROR", "Invalid request - see details", [
        { field, location: "body", issue: "INVALID_PARAMETER_SYNTAX", description: "Invalid data provided" },
      ]);
    const { auth_algo, cert_url, transmission_id, transmission_sig, transmission_time, webhook_id, webhook_event } = body;
    if (typeof auth_algo !== "string" || !/^[a-zA-Z0-9]+$/.test(auth_algo)) return bad("auth_algo");
    if (typeof cert_url !== "string" || !URL.canParse(cert_url)) return bad("cert_url");
    if (typeof transmission_id !== "string" || !ID_PATTERN.test(transmission_id)) return bad("transmission_id");
    if (typeof transmission_sig !== "string" || !ID_PATTERN.test(transmission_sig)) return bad("transmission_sig");
    if (typeof transmission_time !== "string" || Number.isNaN(Date.parse(transmission_time))) return bad("transmission_time");
    if (typeof webhook_id !== "string" || !/^[a-zA-Z0-9]+$/.test(webhook_id)) return bad("webhook_id");
    if (!webhook_event || typeof webhook_event !== "object") return bad("webhook_event");
    // PayPal fetches the certificate from cert_url: only its own certificates can verify anything
    let verified = auth_algo === "SHA256withRSA" && cert_url === this.certUrl;
    if (verified) {
      const signed = `${transmission_id}|${transmission_time}|${webhook_id}|${crc32(JSON.stringify(webhook_event))}`;
      try {
        verified = createVerify("RSA-SHA256").update(signed).verify(this.#keys.publicKey, transmission_sig, "base64");
      } catch {
        verified = false;
      }
    }
    return Response.json({ verification_status: verified ? "SUCCESS" : "FAILURE" });
  }

  #orderView(order: FakeOrder) {
    const self = `${this.base}/v2/checkout/orders/${order.id}`;
    const links: Link[] = [{ href: self, rel: "self", method: "GET" }];
    if (order.status === "CREATED") links.push({ href: `${this.base}/checkoutnow?token=${order.id}`, rel: "approve", method: "GET" });
    if (order.status === "PAYER_ACTION_REQUIRED") links.push({ href: `${this.base}/checkoutnow?token=${order.id}`, rel: "payer-action", method: "GET" });
    if (order.status === "APPROVED") links.push({ href: `${self}/${order.intent.toLowerCase()}`, rel: order.intent.toLowerCase(), method: "POST" });
    const captures = order.captureIds.map((id) => this.#captureView(this.captures.get(id) as FakeCapture));
    const authorizations = order.authorizationIds.map((id) => this.#authorizationView(this.authorizations.get(id) as FakeAuthorization));
    const refunds = [...this.refunds.values()]
      .filter((r) => this.orderRefunds !== "hidden" && order.captureIds.includes(r.captureId))
      .map((r) => this.#refundView(r))
      .map((r) => (this.orderRefunds === "full" ? r : { id: r.id, status: r.status, amount: r.amount, links: r.links }));
    const payments = {
      ...(captures.length ? { captures } : {}),
      ...(authorizations.length ? { authorizations } : {}),
      ...(refunds.length ? { refunds } : {}),
    };
    return {
      id: order.id,
      intent: order.intent,
      status: order.status,
      ...(order.paymentSource ? { payment_source: order.paymentSource } : {}),
      purchase_units: [{ ...order.purchaseUnit, ...(Object.keys(payments).length ? { payments } : {}) }],
      create_time: order.create_time,
      links,
    };
  }

  #captureView(capture: FakeCapture) {
    return {
      id: capture.id,
      status: capture.status,
      amount: capture.amount,
      final_capture: capture.final_capture,
      ...(capture.custom_id ? { custom_id: capture.custom_id } : {}),
      seller_protection: { status: "ELIGIBLE", dispute_categories: ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"] },
      supplementary_data: { related_ids: { order_id: capture.orderId } },
      create_time: capture.create_time,
      update_time: capture.create_time,
      links: [
        { href: `${this.base}/v2/payments/captures/${capture.id}`, rel: "self", method: "GET" },
        { href: `${this.base}/v2/payments/captures/${capture.id}/refund`, rel: "refund", method: "POST" },
        { href: `${this.base}/v2/checkout/orders/${capture.orderId}`, rel: "up", method: "GET" },
      ],
    };
  }

  #authorizationView(authorization: FakeAuthorization) {
    return {
      id: authorization.id,
      status: authorization.status,
      amount: authorization.amount,
      ...(authorization.custom_id ? { custom_id: authorization.custom_id } : {}),
      supplementary_data: { related_ids: { order_id: authorization.orderId } },
      expiration_time: new Date(Date.parse(authorization.create_time) + 29 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      create_time: authorization.create_time,
      links: [{ href: `${this.base}/v2/payments/authorizations/${authorization.id}`, rel: "self", method: "GET" }],
    };
  }

  #refundView(refund: FakeRefund) {
    return {
      id: refund.id,
      status: refund.status,
      amount: refund.amount,
      ...(refund.custom_id ? { custom_id: refund.custom_id } : {}),
      ...(refund.invoice_id ? { invoice_id: refund.invoice_id } : {}),
      ...(refund.note_to_payer ? { note_to_payer: refund.note_to_payer } : {}),
      ...(refund.status === "FAILED" ? { status_details: { reason: "ECHECK" } } : {}),
      create_time: refund.create_time,
      links: [
        { href: `${this.base}/v2/payments/refunds/${refund.id}`, rel: "self", method: "GET" },
        { href: `${this.base}/v2/payments/captures/${refund.captureId}`, rel: "up", method: "GET" },
      ],
    };
  }
}

/** CRC-32 (IEEE) of the UTF-8 bytes, as the unsigned decimal PayPal signs. */
function crc32(text: string): number {
  return Bun.hash.crc32(text) >>> 0;
}
