/**
 * Why a request could not be made, in words a person can act on. Node's `fetch` rejects with
 * `TypeError: fetch failed` and hides the reason in `error.cause` (sometimes an
 * `AggregateError` of one error per address tried); these helpers dig it out.
 */

/**
 * The reason at the root of an error's `cause` chain: `ECONNREFUSED 127.0.0.1:9`,
 * `ENOTFOUND nohost.invalid`, or the innermost message; `''` when there is none.
 *
 * @example
 * ```ts
 * import { networkReason } from './network-error.js';
 *
 * await fetch('http://127.0.0.1:47/').catch((e: unknown) => console.log(networkReason(e)));
 * // ECONNREFUSED 127.0.0.1:47
 * ```
 */
export function networkReason(error: unknown): string {
  let reason = '';
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const text =
      current instanceof AggregateError && current.errors.length > 0
        ? [...new Set(current.errors.map(networkReason))].filter(Boolean).join(', ')
        : systemReason(current) || current.message;
    if (text) reason = text;
    current = (current as { cause?: unknown }).cause;
  }
  return reason;
}

/** `ECONNREFUSED 127.0.0.1:9` for a system error (code, address, port), else `''`. */
function systemReason(error: Error): string {
  const { code, address, port, hostname } = error as {
    code?: unknown;
    address?: unknown;
    port?: unknown;
    hostname?: unknown;
  };
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return '';
  if (typeof address === 'string')
    return `${code} ${address.includes(':') ? `[${address}]` : address}${typeof port === 'number' ? `:${port}` : ''}`;
  if (typeof hostname === 'string') return `${code} ${hostname}`;
  return code;
}

/**
 * The one line for a request to `url` that failed before any answer:
 * `cannot reach http://127.0.0.1:9/c/: ECONNREFUSED 127.0.0.1:9`.
 *
 * @example
 * ```ts
 * import { cannotReach } from './network-error.js';
 *
 * await fetch('http://127.0.0.1:47/').catch((e: unknown) => console.log(cannotReach('http://127.0.0.1:47/', e)));
 * ```
 */
export function cannotReach(url: string, error: unknown): string {
  const reason = networkReason(error);
  // fetch refuses a few ports outright (the Fetch standard's "bad ports": 1, 9, 25, ...).
  const why =
    reason === 'bad port' ? `fetch does not connect to port ${new URL(url).port}` : reason;
  return `cannot reach ${url}${why ? `: ${why}` : ''}`;
}

/** System errors that mean the server could not be reached (or dropped the connection). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * Whether `error` is a failure to reach the server (Node's `fetch failed` `TypeError`, a
 * socket's `ECONNREFUSED`, ..., or an error caused by one), as opposed to an answer the
 * server gave.
 *
 * @example
 * ```ts
 * import { isNetworkError } from './network-error.js';
 *
 * await fetch('http://127.0.0.1:47/').catch((e: unknown) => isNetworkError(e)); // true
 * ```
 */
export function isNetworkError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof TypeError && current.message === 'fetch failed') return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
