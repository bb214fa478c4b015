import type { IncomingMessage } from 'node:http';
import { authorize, type AccessPolicy } from '../auth/access.js';
import { WriteRateLimiter, type WriteRate } from '../auth/write-rate.js';
import type { PrepEngine } from '../engine/engine.js';
import { HttpError } from '../http-error.js';
import { DEFAULTS } from '../settings.js';

/** The methods that write (N822-2 triggers), each taking one from the write rate. */
export const WRITE_METHODS = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

/** The default write rate when an access policy is set (docs/auth.md). */
export const DEFAULT_WRITE_RATE: WriteRate = {
  perSecond: DEFAULTS.writeRate === 'off' ? 0 : DEFAULTS.writeRate,
  burst: DEFAULTS.writeBurst,
};

/**
 * What a request must pass before the store is read: the access policy's right for its
 * method (SEC-1) and the client's write rate (SEC-2).
 */
export class RequestGuard {
  readonly #engine: PrepEngine;
  readonly #access: AccessPolicy | undefined;
  readonly #rate: WriteRate | false;
  readonly #limiter: WriteRateLimiter | undefined;

  constructor(engine: PrepEngine, access: AccessPolicy | undefined, rate: WriteRate | false) {
    if (rate && !(rate.perSecond >= 0 && rate.burst >= 1))
      throw new RangeError('writeRate needs perSecond >= 0 and burst >= 1');
    this.#engine = engine;
    this.#access = access;
    this.#rate = rate;
    this.#limiter = rate ? new WriteRateLimiter() : undefined;
  }

  /**
   * The principal, once the right a method needs is checked (SEC-1), so that a 404 tells
   * nothing to whom may not know. Without a policy, anonymous (null).
   */
  async authorize(req: IncomingMessage, method: string, path: string): Promise<string | null> {
    const policy = this.#access;
    if (!policy) return null;
    const wantsEvents = method === 'GET' && req.headers['accept-events'] !== undefined;
    try {
      const principal = policy.identify(req.headers);
      if (method === 'GET' || method === 'HEAD') authorize(policy, principal, 'read', path);
      // POST writes on the container (path); the others on the path itself.
      else if (WRITE_METHODS.has(method)) authorize(policy, principal, 'write', path);
      return principal;
    } catch (e) {
      // ERR-2: no notifications on a base that is an error, said as for a 404.
      if (!(e instanceof HttpError) || !wantsEvents) throw e;
      const n = await this.#engine.negotiate(method, req.headers, e.status, {
        path,
        client: req.socket.remoteAddress ?? 'unknown',
      });
      if (n.kind === 'ignore') throw e;
      throw new HttpError(e.status, e.code, e.message, {
        ...e.headers,
        Events: this.#engine.eventsHeader(412),
        Vary: 'Accept-Events, Authorization',
      });
    }
  }

  /** SEC-2: one write from the client's bucket, or 429 with Retry-After before anything is read. */
  limitWrites(req: IncomingMessage, method: string, principal: string | null): void {
    const limiter = this.#limiter;
    if (!limiter || !WRITE_METHODS.has(method)) return;
    const { key, rate } = this.#bucketOf(req, principal);
    const waitMs = limiter.take(key, rate);
    if (waitMs === 0) return;
    const seconds = Math.min(3600, Math.max(1, Math.ceil(waitMs / 1000)));
    throw new HttpError(
      429,
      'TOO_MANY_WRITES',
      `Too many writes from this client; retry in ${seconds} s.`,
      { 'Retry-After': String(seconds) },
    );
  }

  /**
   * SEC-2: the write rate counts events, not requests: a write that appended `events` (the
   * containers it created, then its own) takes the ones beyond its first from the bucket
   * too, so the client's next writes wait for them.
   */
  chargeEvents(req: IncomingMessage, principal: string | null, events: number): void {
    if (!this.#limiter || events <= 1) return;
    const { key, rate } = this.#bucketOf(req, principal);
    this.#limiter.charge(key, rate, events - 1);
  }

  /** The client's bucket: its principal's, else its address's; the principal's own rate. */
  #bucketOf(req: IncomingMessage, principal: string | null): { key: string; rate: WriteRate } {
    let rate = this.#rate as WriteRate;
    const perMinute =
      principal !== null ? this.#access?.limitsOf?.(principal)?.writesPerMinute : undefined;
    if (perMinute !== undefined) rate = { perSecond: perMinute / 60, burst: perMinute };
    // Addresses and principals apart: `\0` starts no principal id a policy would make up.
    const key = principal ?? `\0${req.socket.remoteAddress ?? 'unknown'}`;
    return { key, rate };
  }
}
