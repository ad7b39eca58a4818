// Stripe through PaymentIntents: create + confirm in one call, automatic or manual capture, refunds, and webhooks
// verified with `constructEventAsync` (under Bun the SDK signs with SubtleCrypto, which has no synchronous form).
// Every mutating call forwards our idempotency key, so a retried call replays Stripe's first answer, even an error.
//
// Amounts: our minor units are ISO 4217's (`minorUnitExponent`); Stripe's are its own. They agree for every
// currency we support except that Stripe wants three-decimal amounts (KWD, BHD…) to end in 0. Where Stripe counts a
// currency in a different unit (ISK: two decimals at Stripe, zero in ISO; UGX and the CFA francs the other way) we
// refuse rather than scale, so that what we store is always exactly what Stripe charged.
//
// Webhook events name the PaymentIntent in `providerRef`, refund events included (refund.* and charge.refunded carry
// `payment_intent`): the service finds the payment by it and re-reads what it needs. Refund events also name the
// refund in `refundRef` (the `re_…` id `refund()` returned), which is how the service finds its refund row:
// refund.created / refund.updated / refund.failed / charge.refund.updated carry the Refund itself, and its status
// decides succeeded, failed or (pending) other. charge.refunded carries the Charge, which lists its refunds only where
// they were expanded (not by default since API version 2022-11-15): the newest listed is the event's refund; without
// the list it names none, and the refund.* event about the same refund is the one that settles it. `amountMinor` of
// charge.refunded is the charge's cumulative `amount_refunded`; of refund.* it is that one refund's amount.
// `getRefund` reads a refund back by that `re_…` id, so a job can settle one whose event never came. Our refund id
// travels in the refund's metadata (`bazaar_refund_id`); `findRefund` pages through the PaymentIntent's refunds
// (GET /v1/refunds?payment_intent=, newest first) for it, since Stripe cannot filter refunds by metadata.
//
// `describePaymentMethod` reads a PaymentMethod (`pm_…`) before the charge for the fraud check: its card's
// fingerprint and issuing country. "alipay" names no PaymentMethod yet (Stripe makes it with the payment): nothing.
//
// Seller payouts, when we move them to Stripe Connect (not built; the ledger pays sellers today): one buyer payment
// covers several sellers, so use separate charges and transfers, not `application_fee_amount` (which serves one
// destination per charge). Create the PaymentIntent with `transfer_group: <order group id>`; when a seller's funds
// become available in our ledger, `transfers.create({ amount, currency, destination: acct_…, transfer_group,
// source_transaction: <the charge id> }, { idempotencyKey })` per seller (source_transaction ties the transfer to the
// charge, so it waits for those funds instead of failing on an empty balance); the platform keeps the commission by
// transferring less. A refund after a transfer needs `transfers.createReversal` for the seller's share, mirroring the
// ledger's claw-back. Connected accounts are onboarded with `accounts.create` + Account Links (KYC stays at Stripe).
import { minorUnitExponent } from "@bazaar/contracts";
import Stripe from "stripe";
import {
  type CreatePaymentInput,
  type PaymentProvider,
  ProviderError,
  type ProviderEvent,
  type ProviderPayment,
  type ProviderPaymentStatus,
  type ProviderRefund,
  type RefundInput,
  WebhookSignatureError,
} from "./provider.ts";

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  /** another API endpoint (a local fake in tests); production leaves it unset for api.stripe.com */
  apiBase?: { host: string; port: number; protocol: "http" | "https" };
}

/** Stripe's own minor-unit exponents where they are not 2 (docs.stripe.com/currencies). */
const STRIPE_ZERO_DECIMAL = new Set(["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]);
const STRIPE_THREE_DECIMAL = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);
const stripeExponent = (currency: string) => (STRIPE_ZERO_DECIMAL.has(currency) ? 0 : STRIPE_THREE_DECIMAL.has(currency) ? 3 : 2);

/** Stripe's refund reasons; any other reason text travels in the refund's metadata instead. */
const REFUND_REASONS = new Set(["duplicate", "fraudulent", "requested_by_customer"]);
/** The refund metadata key that carries our refund id, for `findRefund`. */
const REFUND_ID_KEY = "bazaar_refund_id";
/** Ids as Stripe and we write them (`pi_…`, `re_…`, `rfd_…`): nothing that would change the path or empty a filter. */
const ID = /^\w+$/;

export class StripeProvider implements PaymentProvider {
  readonly name = "stripe" as const;
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(options: StripeProviderOptions) {
    this.webhookSecret = options.webhookSecret;
    this.stripe = new Stripe(options.secretKey, {
      // retries are safe: every mutating call carries our idempotency key, and Stripe says when not to retry
      maxNetworkRetries: 2,
      timeout: 30_000,
      telemetry: false,
      appInfo: { name: "Bazaar" },
      ...(options.apiBase ?? {}),
    });
  }

  async describePaymentMethod(paymentMethod: string): Promise<{ cardFingerprint?: string; cardCountry?: string }> {
    if (paymentMethod === "alipay") return {};
    let method: Stripe.PaymentMethod;
    try {
      method = await this.stripe.paymentMethods.retrieve(paymentMethod);
    } catch (error) {
      // an unknown id is Stripe's 404 resource_missing, an invalid request
      throw toProviderError(error);
    }
    const card = method.card;
    return { ...(card?.fingerprint ? { cardFingerprint: card.fingerprint } : {}), ...(card?.country ? { cardCountry: card.country } : {}) };
  }

  async createPayment(input: CreatePaymentInput): Promise<ProviderPayment> {
    const currency = checkAmount(input.amountMinor, input.currency);
    const alipay = input.paymentMethod === "alipay";
    if (alipay && !input.returnUrl) throw new ProviderError("Alipay needs a return URL to send the buyer back to", "invalid_request");
    const params: Stripe.PaymentIntentCreateParams = {
      amount: input.amountMinor,
      currency,
      confirm: true,
      capture_method: input.captureMode,
      metadata: { payment_id: input.paymentId },
      expand: ["latest_charge"],
      ...(input.description ? { description: input.description } : {}),
      ...(input.returnUrl ? { return_url: input.returnUrl } : {}),
      ...(alipay
        ? { payment_method_types: ["alipay"], payment_method_data: { type: "alipay" } }
        : {
            payment_method: input.paymentMethod,
            // without a return URL nothing can bring the buyer back from a redirect, so only non-redirect methods apply
            automatic_payment_methods: { enabled: true, allow_redirects: input.returnUrl ? "always" : "never" },
          }),
    };
    try {
      return toPayment(await this.stripe.paymentIntents.create(params, { idempotencyKey: input.idempotencyKey }));
    } catch (error) {
      // a decline is a 402 card_error whose body carries the PaymentIntent, now requires_payment_method
      if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) return toPayment(error.payment_intent, error.message);
      throw toProviderError(error);
    }
  }

  async capture(providerRef: string, amountMinor: number, idempotencyKey: string): Promise<ProviderPayment> {
    try {
      const intent = await this.stripe.paymentIntents.capture(providerRef, { amount_to_capture: amountMinor, expand: ["latest_charge"] }, { idempotencyKey });
      return toPayment(intent);
    } catch (error) {
      throw toProviderError(error);
    }
  }

  async cancel(providerRef: string, idempotencyKey: string): Promise<ProviderPayment> {
    try {
      return toPayment(await this.stripe.paymentIntents.cancel(providerRef, { expand: ["latest_charge"] }, { idempotencyKey }));
    } catch (error) {
      throw toProviderError(error);
    }
  }

  async refund(input: RefundInput): Promise<ProviderRefund> {
    checkAmount(input.amountMinor, input.currency);
    const known = input.reason !== undefined && REFUND_REASONS.has(input.reason);
    const metadata: Record<string, string> = {
      ...(input.reason && !known ? { reason: input.reason.slice(0, 500) } : {}),
      ...(input.refundId ? { [REFUND_ID_KEY]: input.refundId } : {}),
    };
    const params: Stripe.RefundCreateParams = {
      payment_intent: input.providerRef,
      amount: input.amountMinor,
      ...(known ? { reason: input.reason as Stripe.RefundCreateParams.Reason } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
    try {
      return toRefund(await this.stripe.refunds.create(params, { idempotencyKey: input.idempotencyKey }));
    } catch (error) {
      throw toProviderError(error);
    }
  }

  async getRefund(refundRef: string): Promise<ProviderRefund> {
    // an empty id would read GET /v1/refunds/, the list of every refund, not this one
    if (!ID.test(refundRef)) throw new ProviderError(`Not a Stripe refund id: '${refundRef}'`, "invalid_request");
    try {
      return toRefund(await this.stripe.refunds.retrieve(refundRef));
    } catch (error) {
      // an unknown id is Stripe's 404 resource_missing, an invalid request
      throw toProviderError(error);
    }
  }

  async findRefund(input: { providerRef: string; refundId: string }): Promise<ProviderRefund | null> {
    // an empty payment_intent would list every refund of the account
    if (!ID.test(input.providerRef)) throw new ProviderError(`Not a Stripe PaymentIntent id: '${input.providerRef}'`, "invalid_request");
    if (!ID.test(input.refundId)) throw new ProviderError(`Not a refund id: '${input.refundId}'`, "invalid_request");
    try {
      // the SDK's iteration follows has_more page by page: a refund past the first 100 is found too
      for await (const refund of this.stripe.refunds.list({ payment_intent: input.providerRef, limit: 100 })) {
        if (refund.metadata?.[REFUND_ID_KEY] === input.refundId) return toRefund(refund);
      }
    } catch (error) {
      // an unknown PaymentIntent is Stripe's resource_missing, an invalid request: never "no refund"
      throw toProviderError(error);
    }
    return null;
  }

  async parseWebhook(rawBody: string, headers: Headers): Promise<ProviderEvent> {
    const signature = headers.get("stripe-signature");
    if (!signature) throw new WebhookSignatureError("missing Stripe-Signature header");
    let event: Stripe.Event;
    try {
      event = await this.stripe.webhooks.constructEventAsync(rawBody, signature, this.webhookSecret);
    } catch (error) {
      throw new WebhookSignatureError(error instanceof Error ? error.message : "webhook signature did not verify");
    }
    return toEvent(event);
  }
}

/** Stripe's lowercase code for an amount it will take as given, or a refusal naming why. */
function checkAmount(amountMinor: number, currency: string): string {
  const code = currency.toUpperCase();
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0)
    throw new ProviderError(`amount must be a positive integer of minor units, got ${amountMinor}`, "invalid_request");
  if (stripeExponent(code) !== minorUnitExponent(code))
    throw new ProviderError(`Stripe counts ${code} in different minor units; not supported`, "invalid_request");
  if (STRIPE_THREE_DECIMAL.has(code) && amountMinor % 10 !== 0)
    throw new ProviderError(`Stripe takes ${code} amounts only in multiples of 10 minor units`, "invalid_request");
  return code.toLowerCase();
}

function toPayment(intent: Stripe.PaymentIntent, declineMessage?: string): ProviderPayment {
  const failure = intent.last_payment_error;
  const status = paymentStatus(intent);
  const url = intent.next_action?.redirect_to_url?.url ?? intent.next_action?.alipay_handle_redirect?.url ?? undefined;
  const charge = typeof intent.latest_charge === "object" ? intent.latest_charge : null;
  // the charge says which card paid; a declined attempt's card is on the error's payment method
  const card = charge?.payment_method_details?.card ?? failure?.payment_method?.card;
  return {
    providerRef: intent.id,
    status,
    capturedMinor: intent.amount_received,
    ...(status === "requires_action" && url ? { nextActionUrl: url } : {}),
    ...(status === "failed" ? { failureReason: failure?.message ?? declineMessage ?? "payment failed" } : {}),
    ...(card?.fingerprint ? { cardFingerprint: card.fingerprint } : {}),
    ...(card?.country ? { cardCountry: card.country } : {}),
  };
}

function paymentStatus(intent: Stripe.PaymentIntent): ProviderPaymentStatus {
  switch (intent.status) {
    case "succeeded":
      return "captured";
    case "requires_capture":
      return "authorized";
    case "processing":
      return "processing";
    case "canceled":
      return "canceled";
    case "requires_payment_method":
      // where a confirmed intent lands after a decline or a failed authentication
      return intent.last_payment_error ? "failed" : "requires_action";
    default:
      return "requires_action";
  }
}

function toRefund(refund: Stripe.Refund): ProviderRefund {
  const status = refundStatus(refund.status);
  return { providerRef: refund.id, status, ...(status === "failed" ? { failureReason: refund.failure_reason ?? "refund failed" } : {}) };
}

function refundStatus(status: string | null): ProviderRefund["status"] {
  if (status === "succeeded") return "succeeded";
  if (status === "failed" || status === "canceled") return "failed";
  return "pending";
}

function toProviderError(error: unknown): ProviderError {
  const E = Stripe.errors;
  let result: ProviderError;
  if (error instanceof E.StripeCardError) result = new ProviderError(error.message, "declined");
  else if (error instanceof E.StripeInvalidRequestError || error instanceof E.StripeIdempotencyError)
    result = new ProviderError(error.message, "invalid_request");
  // bad credentials, rate limits, Stripe's own errors, the network: our problem or theirs, and never the buyer's words
  else if (error instanceof E.StripeAuthenticationError || error instanceof E.StripePermissionError)
    result = new ProviderError("Stripe refused our credentials", "unavailable");
  else result = new ProviderError("Stripe is unavailable, try again shortly", "unavailable");
  result.cause = error;
  return result;
}

const metadataPaymentId = (metadata: Stripe.Metadata | null | undefined) => metadata?.payment_id || undefined;

function toEvent(event: Stripe.Event): ProviderEvent {
  const base = { eventId: event.id, occurredAt: event.created * 1000, providerType: event.type };
  switch (event.type) {
    case "payment_intent.succeeded":
    case "payment_intent.amount_capturable_updated":
    case "payment_intent.payment_failed":
    case "payment_intent.canceled":
    case "payment_intent.requires_action": {
      const intent = event.data.object;
      const type = PAYMENT_EVENTS[event.type];
      return {
        ...base,
        type,
        providerRef: intent.id,
        paymentId: metadataPaymentId(intent.metadata),
        amountMinor: type === "payment.authorized" ? intent.amount_capturable : type === "payment.succeeded" ? intent.amount_received : intent.amount,
        ...(type === "payment.failed" ? { failureReason: intent.last_payment_error?.message ?? "payment failed" } : {}),
      };
    }
    case "charge.refunded": {
      const charge = event.data.object;
      const refund = latestRefund(charge.refunds?.data);
      // without the list there is no refund to judge by: a refund happened, as the event says
      const status = refund ? refundStatus(refund.status) : "succeeded";
      return {
        ...base,
        type: refundEventType(status),
        providerRef: idOf(charge.payment_intent),
        ...(refund ? { refundRef: refund.id } : {}),
        paymentId: metadataPaymentId(charge.metadata),
        amountMinor: charge.amount_refunded,
        ...(status === "failed" ? { failureReason: refund?.failure_reason ?? "refund failed" } : {}),
      };
    }
    case "refund.created":
    case "refund.updated":
    case "refund.failed":
    case "charge.refund.updated": {
      const refund = event.data.object;
      const status = refundStatus(refund.status);
      return {
        ...base,
        type: refundEventType(status),
        providerRef: idOf(refund.payment_intent),
        refundRef: refund.id,
        paymentId: metadataPaymentId(refund.metadata),
        amountMinor: refund.amount,
        ...(status === "failed" ? { failureReason: refund.failure_reason ?? "refund failed" } : {}),
      };
    }
    default: {
      const object = event.data.object as { id?: string; object?: string; payment_intent?: unknown; metadata?: Stripe.Metadata | null };
      const providerRef = object.object === "payment_intent" ? object.id : idOf(object.payment_intent);
      return { ...base, type: "other", providerRef, paymentId: metadataPaymentId(object.metadata) };
    }
  }
}

const PAYMENT_EVENTS = {
  "payment_intent.succeeded": "payment.succeeded",
  "payment_intent.amount_capturable_updated": "payment.authorized",
  "payment_intent.payment_failed": "payment.failed",
  "payment_intent.canceled": "payment.canceled",
  "payment_intent.requires_action": "payment.requires_action",
} as const;

const refundEventType = (status: ProviderRefund["status"]) => (status === "succeeded" ? "refund.succeeded" : status === "failed" ? "refund.failed" : "other");

/** The newest of a charge's refunds (Stripe lists them newest first; `created` decides all the same). */
function latestRefund(refunds: Stripe.Refund[] | undefined): Stripe.Refund | undefined {
  return refunds?.reduce<Stripe.Refund | undefined>((latest, refund) => (!latest || refund.created > latest.created ? refund : latest), undefined);
}

/** An expandable field's id, whether Stripe sent the id or the object. */
function idOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && "id" in value && typeof value.id === "string") return value.id;
  return undefined;
}
