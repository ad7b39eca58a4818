// The embedded default gateway: test card numbers with fixed outcomes, and webhooks signed and delivered over
// HTTP to our own endpoint, as a real gateway would (late, from outside the request that caused them). Its
// payments live in this process's memory: it is for development and tests, never for real money.
import { createHmac, timingSafeEqual } from "node:crypto";
import {
  type CreatePaymentInput,
  type PaymentProvider,
  ProviderError,
  type ProviderEvent,
  type ProviderPayment,
  type ProviderRefund,
  type RefundInput,
  WebhookSignatureError,
} from "./provider.ts";

/** The test cards and what each does (documented in TopUpBody and the payments README). */
export const SANDBOX_CARDS = {
  success: "4242424242424242",
  declined: "4000000000000002",
  insufficientFunds: "4000000000009995",
  authenticationRequired: "4000002500003155",
  /** accepted, then fails a moment later: only the webhook tells */
  asyncFailure: "4000000000000341",
  /** succeeds; issued in Brazil (for country-mismatch checks) */
  foreignCard: "4000000760000002",
  /** pays; a refund to it is accepted, then fails a moment later: only the webhook tells */
  refundFails: "4000000000005126",
  /** pays, but the answer is lost on the way back (our call fails as unavailable): only the webhook tells */
  answerLost: "4000000000000077",
  /** the first capture of its authorisation fails as unavailable (and, as at Stripe, a retry under that key too) */
  captureFailsOnce: "4000000000000119",
  /** pays; a refund to it is made, but the first answer is lost on the way back: findRefund, or a retry under its key, gets it */
  refundAnswerLost: "4000000000000259",
  /** pays; the first refund call fails as unavailable and makes nothing (and, as at Stripe, a retry under that key too) */
  refundUnavailableOnce: "4000000000000267",
} as const;

export const SANDBOX_SIGNATURE_HEADER = "bazaar-sandbox-signature";
/** A signed webhook older than this is refused: a replayed capture of an old delivery is worthless. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

interface SandboxPayment {
  ref: string;
  paymentId: string;
  amountMinor: number;
  currency: string;
  captureMode: "automatic" | "manual";
  card: string;
  status: ProviderPayment["status"];
  capturedMinor: number;
  refundedMinor: number;
  failureReason?: string;
  captureFailed?: true;
  refundFailed?: true;
}

export interface SandboxOptions {
  /** signs the webhooks (and verifies them when they come back) */
  webhookSecret: string;
  /** sends a signed webhook to our endpoint: POST of `body` with `headers` */
  deliver: (body: string, headers: Record<string, string>) => Promise<void>;
  /** where a buyer completes the extra authentication step for our payment `paymentId` */
  authenticationUrl: (paymentId: string) => string;
  clock?: () => number;
  /** how long an async outcome (asyncFailure) takes */
  asyncDelayMs?: number;
}

/** The card number without spaces or dashes, if it is one of the test cards; anything else is refused. */
function testCard(paymentMethod: string): string {
  const card = paymentMethod.replaceAll(/[\s-]/g, "");
  if (!(Object.values(SANDBOX_CARDS) as string[]).includes(card)) {
    throw new ProviderError(`Unknown sandbox test card; use one of ${Object.values(SANDBOX_CARDS).join(", ")}`, "invalid_request");
  }
  return card;
}

/** A refund as the gateway answers it (without what we keep beside it). */
function refundView({ providerRef, status, failureReason }: ProviderRefund): ProviderRefund {
  return { providerRef, status, ...(failureReason ? { failureReason } : {}) };
}

/**
 * What the sandbox tells of a card before it is charged: its issuing country. Not a fingerprint: a test card is
 * shared by everyone who tests, so a fingerprint would make the fraud check's card-velocity rules hold every
 * developer's fifth payment of the day for review. Those rules are proven on the fraud service with real
 * fingerprints, and see them in production from gateways that give them (Stripe).
 */
function cardFacts(card: string): { cardCountry: string } {
  return { cardCountry: card === SANDBOX_CARDS.foreignCard ? "BR" : "US" };
}

export class SandboxProvider implements PaymentProvider {
  readonly name = "sandbox" as const;
  readonly #payments = new Map<string, SandboxPayment>();
  /** the first answer per idempotency key, a refusal included (as at Stripe): a retried call gets it again and does nothing twice */
  readonly #answers = new Map<string, unknown>();
  readonly #deliveries = new Set<Promise<void>>();
  /** by the gateway's ref, with our refund id when it was given */
  readonly #refunds = new Map<string, ProviderRefund & { refundId?: string }>();
  /** refunds to the refundAnswerLost card whose answer was lost once already */
  readonly #lostRefundAnswers = new Set<string>();
  #events = 0;

  constructor(private readonly options: SandboxOptions) {}

  async describePaymentMethod(paymentMethod: string): Promise<{ cardCountry: string }> {
    return cardFacts(testCard(paymentMethod));
  }

  async createPayment(input: CreatePaymentInput): Promise<ProviderPayment> {
    return this.#once(input.idempotencyKey, () => {
      const card = testCard(input.paymentMethod);
      const payment: SandboxPayment = {
        ref: `sbx_${crypto.randomUUID().replaceAll("-", "")}`,
        paymentId: input.paymentId,
        amountMinor: input.amountMinor,
        currency: input.currency,
        captureMode: input.captureMode,
        card,
        status: "processing",
        capturedMinor: 0,
        refundedMinor: 0,
      };
      this.#payments.set(payment.ref, payment);
      if (card === SANDBOX_CARDS.declined) this.#fail(payment, "Your card was declined.");
      else if (card === SANDBOX_CARDS.insufficientFunds) this.#fail(payment, "Your card has insufficient funds.");
      else if (card === SANDBOX_CARDS.authenticationRequired) {
        payment.status = "requires_action";
        this.#emit("payment.requires_action", payment);
      } else if (card === SANDBOX_CARDS.asyncFailure) {
        payment.status = "processing";
        this.#later(() => this.#fail(payment, "The bank declined the payment after review."));
      } else this.#succeed(payment);
      if (card === SANDBOX_CARDS.answerLost) throw new ProviderError("The sandbox gateway did not answer in time", "unavailable");
      return this.#view(payment);
    });
  }

  /** The buyer's answer on the bank's authentication page (sandbox only). */
  authenticate(ref: string, result: "approve" | "deny"): ProviderPayment {
    const payment = this.#find(ref);
    if (payment.status !== "requires_action") throw new ProviderError("This payment is not waiting for authentication", "invalid_request");
    if (result === "approve") this.#succeed(payment);
    else this.#fail(payment, "The buyer did not complete authentication.");
    return this.#view(payment);
  }

  async capture(ref: string, amountMinor: number, idempotencyKey: string): Promise<ProviderPayment> {
    return this.#once(idempotencyKey, () => {
      const payment = this.#find(ref);
      if (payment.status !== "authorized")
        throw new ProviderError(`Only an authorized payment can be captured; this one is ${payment.status}`, "invalid_request");
      if (amountMinor < 1 || amountMinor > payment.amountMinor) throw new ProviderError("The capture amount exceeds the authorized amount", "invalid_request");
      if (payment.card === SANDBOX_CARDS.captureFailsOnce && !payment.captureFailed) {
        payment.captureFailed = true;
        throw new ProviderError("The sandbox gateway is unavailable; try again", "unavailable");
      }
      payment.status = "captured";
      payment.capturedMinor = amountMinor;
      this.#emit("payment.succeeded", payment);
      return this.#view(payment);
    });
  }

  async cancel(ref: string, idempotencyKey: string): Promise<ProviderPayment> {
    return this.#once(idempotencyKey, () => {
      const payment = this.#find(ref);
      if (payment.status === "captured") throw new ProviderError("A captured payment cannot be canceled; refund it", "invalid_request");
      payment.status = "canceled";
      this.#emit("payment.canceled", payment);
      return this.#view(payment);
    });
  }

  async refund(input: RefundInput): Promise<ProviderRefund> {
    const answer = this.#once(input.idempotencyKey, () => {
      const payment = this.#find(input.providerRef);
      if (payment.card === SANDBOX_CARDS.refundUnavailableOnce && !payment.refundFailed) {
        payment.refundFailed = true;
        throw new ProviderError("The sandbox gateway is unavailable; try again", "unavailable");
      }
      if (payment.capturedMinor - payment.refundedMinor < input.amountMinor) {
        throw new ProviderError("The refund exceeds what is captured and not yet refunded", "invalid_request");
      }
      payment.refundedMinor += input.amountMinor;
      const refundRef = `sbr_${crypto.randomUUID().replaceAll("-", "")}`;
      if (payment.card === SANDBOX_CARDS.refundFails) {
        this.#later(() => {
          payment.refundedMinor -= input.amountMinor;
          const failureReason = "The card's bank refused the refund.";
          this.#keepRefund({ providerRef: refundRef, status: "failed", failureReason }, input.refundId);
          this.#emit("refund.failed", payment, { refundRef, amountMinor: input.amountMinor, failureReason });
        });
        return this.#keepRefund({ providerRef: refundRef, status: "pending" }, input.refundId);
      }
      this.#emit("refund.succeeded", payment, { refundRef, amountMinor: input.amountMinor });
      return this.#keepRefund({ providerRef: refundRef, status: "succeeded" }, input.refundId);
    });
    if (this.#find(input.providerRef).card === SANDBOX_CARDS.refundAnswerLost && !this.#lostRefundAnswers.has(input.idempotencyKey)) {
      this.#lostRefundAnswers.add(input.idempotencyKey);
      throw new ProviderError("The sandbox gateway did not answer in time", "unavailable");
    }
    return answer;
  }

  async getRefund(refundRef: string): Promise<ProviderRefund> {
    const refund = this.#refunds.get(refundRef);
    if (!refund) throw new ProviderError(`No sandbox refund ${refundRef}`, "invalid_request");
    return refundView(refund);
  }

  async findRefund(input: { providerRef: string; refundId: string }): Promise<ProviderRefund | null> {
    this.#find(input.providerRef);
    const refund = [...this.#refunds.values()].find((r) => r.refundId === input.refundId);
    return refund ? refundView(refund) : null;
  }

  /** Keeps a refund's latest state, for getRefund and findRefund; answers it as the call would. */
  #keepRefund(refund: ProviderRefund, refundId: string | undefined): ProviderRefund {
    this.#refunds.set(refund.providerRef, { ...refund, ...(refundId ? { refundId } : {}) });
    return refund;
  }

  async parseWebhook(rawBody: string, headers: Headers): Promise<ProviderEvent> {
    const header = headers.get(SANDBOX_SIGNATURE_HEADER) ?? "";
    const parts = Object.fromEntries(header.split(",").map((part) => part.split("=", 2) as [string, string]));
    const timestamp = Number(parts.t);
    if (!Number.isSafeInteger(timestamp) || !parts.v1) throw new WebhookSignatureError("missing or malformed signature header");
    const now = Math.floor(this.#now() / 1000);
    if (Math.abs(now - timestamp) > SIGNATURE_TOLERANCE_SECONDS) throw new WebhookSignatureError("the signature's timestamp is outside the tolerance");
    const expected = Buffer.from(this.#sign(timestamp, rawBody), "hex");
    const given = Buffer.from(parts.v1, "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookSignatureError("the signature does not match the body");
    let event: { id?: unknown; type?: unknown; created?: unknown; data?: Record<string, unknown> };
    try {
      event = JSON.parse(rawBody) as typeof event;
    } catch {
      throw new WebhookSignatureError("the body is not JSON");
    }
    const data = event.data ?? {};
    return {
      eventId: String(event.id),
      type: (String(event.type) as ProviderEvent["type"]) ?? "other",
      providerRef: typeof data.ref === "string" ? data.ref : undefined,
      ...(typeof data.refundRef === "string" ? { refundRef: data.refundRef } : {}),
      paymentId: typeof data.paymentId === "string" ? data.paymentId : undefined,
      occurredAt: Number(event.created) * 1000,
      ...(typeof data.amountMinor === "number" ? { amountMinor: data.amountMinor } : {}),
      ...(typeof data.failureReason === "string" ? { failureReason: data.failureReason } : {}),
      providerType: String(event.type),
    };
  }

  /** Resolves once every webhook sent so far has been delivered (tests wait on it). */
  async settled(): Promise<void> {
    while (this.#deliveries.size) await Promise.allSettled([...this.#deliveries]);
  }

  /** A signed webhook as the sandbox would send it (tests forge, replay and reorder with it). */
  signedWebhook(type: ProviderEvent["type"], data: Record<string, unknown>, createdSeconds = Math.floor(this.#now() / 1000)) {
    const body = JSON.stringify({ id: `evt_sbx_${++this.#events}_${crypto.randomUUID().slice(0, 8)}`, type, created: createdSeconds, data });
    return { body, headers: { "content-type": "application/json", [SANDBOX_SIGNATURE_HEADER]: `t=${createdSeconds},v1=${this.#sign(createdSeconds, body)}` } };
  }

  #succeed(payment: SandboxPayment): void {
    if (payment.captureMode === "manual") {
      payment.status = "authorized";
      this.#emit("payment.authorized", payment);
    } else {
      payment.status = "captured";
      payment.capturedMinor = payment.amountMinor;
      this.#emit("payment.succeeded", payment);
    }
  }

  #fail(payment: SandboxPayment, reason: string): void {
    payment.status = "failed";
    payment.failureReason = reason;
    this.#emit("payment.failed", payment);
  }

  #emit(type: ProviderEvent["type"], payment: SandboxPayment, extra: Record<string, unknown> = {}): void {
    const { body, headers } = this.signedWebhook(type, {
      ref: payment.ref,
      paymentId: payment.paymentId,
      amountMinor: payment.capturedMinor || payment.amountMinor,
      ...(payment.failureReason ? { failureReason: payment.failureReason } : {}),
      ...extra,
    });
    // sent after the call that caused it has answered, as a gateway's webhooks are
    const delivery = Bun.sleep(0)
      .then(() => this.options.deliver(body, headers))
      .catch(() => undefined)
      .finally(() => this.#deliveries.delete(delivery));
    this.#deliveries.add(delivery);
  }

  #later(fn: () => void): void {
    const delivery = Bun.sleep(this.options.asyncDelayMs ?? 50)
      .then(fn)
      .finally(() => this.#deliveries.delete(delivery));
    this.#deliveries.add(delivery);
  }

  #view(payment: SandboxPayment): ProviderPayment {
    return {
      providerRef: payment.ref,
      status: payment.status,
      capturedMinor: payment.capturedMinor,
      ...(payment.status === "requires_action" ? { nextActionUrl: this.options.authenticationUrl(payment.paymentId) } : {}),
      ...(payment.failureReason ? { failureReason: payment.failureReason } : {}),
      ...cardFacts(payment.card),
    };
  }

  #find(ref: string): SandboxPayment {
    const payment = this.#payments.get(ref);
    if (!payment) throw new ProviderError(`No sandbox payment ${ref}`, "invalid_request");
    return payment;
  }

  #once<T>(key: string, fn: () => T): T {
    if (this.#answers.has(key)) {
      const answer = this.#answers.get(key);
      if (answer instanceof ProviderError) throw answer;
      return answer as T;
    }
    let answer: T;
    try {
      answer = fn();
    } catch (error) {
      if (error instanceof ProviderError) this.#answers.set(key, error);
      throw error;
    }
    this.#answers.set(key, answer);
    return answer;
  }

  #sign(timestamp: number, body: string): string {
    return createHmac("sha256", this.options.webhookSecret).update(`${timestamp}.${body}`).digest("hex");
  }

  #now(): number {
    return (this.options.clock ?? Date.now)();
  }
}
