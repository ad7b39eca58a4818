import { ulid } from "@bazaar/contracts";

/**
 * A seeded pseudo-random source (mulberry32): the seed's whole output is a function of its
 * seeds, so every run writes the same rows. Not for anything secret.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A stream of its own for one named thing ("product", 17): product 17 is the same whatever came before it. */
  static for(...parts: (string | number)[]): Random {
    let hash = 0x811c9dc5;
    for (const char of parts.join(":")) {
      hash ^= char.codePointAt(0) ?? 0;
      hash = Math.imul(hash, 0x01000193);
    }
    return new Random(hash);
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  /** `count` distinct items in a random order (all of them when there are fewer). */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
    }
    return pool.slice(0, count);
  }

  /** Picks by weight: `[["active", 90], ["draft", 6]]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (!last) throw new Error("weighted pick from an empty list");
    return last[0];
  }

  /**
   * An integer in [min, max], most of them small and a few large (sales, review counts). Plain
   * multiplication, not Math.log/exp, whose last bits may differ between machines' maths libraries.
   */
  skewed(min: number, max: number, power = 6): number {
    const roll = this.next();
    let scaled = 1;
    for (let i = 0; i < power; i++) scaled *= roll;
    return min + Math.floor(scaled * (max - min + 1));
  }

  /** A prefixed id whose time part is `at` and whose random part comes from this stream. */
  id(prefix: string, at: number): string {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(this.next() * 256);
    return `${prefix}_${ulid(at, bytes)}`;
  }
}
