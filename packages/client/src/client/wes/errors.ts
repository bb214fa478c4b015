import { PrepError } from '../../core/errors.js';

/**
 * The codes of a consumer's errors: `WES_GONE` (the publisher no longer has the history a
 * replica needs: start again from a snapshot, WES-8), `WES_HTTP` (an unexpected status;
 * `status` holds it), `WES_PROTOCOL` (a document that does not follow WES-1..5).
 *
 * @example
 * ```ts
 * const code: WesErrorCode = 'WES_GONE';
 * ```
 */
export type WesErrorCode = 'WES_GONE' | 'WES_HTTP' | 'WES_PROTOCOL';

/**
 * Throws a consumer error; see {@link WesErrorCode}.
 *
 * @example
 * ```ts
 * declare const replica: Replicator;
 * try { await replica.sync(); } catch (e) { if (isPrepError(e, 'WES_HTTP')) console.log(e.status); }
 * ```
 */
export function wesError(code: WesErrorCode, message: string, status?: number): PrepError {
  switch (code) {
    case 'WES_GONE':
      return new PrepError('WES_GONE', message, { status: status ?? 410 });
    case 'WES_HTTP':
      return new PrepError('WES_HTTP', message, status === undefined ? {} : { status });
    case 'WES_PROTOCOL':
      return new PrepError('WES_PROTOCOL', message);
  }
}
