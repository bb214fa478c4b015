/**
 * Structured Field parser: RFC 9651 §4.2, step by step, as a recursive descent over the
 * string with an index. It reads characters with `charCodeAt` and a lookup table, and
 * copies out each string, token or key once with `slice` (never per character), because
 * `Accept-Events` and `Events` are parsed on every request (HDR-1, HDR-3).
 *
 * With `{ extended: true }` it also reads the PREP extension (HDR-2): a parameter value
 * may be a parenthesised list of Items, each with its own parameters, recursively.
 */
import { decodeBase64 } from './base64.js';
import { ParseError } from './errors.js';
import {
  DisplayString,
  Token,
  type BareItem,
  type Dictionary,
  type InnerList,
  type Item,
  type List,
  type Member,
  type ParameterValue,
  type Parameters,
  type ParseOptions,
} from './types.js';

/**
 * Default for {@link ParseOptions.maxDepth}: HDR-2 parameter lists nested deeper fail.
 *
 * @example
 * ```ts
 * parseItem('a;b=(c)', { extended: true, maxDepth: DEFAULT_MAX_DEPTH });
 * ```
 */
export const DEFAULT_MAX_DEPTH = 32;

// Character classes of RFC 9651 §3 (ASCII only: anything above 0x7F is in no class).
const TCHAR = 1; // token characters after the first: tchar / ":" / "/"
const KEY = 2; // key characters after the first: lcalpha / DIGIT / "_" / "-" / "." / "*"
const KEY_START = 4; // lcalpha / "*"
const TOKEN_START = 8; // ALPHA / "*"
const BASE64 = 16; // ALPHA / DIGIT / "+" / "/" / "="
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const lower = c >= 0x61 && c <= 0x7a;
  const upper = c >= 0x41 && c <= 0x5a;
  const digit = c >= 0x30 && c <= 0x39;
  let k = 0;
  if (lower || upper || digit || "!#$%&'*+-.^_`|~:/".includes(ch)) k |= TCHAR;
  if (lower || digit || '_-.*'.includes(ch)) k |= KEY;
  if (lower || ch === '*') k |= KEY_START;
  if (lower || upper || ch === '*') k |= TOKEN_START;
  if (lower || upper || digit || '+/='.includes(ch)) k |= BASE64;
  CLASS[c] = k;
}

const SP = 0x20;
const HTAB = 0x09;
const DQUOTE = 0x22;
const PERCENT = 0x25;
const LPAREN = 0x28;
const RPAREN = 0x29;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const QUESTION = 0x3f;
const AT = 0x40;
const BACKSLASH = 0x5c;

const POW10 = [1, 10, 100, 1000];
const MAX_DATE_SECONDS = 8.64e12;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Parser {
  readonly input: string;
  readonly extended: boolean;
  readonly maxDepth: number;
  pos = 0;
  depth = 0;
  /** Whether the last {@link number} read an sf-decimal (a date must not be one). */
  decimal = false;

  constructor(input: string, options: ParseOptions | undefined) {
    this.input = input;
    this.extended = options?.extended === true;
    this.maxDepth = options?.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  fail(expected: string, at: number = this.pos): never {
    throw new ParseError(expected, at, this.input);
  }

  // §4.2 steps 2 and 6: leading and trailing SP (not HTAB) around the whole field.
  skipSP(): void {
    const s = this.input;
    while (s.charCodeAt(this.pos) === SP) this.pos++;
  }

  // OWS between List and Dictionary members.
  skipOWS(): void {
    const s = this.input;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (c !== SP && c !== HTAB) return;
      this.pos++;
    }
  }

  // §4.2 step 7: anything left over fails the whole field.
  end(): void {
    this.skipSP();
    if (this.pos < this.input.length) this.fail('end of input');
  }

  /** §4.2.1 Parsing a List. */
  list(): List {
    const s = this.input;
    const members: List = [];
    while (this.pos < s.length) {
      members.push(this.itemOrInnerList());
      this.skipOWS();
      if (this.pos >= s.length) return members;
      if (s.charCodeAt(this.pos) !== COMMA) this.fail('"," or end of input');
      this.pos++;
      this.skipOWS();
      if (this.pos >= s.length) this.fail('a list member after ","');
    }
    return members;
  }

  /** §4.2.1.1 Parsing an Item or Inner List. */
  itemOrInnerList(): Member {
    if (this.input.charCodeAt(this.pos) === LPAREN) {
      const items = this.parenthesisedItems();
      return [items, this.parameters()] satisfies InnerList;
    }
    return this.item();
  }

  /**
   * §4.2.1.2 Parsing an Inner List, without its trailing parameters: the same grammar,
   * `"(" *SP [ item *( 1*SP item ) *SP ] ")"`, is the HDR-2 parameter list.
   */
  parenthesisedItems(): Item[] {
    const s = this.input;
    this.pos++; // "("
    const items: Item[] = [];
    for (;;) {
      this.skipSP();
      if (this.pos >= s.length) this.fail('")"');
      if (s.charCodeAt(this.pos) === RPAREN) {
        this.pos++;
        return items;
      }
      items.push(this.item());
      const c = s.charCodeAt(this.pos);
      if (c !== SP && c !== RPAREN) {
        this.fail(this.pos >= s.length ? '")"' : '" " or ")" after an item in a list');
      }
    }
  }

  /** §4.2.2 Parsing a Dictionary. */
  dictionary(): Dictionary {
    const s = this.input;
    const dict: Dictionary = new Map();
    while (this.pos < s.length) {
      const key = this.key();
      const valued = s.charCodeAt(this.pos) === EQUALS;
      let member: Member;
      if (valued) {
        this.pos++;
        member = this.itemOrInnerList();
      } else {
        member = [true, this.parameters()];
      }
      // Map#set on an existing key keeps its first position: RFC 9651's "overwrite".
      dict.set(key, member);
      this.skipOWS();
      if (this.pos >= s.length) return dict;
      if (s.charCodeAt(this.pos) !== COMMA) {
        this.fail(valued ? '"," or end of input' : '"=", ";", "," or end of input');
      }
      this.pos++;
      this.skipOWS();
      if (this.pos >= s.length) this.fail('a dictionary member after ","');
    }
    return dict;
  }

  /** §4.2.3 Parsing an Item. */
  item(): Item {
    return [this.bareItem(), this.parameters()];
  }

  /** §4.2.3.2 Parsing Parameters, with the HDR-2 list-valued form when extended. */
  parameters(): Parameters {
    const s = this.input;
    const params: Parameters = new Map();
    while (s.charCodeAt(this.pos) === SEMICOLON) {
      this.pos++;
      this.skipSP();
      const key = this.key();
      let value: ParameterValue = true;
      if (s.charCodeAt(this.pos) === EQUALS) {
        this.pos++;
        // HDR-2: after `key=`, a "(" starts a list of Items that takes no parameters.
        value =
          this.extended && s.charCodeAt(this.pos) === LPAREN
            ? this.parameterList()
            : this.bareItem(this.extended ? 'a bare item or "("' : undefined);
      }
      params.set(key, value);
    }
    return params;
  }

  // HDR-2 lists nest without limit in the grammar; bound them so that hostile input
  // fails as a ParseError instead of exhausting the stack.
  parameterList(): Item[] {
    if (++this.depth > this.maxDepth) {
      this.fail(`at most ${this.maxDepth} levels of nested parameter lists`);
    }
    const items = this.parenthesisedItems();
    this.depth--;
    return items;
  }

  /** §4.2.3.3 Parsing a Key. */
  key(): string {
    const s = this.input;
    const start = this.pos;
    const c = s.charCodeAt(start);
    if (!(c < 128 && CLASS[c]! & KEY_START)) this.fail('a key (lowercase letter or "*")');
    let p = start + 1;
    for (;;) {
      const d = s.charCodeAt(p);
      if (!(d < 128 && CLASS[d]! & KEY)) break;
      p++;
    }
    this.pos = p;
    return s.slice(start, p);
  }

  /** §4.2.3.1 Parsing a Bare Item. */
  bareItem(expected = 'a bare item'): BareItem {
    const c = this.input.charCodeAt(this.pos);
    if (c === MINUS || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === DQUOTE) return this.string();
    if (c < 128 && CLASS[c]! & TOKEN_START) return this.token();
    if (c === COLON) return this.byteSequence();
    if (c === QUESTION) return this.boolean();
    if (c === AT) return this.date();
    if (c === PERCENT) return this.displayString();
    return this.fail(expected);
  }

  /**
   * §4.2.4 Parsing an Integer or Decimal. Digits are accumulated as a number: at most
   * 15 of them, so the value is exact, and a decimal is one exact integer divided by a
   * power of ten, which IEEE 754 rounds exactly as parseFloat would.
   */
  number(): number {
    const s = this.input;
    let sign = 1;
    if (s.charCodeAt(this.pos) === MINUS) {
      sign = -1;
      this.pos++;
    }
    const start = this.pos;
    let c = s.charCodeAt(start);
    if (!(c >= 0x30 && c <= 0x39)) this.fail('a digit');
    let value = 0;
    let p = start;
    while (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      c = s.charCodeAt(++p);
    }
    this.decimal = c === DOT;
    if (c !== DOT) {
      if (p - start > 15) this.fail('at most 15 digits in an integer', start + 15);
      this.pos = p;
      return sign === 1 || value === 0 ? value : -value; // no -0
    }
    if (p - start > 12) this.fail('at most 12 digits before "." in a decimal', start + 12);
    const fracStart = ++p;
    c = s.charCodeAt(p);
    while (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      c = s.charCodeAt(++p);
    }
    const fraction = p - fracStart;
    if (fraction === 0) this.fail('a digit after "." in a decimal', p);
    if (fraction > 3) this.fail('at most 3 digits after "." in a decimal', fracStart + 3);
    this.pos = p;
    if (value === 0) return 0;
    return (sign * value) / POW10[fraction]!;
  }

  /** §4.2.5 Parsing a String. */
  string(): string {
    const s = this.input;
    const start = ++this.pos; // past DQUOTE
    let p = start;
    // Fast path: no escapes, copied out with one slice.
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === DQUOTE) {
        this.pos = p + 1;
        return s.slice(start, p);
      }
      if (c === BACKSLASH) break;
      if (!(c >= 0x20 && c <= 0x7e)) {
        this.fail(p >= s.length ? "a closing '\"'" : 'a printable ASCII character in a string', p);
      }
      p++;
    }
    // Escapes: copy the runs between them.
    let out = '';
    let run = start;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === BACKSLASH) {
        const next = s.charCodeAt(p + 1);
        if (next !== DQUOTE && next !== BACKSLASH) this.fail('\'"\' or "\\" after "\\"', p + 1);
        out += s.slice(run, p);
        run = p + 1;
        p += 2;
      } else if (c === DQUOTE) {
        this.pos = p + 1;
        return out + s.slice(run, p);
      } else if (c >= 0x20 && c <= 0x7e) {
        p++;
      } else {
        this.fail(p >= s.length ? "a closing '\"'" : 'a printable ASCII character in a string', p);
      }
    }
  }

  /** §4.2.6 Parsing a Token (the caller saw ALPHA or "*"). */
  token(): Token {
    const s = this.input;
    const start = this.pos;
    let p = start + 1;
    for (;;) {
      const c = s.charCodeAt(p);
      if (!(c < 128 && CLASS[c]! & TCHAR)) break;
      p++;
    }
    this.pos = p;
    return new Token(s.slice(start, p));
  }

  /** §4.2.7 Parsing a Byte Sequence. */
  byteSequence(): Uint8Array {
    const s = this.input;
    const start = this.pos + 1;
    const end = s.indexOf(':', start);
    if (end === -1) this.fail('a closing ":" after a byte sequence', s.length);
    for (let p = start; p < end; p++) {
      const c = s.charCodeAt(p);
      if (!(c < 128 && CLASS[c]! & BASE64)) this.fail('a base64 character', p);
    }
    const bytes = decodeBase64(s, start, end);
    if (typeof bytes === 'number') this.fail('base64 in a byte sequence', bytes);
    this.pos = end + 1;
    return bytes;
  }

  /** §4.2.8 Parsing a Boolean. */
  boolean(): boolean {
    const c = this.input.charCodeAt(this.pos + 1);
    if (c === 0x31 || c === 0x30) {
      this.pos += 2;
      return c === 0x31;
    }
    return this.fail('"1" or "0" after "?"', this.pos + 1);
  }

  /** §4.2.9 Parsing a Date. */
  date(): Date {
    const at = ++this.pos;
    const c = this.input.charCodeAt(at);
    if (!(c === MINUS || (c >= 0x30 && c <= 0x39))) this.fail('an integer after "@"');
    const seconds = this.number();
    if (this.decimal) this.fail('an integer after "@", not a decimal', at);
    // RFC 9651 allows 15 digits, a JavaScript Date only ±8.64e15 ms; past that it would
    // be an Invalid Date, so fail (RFC 9651 lets parsers refuse dates they cannot hold).
    if (Math.abs(seconds) > MAX_DATE_SECONDS) {
      this.fail(`a date within ±${MAX_DATE_SECONDS} seconds of 1970`, at);
    }
    return new Date(seconds * 1000);
  }

  /** §4.2.10 Parsing a Display String. */
  displayString(): DisplayString {
    const s = this.input;
    if (s.charCodeAt(this.pos + 1) !== DQUOTE) this.fail('\'"\' after "%"', this.pos + 1);
    const start = this.pos + 2;
    let p = start;
    let bytes: number[] | undefined;
    let run = start;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === DQUOTE) break;
      if (c === PERCENT) {
        const hi = hexValue(s.charCodeAt(p + 1));
        const lo = hexValue(s.charCodeAt(p + 2));
        if (hi < 0 || lo < 0) this.fail('two lowercase hex digits after "%"', p + 1);
        bytes ??= [];
        for (let i = run; i < p; i++) bytes.push(s.charCodeAt(i));
        bytes.push((hi << 4) | lo);
        p += 3;
        run = p;
      } else if (c >= 0x20 && c <= 0x7e) {
        p++;
      } else {
        this.fail(
          p >= s.length ? "a closing '\"'" : 'a printable ASCII character in a display string',
          p,
        );
      }
    }
    this.pos = p + 1;
    if (bytes === undefined) return new DisplayString(s.slice(start, p));
    for (let i = run; i < p; i++) bytes.push(s.charCodeAt(i));
    try {
      return new DisplayString(utf8.decode(new Uint8Array(bytes)));
    } catch {
      return this.fail('valid UTF-8 in a display string', start);
    }
  }
}

// lcdigit / lowercase hex only (RFC 9651 §4.2.10 step 6.2): -1 when not one.
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Parses a Structured Field List (RFC 9651 §4.2.1), e.g. an `Accept-Events` value
 * (HDR-1). With `{ extended: true }`, parameters may hold lists (HDR-2).
 *
 * @throws {ParseError} when the input is not a valid List.
 * @example
 * ```ts
 * import { parseList } from './index.js';
 * const [[protocol, params] = []] = parseList('"prep";accept="message/rfc822";q=0.9, "other"');
 * // protocol === 'prep', params.get('q') === 0.9
 * parseList('"prep";accept=("message/rfc822" "text/turtle")', { extended: true });
 * ```
 */
export function parseList(input: string, options?: ParseOptions): List {
  const p = new Parser(input, options);
  p.skipSP();
  const list = p.list();
  p.end();
  return list;
}

/**
 * Parses a Structured Field Dictionary (RFC 9651 §4.2.2), e.g. an `Events` value (HDR-3).
 *
 * @throws {ParseError} when the input is not a valid Dictionary.
 * @example
 * ```ts
 * import { parseDictionary } from './index.js';
 * const events = parseDictionary('protocol="prep", status=200, expires=3600');
 * events.get('status'); // [200, Map {}]
 * ```
 */
export function parseDictionary(input: string, options?: ParseOptions): Dictionary {
  const p = new Parser(input, options);
  p.skipSP();
  const dict = p.dictionary();
  p.end();
  return dict;
}

/**
 * Parses a Structured Field Item (RFC 9651 §4.2.3).
 *
 * @throws {ParseError} when the input is not a valid Item.
 * @example
 * ```ts
 * import { parseItem } from './index.js';
 * parseItem('"message/rfc822";delta="text/plain"'); // ['message/rfc822', Map { 'delta' => 'text/plain' }]
 * ```
 */
export function parseItem(input: string, options?: ParseOptions): Item {
  const p = new Parser(input, options);
  p.skipSP();
  const item = p.item();
  p.end();
  return item;
}
