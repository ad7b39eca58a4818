// A local stand-in for api.stripe.com that speaks its wire format, so the adapter is tested with the real `stripe` SDK:
// form-encoded bodies with bracket notation, Bearer secret keys, Idempotency-Key replay (and idempotency_error on a
// reused key with other parameters), unknown parameters refused, and Stripe's object and error JSON (a decline is a
// 402 card_error carrying the PaymentIntent). It keeps PaymentMethods, PaymentIntents, charges and refunds in memory,
// and builds webhook events from them, signed with the SDK's own test header helper. A test PaymentMethod token
// (pm_card_visa…) mints a fresh `pm_…` of that card wherever it is used, retrieving it included. Refunds succeed at
// once, except on pm_card_pendingRefund, whose refunds stay pending until `settleRefund`, as at Stripe. Refunds are
// listed (GET /v1/refunds) newest first in Stripe's list object, a page at a time with `limit` and `starting_after`.
import Stripe from "stripe";

type Param = string | Param[] | { [key: string]: Param };
type Params = { [key: string]: Param };
type Json = Record<string, unknown>;

/** One HTTP request the fake received, as Stripe would read it. */
export interface StripeRequest {
  method: string;
  path: string;
  headers: Headers;
  params: Params;
}

interface TestCard {
  brand: string;
  last4: string;
  country: string;
  fingerprint: string;
  outcome: "succeed" | "decline" | "authenticate";
  /** its charges' refunds start pending (Stripe later moves them to succeeded) */
  refundsPending?: true;
}

/** Stripe's test PaymentMethods (docs.stripe.com/testing) this fake understands. */
export const TEST_CARDS: Record<string, TestCard> = {
  pm_card_visa: { brand: "visa", last4: "4242", country: "US", fingerprint: "Xt5EWLLDS7FJjR1c", outcome: "succeed" },
  pm_card_gb: { brand: "visa", last4: "0000", country: "GB", fingerprint: "gB8x0a2kQf3mUy7Z", outcome: "succeed" },
  pm_card_pendingRefund: { brand: "visa", last4: "7726", country: "US", fingerprint: "pR7e2NdQ4uVx9cLb", outcome: "succeed", refundsPending: true },
  pm_card_chargeDeclined: { brand: "visa", last4: "0002", country: "US", fingerprint: "dC2q9WnR4sLk7vTe", outcome: "decline" },
  pm_card_authenticationRequired: { brand: "visa", last4: "3155", country: "IE", fingerprint: "aR3v1PzN8cQw5tHy", outcome: "authenticate" },
  pm_card_threeDSecure2Required: { brand: "visa", last4: "3220", country: "US", fingerprint: "tD2s8MxB6kJr4nGu", outcome: "authenticate" },
};

const ZERO_DECIMAL = new Set(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]);
const THREE_DECIMAL = new Set(["bhd", "jod", "kwd", "omr", "tnd"]);
const CANCELABLE = ["requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"];
const DOCS = "https://docs.stripe.com/error-codes";

/** Params each endpoint accepts (a subset of Stripe's; anything else is refused as Stripe refuses unknown ones). */
const ALLOWED = {
  createIntent: [
    "amount",
    "currency",
    "confirm",
    "capture_method",
    "metadata",
    "description",
    "return_url",
    "payment_method",
    "payment_method_types",
    "payment_method_data",
    "automatic_payment_methods",
    "transfer_group",
    "expand",
  ],
  capture: ["amount_to_capture", "expand"],
  cancel: ["cancellation_reason", "expand"],
  refund: ["payment_intent", "charge", "amount", "reason", "metadata", "expand"],
  listRefunds: ["payment_intent", "charge", "limit", "starting_after"],
};

interface PaymentIntentRecord {
  id: string;
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: string;
  status: string;
  capture_method: "automatic" | "manual";
  created: number;
  description: string | null;
  metadata: Record<string, string>;
  payment_method: string | null;
  payment_method_types: string[];
  automatic_payment_methods: { enabled: boolean; allow_redirects?: string } | null;
  last_payment_error: Json | null;
  next_action: Json | null;
  latest_charge: string | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  client_secret: string;
  transfer_group: string | null;
  return_url: string | null;
  card: TestCard | null;
}

interface PaymentMethodRecord {
  id: string;
  type: "card" | "alipay";
  card: TestCard | null;
  created: number;
}

interface ChargeRecord {
  id: string;
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  created: number;
  currency: string;
  status: "succeeded" | "failed";
  payment_intent: string;
  payment_method: string;
  failure_code: string | null;
  failure_message: string | null;
  refunded: boolean;
  metadata: Record<string, string>;
  details: Json;
}

interface RefundRecord {
  id: string;
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: string;
  failure_reason?: string;
}

interface Answer {
  status: number;
  body: Json;
  /** Stripe stores an idempotent result only once the endpoint started executing, not for refused parameters */
  save: boolean;
}

class StripeFailure {
  constructor(
    readonly status: number,
    readonly error: Json,
    readonly save = true,
  ) {}
}

/** The card fields Stripe shows wherever it shows a card (a PaymentMethod, a charge's details, a decline's method). */
const cardFields = (card: TestCard) => ({
  brand: card.brand,
  country: card.country,
  exp_month: 12,
  exp_year: 2034,
  fingerprint: card.fingerprint,
  funding: "credit",
  last4: card.last4,
});

const randomId = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
const now = () => Math.floor(Date.now() / 1000);
const invalid = (message: string, extra: Json = {}, save = false) =>
  new StripeFailure(400, { type: "invalid_request_error", message, doc_url: DOCS, ...extra }, save);

export class FakeStripe {
  readonly requests: StripeRequest[] = [];
  readonly paymentMethods = new Map<string, PaymentMethodRecord>();
  readonly paymentIntents = new Map<string, PaymentIntentRecord>();
  readonly charges = new Map<string, ChargeRecord>();
  readonly refunds = new Map<string, RefundRecord>();
  private readonly idempotent = new Map<string, { method: string; path: string; fingerprint: string; answer: Answer }>();
  private outages = 0;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(readonly secretKey = "sk_test_fake_bazaar") {
    this.server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => this.handle(request) });
  }

  /** The SDK's `host`/`port`/`protocol` options that point it here. */
  get apiBase(): { host: string; port: number; protocol: "http" } {
    return { host: "127.0.0.1", port: this.server.port ?? 0, protocol: "http" };
  }

  stop(): void {
    this.server.stop(true);
  }

  /** The next `count` API calls answer 500 api_error, as during a Stripe incident. */
  failNext(count = 1): void {
    this.outages = count;
  }

  /** The buyer comes back from 3-D Secure or Alipay: the intent proceeds as its method would, or fails authentication. */
  authenticate(id: string, outcome: "succeed" | "fail" = "succeed"): void {
    const intent = this.paymentIntents.get(id);
    if (intent?.status !== "requires_action") throw new Error(`${id} is not waiting for authentication`);
    intent.next_action = null;
    if (outcome === "fail") {
      intent.status = "requires_payment_method";
      intent.last_payment_error = {
        type: "invalid_request_error",
        code: "payment_intent_authentication_failure",
        message:
          "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
        doc_url: DOCS,
      };
      return;
    }
    this.charge(intent);
  }

  /** A refund the card network later returns (Stripe's refund.failed / refund.updated with status failed). */
  failRefund(id: string, failureReason = "expired_or_canceled_card"): void {
    const refund = this.refunds.get(id);
    if (!refund) throw new Error(`no refund ${id}`);
    refund.status = "failed";
    refund.failure_reason = failureReason;
    const charge = this.charges.get(refund.charge);
    if (charge) {
      charge.amount_refunded -= refund.amount;
      charge.refunded = false;
    }
  }

  /** A pending refund settles: succeeded, or failed with a reason (its amount refundable again). */
  settleRefund(id: string, outcome: "succeeded" | "failed", failureReason = "charge_for_pending_refund_disputed"): void {
    const refund = this.refunds.get(id);
    if (refund?.status !== "pending") throw new Error(`no pending refund ${id}`);
    if (outcome === "failed") this.failRefund(id, failureReason);
    else refund.status = "succeeded";
  }

  /** The PaymentIntent as the API returns it; `expandCharge` as with `expand[]=latest_charge`. */
  paymentIntentJson(id: string, expandCharge = false): Json {
    const intent = this.paymentIntents.get(id);
    if (!intent) throw new Error(`no payment intent ${id}`);
    const { card: _card, return_url: _returnUrl, ...fields } = intent;
    const charge = expandCharge && intent.latest_charge ? this.chargeJson(intent.latest_charge) : intent.latest_charge;
    return {
      ...fields,
      object: "payment_intent",
      latest_charge: charge,
      amount_details: { tip: {} },
      application: null,
      application_fee_amount: null,
      confirmation_method: "automatic",
      customer: null,
      livemode: false,
      on_behalf_of: null,
      payment_method_options: {},
      processing: null,
      receipt_email: null,
      setup_future_usage: null,
      shipping: null,
      statement_descriptor: null,
      statement_descriptor_suffix: null,
      transfer_data: null,
    };
  }

  /** The PaymentMethod as GET /v1/payment_methods/:id returns it. */
  paymentMethodJson(id: string): Json {
    const method = this.paymentMethods.get(id);
    if (!method) throw new Error(`no payment method ${id}`);
    const card = method.card;
    return {
      id: method.id,
      object: "payment_method",
      allow_redisplay: "unspecified",
      billing_details: {
        address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
        email: null,
        name: null,
        phone: null,
      },
      created: method.created,
      customer: null,
      livemode: false,
      metadata: {},
      type: method.type,
      ...(card
        ? {
            card: {
              ...cardFields(card),
              checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: "unchecked" },
              display_brand: card.brand,
              generated_from: null,
              networks: { available: [card.brand], preferred: null },
              regulated_status: "unregulated",
              three_d_secure_usage: { supported: true },
              wallet: null,
            },
          }
        : { alipay: {} }),
    };
  }

  /**
   * The charge as the API returns it. `expandRefunds` as with `expand[]=refunds` (since API version 2022-11-15 a
   * charge lists its refunds only when asked): newest first, as Stripe lists them.
   */
  chargeJson(id: string, options: { expandRefunds?: boolean } = {}): Json {
    const charge = this.charges.get(id);
    if (!charge) throw new Error(`no charge ${id}`);
    const { details, ...fields } = charge;
    const refunds = [...this.refunds.values()].filter((r) => r.charge === id).reverse();
    return {
      ...fields,
      ...(options.expandRefunds
        ? { refunds: { object: "list", data: refunds.map((r) => this.refundJson(r.id)), has_more: false, url: `/v1/charges/${id}/refunds` } }
        : {}),
      object: "charge",
      balance_transaction: charge.status === "succeeded" ? `txn_${id.slice(3)}` : null,
      billing_details: { address: null, email: null, name: null, phone: null },
      description: null,
      livemode: false,
      outcome:
        charge.status === "succeeded"
          ? { network_status: "approved_by_network", reason: null, risk_level: "normal", seller_message: "Payment complete.", type: "authorized" }
          : {
              network_status: "declined_by_network",
              reason: "generic_decline",
              risk_level: "normal",
              seller_message: "The bank did not return any further details with this decline.",
              type: "issuer_declined",
            },
      paid: charge.status === "succeeded",
      payment_method_details: details,
    };
  }

  refundJson(id: string): Json {
    const refund = this.refunds.get(id);
    if (!refund) throw new Error(`no refund ${id}`);
    return {
      ...refund,
      object: "refund",
      balance_transaction: `txn_${id.slice(3)}`,
      destination_details: null,
      pending_reason: refund.status === "pending" ? "processing" : null,
      receipt_number: null,
    };
  }

  /** A Stripe event about `object` (a *Json snapshot), as Stripe would post it to a webhook endpoint. */
  event(type: string, object: Json, options: { created?: number; id?: string } = {}): Json {
    return {
      id: options.id ?? randomId("evt"),
      object: "event",
      api_version: Stripe.API_VERSION,
      created: options.created ?? now(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: randomId("req"), idempotency_key: null },
      type,
    };
  }

  /**
   * The body and headers Stripe would POST: `Stripe-Signature: t=…,v1=…` from the SDK's own test helper. The async
   * variant, since under Bun the SDK's crypto is SubtleCrypto and the sync `generateTestHeaderString` throws.
   */
  async webhook(event: Json, secret: string, options: { timestamp?: number } = {}): Promise<{ body: string; headers: Headers }> {
    const body = JSON.stringify(event, null, 2);
    const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
      payload: body,
      secret,
      ...(options.timestamp ? { timestamp: options.timestamp } : {}),
    });
    return { body, headers: new Headers({ "content-type": "application/json; charset=utf-8", "stripe-signature": signature }) };
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const body = request.method === "POST" ? await request.text() : url.search.slice(1);
    const params = decodeForm(body);
    this.requests.push({ method: request.method, path: url.pathname, headers: request.headers, params });
    const headers: Record<string, string> = { "content-type": "application/json", "request-id": randomId("req"), "stripe-version": Stripe.API_VERSION };

    if (request.headers.get("authorization") !== `Bearer ${this.secretKey}`) {
      const key = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
      return Response.json(
        { error: { type: "invalid_request_error", message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}` } },
        { status: 401, headers },
      );
    }
    if (this.outages > 0) {
      this.outages--;
      return Response.json(
        { error: { type: "api_error", message: "An unknown error occurred" } },
        { status: 500, headers: { ...headers, "stripe-should-retry": "false" } },
      );
    }
    if (request.method === "POST" && !request.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded")) {
      return Response.json({ error: { type: "invalid_request_error", message: "Stripe takes form-encoded request bodies" } }, { status: 400, headers });
    }

    const key = request.method === "POST" ? request.headers.get("idempotency-key") : null;
    if (key) {
      headers["idempotency-key"] = key;
      const first = this.idempotent.get(key);
      if (first) {
        if (first.method !== request.method || first.path !== url.pathname) {
          return Response.json(
            {
              error: {
                type: "idempotency_error",
                message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${first.path}' vs '${url.pathname}'). Try using a key other than '${key}' if you meant to execute a different request.`,
              },
            },
            { status: 400, headers },
          );
        }
        if (first.fingerprint !== canonical(params)) {
          return Response.json(
            {
              error: {
                type: "idempotency_error",
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
              },
            },
            { status: 400, headers },
          );
        }
        return Response.json(first.answer.body, { status: first.answer.status, headers: { ...headers, "idempotent-replayed": "true" } });
      }
    }

    const answer = this.route(request.method, url.pathname, params);
    if (key && answer.save) this.idempotent.set(key, { method: request.method, path: url.pathname, fingerprint: canonical(params), answer });
    return Response.json(answer.body, { status: answer.status, headers });
  }

  private route(method: string, path: string, params: Params): Answer {
    try {
      const intentPath = path.match(/^\/v1\/payment_intents\/([^/]+)(?:\/(capture|cancel))?$/);
      const methodPath = path.match(/^\/v1\/payment_methods\/([^/]+)$/);
      const refundPath = path.match(/^\/v1\/refunds\/([^/]+)$/);
      let body: Json;
      if (method === "GET" && methodPath) body = this.retrievePaymentMethod(decodeURIComponent(methodPath[1] as string), params);
      else if (method === "GET" && path === "/v1/refunds") body = this.listRefunds(params);
      else if (method === "GET" && refundPath) body = this.retrieveRefund(decodeURIComponent(refundPath[1] as string), params);
      else if (method === "POST" && path === "/v1/payment_intents") body = this.createIntent(params);
      else if (method === "POST" && intentPath?.[2] === "capture") body = this.capture(intentPath[1] as string, params);
      else if (method === "POST" && intentPath?.[2] === "cancel") body = this.cancel(intentPath[1] as string, params);
      else if (method === "POST" && path === "/v1/refunds") body = this.refund(params);
      else return { status: 404, body: { error: { type: "invalid_request_error", message: `Unrecognized request URL (${method}: ${path}).` } }, save: false };
      return { status: 200, body, save: true };
    } catch (failure) {
      if (!(failure instanceof StripeFailure)) throw failure;
      return {
        status: failure.status,
        body: { error: { ...failure.error, request_log_url: "https://dashboard.stripe.com/test/logs/req_fake" } },
        save: failure.save,
      };
    }
  }

  private createIntent(params: Params): Json {
    allowOnly(params, ALLOWED.createIntent);
    const amount = integer(params, "amount");
    const currency = requiredString(params, "currency");
    if (!/^[a-z]{3}$/.test(currency))
      throw invalid(`Invalid currency: ${currency}. Stripe currently supports these currencies: usd, eur, jpy, …`, { param: "currency" });
    if (amount < 1) throw invalid("This value must be greater than or equal to 1.", { code: "parameter_invalid_integer", param: "amount" });
    if (THREE_DECIMAL.has(currency) && amount % 10 !== 0)
      throw invalid(`Invalid amount: ${currency.toUpperCase()} amounts must be rounded to the nearest 10 (the last digit must be 0).`, {
        code: "invalid_amount",
        param: "amount",
      });
    const captureMethod = optionalString(params, "capture_method") ?? "automatic_async";
    if (!["automatic", "automatic_async", "manual"].includes(captureMethod))
      throw invalid(`Invalid capture_method: ${captureMethod}`, { param: "capture_method" });
    const types = params.payment_method_types;
    const automatic = params.automatic_payment_methods;
    if (types !== undefined && automatic !== undefined)
      throw invalid("You may only specify one of these parameters: automatic_payment_methods, payment_method_types.", { param: "automatic_payment_methods" });
    const methodTypes = Array.isArray(types) ? types.map(String) : ["card"];
    const automaticMethods =
      automatic && typeof automatic === "object" && !Array.isArray(automatic)
        ? { enabled: automatic.enabled === "true", ...(typeof automatic.allow_redirects === "string" ? { allow_redirects: automatic.allow_redirects } : {}) }
        : types === undefined
          ? { enabled: true } // the API's default when no types are named
          : null;
    const confirm = params.confirm === "true";
    const returnUrl = optionalString(params, "return_url") ?? null;
    const metadata = stringMap(params, "metadata");
    const data = params.payment_method_data;
    const dataType = data && typeof data === "object" && !Array.isArray(data) ? data.type : undefined;
    const token = optionalString(params, "payment_method");

    let card: TestCard | null = null;
    let paymentMethod: string | null = null;
    if (token) {
      card = TEST_CARDS[token] ?? null;
      if (!card) throw invalid(`No such PaymentMethod: '${token}'`, { code: "resource_missing", param: "payment_method" });
      paymentMethod = this.mintPaymentMethod("card", card).id; // a test token mints a fresh PaymentMethod of that card
    } else if (dataType === "alipay") {
      if (!methodTypes.includes("alipay")) throw invalid("The payment method type provided: alipay is invalid.", { param: "payment_method_data[type]" });
      paymentMethod = this.mintPaymentMethod("alipay", null).id;
    } else if (dataType !== undefined) {
      throw invalid(`Invalid payment_method_data[type]: ${String(dataType)}`, { param: "payment_method_data[type]" });
    }
    if (confirm) {
      if (!paymentMethod)
        throw invalid("You cannot confirm this PaymentIntent because it's missing a payment method.", { code: "payment_intent_unexpected_state" });
      if (!returnUrl && automaticMethods?.enabled && automaticMethods.allow_redirects !== "never")
        throw invalid(
          "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
        );
      if (dataType === "alipay" && !returnUrl)
        throw invalid(
          "A return_url must be specified because this Payment Intent is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed.",
          { param: "return_url" },
        );
    }

    const intent: PaymentIntentRecord = {
      id: randomId("pi"),
      amount,
      amount_capturable: 0,
      amount_received: 0,
      currency,
      status: "requires_payment_method",
      capture_method: captureMethod === "manual" ? "manual" : "automatic",
      created: now(),
      description: optionalString(params, "description") ?? null,
      metadata,
      payment_method: paymentMethod,
      payment_method_types: dataType === "alipay" ? ["alipay"] : methodTypes,
      automatic_payment_methods: automaticMethods,
      last_payment_error: null,
      next_action: null,
      latest_charge: null,
      canceled_at: null,
      cancellation_reason: null,
      client_secret: "",
      transfer_group: optionalString(params, "transfer_group") ?? null,
      return_url: returnUrl,
      card,
    };
    intent.client_secret = `${intent.id}_secret_${crypto.randomUUID().replaceAll("-", "").slice(0, 25)}`;
    this.paymentIntents.set(intent.id, intent);
    if (paymentMethod) intent.status = "requires_confirmation";
    if (confirm) this.confirm(intent, dataType === "alipay");
    return this.paymentIntentJson(intent.id, expands(params));
  }

  private mintPaymentMethod(type: PaymentMethodRecord["type"], card: TestCard | null): PaymentMethodRecord {
    const method: PaymentMethodRecord = { id: randomId("pm"), type, card, created: now() };
    this.paymentMethods.set(method.id, method);
    return method;
  }

  private retrievePaymentMethod(id: string, params: Params): Json {
    allowOnly(params, ["expand"]);
    const card = TEST_CARDS[id];
    if (card) return this.paymentMethodJson(this.mintPaymentMethod("card", card).id);
    if (!this.paymentMethods.has(id))
      throw new StripeFailure(
        404,
        { type: "invalid_request_error", code: "resource_missing", message: `No such PaymentMethod: '${id}'`, param: "payment_method" },
        false,
      );
    return this.paymentMethodJson(id);
  }

  private retrieveRefund(id: string, params: Params): Json {
    allowOnly(params, ["expand"]);
    if (!this.refunds.has(id))
      throw new StripeFailure(
        404,
        { type: "invalid_request_error", code: "resource_missing", message: `No such refund: '${id}'`, param: "id", doc_url: `${DOCS}/resource-missing` },
        false,
      );
    return this.refundJson(id);
  }

  /** GET /v1/refunds: newest first, `limit` (default 10, at most 100) a page, the next page `starting_after` the last. */
  private listRefunds(params: Params): Json {
    allowOnly(params, ALLOWED.listRefunds);
    const limit = params.limit === undefined ? 10 : integer(params, "limit");
    if (limit < 1 || limit > 100)
      throw invalid("This value must be greater than or equal to 1 and less than or equal to 100.", { code: "parameter_invalid_integer", param: "limit" });
    const intentId = optionalString(params, "payment_intent");
    const chargeId = optionalString(params, "charge");
    // a filter naming an object that does not exist is refused, not answered with an empty list
    if (intentId) this.intent(intentId, 400);
    if (chargeId && !this.charges.has(chargeId)) throw invalid(`No such charge: '${chargeId}'`, { code: "resource_missing", param: "charge" });
    let refunds = [...this.refunds.values()].filter((r) => (!intentId || r.payment_intent === intentId) && (!chargeId || r.charge === chargeId)).reverse();
    const after = optionalString(params, "starting_after");
    if (after) {
      const at = refunds.findIndex((r) => r.id === after);
      if (at < 0) throw invalid(`No such refund: '${after}'`, { code: "resource_missing", param: "starting_after" });
      refunds = refunds.slice(at + 1);
    }
    const page = refunds.slice(0, limit);
    return { object: "list", data: page.map((r) => this.refundJson(r.id)), has_more: refunds.length > limit, url: "/v1/refunds" };
  }

  private confirm(intent: PaymentIntentRecord, alipay: boolean): void {
    if (alipay) {
      intent.status = "requires_action";
      intent.next_action = {
        type: "alipay_handle_redirect",
        alipay_handle_redirect: {
          native_data: null,
          native_url: null,
          return_url: intent.return_url,
          url: `https://hooks.stripe.com/redirect/authenticate/src_${intent.id.slice(3)}?client_secret=src_client_secret_${intent.id.slice(3)}`,
        },
      };
      return;
    }
    const card = intent.card as TestCard;
    if (card.outcome === "authenticate") {
      intent.status = "requires_action";
      intent.next_action = intent.return_url
        ? {
            type: "redirect_to_url",
            redirect_to_url: {
              return_url: intent.return_url,
              url: `https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_fake&payment_intent=${intent.id}&payment_intent_client_secret=${intent.client_secret}&publishable_key=pk_test_fake&source=payatt_${intent.id.slice(3)}`,
            },
          }
        : {
            type: "use_stripe_sdk",
            use_stripe_sdk: {
              type: "three_d_secure_redirect",
              source: `src_${intent.id.slice(3)}`,
              stripe_js: "https://hooks.stripe.com/redirect/authenticate",
            },
          };
      return;
    }
    this.charge(intent);
  }

  /** Runs the charge for a confirmed intent; a declining card answers 402 with the intent in the error. */
  private charge(intent: PaymentIntentRecord): void {
    const card = intent.card;
    const declined = card?.outcome === "decline";
    const capture = intent.capture_method === "automatic" && !declined;
    const charge: ChargeRecord = {
      id: randomId("ch"),
      amount: intent.amount,
      amount_captured: capture ? intent.amount : 0,
      amount_refunded: 0,
      captured: capture,
      created: now(),
      currency: intent.currency,
      status: declined ? "failed" : "succeeded",
      payment_intent: intent.id,
      payment_method: intent.payment_method as string,
      failure_code: declined ? "card_declined" : null,
      failure_message: declined ? "Your card was declined." : null,
      refunded: false,
      // copied once when the intent is confirmed (support.stripe.com: how metadata works with related objects)
      metadata: { ...intent.metadata },
      details: card
        ? {
            type: "card",
            card: { ...cardFields(card), network: card.brand },
          }
        : { type: "alipay", alipay: { buyer_id: "2088000000000000", fingerprint: "aLiPaY0fAkE0bUyR", transaction_id: `alipay_${intent.id.slice(3)}` } },
    };
    this.charges.set(charge.id, charge);
    intent.latest_charge = charge.id;
    if (declined && card) {
      intent.status = "requires_payment_method";
      intent.last_payment_error = {
        type: "card_error",
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined.",
        charge: charge.id,
        doc_url: `${DOCS}#card-declined`,
        payment_method: {
          id: intent.payment_method,
          object: "payment_method",
          type: "card",
          card: cardFields(card),
          created: intent.created,
          livemode: false,
          metadata: {},
        },
      };
      throw new StripeFailure(402, { ...intent.last_payment_error, payment_intent: this.paymentIntentJson(intent.id) });
    }
    intent.last_payment_error = null;
    if (capture) {
      intent.status = "succeeded";
      intent.amount_received = intent.amount;
    } else {
      intent.status = "requires_capture";
      intent.amount_capturable = intent.amount;
    }
  }

  private capture(id: string, params: Params): Json {
    allowOnly(params, ALLOWED.capture);
    const intent = this.intent(id);
    if (intent.status !== "requires_capture")
      throw invalid(
        `This PaymentIntent could not be captured because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
        { code: "payment_intent_unexpected_state" },
        true,
      );
    const amount = params.amount_to_capture === undefined ? intent.amount_capturable : integer(params, "amount_to_capture");
    if (amount < 1 || amount > intent.amount_capturable)
      throw invalid(
        `The amount_to_capture must be between 1 and the amount capturable (${intent.amount_capturable}).`,
        { code: "amount_too_large", param: "amount_to_capture" },
        true,
      );
    const charge = this.charges.get(intent.latest_charge as string) as ChargeRecord;
    charge.captured = true;
    charge.amount_captured = amount; // the rest of the authorisation is released
    intent.status = "succeeded";
    intent.amount_received = amount;
    intent.amount_capturable = 0;
    return this.paymentIntentJson(id, expands(params));
  }

  private cancel(id: string, params: Params): Json {
    allowOnly(params, ALLOWED.cancel);
    const intent = this.intent(id);
    if (!CANCELABLE.includes(intent.status))
      throw invalid(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(", ")}.`,
        { code: "payment_intent_unexpected_state" },
        true,
      );
    const reason = optionalString(params, "cancellation_reason");
    if (reason && !["duplicate", "fraudulent", "requested_by_customer", "abandoned"].includes(reason))
      throw invalid(`Invalid cancellation_reason: ${reason}`, { param: "cancellation_reason" });
    const charge = intent.latest_charge ? this.charges.get(intent.latest_charge) : undefined;
    if (charge && charge.status === "succeeded" && !charge.captured) {
      charge.amount_refunded = charge.amount; // the authorisation is released
      charge.refunded = true;
    }
    intent.status = "canceled";
    intent.canceled_at = now();
    intent.cancellation_reason = reason ?? null;
    intent.amount_capturable = 0;
    intent.next_action = null;
    return this.paymentIntentJson(id, expands(params));
  }

  private refund(params: Params): Json {
    allowOnly(params, ALLOWED.refund);
    const intentId = optionalString(params, "payment_intent");
    const chargeId = optionalString(params, "charge") ?? (intentId ? this.intent(intentId, 400).latest_charge : null);
    if (!intentId && !chargeId) throw invalid("One of the following params should be provided for this request: payment_intent or charge.");
    const reason = optionalString(params, "reason");
    if (reason && !["duplicate", "fraudulent", "requested_by_customer"].includes(reason))
      throw invalid("Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer", { param: "reason" });
    const charge = chargeId ? this.charges.get(chargeId) : undefined;
    if (charge?.status !== "succeeded" || !charge.captured)
      throw invalid(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, { param: intentId ? "payment_intent" : "charge" }, true);
    const refundable = charge.amount_captured - charge.amount_refunded;
    if (refundable <= 0) throw invalid(`Charge ${charge.id} has already been refunded.`, { code: "charge_already_refunded" }, true);
    const amount = params.amount === undefined ? refundable : integer(params, "amount");
    if (amount < 1) throw invalid("This value must be greater than or equal to 1.", { code: "parameter_invalid_integer", param: "amount" });
    if (amount > refundable)
      throw invalid(
        `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(refundable, charge.currency)})`,
        { code: "amount_too_large", param: "amount" },
        true,
      );
    const refund: RefundRecord = {
      id: randomId("re"),
      amount,
      charge: charge.id,
      created: now(),
      currency: charge.currency,
      metadata: stringMap(params, "metadata"),
      payment_intent: charge.payment_intent,
      reason: reason ?? null,
      status: this.paymentIntents.get(charge.payment_intent)?.card?.refundsPending ? "pending" : "succeeded",
    };
    this.refunds.set(refund.id, refund);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount_captured;
    return this.refundJson(refund.id);
  }

  private intent(id: string, status = 404): PaymentIntentRecord {
    const intent = this.paymentIntents.get(id);
    if (!intent)
      throw new StripeFailure(
        status,
        { type: "invalid_request_error", code: "resource_missing", message: `No such payment_intent: '${id}'`, param: "intent" },
        false,
      );
    return intent;
  }
}

/** Stripe's form encoding (`a[b][0]=x`) read back into nested objects and arrays. */
export function decodeForm(body: string): Params {
  const root: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const [head, ...rest] = key.split("[");
    const path = [head as string, ...rest.map((part) => part.replace(/\]$/, ""))];
    let node: Params = root;
    for (const segment of path.slice(0, -1)) {
      const next = node[segment];
      if (next && typeof next === "object" && !Array.isArray(next)) node = next;
      else {
        const created: Params = {};
        node[segment] = created;
        node = created;
      }
    }
    node[path.at(-1) as string] = value;
  }
  return arrays(root) as Params;
}

/** Objects keyed 0..n-1 become arrays, as Stripe reads `expand[0]=…&expand[1]=…`. */
function arrays(value: Param): Param {
  if (typeof value === "string" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted = Object.fromEntries(keys.map((k) => [k, arrays(value[k] as Param)]));
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => converted[k] as Param);
  return converted;
}

function canonical(value: Param): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k] as Param)}`)
    .join(",")}}`;
}

function allowOnly(params: Params, allowed: string[]): void {
  for (const key of Object.keys(params)) if (!allowed.includes(key)) throw invalid(`Received unknown parameter: ${key}`, { param: key });
  const expand = params.expand;
  if (expand !== undefined && (!Array.isArray(expand) || expand.some((e) => e !== "latest_charge")))
    throw invalid(`This property cannot be expanded (${Array.isArray(expand) ? expand.join(", ") : String(expand)}).`, { param: "expand" });
}

const expands = (params: Params) => Array.isArray(params.expand) && params.expand.includes("latest_charge");

function integer(params: Params, name: string): number {
  const raw = params[name];
  if (raw === undefined) throw invalid(`Missing required param: ${name}.`, { code: "parameter_missing", param: name });
  if (typeof raw !== "string" || !/^-?\d+$/.test(raw)) throw invalid(`Invalid integer: ${String(raw)}`, { code: "parameter_invalid_integer", param: name });
  return Number(raw);
}

function requiredString(params: Params, name: string): string {
  const value = optionalString(params, name);
  if (value === undefined) throw invalid(`Missing required param: ${name}.`, { code: "parameter_missing", param: name });
  return value;
}

function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalid(`Invalid ${name}: must be a string`, { param: name });
  return value;
}

function stringMap(params: Params, name: string): Record<string, string> {
  const value = params[name];
  if (value === undefined || value === "") return {};
  if (typeof value !== "object" || Array.isArray(value)) throw invalid(`Invalid object: ${name}`, { param: name });
  const entries = Object.entries(value);
  for (const [k, v] of entries) {
    if (typeof v !== "string") throw invalid(`Invalid ${name}[${k}]: must be a string`, { param: `${name}[${k}]` });
    if (v.length > 500) throw invalid(`Invalid ${name}[${k}]: must be at most 500 characters`, { param: `${name}[${k}]` });
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** How Stripe writes an amount in its messages: "$25.00", "¥500", "KWD 1.230". */
function formatAmount(amount: number, currency: string): string {
  const digits = ZERO_DECIMAL.has(currency) ? 0 : THREE_DECIMAL.has(currency) ? 3 : 2;
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(amount / 10 ** digits);
}
