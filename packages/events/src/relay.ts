import { type Database, schema } from "@bazaar/db";
import { and, asc, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { envelopeFromRow } from "./outbox.ts";
import { type EventTransport, PermanentDeliveryError } from "./transports.ts";

export interface RelayOptions {
  clock?: () => number;
  batchSize?: number;
  /** How long a claimed batch stays ours; a relay that dies simply lets it run out. */
  leaseMs?: number;
  /** Deliveries tried before an event moves to the dead-letter table. */
  maxAttempts?: number;
  pollIntervalMs?: number;
  backoffMs?: (attempts: number) => number;
  onError?: (error: unknown) => void;
  /** Observes every run that claimed something (metrics). */
  onRun?: (run: RelayRun) => void;
}

export interface RelayRun {
  claimed: number;
  delivered: number;
  retried: number;
  dead: number;
}

export const defaultBackoff = (attempts: number) => Math.min(60_000, 250 * 2 ** (attempts - 1));

type OutboxRow = typeof schema.outboxEvent.$inferSelect;

/**
 * Moves outbox rows to a transport: claim a batch with a lease (one UPDATE…RETURNING),
 * deliver, then mark delivered or schedule a retry with backoff, dead-lettering after
 * `maxAttempts`. At-least-once: a crash between delivery and marking redelivers, and
 * consumers dedupe on the event id.
 */
export class OutboxRelay {
  private readonly clock: () => number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly pollIntervalMs: number;
  private readonly backoffMs: (attempts: number) => number;
  private readonly onError: (error: unknown) => void;
  private readonly onRun: (run: RelayRun) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private started = false;
  private kicked = false;

  constructor(
    private readonly database: Database,
    private readonly transport: EventTransport,
    options: RelayOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.backoffMs = options.backoffMs ?? defaultBackoff;
    this.onError = options.onError ?? (() => {});
    this.onRun = options.onRun ?? (() => {});
  }

  /** Claims and delivers at most one batch. */
  async runOnce(): Promise<RelayRun> {
    const now = this.clock();
    const rows = await this.claim(now);
    const run: RelayRun = { claimed: rows.length, delivered: 0, retried: 0, dead: 0 };
    if (!rows.length) return run;

    const failed = await this.deliver(rows);

    const deliveredIds = rows.filter((r) => !failed.has(r.id)).map((r) => r.id);
    const { db } = this.database;
    const { outboxEvent: o } = schema;
    const doneAt = this.clock();
    // every verdict applies only while the row is still under our lease: if a slow delivery
    // outlived it and another relay re-claimed the row, that relay's verdict stands
    const lease = now + this.leaseMs;
    const ours = (id: string) => and(eq(o.id, id), eq(o.leaseUntil, lease));
    const statements = [];
    if (deliveredIds.length) {
      statements.push(
        db
          .update(o)
          .set({ deliveredAt: doneAt, leaseUntil: null })
          .where(and(inArray(o.id, deliveredIds), eq(o.leaseUntil, lease))),
      );
    }
    for (const row of rows.filter((r) => failed.has(r.id))) {
      const failure = failed.get(row.id);
      const attempts = row.attempts + 1;
      const lastError = (failure?.reason ?? "").slice(0, 1000);
      if (attempts >= this.maxAttempts || failure?.permanent) {
        const deadRow = db
          .select({
            id: o.id,
            type: o.type,
            version: o.version,
            payload: o.payload,
            requestId: o.requestId,
            occurredAt: o.occurredAt,
            attempts: sql<number>`${attempts}`.as("attempts"),
            lastError: sql<string>`${lastError}`.as("last_error"),
            deadAt: sql<number>`${doneAt}`.as("dead_at"),
          })
          .from(o)
          .where(ours(row.id));
        statements.push(db.insert(schema.deadLetterEvent).select(deadRow));
        statements.push(db.delete(o).where(ours(row.id)));
        run.dead++;
      } else {
        statements.push(
          db
            .update(o)
            .set({ attempts, lastError, leaseUntil: null, availableAt: doneAt + this.backoffMs(attempts) })
            .where(ours(row.id)),
        );
        run.retried++;
      }
    }
    const [first, ...rest] = statements;
    if (first) await this.database.batch([first, ...rest]);
    run.delivered = deliveredIds.length;
    this.onRun(run);
    return run;
  }

  /**
   * One transport call for the batch. A content refusal of a multi-event batch is
   * retried event by event, so one bad event is dead-lettered and not its neighbours.
   */
  private async deliver(rows: OutboxRow[]): Promise<Map<string, { reason: string; permanent: boolean }>> {
    try {
      const failed = await this.transport.deliver(rows.map(envelopeFromRow));
      return new Map([...failed].map(([id, reason]) => [id, { reason, permanent: false }]));
    } catch (error) {
      const permanent = error instanceof PermanentDeliveryError;
      if (permanent && rows.length > 1) {
        const results = new Map<string, { reason: string; permanent: boolean }>();
        for (const row of rows) for (const [id, failure] of await this.deliver([row])) results.set(id, failure);
        return results;
      }
      const reason = error instanceof Error ? error.message : String(error);
      return new Map(rows.map((r) => [r.id, { reason, permanent }]));
    }
  }

  /** Delivers until nothing is deliverable now (or the deadline passes); used on shutdown and in tests. */
  async flush(deadlineMs = 5_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    await this.running;
    while (Date.now() < until) {
      const run = await this.runOnce();
      if (run.claimed === 0 || run.delivered + run.dead === 0) return;
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Asks for a run soon (after a write that added events) instead of waiting for the next poll. */
  kick(): void {
    if (!this.started) return;
    this.kicked = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.schedule(0);
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kicked = false;
      this.running = this.runOnce()
        .then((run) => run.claimed === this.batchSize)
        .catch((error) => {
          this.onError(error);
          return false;
        })
        .then((more) => {
          if (this.started && !this.timer) this.schedule(more || this.kicked ? 0 : this.pollIntervalMs);
        });
    }, delayMs);
  }

  private async claim(now: number): Promise<OutboxRow[]> {
    const { outboxEvent: o } = schema;
    return this.database
      .write((db) => {
        const due = db
          .select({ id: o.id })
          .from(o)
          .where(and(isNull(o.deliveredAt), lte(o.availableAt, now), or(isNull(o.leaseUntil), lte(o.leaseUntil, now))))
          .orderBy(asc(o.id))
          .limit(this.batchSize);
        return db
          .update(o)
          .set({ leaseUntil: now + this.leaseMs })
          .where(inArray(o.id, due))
          .returning();
      })
      .then((rows) => rows.sort((a, b) => (a.id < b.id ? -1 : 1)));
  }
}
