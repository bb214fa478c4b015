/**
 * The Structured Field data model (RFC 9651 §3), shaped like `structured-headers`:
 * an Item is a `[bareItem, parameters]` tuple, an Inner List is `[items, parameters]`.
 *
 * PREP extension (HDR-2): a parameter value may also be a bare parenthesised list of
 * Items (`Item[]`), each with its own parameters, recursively. Only parsers and
 * serializers called with `{ extended: true }` produce or accept it.
 */

/** An sf-token (RFC 9651 §3.3.4). Wrapped so it is not confused with an sf-string. */
export class Token {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** An sf-displaystring (RFC 9651 §3.3.8): Unicode text, percent-encoded on the wire. */
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
 */
export type BareItem = number | string | boolean | Token | DisplayString | Uint8Array | Date;

/** Parameters keep insertion order; keys are sf-keys. */
export type Parameters = Map<string, ParameterValue>;

/**
 * A parameter value: a bare item, or (PREP extension, HDR-2) a parenthesised list of
 * items, which has no parameters of its own. `Array.isArray` tells them apart (a byte
 * sequence is a `Uint8Array`, not an array).
 */
export type ParameterValue = BareItem | Item[];

export type Item = [BareItem, Parameters];
export type InnerList = [Item[], Parameters];
export type Member = Item | InnerList;
export type List = Member[];
export type Dictionary = Map<string, Member>;

export interface ParseOptions {
  /** Accept HDR-2 list-valued parameters. Off by default: strict RFC 9651. */
  extended?: boolean;
}

export interface SerializeOptions {
  /** Allow HDR-2 list-valued parameters. Off by default: strict RFC 9651. */
  extended?: boolean;
}
