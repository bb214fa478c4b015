/**
 * Media types as HTTP writes them (RFC 9110 §8.3.1):
 *
 *     media-type = type "/" subtype parameters
 *     parameters = *( OWS ";" OWS [ parameter ] )
 *     parameter  = parameter-name "=" parameter-value
 *     parameter-value = ( token / quoted-string )
 *
 * Type, subtype and parameter names are case-insensitive, so they come back lower-cased;
 * parameter values keep their case (a multipart `boundary` is case-sensitive).
 */

/**
 * Why a media type could not be parsed, and where (a UTF-16 offset into the input).
 *
 * @example
 * ```ts
 * try {
 *   parseMediaType('text');
 * } catch (err) {
 *   if (err instanceof MediaTypeError) console.log(err.code, err.offset); // MEDIA_TYPE_PARSE 4
 * }
 * ```
 */
export class MediaTypeError extends SyntaxError {
  /** Stable code for callers and `docs/errors.md`. */
  readonly code = 'MEDIA_TYPE_PARSE';
  /** Offset into the parsed string where the problem was found. */
  readonly offset: number;

  /**
   * @example
   * ```ts
   * throw new MediaTypeError('expected "/" after the type', 4);
   * ```
   */
  constructor(message: string, offset: number) {
    super(`${message} (at offset ${offset})`);
    this.name = 'MediaTypeError';
    this.offset = offset;
  }
}

/**
 * A parsed media type.
 *
 * @example
 * ```ts
 * const { essence, parameters }: MediaType = parseMediaType('text/plain; charset=utf-8');
 * ```
 */
export interface MediaType {
  /** Lower-cased type, e.g. `multipart`. */
  type: string;
  /** Lower-cased subtype, e.g. `mixed`. */
  subtype: string;
  /** `type/subtype`, lower-cased, without parameters. */
  essence: string;
  /** Parameters by lower-cased name, values unescaped; the first of duplicates wins. */
  parameters: Map<string, string>;
}

/**
 * Parameters accepted by {@link formatMediaType}: pairs (a `Map` works) or a record.
 *
 * @example
 * ```ts
 * const params: MediaTypeParameters = new Map([['charset', 'utf-8']]);
 * formatMediaType('text/plain', params);
 * ```
 */
export type MediaTypeParameters =
  Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

// tchar (RFC 9110 §5.6.2), indexed by char code.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

function isTchar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** True when `value` is a non-empty RFC 9110 token. */
function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTchar(value.charCodeAt(i))) return false;
  return true;
}

function skipOws(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}

function readToken(s: string, i: number): number {
  while (i < s.length && isTchar(s.charCodeAt(i))) i++;
  return i;
}

function describe(s: string, i: number): string {
  return i >= s.length ? 'the end' : JSON.stringify(s[i]);
}

/**
 * Parses a media type such as a `Content-Type` field value.
 *
 * Leading and trailing whitespace is ignored; empty parameters (`;;`) are allowed, as the
 * grammar allows them. Whitespace around `=` is not (RFC 9110 forbids it).
 *
 * @throws {MediaTypeError} when `value` is not a media type.
 * @example
 * ```ts
 * const mt = parseMediaType('Multipart/Mixed; Boundary="a b"');
 * mt.essence; // 'multipart/mixed'
 * mt.parameters.get('boundary'); // 'a b'
 * ```
 */
export function parseMediaType(value: string): MediaType {
  const s = value;
  let i = skipOws(s, 0);
  let end = readToken(s, i);
  if (end === i) throw new MediaTypeError(`expected a type token, found ${describe(s, i)}`, i);
  const type = s.slice(i, end).toLowerCase();
  i = end;
  if (s[i] !== '/')
    throw new MediaTypeError(`expected "/" after the type "${type}", found ${describe(s, i)}`, i);
  i++;
  end = readToken(s, i);
  if (end === i) throw new MediaTypeError(`expected a subtype token, found ${describe(s, i)}`, i);
  const subtype = s.slice(i, end).toLowerCase();
  i = end;

  const parameters = new Map<string, string>();
  for (;;) {
    i = skipOws(s, i);
    if (i >= s.length) break;
    if (s[i] !== ';')
      throw new MediaTypeError(`expected ";" or the end, found ${describe(s, i)}`, i);
    i = skipOws(s, i + 1);
    if (i >= s.length || s[i] === ';') continue; // an empty parameter is allowed
    end = readToken(s, i);
    if (end === i)
      throw new MediaTypeError(`expected a parameter name, found ${describe(s, i)}`, i);
    const name = s.slice(i, end).toLowerCase();
    i = end;
    if (s[i] !== '=')
      throw new MediaTypeError(
        `expected "=" right after the parameter name "${name}", found ${describe(s, i)}`,
        i,
      );
    i++;
    let paramValue: string;
    if (s[i] === '"') {
      [paramValue, i] = readQuotedString(s, i);
    } else {
      end = readToken(s, i);
      if (end === i)
        throw new MediaTypeError(
          `expected a token or a quoted string as the value of "${name}", found ${describe(s, i)}`,
          i,
        );
      paramValue = s.slice(i, end);
      i = end;
    }
    // Duplicates: keep the first, as browsers do (WHATWG MIME Sniffing), so that every
    // reader of a shared stream agrees on, for example, its boundary.
    if (!parameters.has(name)) parameters.set(name, paramValue);
  }
  return { type, subtype, essence: `${type}/${subtype}`, parameters };
}

/** Reads a quoted-string starting at the opening quote; returns [unescaped, next offset]. */
function readQuotedString(s: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  let run = i;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      return [out + s.slice(run, i), i + 1];
    }
    if (c === 0x5c) {
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      const next = s.charCodeAt(i + 1);
      if (Number.isNaN(next)) break;
      if (next !== 0x09 && (next < 0x20 || next === 0x7f))
        throw new MediaTypeError('a backslash in a quoted string escapes a control character', i);
      out += s.slice(run, i) + s[i + 1];
      i += 2;
      run = i;
      continue;
    }
    if (c !== 0x09 && (c < 0x20 || c === 0x7f))
      throw new MediaTypeError('control character in a quoted string', i);
    i++;
  }
  throw new MediaTypeError('unterminated quoted string', start);
}

function quoteIfNeeded(name: string, value: string): string {
  if (isToken(value)) return value;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x09 && (c < 0x20 || c === 0x7f))
      throw new TypeError(
        `media type parameter "${name}" has a control character (code ${c}) at index ${i}, which no quoted string can carry`,
      );
    if (c === 0x22 || c === 0x5c) out += '\\';
    out += value[i];
  }
  return `${out}"`;
}

function parameterEntries(parameters: MediaTypeParameters): Iterable<readonly [string, string]> {
  return Symbol.iterator in parameters
    ? (parameters as Iterable<readonly [string, string]>)
    : Object.entries(parameters);
}

/**
 * Serializes a media type. Type, subtype and parameter names are lower-cased; a value is
 * quoted only when it is not a token (empty, or has spaces or separators such as `/`).
 *
 * @param mediaType `"type/subtype"`, or a {@link MediaType} (its parameters are used unless
 *   `parameters` is given).
 * @throws {TypeError} when a name is not a token or a value holds a control character.
 * @example
 * ```ts
 * formatMediaType('multipart/mixed', { boundary: 'abc' }); // 'multipart/mixed; boundary=abc'
 * formatMediaType('text/plain', [['title', 'a b']]); // 'text/plain; title="a b"'
 * formatMediaType(parseMediaType('Text/HTML;Charset=UTF-8')); // 'text/html; charset=UTF-8'
 * ```
 */
export function formatMediaType(
  mediaType: string | { type: string; subtype: string; parameters?: MediaTypeParameters },
  parameters?: MediaTypeParameters,
): string {
  let type: string;
  let subtype: string;
  if (typeof mediaType === 'string') {
    const slash = mediaType.indexOf('/');
    type = slash === -1 ? mediaType : mediaType.slice(0, slash);
    subtype = slash === -1 ? '' : mediaType.slice(slash + 1);
  } else {
    ({ type, subtype } = mediaType);
    parameters ??= mediaType.parameters;
  }
  if (!isToken(type) || !isToken(subtype))
    throw new TypeError(
      `expected a media type "type/subtype" made of tokens, got ${JSON.stringify(`${type}/${subtype}`)}`,
    );
  let out = `${type.toLowerCase()}/${subtype.toLowerCase()}`;
  if (parameters) {
    for (const [name, value] of parameterEntries(parameters)) {
      if (!isToken(name))
        throw new TypeError(
          `media type parameter name ${JSON.stringify(name)} is not a token (RFC 9110 §5.6.2)`,
        );
      out += `; ${name.toLowerCase()}=${quoteIfNeeded(name, value)}`;
    }
  }
  return out;
}
