import { EVENTS_SECRET_HEADER, type EventEnvelope } from "./envelope.ts";
import type { EventBus } from "./event-bus.ts";

/** The receiver refused the content itself (malformed, too large): retrying the same bytes can never succeed. */
export class PermanentDeliveryError extends Error {
  override name = "PermanentDeliveryError";
}

const REFUSES_CONTENT = new Set([400, 413, 415, 422]);

function deliveryError(message: string, status: number): Error {
  return REFUSES_CONTENT.has(status) ? new PermanentDeliveryError(message) : new Error(message);
}

/** Where the relay sends outbox events. Returns the ids that failed, with why; throwing fails them all. */
export interface EventTransport {
  readonly name: string;
  deliver(events: EventEnvelope[]): Promise<Map<string, string>>;
}

/** Embedded default and tests: straight to this process's subscribers. */
export class InProcessTransport implements EventTransport {
  readonly name = "inprocess";
  constructor(private readonly bus: EventBus) {}

  async deliver(events: EventEnvelope[]): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    for (const event of events) {
      try {
        await this.bus.dispatch(event);
      } catch (error) {
        failed.set(event.id, error instanceof Error ? error.message : String(error));
      }
    }
    return failed;
  }
}

/** Development: POSTs batches to the edge Worker's dev ingest endpoint, which puts them on its local queue. */
export class EdgeIngestTransport implements EventTransport {
  readonly name = "edge";
  constructor(
    private readonly edgeUrl: string,
    private readonly secret: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async deliver(events: EventEnvelope[]): Promise<Map<string, string>> {
    const response = await this.fetchImpl(new URL("/edge/dev/events", this.edgeUrl), {
      method: "POST",
      headers: { "content-type": "application/json", [EVENTS_SECRET_HEADER]: this.secret },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(10_000),
      // a redirect (to a login page, say) is not a delivery: following it would mark events delivered and lose them
      redirect: "manual",
    });
    if (response.status < 200 || response.status > 299)
      throw deliveryError(`edge ingest answered ${response.status}: ${(await response.text()).slice(0, 300)}`, response.status);
    return new Map();
  }
}

export interface CloudflareQueuesConfig {
  accountId: string;
  queueId: string;
  apiToken: string;
  /** Overridable so tests can point the real wire format at a local endpoint. */
  apiBase?: string;
}

/** Production: Cloudflare Queues' HTTP publish API (the token needs Queues Edit). */
export class CloudflareQueuesTransport implements EventTransport {
  readonly name = "cloudflare";
  constructor(
    private readonly config: CloudflareQueuesConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async deliver(events: EventEnvelope[]): Promise<Map<string, string>> {
    const base = this.config.apiBase ?? "https://api.cloudflare.com/client/v4";
    const url = `${base}/accounts/${this.config.accountId}/queues/${this.config.queueId}/messages/batch`;
    const response = await this.fetchImpl(url, {
      method: "POST",
      headers: { authorization: `Bearer ${this.config.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: events.map((body) => ({ body, content_type: "json" })) }),
      signal: AbortSignal.timeout(10_000),
      redirect: "manual",
    });
    const answer = (await response.json().catch(() => null)) as { success?: boolean; errors?: { message?: string }[] } | null;
    if (!response.ok || !answer?.success) {
      const why = answer?.errors?.map((e) => e.message).join("; ") || `HTTP ${response.status}`;
      throw deliveryError(`Cloudflare Queues refused the batch: ${why}`, response.status);
    }
    return new Map();
  }
}
