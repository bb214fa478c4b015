/**
 * The one error type of the project's protocol code (STYLE 5): a stable string `code`
 * that callers switch on, and, where the error maps to an HTTP response, the `status`
 * the server layer answers with. Messages are for people and may change; codes may not.
 * Every code is listed in `docs/errors.md`.
 */

/**
 * Options of {@link PrepError}.
 *
 * @example
 * ```ts
 * import { PrepError } from './errors.js';
 *
 * const cause = new SyntaxError('Unexpected end of JSON input');
 * new PrepError('PATCH_MALFORMED', 'the delta is not JSON', { status: 400, cause });
 * ```
 */
export interface PrepErrorOptions {
  /** The HTTP status the server layer answers with, when the error maps to one. */
  status?: number;
  /** The underlying error, kept for logs (ES2022 error cause). */
  cause?: unknown;
}

/**
 * An error with a stable `code` (`NOTIFICATION_HEADER`, `PATCH_CONFLICT`, ...) and an
 * optional HTTP `status`.
 *
 * @example
 * ```ts
 * import { PrepError } from './errors.js';
 *
 * try {
 *   throw new PrepError('PATCH_CONFLICT', 'operation 0 (test /a) failed', { status: 409 });
 * } catch (e) {
 *   if (e instanceof PrepError && e.code === 'PATCH_CONFLICT') console.log(e.status); // 409
 * }
 * ```
 */
export class PrepError extends Error {
  /** Stable machine-readable code, upper snake case. */
  readonly code: string;
  /** HTTP status this error maps to, if any. */
  readonly status?: number;

  constructor(code: string, message: string, options: PrepErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PrepError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
  }
}

/**
 * Whether `value` is a {@link PrepError}, optionally with the given `code`. Prefer it to
 * `instanceof` across bundles, where two copies of this module may be loaded.
 *
 * @example
 * ```ts
 * import { isPrepError, PrepError } from './errors.js';
 *
 * isPrepError(new PrepError('PATCH_MALFORMED', 'not an array'), 'PATCH_MALFORMED'); // true
 * isPrepError(new TypeError('x')); // false
 * ```
 */
export function isPrepError(value: unknown, code?: string): value is PrepError {
  if (value instanceof PrepError) return code === undefined || value.code === code;
  // A PrepError from another copy of this module: same name and a string code.
  if (!(value instanceof Error) || value.name !== 'PrepError') return false;
  const c = (value as { code?: unknown }).code;
  return typeof c === 'string' && (code === undefined || c === code);
}
