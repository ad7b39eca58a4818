import { AppError } from "@bazaar/contracts";
import { type Database, schema } from "@bazaar/db";
import { and, eq, lte, sql } from "drizzle-orm";

export interface ThrottlePolicy {
  /** attempts allowed per window */
  limit: number;
  windowMs: number;
  /** the first lock lasts this long; each further lock of the same key twice as long, up to `maxLockMs` */
  lockMs: number;
  maxLockMs: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Counts attempts per key in the database, so every core process shares one exact count, and
 * counts them *before* the expensive or guessable check runs: concurrent guesses cannot slip
 * past while earlier ones are still being verified. One atomic upsert per attempt.
 */
export class Throttle {
  constructor(
    private readonly database: Database,
    private readonly clock: () => number,
  ) {}

  /** Records an attempt against every key; refused (without counting further) if any key is locked or full. */
  async attempt(keys: [string, ThrottlePolicy][]): Promise<ThrottleVerdict> {
    const now = this.clock();
    let retryAfterMs = 0;
    for (const [key, policy] of keys) {
      const [row] = await this.database.write((db) =>
        db
          .insert(schema.throttle)
          .values({ key, windowStart: now, attempts: 1 })
          .onConflictDoUpdate({
            target: schema.throttle.key,
            set: {
              // a locked key counts nothing; an expired window starts over
              attempts: sql`CASE WHEN ${schema.throttle.blockedUntil} > ${now} THEN ${schema.throttle.attempts}
                WHEN ${schema.throttle.windowStart} <= ${now - policy.windowMs} THEN 1 ELSE ${schema.throttle.attempts} + 1 END`,
              windowStart: sql`CASE WHEN ${schema.throttle.blockedUntil} > ${now} THEN ${schema.throttle.windowStart}
                WHEN ${schema.throttle.windowStart} <= ${now - policy.windowMs} THEN ${now} ELSE ${schema.throttle.windowStart} END`,
            },
          })
          .returning(),
      );
      if (!row) continue;
      if (row.blockedUntil > now) {
        retryAfterMs = Math.max(retryAfterMs, row.blockedUntil - now);
      } else if (row.attempts > policy.limit) {
        retryAfterMs = Math.max(retryAfterMs, await this.lock(key, policy, row.lockouts, now));
      }
      if (retryAfterMs > 0) break;
    }
    return retryAfterMs > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(retryAfterMs / 1000) } : { allowed: true };
  }

  /** Like `attempt`, but a refusal is thrown as 429 with Retry-After. */
  async enforce(keys: [string, ThrottlePolicy][], message: string): Promise<void> {
    const verdict = await this.attempt(keys);
    if (!verdict.allowed) throw new AppError("RATE_LIMITED", message, undefined, { "retry-after": String(verdict.retryAfterSeconds) });
  }

  /** Takes one attempt back: a success should not use up the budget meant for failures. */
  async refund(...keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.database.write((db) =>
        db
          .update(schema.throttle)
          .set({ attempts: sql`max(${schema.throttle.attempts} - 1, 0)` })
          .where(eq(schema.throttle.key, key)),
      );
    }
  }

  /** Forgets a key's failures (a successful sign-in clears its account's count). */
  async clear(...keys: string[]): Promise<void> {
    for (const key of keys) await this.database.write((db) => db.delete(schema.throttle).where(eq(schema.throttle.key, key)));
  }

  private async lock(key: string, policy: ThrottlePolicy, lockouts: number, now: number): Promise<number> {
    const duration = Math.min(policy.lockMs * 2 ** lockouts, policy.maxLockMs);
    // only the first of several concurrent refusals sets the lock (and counts it for the backoff)
    await this.database.write((db) =>
      db
        .update(schema.throttle)
        .set({ blockedUntil: now + duration, lockouts: lockouts + 1, attempts: 0, windowStart: now + duration })
        .where(and(eq(schema.throttle.key, key), lte(schema.throttle.blockedUntil, now))),
    );
    return duration;
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The limits, in one place. Keys combine an action with an account, an address or both. */
export const THROTTLE = {
  /** guesses at one account from one address: tight, and cleared by a success */
  loginAccountAddress: { limit: 10, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE, maxLockMs: 24 * HOUR },
  /** guesses at one account from anywhere (a botnet): looser, so a stranger cannot lock the owner out easily */
  loginAccount: { limit: 50, windowMs: HOUR, lockMs: 30 * MINUTE, maxLockMs: 24 * HOUR },
  /** one address trying many accounts (credential stuffing) */
  loginAddress: { limit: 100, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE, maxLockMs: 24 * HOUR },
  /** sign-ups from one address: each costs a hash and sends a mail, so a flood starves sign-in and bombs inboxes */
  registerAddress: { limit: 20, windowMs: HOUR, lockMs: HOUR, maxLockMs: 24 * HOUR },
  /** reset or verification mails to one account */
  emailAccount: { limit: 5, windowMs: HOUR, lockMs: HOUR, maxLockMs: 24 * HOUR },
  emailAddress: { limit: 30, windowMs: HOUR, lockMs: HOUR, maxLockMs: 24 * HOUR },
  /** second-factor codes for one account: a 6-digit code must not be brute-forced */
  secondFactor: { limit: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE, maxLockMs: 24 * HOUR },
} satisfies Record<string, ThrottlePolicy>;
