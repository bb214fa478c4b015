/**
 * PREP's `accept` event field (REQ-1, HDR-7): the notification media types the client
 * wants, read like an HTTP `Accept` field.
 */
import type { Item, ParameterValue } from '../sfv/index.js';
import { MediaTypeError, parseMediaType } from '../media-type.js';
import type { MediaType } from '../media-type.js';
import { fieldValue, textOf } from './field-value.js';

/**
 * One media range of `accept` (RFC 9110 §12.5.1): `type` and `subtype` lowercased (`*`
 * for wildcards), its parameters by lowercased name without `q` (for
 * `message/rfc822`, `delta` names the delta media type, N822-1), and its weight.
 */
export interface MediaRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

/**
 * Reads the `accept` event field of a protocol entry into media ranges, in the client's
 * order. HDR-7 makes `accept` a Retrofit Structured Field, and clients write it in
 * several ways, all understood here:
 *
 * - an sf-string: `accept="message/rfc822"`, also holding a whole Accept-style value
 *   (`accept="text/turtle;q=0.5, message/rfc822"`);
 * - a token (Retrofit, NSS tests, draft -00): `accept=message/rfc822`;
 * - a list of items (HDR-2): `accept=("message/rfc822";delta="application/json-patch+json"
 *   "text/turtle";q=0.5)`, where each item's parameters become `params`/`q`.
 *
 * Returns `undefined` when there is no `accept` field, and also when nothing in it is a
 * media range: a field we cannot understand is ignored (REQ-3), so the default format is
 * served and `vary` will not list `accept` (HDR-7). Ranges with an invalid `q` are left out.
 *
 * @example
 * ```ts
 * import { parseAcceptEvents, readNotificationAccept } from './index.js';
 * const [prep] = parseAcceptEvents(
 *   '"prep";accept=("message/rfc822";delta="application/json-patch+json" "text/turtle";q=0.5)',
 * ) ?? [];
 * readNotificationAccept(prep!.fields);
 * // [{ type: 'message', subtype: 'rfc822', params: Map { 'delta' => 'application/json-patch+json' }, q: 1 },
 * //  { type: 'text', subtype: 'turtle', params: Map {}, q: 0.5 }]
 * ```
 */
export function readNotificationAccept(
  fields: ReadonlyMap<string, ParameterValue>,
): MediaRange[] | undefined {
  const value = fields.get('accept');
  if (value === undefined) return undefined;
  let ranges: MediaRange[];
  if (Array.isArray(value)) {
    ranges = value.flatMap(rangesOfItem);
  } else {
    const text = textOf(value);
    if (text === undefined) return undefined;
    ranges = parseAcceptValue(text);
  }
  return ranges.length === 0 ? undefined : ranges;
}

/**
 * Parses an HTTP `Accept`-style value (RFC 9110 §12.5.1), leniently: an element that is not
 * a media range (`*\/subtype`, a parameter without a value, …) or has an invalid `q` is
 * dropped, the others kept.
 *
 * @example
 * ```ts
 * import { parseAcceptValue } from './index.js';
 * parseAcceptValue('text/*;q=0.5, message/rfc822');
 * // [{ type: 'text', subtype: '*', params: Map {}, q: 0.5 },
 * //  { type: 'message', subtype: 'rfc822', params: Map {}, q: 1 }]
 * ```
 */
export function parseAcceptValue(value: string | readonly string[]): MediaRange[] {
  const input = fieldValue(value) ?? '';
  const ranges: MediaRange[] = [];
  // Most values hold one media type: skip the split then.
  const elements = input.includes(',') ? splitOutsideQuotes(input, ',') : [input];
  for (const element of elements) {
    const range = parseRange(element);
    if (range !== undefined) ranges.push(range);
  }
  return ranges;
}

/** The ranges one HDR-2 list item stands for, its sf-parameters applied. */
function rangesOfItem([bare, params]: Item): MediaRange[] {
  const text = textOf(bare);
  if (text === undefined) return [];
  const ranges = parseAcceptValue(text);
  for (const [name, value] of params) {
    if (name === 'q') {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) return [];
      for (const range of ranges) range.q = value;
      continue;
    }
    // Parameter values are media types or tokens; anything else (a nested list, bytes)
    // has no meaning defined for it, and REQ-3 says to ignore what we do not know.
    const param = Array.isArray(value)
      ? undefined
      : typeof value === 'number'
        ? String(value)
        : textOf(value);
    if (param !== undefined) for (const range of ranges) range.params.set(name, param);
  }
  return ranges;
}

function parseRange(element: string): MediaRange | undefined {
  if (element.trim() === '') return undefined;
  let mediaType: MediaType;
  try {
    mediaType = parseMediaType(element);
  } catch (e) {
    // An element that is not a media range is dropped, not the whole value (lenient).
    if (e instanceof MediaTypeError) return undefined;
    throw e;
  }
  const { type, subtype, parameters: params } = mediaType;
  // `*/subtype` is not a media range (RFC 9110 §12.5.1).
  if (type === '*' && subtype !== '*') return undefined;
  let q = 1;
  const weight = params.get('q');
  if (weight !== undefined) {
    q = /^(?:\d+(?:\.\d*)?|\.\d+)$/.test(weight) ? Number(weight) : NaN;
    if (!(q >= 0 && q <= 1)) return undefined;
    params.delete('q');
  }
  return { type, subtype, params, q };
}

/** Splits at `separator` where it is not inside a quoted-string (RFC 9110 §5.6.4). */
function splitOutsideQuotes(input: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === separator) {
      parts.push(input.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(input.slice(start));
  return parts;
}
