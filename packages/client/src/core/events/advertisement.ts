/**
 * The `Accept-Events` a resource sends to advertise PREP (DSC-1, RSP-3), with the delta
 * types each notification format can carry (N822-8), and how a client reads it back.
 */
import type { Item, ParameterValue } from '../sfv/index.js';
import { PREP } from './constants.js';
import { parseAcceptEvents, serializeAcceptEvents } from './accept-events.js';
import { PrepError } from '../errors.js';
import { fieldValue, textOf } from './field-value.js';
import { parseAcceptValue } from './media-range.js';

// `type "/" subtype`, both RFC 9110 tokens, no wildcard: a type the server can send.
const MEDIA_TYPE = /^[!#$%&'+\-.^_`|~0-9A-Za-z]+\/[!#$%&'+\-.^_`|~0-9A-Za-z]+$/;

/**
 * One notification format a resource advertises: its media type and, for
 * `message/rfc822`, the delta media types it can carry (N822-8), in the server's order.
 *
 * @example
 * ```ts
 * import type { AdvertisedFormat } from './index.js';
 *
 * const rfc822: AdvertisedFormat = { type: 'message/rfc822', deltas: ['application/merge-patch+json'] };
 * ```
 */
export interface AdvertisedFormat {
  /** The media type, lower case, without parameters. */
  type: string;
  /** The delta types, lower case; empty when none is advertised. */
  deltas: string[];
}

/**
 * The `Accept-Events` value that advertises PREP on HEAD and GET responses (DSC-1) and may
 * accompany a notifications response (RSP-3): `prep` with an `accept` event field listing
 * the notification media types the resource can send, one without deltas as an sf-string,
 * anything else as an HDR-2 list whose items carry `delta`: one type as an sf-string,
 * several as a nested HDR-2 list. DSC-1 requires at least one type, so an empty list throws
 * a `PrepError` with code `EVENTS_VALUE`, as does a value that is not a concrete
 * `type/subtype`.
 *
 * @example
 * ```ts
 * import { serializePrepAdvertisement } from './index.js';
 * serializePrepAdvertisement(['message/rfc822']); // '"prep";accept="message/rfc822"'
 * serializePrepAdvertisement(['message/rfc822', 'text/turtle']);
 * // '"prep";accept=("message/rfc822" "text/turtle")'
 * serializePrepAdvertisement([
 *   { type: 'message/rfc822', deltas: ['application/json-patch+json', 'application/merge-patch+json'] },
 * ]);
 * // '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json"))'
 * ```
 */
export function serializePrepAdvertisement(
  types: readonly (string | { type: string; deltas?: readonly string[] })[],
): string {
  // DSC-1: "accept with at least one media type MUST be there".
  if (types.length === 0) {
    throw new PrepError(
      'EVENTS_VALUE',
      'PREP is advertised with at least one notification media type (DSC-1)',
    );
  }
  const formats = types.map((t) =>
    typeof t === 'string'
      ? { type: t, deltas: [] as readonly string[] }
      : { type: t.type, deltas: t.deltas ?? [] },
  );
  for (const { type, deltas } of formats) {
    for (const value of [type, ...deltas]) {
      if (!MEDIA_TYPE.test(value)) {
        throw new PrepError(
          'EVENTS_VALUE',
          `Expected a media type like "message/rfc822", got "${value}"`,
        );
      }
    }
  }
  const only = formats.length === 1 && formats[0]!.deltas.length === 0 ? formats[0]! : undefined;
  const accept: ParameterValue =
    only !== undefined
      ? only.type
      : formats.map(({ type, deltas }): Item => {
          const params = new Map<string, ParameterValue>();
          if (deltas.length === 1) params.set('delta', deltas[0]!);
          else if (deltas.length > 1)
            params.set(
              'delta',
              deltas.map((d): Item => [d, new Map<string, ParameterValue>()]),
            );
          return [type, params];
        });
  return serializeAcceptEvents([{ protocol: PREP, fields: new Map([['accept', accept]]) }]);
}

/**
 * Reads a resource's PREP advertisement (DSC-1) from its `Accept-Events` response field:
 * the notification formats, in the server's order, each with the delta types it
 * advertises. Reads `delta` as an sf-string or token, or as an HDR-2 list of them; also an
 * `accept` written as one string (`accept="message/rfc822"`), as express-prep and
 * node-solid-server send it. Returns `undefined` when the field is absent, does not parse,
 * or does not list `prep` with a weight above 0 and at least one format: the resource does
 * not advertise PREP (DSC-2).
 *
 * @example
 * ```ts
 * import { readPrepAdvertisement } from './index.js';
 * readPrepAdvertisement(
 *   '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json"))',
 * );
 * // [{ type: 'message/rfc822', deltas: ['application/json-patch+json', 'application/merge-patch+json'] }]
 * readPrepAdvertisement('"prep";accept=("message/rfc822" "text/turtle")');
 * // [{ type: 'message/rfc822', deltas: [] }, { type: 'text/turtle', deltas: [] }]
 * ```
 */
export function readPrepAdvertisement(
  value: string | readonly string[] | null | undefined,
): AdvertisedFormat[] | undefined {
  if (fieldValue(value) === undefined) return undefined;
  const prep = parseAcceptEvents(value)?.find((e) => e.protocol === PREP && e.q > 0);
  const accept = prep?.fields.get('accept');
  if (accept === undefined) return undefined;
  const formats: AdvertisedFormat[] = [];
  if (Array.isArray(accept)) {
    for (const [bare, params] of accept) {
      const type = textOf(bare);
      if (type === undefined) continue;
      for (const range of parseAcceptValue(type)) {
        const delta = params.get('delta');
        const inText = range.params.get('delta');
        const deltas = delta !== undefined ? textsOf(delta) : inText === undefined ? [] : [inText];
        formats.push(format(range.type, range.subtype, deltas));
      }
    }
  } else {
    const text = textOf(accept);
    for (const range of text === undefined ? [] : parseAcceptValue(text)) {
      const delta = range.params.get('delta');
      formats.push(format(range.type, range.subtype, delta === undefined ? [] : [delta]));
    }
  }
  return formats.length === 0 ? undefined : formats;
}

function format(type: string, subtype: string, deltas: readonly string[]): AdvertisedFormat {
  return { type: `${type}/${subtype}`, deltas: deltas.map((d) => d.toLowerCase()) };
}

/** The texts of a parameter value: one sf-string or token, or those of an HDR-2 list. */
function textsOf(value: ParameterValue): string[] {
  if (!Array.isArray(value)) {
    const text = textOf(value);
    return text === undefined ? [] : [text];
  }
  const out: string[] = [];
  for (const [bare] of value) {
    const text = textOf(bare);
    if (text !== undefined) out.push(text);
  }
  return out;
}
