// Inbound gateway webhooks: verified over the raw body, stored once per (provider, event id) with an outbox row in
// the same transaction, then applied by the subscriber: payment news to charges, refund news to refunds. A webhook
// only advances state that already exists; it never creates a payment, an order or a refund.
import { AppError, NotFoundError, type PaymentProviderName } from "@bazaar/contracts";
import { schema } from "@bazaar/db";
import { createEvent, outboxInsert, paymentProviderEventReceived } from "@bazaar/events";
import { and, eq } from "drizzle-orm";
import { applyPaymentEvent, type PaymentsCtx, type Providers } from "../charges/service.ts";
import { type ProviderEvent, WebhookSignatureError } from "../providers/provider.ts";
import { applyRefundEvent } from "../refunds/service.ts";

/**
 * POST /v1/payments/webhooks/{provider}: a forged or stale webhook is a 400 and nothing is stored. A redelivery
 * answers 200 and does nothing.
 */
export async function receiveWebhook(
  ctx: PaymentsCtx,
  providers: Providers,
  providerName: PaymentProviderName,
  rawBody: string,
  headers: Headers,
): Promise<{ received: true; duplicate: boolean }> {
  const provider = providers.byName[providerName];
  if (!provider) throw new NotFoundError("payment provider", providerName);
  let event: ProviderEvent;
  try {
    event = await provider.parseWebhook(rawBody, headers);
  } catch (error) {
    if (error instanceof WebhookSignatureError)
      throw new AppError("BAD_REQUEST", `The webhook was refused: ${error.message}`, [{ path: "/", message: error.message }]);
    throw error;
  }
  const now = ctx.clock();
  // the event and its outbox row commit together: a crash between them would leave a stored event that is never
  // applied, while its redelivery is skipped as a duplicate
  const inserted = await ctx.database.transaction(async (tx) => {
    const rows = await tx
      .insert(schema.providerEvent)
      .values({
        provider: providerName,
        eventId: event.eventId,
        type: event.type,
        objectRef: event.providerRef ?? null,
        occurredAt: event.occurredAt,
        receivedAt: now,
        payload: JSON.stringify(event),
      })
      .onConflictDoNothing()
      .returning({ eventId: schema.providerEvent.eventId });
    if (!rows.length) return false;
    await outboxInsert(tx, createEvent(paymentProviderEventReceived, { provider: providerName, eventId: event.eventId }, { ids: ctx.ids, now }));
    return true;
  });
  if (!inserted) return { received: true, duplicate: true };
  ctx.eventsWritten();
  return { received: true, duplicate: false };
}

/** The subscriber's half: applies a stored provider event to its payment or refund. */
export async function applyStoredEvent(ctx: PaymentsCtx, providers: Providers, providerName: string, eventId: string): Promise<void> {
  const [row] = await ctx.database.db
    .select()
    .from(schema.providerEvent)
    .where(and(eq(schema.providerEvent.provider, providerName), eq(schema.providerEvent.eventId, eventId)))
    .limit(1);
  if (!row) return;
  const event = JSON.parse(row.payload) as ProviderEvent;
  if (event.type.startsWith("refund.")) await applyRefundEvent(ctx, providerName, event);
  else await applyPaymentEvent(ctx, providers, providerName, event);
}
