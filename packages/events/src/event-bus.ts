import { type Database, isConstraintError, type Statement, schema } from "@bazaar/db";
import type { Static, TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { and, eq } from "drizzle-orm";
import type { EventDefinition, EventEnvelope } from "./envelope.ts";

/**
 * A handler may do outside work (at-least-once: it can run again after a crash) and
 * return database statements, which commit atomically with the dedupe record (exactly once).
 */
export type EventHandler<P = unknown> = (payload: P, event: EventEnvelope) => Promise<Statement[] | undefined>;

interface Subscription {
  consumer: string;
  definition: EventDefinition;
  handler: EventHandler;
}

export type DispatchOutcome = "handled" | "skipped";

export interface DispatchResult {
  handled: number;
  skipped: number;
}

/** Local subscribers by event type, each consuming idempotently through `handled_event`. */
export class EventBus {
  private readonly subscriptions = new Map<string, Subscription[]>();
  private readonly listeners: ((event: EventEnvelope, outcome: DispatchOutcome, consumer: string) => void)[] = [];

  constructor(
    private readonly database: Database,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `consumer` is a stable name (`notifications.order-placed`): it is the dedupe key with the event id. */
  subscribe<S extends TSchema>(consumer: string, definition: EventDefinition<string, S>, handler: EventHandler<Static<S>>): this {
    const list = this.subscriptions.get(definition.type) ?? [];
    if (list.some((s) => s.consumer === consumer)) throw new Error(`consumer ${consumer} already subscribed to ${definition.type}`);
    list.push({ consumer, definition, handler: handler as EventHandler });
    this.subscriptions.set(definition.type, list);
    return this;
  }

  /** Observes every consumption (metrics, tests). */
  onConsumed(listener: (event: EventEnvelope, outcome: DispatchOutcome, consumer: string) => void): void {
    this.listeners.push(listener);
  }

  /** Runs every subscriber of the event once; throws if any fails (the transport retries, dedupe skips the rest). */
  async dispatch(event: EventEnvelope): Promise<DispatchResult> {
    const result: DispatchResult = { handled: 0, skipped: 0 };
    const failures: string[] = [];
    for (const subscription of this.subscriptions.get(event.type) ?? []) {
      try {
        const outcome = await this.consume(subscription, event);
        result[outcome]++;
        for (const listener of this.listeners) listener(event, outcome, subscription.consumer);
      } catch (error) {
        failures.push(`${subscription.consumer}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (failures.length) throw new Error(`${event.type} ${event.id} failed in ${failures.join("; ")}`);
    return result;
  }

  private async consume(subscription: Subscription, event: EventEnvelope): Promise<DispatchOutcome> {
    const { consumer, definition } = subscription;
    if (await this.alreadyHandled(consumer, event.id)) return "skipped";
    if (event.version !== definition.version) throw new Error(`${consumer} understands ${event.type} v${definition.version}, got v${event.version}`);
    if (!Value.Check(definition.payload, event.payload)) throw new Error(`${event.type} ${event.id} payload does not match its schema`);
    const statements = (await subscription.handler(event.payload, event)) ?? [];
    const { db } = this.database;
    const marker = db.insert(schema.handledEvent).values({ consumer, eventId: event.id, handledAt: this.clock() });
    try {
      await this.database.batch([marker, ...statements]);
    } catch (error) {
      // a concurrent delivery of the same event won the race: its effects stand, ours roll back
      if (isConstraintError(error, "PRIMARYKEY") || isConstraintError(error, "UNIQUE")) {
        if (await this.alreadyHandled(consumer, event.id)) return "skipped";
      }
      throw error;
    }
    return "handled";
  }

  private async alreadyHandled(consumer: string, eventId: string): Promise<boolean> {
    const rows = await this.database.db
      .select({ eventId: schema.handledEvent.eventId })
      .from(schema.handledEvent)
      .where(and(eq(schema.handledEvent.consumer, consumer), eq(schema.handledEvent.eventId, eventId)))
      .limit(1);
    return rows.length > 0;
  }
}

export interface BatchResult extends DispatchResult {
  /** ids of events some consumer failed on (the others are done; redelivery skips them by dedupe) */
  failed: { id: string; type: string; error: unknown }[];
}

/** Dispatches a batch event by event, collecting failures instead of stopping at the first. */
export async function dispatchBatch(bus: EventBus, events: EventEnvelope[]): Promise<BatchResult> {
  const result: BatchResult = { handled: 0, skipped: 0, failed: [] };
  for (const event of events) {
    try {
      const outcome = await bus.dispatch(event);
      result.handled += outcome.handled;
      result.skipped += outcome.skipped;
    } catch (error) {
      result.failed.push({ id: event.id, type: event.type, error });
    }
  }
  return result;
}
