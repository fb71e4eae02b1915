/** Retry with exponential back-off and jitter, driven by CallhouseError.retriable. */
import { CallhouseError, asCallhouseError } from '../../runtime/errors.js';

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number;
  baseMs: number;
  maxMs: number;
  sleep(ms: number): Promise<void>;
  onRetry?(error: CallhouseError, attempt: number, delayMs: number): void;
  /** Random source in [0,1), for tests. */
  random?: () => number;
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const random = opts.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const err = asCallhouseError(e, 'VENDOR_ERROR');
      if (!err.retriable || attempt >= opts.retries) throw err;
      const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
      const jittered = exp / 2 + random() * (exp / 2);
      const delay = Math.max(jittered, (err.retryAfterSeconds ?? 0) * 1000);
      opts.onRetry?.(err, attempt + 1, delay);
      await opts.sleep(delay);
    }
  }
}

/**
 * A sliding-window limiter: at most `perMinute` calls in any 60 s, and at least `minSpacingMs`
 * between two calls. `acquire` waits as long as needed.
 */
export class RateLimiter {
  private readonly stamps: number[] = [];
  constructor(
    private readonly perMinute: number,
    private readonly minSpacingMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(sleep: (ms: number) => Promise<void>): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.stamps.length > 0 && t - this.stamps[0]! >= 60_000) this.stamps.shift();
      const last = this.stamps[this.stamps.length - 1];
      const spacingWait = last === undefined ? 0 : last + this.minSpacingMs - t;
      const windowWait = this.stamps.length >= this.perMinute ? this.stamps[0]! + 60_000 - t : 0;
      const wait = Math.max(spacingWait, windowWait);
      if (wait <= 0) {
        this.stamps.push(t);
        return;
      }
      await sleep(wait);
    }
  }
}

/** Serialises async work: never two calls of `run` at once (a vendor lock on our side). */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
