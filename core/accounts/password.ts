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
      // a finishing hash hands its slot straight to us: `active` never dips, so no newcomer can slip in between
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** How many hashes run right now (tests check the bound). */
  get running(): number {
    return this.active;
  }
}
