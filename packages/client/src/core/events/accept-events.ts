/**
 * The `Accept-Events` field (HDR-1, HDR-2, HDR-4): an extended Structured Field List whose
 * members name notification protocols, each with its event fields and a `q` weight.
 */
import { ParseError, parseList, serializeList } from '../sfv/index.js';
import type { List, ParameterValue, Parameters } from '../sfv/index.js';
import { PrepError } from '../errors.js';
import { fieldValue, textOf } from './field-value.js';

/**
 * One protocol the client (or, in a response, the server) accepts, as parsed.
 * `fields` are the event fields: the member's parameters without `q`.
 */
export interface AcceptEventsEntry {
  /** The protocol identifier, lowercased (`PREP` from draft -00 reads as `prep`). */
  protocol: string;
  /** The weight (RFC 9110 §12.4.2): 0–1, 1 when absent. 0 means "not acceptable". */
  q: number;
  /** The event fields, in header order, without `q`. */
  fields: Map<string, ParameterValue>;
}

/**
 * What {@link serializeAcceptEvents} takes: an entry whose `q` defaults to 1 and whose
 * event fields may be omitted.
 */
export interface AcceptEventsEntryInit {
  protocol: string;
  q?: number;
  fields?: ReadonlyMap<string, ParameterValue>;
}

/**
 * Reads an `Accept-Events` field value, liberally: sf-strings or tokens name protocols
 * (lowercased), a `q` anywhere among the parameters is the weight, and list-valued event
 * fields (HDR-2) are understood. Returns `undefined` for an absent or unparsable field,
 * which the recipient then ignores (HDR-4). Members that are inner lists or name no
 * protocol, and members with an invalid `q`, are left out.
 *
 * @example
 * ```ts
 * import { parseAcceptEvents } from './index.js';
 * const [prep] = parseAcceptEvents('"prep";accept=("message/rfc822" "text/turtle");q=0.9') ?? [];
 * prep?.protocol; // 'prep'
 * prep?.q; // 0.9
 * prep?.fields.get('accept'); // [['message/rfc822', Map {}], ['text/turtle', Map {}]]
 * ```
 */
export function parseAcceptEvents(
  value: string | readonly string[] | null | undefined,
): AcceptEventsEntry[] | undefined {
  const input = fieldValue(value);
  if (input === undefined) return undefined;
  let list: List;
  try {
    list = parseList(input, { extended: true });
  } catch (e) {
    // HDR-4: an Accept-Events we cannot parse is ignored as a whole, like express-accept-events.
    if (e instanceof ParseError) return undefined;
    throw e;
  }
  const entries: AcceptEventsEntry[] = [];
  for (const [bare, params] of list) {
    // HDR-1: members are protocol names; an inner list names none.
    if (Array.isArray(bare)) continue;
    const name = textOf(bare);
    if (name === undefined) continue;
    const fields = new Map(params);
    let q = 1;
    // HDR-1: "treat any parameter named q as the weight regardless of position".
    if (fields.has('q')) {
      const weight = readWeight(fields.get('q'));
      if (weight === undefined) continue;
      q = weight;
      fields.delete('q');
    }
    entries.push({ protocol: name.toLowerCase(), q, fields });
  }
  return entries;
}

/**
 * Writes an `Accept-Events` field value exactly as draft -03 does: protocols as lowercase
 * sf-strings, event fields in the given order (list values through the HDR-2 extension),
 * `q` last and only when it is not 1, rounded to 3 decimals (RFC 9110 §12.4.2).
 * Throws a `PrepError` with code `EVENTS_VALUE` for a `q` outside 0–1 or an event field
 * named `q` (HDR-1), and the codec's `SerializeError` for values RFC 9651 cannot carry.
 *
 * @example
 * ```ts
 * import { serializeAcceptEvents } from './index.js';
 * serializeAcceptEvents([
 *   { protocol: 'prep', q: 0.5, fields: new Map([['accept', 'message/rfc822']]) },
 *   { protocol: 'other' },
 * ]); // '"prep";accept="message/rfc822";q=0.5, "other"'
 * ```
 */
export function serializeAcceptEvents(entries: readonly AcceptEventsEntryInit[]): string {
  const list: List = entries.map((entry) => {
    const params: Parameters = new Map();
    for (const [key, value] of entry.fields ?? []) {
      // HDR-1: "Protocol parameters named q are disallowed."
      if (key === 'q') {
        throw new PrepError(
          'EVENTS_VALUE',
          `Event field "q" of protocol "${entry.protocol}" is not allowed: q is the weight (HDR-1)`,
        );
      }
      params.set(key, value);
    }
    const q = entry.q ?? 1;
    if (!(q >= 0 && q <= 1)) {
      throw new PrepError(
        'EVENTS_VALUE',
        `Expected q between 0 and 1 for "${entry.protocol}", got ${q}`,
      );
    }
    // HDR-1: send q last; 1 is the default, so it is left out.
    const rounded = Math.round(q * 1000) / 1000;
    if (rounded !== 1) params.set('q', rounded);
    return [entry.protocol.toLowerCase(), params];
  });
  return serializeList(list, { extended: true });
}

/** A valid qvalue (RFC 9110 §12.4.2: 0 to 1) as a number, else `undefined`. */
function readWeight(value: ParameterValue | undefined): number | undefined {
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : undefined;
}
