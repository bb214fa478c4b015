/** A token bucket's shape: `burst` writes at once, refilled at `perSecond`. */
export interface WriteRate {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
  rate: WriteRate;
}

/** Options of {@link WriteRateLimiter}. */
export interface WriteRateLimiterOptions {
  /** Buckets kept at most; the idlest are dropped beyond it. Default 100 000. */
  maxClients?: number;
  /** Clock (ms), for tests. */
  now?: () => number;
}

/**
 * Write rate limits (SEC-2): one token bucket per client. Memory stays bounded: a bucket that
 * has refilled is the same as none and is dropped when met, and beyond `maxClients` the
 * least recently used are dropped.
 *
 * @example
 * ```ts
 * const limiter = new WriteRateLimiter();
 * const wait = limiter.take('alice', { perSecond: 100, burst: 200 });
 * if (wait > 0) res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
 * ```
 */
export class WriteRateLimiter {
  // Map order is use order: each take re-inserts its key, so the first keys are the idlest.
  readonly #buckets = new Map<string, Bucket>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: WriteRateLimiterOptions = {}) {
    this.#max = options.maxClients ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Clients with a bucket now. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one write from `key`'s bucket: returns 0 if allowed, else the milliseconds until
   * one is available (nothing is taken then).
   */
  take(key: string, rate: WriteRate): number {
    const b = this.#refilled(key, rate);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    if (rate.perSecond <= 0) return Infinity;
    return Math.ceil(((1 - b.tokens) / rate.perSecond) * 1000);
  }

  /**
   * Takes `n` more writes from `key`'s bucket, which may go below zero: the write that made
   * them is done, and the client's next writes wait until the bucket has refilled.
   */
  charge(key: string, rate: WriteRate, n: number): void {
    if (!(n > 0)) return;
    this.#refilled(key, rate).tokens -= n;
  }

  /** `key`'s bucket refilled up to now, moved to the newest end of the map (the idlest first). */
  #refilled(key: string, rate: WriteRate): { tokens: number; at: number; rate: WriteRate } {
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (b) {
      this.#buckets.delete(key);
      b.tokens = Math.min(rate.burst, b.tokens + ((now - b.at) / 1000) * rate.perSecond);
      b.at = now;
      b.rate = rate;
    } else {
      b = { tokens: rate.burst, at: now, rate };
      this.#evict(now);
    }
    this.#buckets.set(key, b);
    return b;
  }

  /** Drops buckets that have refilled (from the idlest on), then the idlest beyond the bound. */
  #evict(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (this.#buckets.size < this.#max && !full(b, now)) break;
      if (full(b, now) || this.#buckets.size >= this.#max) this.#buckets.delete(key);
    }
  }
}

function full(b: Bucket, now: number): boolean {
  return b.tokens + ((now - b.at) / 1000) * b.rate.perSecond >= b.rate.burst;
}
