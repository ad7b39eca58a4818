import { type Database, type Queryable, schema } from "@bazaar/db";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { randomToken, sha256 } from "./tokens.ts";

/** What a challenge is for; each purpose is consumed only as itself. */
export type ChallengePurpose = "mfa_login" | "webauthn_register" | "webauthn_login" | "oauth";

export interface Challenge<D> {
  userId: string | null;
  data: D;
  attempts: number;
}

/**
 * Short-lived, single-use server-side state behind an unguessable handle the client holds:
 * a login awaiting its second factor, a WebAuthn challenge, an OAuth `state`. Only the handle's
 * SHA-256 is stored.
 */
export class Challenges {
  constructor(
    private readonly database: Database,
    private readonly clock: () => number,
  ) {}

  /** Stores the challenge and returns its handle. */
  async create<D extends Record<string, unknown>>(purpose: ChallengePurpose, userId: string | null, data: D, ttlMs: number): Promise<string> {
    const handle = randomToken("ch");
    const now = this.clock();
    await this.database.write((db) =>
      db.insert(schema.authChallenge).values({ idHash: sha256(handle), purpose, userId, data, createdAt: now, expiresAt: now + ttlMs }),
    );
    return handle;
  }

  /** Reads a live challenge without using it up (a wrong 2FA code may be retried, counted). */
  async peek<D>(purpose: ChallengePurpose, handle: string): Promise<Challenge<D> | undefined> {
    const [row] = await this.database.db.select().from(schema.authChallenge).where(this.live(purpose, handle)).limit(1);
    return row ? { userId: row.userId, data: row.data as D, attempts: row.attempts } : undefined;
  }

  /**
   * Uses the challenge up: exactly one of any number of concurrent callers gets it. Pass a
   * transaction to consume it atomically with what it unlocks.
   */
  async consume<D>(purpose: ChallengePurpose, handle: string, tx?: Queryable): Promise<Challenge<D> | undefined> {
    const statement = (db: Queryable) => db.update(schema.authChallenge).set({ usedAt: this.clock() }).where(this.live(purpose, handle)).returning();
    const [row] = tx ? await statement(tx) : await this.database.write((db) => statement(db));
    return row ? { userId: row.userId, data: row.data as D, attempts: row.attempts } : undefined;
  }

  /** Counts a failed answer; past `maxAttempts` the challenge is burnt. Returns the attempts so far. */
  async fail(purpose: ChallengePurpose, handle: string, maxAttempts: number): Promise<number> {
    const [row] = await this.database.write((db) =>
      db
        .update(schema.authChallenge)
        .set({
          attempts: sql`${schema.authChallenge.attempts} + 1`,
          usedAt: sql`CASE WHEN ${schema.authChallenge.attempts} + 1 >= ${maxAttempts} THEN ${this.clock()} ELSE NULL END`,
        })
        .where(this.live(purpose, handle))
        .returning({ attempts: schema.authChallenge.attempts }),
    );
    return row?.attempts ?? maxAttempts;
  }

  private live(purpose: ChallengePurpose, handle: string) {
    return and(
      eq(schema.authChallenge.idHash, sha256(handle)),
      eq(schema.authChallenge.purpose, purpose),
      isNull(schema.authChallenge.usedAt),
      gt(schema.authChallenge.expiresAt, this.clock()),
    );
  }
}
