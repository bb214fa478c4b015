/**
 * Structured Field serializer: RFC 9651 §4.1, step by step. Whatever RFC 9651 says
 * "fail" for throws a {@link SerializeError}, so we never send a field that a strict
 * recipient would reject. With `{ extended: true }` it also writes HDR-2 list-valued
 * parameters; without it they throw, because a stock parser rejects the whole field.
 */
import { encodeBase64 } from './base64.js';
import { SerializeError } from './errors.js';
import {
  DisplayString,
  Token,
  type BareItem,
  type Dictionary,
  type Item,
  type List,
  type Member,
  type Parameters,
  type SerializeOptions,
} from './types.js';

const MAX_INTEGER = 999_999_999_999_999;
const HEX = '0123456789abcdef';
const utf8 = new TextEncoder();

// tchar / ":" / "/" (RFC 9651 §3.3.4), lcalpha / DIGIT / "_" / "-" / "." / "*" (§3.1.2)
const TOKEN_RE = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/;
const KEY_RE = /^[a-z*][a-z0-9_\-.*]*$/;

/**
 * Serializes a List (RFC 9651 §4.1.1), e.g. an `Accept-Events` value (HDR-1). An empty
 * List gives `''`: per RFC 9651, do not send the field at all then.
 *
 * @throws {SerializeError} when a member cannot be serialized.
 * @example
 * ```ts
 * import { serializeList, Token } from './index.js';
 * serializeList([['prep', new Map([['accept', 'message/rfc822']])]]);
 * // '"prep";accept="message/rfc822"'
 * serializeList(
 *   [['prep', new Map([['accept', [['message/rfc822', new Map()], [new Token('text/turtle'), new Map()]]]])]],
 *   { extended: true },
 * ); // '"prep";accept=("message/rfc822" text/turtle)'
 * ```
 */
export function serializeList(list: List, options?: SerializeOptions): string {
  const extended = options?.extended === true;
  let out = '';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += ', ';
    out += member(list[i]!, extended);
  }
  return out;
}

/**
 * Serializes a Dictionary (RFC 9651 §4.1.2), e.g. an `Events` value (HDR-3). A member
 * whose value is `true` is written as its bare key.
 *
 * @throws {SerializeError} when a key or member cannot be serialized.
 * @example
 * ```ts
 * import { serializeDictionary } from './index.js';
 * serializeDictionary(new Map([['protocol', ['prep', new Map()]], ['status', [200, new Map()]]]));
 * // 'protocol="prep", status=200'
 * ```
 */
export function serializeDictionary(dict: Dictionary, options?: SerializeOptions): string {
  const extended = options?.extended === true;
  let out = '';
  for (const [key, value] of dict) {
    if (out !== '') out += ', ';
    out += serializeKey(key);
    if (value[0] === true) out += parameters(value[1], extended);
    else out += `=${member(value, extended)}`;
  }
  return out;
}

/**
 * Serializes an Item (RFC 9651 §4.1.3): a bare item and its parameters.
 *
 * @throws {SerializeError} when the item or a parameter cannot be serialized.
 * @example
 * ```ts
 * import { serializeItem, Token } from './index.js';
 * serializeItem([new Token('text/html'), new Map([['q', 0.5]])]); // 'text/html;q=0.5'
 * ```
 */
export function serializeItem(item: Item, options?: SerializeOptions): string {
  return serializeBareItem(item[0]) + parameters(item[1], options?.extended === true);
}

function item(value: Item, extended: boolean): string {
  return serializeBareItem(value[0]) + parameters(value[1], extended);
}

/**
 * Serializes a Bare Item (RFC 9651 §4.1.3.1) by its JavaScript type: `number` (integer
 * or decimal), `string`, `boolean`, {@link Token}, {@link DisplayString}, `Uint8Array`,
 * `Date`.
 *
 * @throws {SerializeError} for values RFC 9651 cannot represent.
 * @example
 * ```ts
 * import { serializeBareItem, DisplayString } from './index.js';
 * serializeBareItem(0.0025); // '0.002' (rounded half to even)
 * serializeBareItem(new DisplayString('füü')); // '%"f%c3%bc%c3%bc"'
 * serializeBareItem(new Date(0)); // '@0'
 * ```
 */
export function serializeBareItem(value: BareItem): string {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? serializeInteger(value) : serializeDecimal(value);
    case 'string':
      return serializeString(value);
    case 'boolean':
      return value ? '?1' : '?0';
    default:
      if (value instanceof Token) return serializeToken(value.value);
      if (value instanceof Uint8Array) return `:${encodeBase64(value)}:`;
      if (value instanceof DisplayString) return serializeDisplayString(value.value);
      if (value instanceof Date) return serializeDate(value);
      throw new SerializeError(`Expected a bare item, got ${describe(value)}`);
  }
}

function member(value: Member, extended: boolean): string {
  const bare = value[0];
  // §4.1.1.1: an Inner List; Array.isArray never matches a Uint8Array byte sequence.
  if (Array.isArray(bare)) return innerList(bare, extended) + parameters(value[1], extended);
  return serializeBareItem(bare) + parameters(value[1], extended);
}

function innerList(items: readonly Item[], extended: boolean): string {
  let out = '(';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ' ';
    out += item(items[i]!, extended);
  }
  return `${out})`;
}

/** §4.1.1.2 Serializing Parameters, and the HDR-2 `;key=(item item)` form. */
function parameters(params: Parameters, extended: boolean): string {
  let out = '';
  for (const [key, value] of params) {
    out += `;${serializeKey(key)}`;
    if (value === true) continue;
    if (Array.isArray(value)) {
      // HDR-2: strict RFC 9651 has no list-valued parameters.
      if (!extended) {
        throw new SerializeError(
          `Parameter "${key}" holds a list, which needs { extended: true } (PREP HDR-2)`,
        );
      }
      out += `=${innerList(value, true)}`;
    } else {
      out += `=${serializeBareItem(value)}`;
    }
  }
  return out;
}

/** §4.1.1.3 Serializing a Key. */
function serializeKey(key: string): string {
  if (!KEY_RE.test(key)) {
    throw new SerializeError(
      `Expected a key (lcalpha or "*", then lcalpha, DIGIT, "_-.*"), got ${JSON.stringify(key)}`,
    );
  }
  return key;
}

/** §4.1.4 Serializing an Integer. */
function serializeInteger(n: number): string {
  if (n < -MAX_INTEGER || n > MAX_INTEGER) {
    throw new SerializeError(`Expected an integer of at most 15 digits, got ${n}`);
  }
  return String(n); // -0 prints as "0"
}

/**
 * §4.1.5 Serializing a Decimal. Rounds to three places, half to even, on the shortest
 * decimal form of the number (what `String(n)` prints): `0.0025` is the tie its author
 * wrote, even though the nearest double lies slightly above it.
 */
function serializeDecimal(n: number): string {
  if (!Number.isFinite(n)) throw new SerializeError(`Expected a finite decimal, got ${n}`);
  const abs = Math.abs(n);
  if (abs >= 1e12) throw new SerializeError(`Expected at most 12 integer digits, got ${n}`);
  // Below 1e-6 String() switches to exponent form; such values round to zero anyway.
  const text = abs < 1e-6 ? '0' : String(abs);
  const dot = text.indexOf('.');
  let intPart = dot === -1 ? text : text.slice(0, dot);
  const digits = dot === -1 ? '' : text.slice(dot + 1);
  let thousandths = Number((digits + '000').slice(0, 3));
  const rest = digits.slice(3);
  if (rest !== '') {
    const first = rest.charCodeAt(0) - 0x30;
    const tie = first === 5 && /^50*$/.test(rest);
    if (first > 5 || (first === 5 && !tie) || (tie && thousandths % 2 === 1)) thousandths++;
  }
  if (thousandths === 1000) {
    thousandths = 0;
    intPart = String(Number(intPart) + 1);
    if (intPart.length > 12)
      throw new SerializeError(`Expected at most 12 integer digits, got ${n}`);
  }
  let frac = String(thousandths).padStart(3, '0');
  while (frac.length > 1 && frac.endsWith('0')) frac = frac.slice(0, -1);
  const sign = n < 0 && (thousandths !== 0 || intPart !== '0') ? '-' : '';
  return `${sign}${intPart}.${frac}`;
}

/** §4.1.6 Serializing a String. */
function serializeString(s: string): string {
  let out = '"';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new SerializeError(
        `Expected printable ASCII in a string (use a DisplayString for other text), got ${JSON.stringify(s)}`,
      );
    }
    if (c === 0x22 || c === 0x5c) {
      out += `${s.slice(run, i)}\\`;
      run = i;
    }
  }
  return `${out}${s.slice(run)}"`;
}

/** §4.1.7 Serializing a Token. */
function serializeToken(t: string): string {
  if (!TOKEN_RE.test(t)) {
    throw new SerializeError(
      `Expected a token (ALPHA or "*", then tchar, ":" or "/"), got ${JSON.stringify(t)}`,
    );
  }
  return t;
}

/** §4.1.10 Serializing a Date. */
function serializeDate(d: Date): string {
  const ms = d.getTime();
  if (!Number.isFinite(ms) || ms % 1000 !== 0) {
    throw new SerializeError(`Expected a valid Date in whole seconds, got ${String(ms)} ms`);
  }
  return `@${serializeInteger(ms / 1000)}`;
}

/** §4.1.11 Serializing a Display String: UTF-8, then "%", DQUOTE and non-VCHAR as %hex. */
function serializeDisplayString(s: string): string {
  if (!isWellFormed(s)) {
    throw new SerializeError('Expected Unicode text in a display string, got a lone surrogate');
  }
  const bytes = utf8.encode(s);
  let out = '%"';
  for (const b of bytes) {
    if (b === 0x25 || b === 0x22 || b < 0x20 || b > 0x7e) out += `%${HEX[b >> 4]!}${HEX[b & 15]!}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

// String.prototype.isWellFormed is ES2024; TextEncoder would silently write U+FFFD.
function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const next = s.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
