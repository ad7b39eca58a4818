import { AppError } from "@bazaar/contracts";

/**
 * argon2id costs ~120 ms of a core at Bun's defaults, so a login flood is a DoS:
 * hashing runs at most `concurrency` at a time and at most `maxQueue` wait; past
 * that the caller gets a 429 before any hashing starts.
 */
export class PasswordHasher {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** A real hash of a random password, verified against when the email is unknown so timing doesn't reveal accounts. */
  private decoy: Promise<string> | undefined;

  constructor(
    private readonly memoryCostKib: number,
    private readonly concurrency = 4,
    private readonly maxQueue = 64,
  ) {}

  hash(password: string): Promise<string> {
    return this.limited(() => Bun.password.hash(password, { algorithm: "argon2id", memoryCost: this.memoryCostKib, timeCost: 2 }));
  }

  verify(password: string, hash: string | undefined): Promise<boolean> {
    return this.limited(async () => {
      if (hash) return Bun.password.verify(password, hash);
      this.decoy ??= Bun.password.hash(crypto.randomUUID(), { algorithm: "argon2id", memoryCost: this.memoryCostKib, timeCost: 2 });
      await Bun.password.verify(password, await this.decoy);
      return false;
    });
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) {
        throw new AppError("RATE_LIMITED", "Too many sign-in attempts are being processed; retry shortly", undefined, { "retry-after": "1" });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Login attempts per email in a sliding window, counted *before* hashing so that
 * concurrent guesses cannot all slip past the check while earlier ones are still
 * being hashed; a successful login clears the count. Per process: the exact, shared
 * limit belongs to a Durable Object or the database (accounts issue).
 */
export class LoginThrottle {
  private readonly attempts = new Map<string, number[]>();

  constructor(
    private readonly maxAttempts = 10,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** Counts an attempt, or throws 429 when the window is full. */
  begin(email: string, now: number): void {
    const recent = (this.attempts.get(email) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length >= this.maxAttempts) {
      const retryAfter = Math.ceil(((recent[0] ?? now) + this.windowMs - now) / 1000);
      throw new AppError("RATE_LIMITED", "Too many sign-in attempts for this account; try again later", undefined, {
        "retry-after": String(Math.max(1, retryAfter)),
      });
    }
    recent.push(now);
    this.attempts.set(email, recent);
    // bounded memory under a flood of distinct emails: forget the oldest entry
    if (this.attempts.size > 100_000) this.attempts.delete(this.attempts.keys().next().value ?? "");
  }

  succeed(email: string): void {
    this.attempts.delete(email);
  }
}
