import { type ErrorResponse, Resend } from "resend";
import type { EmailMessage, EmailSender, SentEmail } from "./sender.ts";

const DEFAULT_BASE_URL = "https://api.resend.com";

export interface ResendOptions {
  apiKey: string;
  /** `Name <address@verified-domain>` */
  from: string;
  /** another API endpoint (a test double, a proxy); https://api.resend.com when unset */
  baseUrl?: string;
  /** a send that hangs longer than this fails as retryable; the idempotency key makes the retry safe */
  timeoutMs?: number;
}

/**
 * Resend refused or could not take a send. `retryable` says whether the same send may succeed
 * later (rate limit, quota, 5xx, network) or never will (4xx: validation, bad sender, bad key).
 */
export class EmailSendError extends Error {
  override name = "EmailSendError";

  constructor(
    message: string,
    readonly retryable: boolean,
    /** the HTTP status, null when no response arrived */
    readonly status: number | null,
    /** Resend's error name, e.g. `validation_error`, `rate_limit_exceeded` */
    readonly code: string,
  ) {
    super(message);
  }
}

// When the SDK got no response (network, timeout) it reports `application_error` without a status.
const RETRYABLE_WITHOUT_STATUS = new Set([
  "application_error",
  "internal_server_error",
  "rate_limit_exceeded",
  "daily_quota_exceeded",
  "monthly_quota_exceeded",
]);

function toSendError(error: ErrorResponse): EmailSendError {
  const status = typeof error.statusCode === "number" ? error.statusCode : null;
  const retryable =
    status === null
      ? RETRYABLE_WITHOUT_STATUS.has(error.name)
      : // a 409 for a key whose first request is still in flight clears up; any other 4xx is the message's fault
        status === 429 || status >= 500 || error.name === "concurrent_idempotent_requests";
  return new EmailSendError(`Resend: ${error.message} (${error.name}${status === null ? "" : `, HTTP ${status}`})`, retryable, status, error.name);
}

/** The production sender: Resend's HTTP API through its official SDK. */
export class ResendEmailSender implements EmailSender {
  readonly name = "resend";
  private readonly client: Resend;
  private readonly from: string;
  private readonly timeoutMs: number;

  constructor(options: ResendOptions) {
    // an empty key would make the SDK fall back to RESEND_API_KEY from the environment
    if (!options.apiKey) throw new Error("ResendEmailSender: apiKey is required");
    // always an explicit base URL: otherwise the SDK reads RESEND_BASE_URL from the environment itself
    this.client = new Resend(options.apiKey, { baseUrl: (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "") });
    this.from = options.from;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Throws {@link EmailSendError}; the SDK itself reports failures as `{ error }` instead of throwing. */
  async send(message: EmailMessage): Promise<SentEmail> {
    const { data, error } = await this.client.emails.send(
      {
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
        // Resend allows only ASCII letters, digits, `_` and `-` in tags and refuses the whole mail otherwise
        ...(message.tag ? { tags: [{ name: "category", value: message.tag.replace(/[^A-Za-z0-9_-]/g, "_") }] } : {}),
      },
      { ...(message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : {}), signal: AbortSignal.timeout(this.timeoutMs) },
    );
    if (error) throw toSendError(error);
    return { id: data.id };
  }
}
