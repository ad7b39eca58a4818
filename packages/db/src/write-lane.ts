/**
 * libSQL has one writer at a time, and @libsql/client ignores the busy timeout for
 * interactive transactions (500 concurrent ones gave 499 SQLITE_BUSY here). So every
 * interactive transaction in a process goes through this one async lane, and
 * SQLITE_BUSY from another process is retried here — the only place that does.
 */
export class WriteLane {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier task in the lane has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export function isBusyError(error: unknown): boolean {
  const e = error as { code?: string; rawCode?: number; cause?: unknown; message?: string } | null;
  if (!e) return false;
  if (e.code === "SQLITE_BUSY" || e.code === "SQLITE_LOCKED" || e.rawCode === 5 || e.rawCode === 6) return true;
  if (typeof e.message === "string" && /SQLITE_BUSY|database is locked/i.test(e.message)) return true;
  return e.cause ? isBusyError(e.cause) : false;
}

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Retries `fn` while it fails with SQLITE_BUSY, with jittered exponential backoff. */
export async function retryBusy<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 50;
  const base = options.baseDelayMs ?? 2;
  const max = options.maxDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isBusyError(error) || attempt >= attempts) throw error;
      const delay = Math.min(max, base * 2 ** Math.min(attempt, 10));
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * (delay / 2)));
    }
  }
}
