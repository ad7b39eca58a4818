// The one interface every payment gateway is used through. The payments service never imports a gateway's SDK
// or wire format: it calls these methods and reads these shapes. Embedded default: `sandbox.ts`; production:
// `stripe.ts`; also `razorpay.ts` and `paypal.ts` (tested against local endpoints speaking their wire formats).
import type { PaymentProviderName } from "@bazaar/contracts";

/** Where a gateway says a payment stands, in our words. */
export type ProviderPaymentStatus = "requires_action" | "processing" | "authorized" | "captured" | "failed" | "canceled";

export interface CreatePaymentInput {
  /** our payment id (pay_…), sent as metadata so the gateway's events name it */
  paymentId: string;
  /** minor units of `currency` */
  amountMinor: number;
  currency: string;
  /** the gateway's payment method: a Stripe `pm_…` id, a sandbox test card number… */
  paymentMethod: string;
  /** automatic: charge now; manual: authorise now, capture later (`capture`) */
  captureMode: "automatic" | "manual";
  /** forwarded to the gateway as its idempotency key: a retried call creates nothing twice */
  idempotencyKey: string;
  description?: string;
  /** where the buyer comes back after an extra authentication step */
  returnUrl?: string;
  /** who pays, for gateways that require it (Razorpay's S2S payments): whatever of it we know */
  payer?: { email?: string; phone?: string; ipAddress?: string };
}

export interface ProviderPayment {
  /** the gateway's id for it (Stripe: pi_…) */
  providerRef: string;
  status: ProviderPaymentStatus;
  /** how much the gateway has captured so far, minor units */
  capturedMinor: number;
  /** when status is requires_action: where the buyer authenticates */
  nextActionUrl?: string;
  /** why it failed, in words a buyer may read */
  failureReason?: string;
  /** a stable fingerprint of the card (for fraud velocity rules), when the gateway gives one */
  cardFingerprint?: string;
  /** the card's issuing country (ISO 3166 alpha-2), when known */
  cardCountry?: string;
}

export interface RefundInput {
  /** the gateway's id of the payment */
  providerRef: string;
  amountMinor: number;
  currency: string;
  idempotencyKey: string;
  /** our refund's id (rfd_…), kept by the gateway with the refund (metadata, notes…) */
  refundId?: string;
  reason?: string;
}

export interface ProviderRefund {
  providerRef: string;
  status: "pending" | "succeeded" | "failed";
  failureReason?: string;
}

/** A gateway's webhook, verified and read into our words. */
export interface ProviderEvent {
  /** the gateway's event id: the dedupe key */
  eventId: string;
  type:
    | "payment.succeeded"
    | "payment.authorized"
    | "payment.failed"
    | "payment.canceled"
    | "payment.requires_action"
    | "refund.succeeded"
    | "refund.failed"
    | "other";
  /** the gateway's id of the payment it is about */
  providerRef: string | undefined;
  /** for refund.* events: the gateway's id of the refund (ProviderRefund.providerRef) */
  refundRef?: string;
  /** our payment id, when the gateway echoes the metadata we sent */
  paymentId: string | undefined;
  /** when the gateway says it happened (epoch ms): events arrive late and out of order */
  occurredAt: number;
  amountMinor?: number;
  failureReason?: string;
  /** the gateway's own type name (payment_intent.succeeded…), for the record */
  providerType: string;
}

/** A webhook whose signature does not verify (forged, altered, or too old): answered 400, never processed. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookSignatureError";
  }
}

/** The gateway refused or failed a call (declined card, unknown payment, network): the message is safe to show. */
export class ProviderError extends Error {
  constructor(
    message: string,
    /** a decline is the buyer's problem (4xx); anything else is ours or the gateway's */
    readonly kind: "declined" | "invalid_request" | "unavailable",
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

export interface PaymentProvider {
  readonly name: PaymentProviderName;
  /**
   * What the gateway knows of a payment method before it is charged (its card's fingerprint and issuing country),
   * for the fraud check. Gateways that cannot tell do not have it; an unknown method is a ProviderError.
   */
  describePaymentMethod?(paymentMethod: string): Promise<{ cardFingerprint?: string; cardCountry?: string }>;
  /** Creates and confirms a payment with the given method. A decline is a result with status failed, not a throw. */
  createPayment(input: CreatePaymentInput): Promise<ProviderPayment>;
  /** Captures (part of) an authorised payment. */
  capture(providerRef: string, amountMinor: number, idempotencyKey: string): Promise<ProviderPayment>;
  /**
   * Completes a payment the buyer approved on the gateway's page (PayPal: capture or authorise the approved
   * order). Gateways that finish on their own after the buyer's step (sandbox, Stripe) do not have it.
   */
  confirm?(providerRef: string, idempotencyKey: string): Promise<ProviderPayment>;
  /** Cancels an authorised, uncaptured payment. */
  cancel(providerRef: string, idempotencyKey: string): Promise<ProviderPayment>;
  /** Refunds (part of) a captured payment; `refundId`, our refund's id, goes with it for `findRefund`. */
  refund(input: RefundInput): Promise<ProviderRefund>;
  /**
   * The refund the gateway made for our refund `refundId` on a payment, or null when it made none: how a refund whose
   * call failed without an answer is known to be safe to try again under a new key. Gateways that cannot tell do not
   * have it (such a refund is then only ever asked again under its first key).
   */
  findRefund?(input: { providerRef: string; refundId: string }): Promise<ProviderRefund | null>;
  /**
   * Where a refund stands now, by the gateway's ref (ProviderRefund.providerRef): how a refund left pending is settled
   * when its webhook never comes (PayPal sends none for a failed refund). An unknown ref is a ProviderError.
   */
  getRefund?(refundRef: string): Promise<ProviderRefund>;
  /** Verifies a webhook's signature over the exact raw body and reads it; throws WebhookSignatureError. */
  parseWebhook(rawBody: string, headers: Headers): Promise<ProviderEvent>;
}

/** Runs a gateway call sequence, answering any failure in our words (`toProviderError` knows the gateway's). */
export async function guarded<T>(toProviderError: (error: unknown) => ProviderError, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toProviderError(error);
  }
}
