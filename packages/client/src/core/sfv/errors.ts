/**
 * Errors of the Structured Field codec. Both carry a stable `code` so callers (and the
 * server layer, which maps them to responses) need not match on messages.
 */

/** Longest excerpt of the input quoted in a {@link ParseError} message. */
const EXCERPT = 60;

/**
 * A field value that is not a valid Structured Field (RFC 9651 §4.2: "fail parsing").
 * `offset` is the index in `input` where parsing stopped.
 *
 * @example
 * ```ts
 * import { parseItem, ParseError } from './index.js';
 * try {
 *   parseItem('"unterminated');
 * } catch (e) {
 *   if (e instanceof ParseError) console.log(e.code, e.offset); // 'SFV_PARSE' 13
 * }
 * ```
 */
export class ParseError extends SyntaxError {
  readonly code = 'SFV_PARSE';
  readonly offset: number;
  readonly input: string;

  /** `expected` completes "Expected …", e.g. `'"=" or ";"'`. */
  constructor(expected: string, offset: number, input: string) {
    super(`Expected ${expected} at offset ${offset} in '${excerpt(input)}'`);
    this.name = 'ParseError';
    this.offset = offset;
    this.input = input;
  }
}

/**
 * A value that RFC 9651 §4.1 cannot serialize (integer out of range, invalid token,
 * non-ASCII string, …), or an HDR-2 list-valued parameter without `{ extended: true }`.
 *
 * @example
 * ```ts
 * import { serializeItem, SerializeError } from './index.js';
 * try {
 *   serializeItem([1e16, new Map()]);
 * } catch (e) {
 *   if (e instanceof SerializeError) console.log(e.code); // 'SFV_SERIALIZE'
 * }
 * ```
 */
export class SerializeError extends TypeError {
  readonly code = 'SFV_SERIALIZE';

  constructor(message: string) {
    super(message);
    this.name = 'SerializeError';
  }
}

// Field values can be long (and may carry secrets in odd places): quote a bounded excerpt.
function excerpt(input: string): string {
  return input.length <= EXCERPT ? input : `${input.slice(0, EXCERPT - 1)}…`;
}
