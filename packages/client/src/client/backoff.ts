/**
 * Waiting between reconnects: exponential backoff with full jitter, the server's
 * `Retry-After`, and an abortable sleep. No Node APIs: timers only.
 */
import { parseHttpDate } from '../core/http-date.js';

/**
 * How a subscription reconnects (see `SubscribeOptions.reconnect`).
 *
 * @example
 * ```ts
 * import type { ReconnectOptions } from '@prep-live/client';
 *
 * const patient: ReconnectOptions = { retries: 10, minDelayMs: 1000, maxDelayMs: 60_000 };
 * ```
 */
export interface ReconnectOptions {
  /** Reconnect attempts in a row without a working connection. Default `Infinity`. */
  retries?: number;
  /** The backoff base: attempt n waits up to `minDelayMs·2^(n−1)`. Default 500. */
  minDelayMs?: number;
  /** The backoff cap. Default 30 000. */
  maxDelayMs?: number;
}

/** The defaults of {@link ReconnectOptions}. */
const DEFAULTS = { retries: Infinity, minDelayMs: 500, maxDelayMs: 30_000 };

/**
 * The delay before reconnect attempt `attempt` (1, 2, ...): full jitter, a uniformly random
 * time between 0 and `min(maxDelayMs, minDelayMs·2^(attempt−1))`, so clients whose streams
 * expired together do not all come back at once.
 *
 * @example
 * ```ts
 * import { backoffDelay } from '@prep-live/client';
 *
 * backoffDelay(1); // 0–500 ms
 * backoffDelay(10, { minDelayMs: 100, maxDelayMs: 2000 }); // 0–2000 ms
 * backoffDelay(3, {}, () => 1); // 2000
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: ReconnectOptions | false = {},
  random: () => number = Math.random,
): number {
  const o = options === false ? {} : options;
  const base = Math.max(0, o.minDelayMs ?? DEFAULTS.minDelayMs);
  const cap = Math.max(0, o.maxDelayMs ?? DEFAULTS.maxDelayMs);
  const exp = Math.min(cap, base * 2 ** Math.min(Math.max(0, attempt - 1), 30));
  return Math.round(random() * exp);
}

/**
 * The number of reconnect attempts in a row that {@link ReconnectOptions} allows.
 *
 * @example
 * ```ts
 * import { retriesOf } from '@prep-live/client';
 *
 * retriesOf({}); // Infinity
 * retriesOf(false); // 0
 * ```
 */
export function retriesOf(options: ReconnectOptions | false | undefined): number {
  if (options === false) return 0;
  const retries = options?.retries ?? DEFAULTS.retries;
  return Number.isNaN(retries) ? 0 : Math.max(0, retries);
}

/**
 * Reads `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; milliseconds from
 * `now`, or `undefined` when absent or unreadable.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from '@prep-live/client';
 *
 * parseRetryAfter('5'); // 5000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')); // 60000
 * parseRetryAfter(null); // undefined
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = parseHttpDate(text);
  return at === undefined ? undefined : Math.max(0, at.getTime() - now);
}

/**
 * Waits `ms` milliseconds; resolves `false` at once when `signal` aborts (then the caller
 * stops), `true` otherwise.
 *
 * @example
 * ```ts
 * import { sleep } from '@prep-live/client';
 *
 * const controller = new AbortController();
 * if (!(await sleep(1000, controller.signal))) console.log('aborted');
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
