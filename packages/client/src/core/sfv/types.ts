/**
 * The Structured Field data model (RFC 9651 §3), shaped like `structured-headers`:
 * an Item is a `[bareItem, parameters]` tuple, an Inner List is `[items, parameters]`.
 *
 * PREP extension (HDR-2): a parameter value may also be a bare parenthesised list of
 * Items (`Item[]`), each with its own parameters, recursively. Only parsers and
 * serializers called with `{ extended: true }` produce or accept it.
 */

/**
 * An sf-token (RFC 9651 §3.3.4). Wrapped so it is not confused with an sf-string.
 *
 * @example
 * ```ts
 * serializeItem([new Token('text/html'), new Map()]); // 'text/html' (a string would be quoted)
 * ```
 */
export class Token {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/**
 * An sf-displaystring (RFC 9651 §3.3.8): Unicode text, percent-encoded on the wire.
 *
 * @example
 * ```ts
 * parseItem('%"f%c3%bc"')[0]; // DisplayString { value: 'fü' }
 * ```
 */
export class DisplayString {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/**
 * A bare item. `number` is an sf-integer when `Number.isInteger`, else an sf-decimal;
 * `Uint8Array` is a byte sequence; `Date` is an sf-date (whole seconds).
 *
 * Known limit: an integral sf-decimal (`q=1.0`) parses to the number 1 and so
 * serializes back as the sf-integer `1`.
 *
 * @example
 * ```ts
 * const bare: BareItem[] = [42, 0.9, 'prep', true, new Token('a'), new Uint8Array([1]), new Date(0)];
 * ```
 */
export type BareItem = number | string | boolean | Token | DisplayString | Uint8Array | Date;

/**
 * Parameters keep insertion order; keys are sf-keys.
 *
 * @example
 * ```ts
 * const params: Parameters = new Map<string, ParameterValue>([['accept', 'message/rfc822'], ['q', 0.9]]);
 * ```
 */
export type Parameters = Map<string, ParameterValue>;

/**
 * A parameter value: a bare item, or (PREP extension, HDR-2) a parenthesised list of
 * items, which has no parameters of its own. `Array.isArray` tells them apart (a byte
 * sequence is a `Uint8Array`, not an array).
 *
 * @example
 * ```ts
 * // accept=("message/rfc822" "text/turtle")
 * const accept: ParameterValue = [['message/rfc822', new Map()], ['text/turtle', new Map()]];
 * ```
 */
export type ParameterValue = BareItem | Item[];

/**
 * An Item (RFC 9651 §3.3): a bare item and its parameters.
 *
 * @example
 * ```ts
 * const prep: Item = ['prep', new Map([['accept', 'message/rfc822']])]; // "prep";accept="message/rfc822"
 * ```
 */
export type Item = [BareItem, Parameters];

/**
 * An Inner List (RFC 9651 §3.1.1): items in parentheses, with parameters of its own.
 *
 * @example
 * ```ts
 * const feelings: InnerList = [[[new Token('joy'), new Map()]], new Map()]; // (joy)
 * ```
 */
export type InnerList = [Item[], Parameters];

/**
 * A member of a List or Dictionary: `Array.isArray(member[0])` for an Inner List.
 *
 * @example
 * ```ts
 * const isInnerList = (m: Member): m is InnerList => Array.isArray(m[0]);
 * ```
 */
export type Member = Item | InnerList;

/**
 * A List (RFC 9651 §3.1), such as `Accept-Events` (HDR-1).
 *
 * @example
 * ```ts
 * const acceptEvents: List = [['prep', new Map()], ['other', new Map()]]; // "prep", "other"
 * ```
 */
export type List = Member[];

/**
 * A Dictionary (RFC 9651 §3.2), such as `Events` (HDR-3). Insertion order is kept.
 *
 * @example
 * ```ts
 * const events: Dictionary = new Map([['protocol', ['prep', new Map()]], ['status', [200, new Map()]]]);
 * ```
 */
export type Dictionary = Map<string, Member>;

/**
 * Options of `parseList`, `parseDictionary` and `parseItem`.
 *
 * @example
 * ```ts
 * parseList('"prep";accept=("message/rfc822" "text/turtle")', { extended: true });
 * ```
 */
export interface ParseOptions {
  /** Accept HDR-2 list-valued parameters. Off by default: strict RFC 9651. */
  extended?: boolean;
  /**
   * With `extended`, how deeply HDR-2 parameter lists may nest (a list inside an item's
   * parameter inside a list counts 2). Deeper input fails with a ParseError rather than
   * exhausting the stack. Default 32.
   */
  maxDepth?: number;
}

/**
 * Options of the serializers.
 *
 * @example
 * ```ts
 * serializeList(parseList('a;b=(c d)', { extended: true }), { extended: true }); // 'a;b=(c d)'
 * ```
 */
export interface SerializeOptions {
  /** Allow HDR-2 list-valued parameters. Off by default: strict RFC 9651. */
  extended?: boolean;
}
