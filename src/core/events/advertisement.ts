/** The `Accept-Events` a resource sends to advertise PREP (DSC-1, RSP-3). */
import type { Item, ParameterValue } from '../sfv/index.js';
import { PREP } from './constants.js';
import { serializeAcceptEvents } from './accept-events.js';
import { PrepError } from '../errors.js';

// `type "/" subtype`, both RFC 9110 tokens, no wildcard: a type the server can send.
const MEDIA_TYPE = /^[!#$%&'+\-.^_`|~0-9A-Za-z]+\/[!#$%&'+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The `Accept-Events` value that advertises PREP on HEAD and GET responses (DSC-1) and may
 * accompany a notifications response (RSP-3): `prep` with an `accept` event field listing
 * the notification media types the resource can send, one as an sf-string, several as an
 * HDR-2 list. DSC-1 requires at least one type, so an empty list throws a `PrepError`
 * with code `EVENTS_VALUE`, as does a value that is not a concrete `type/subtype`.
 *
 * @example
 * ```ts
 * import { serializePrepAdvertisement } from './index.js';
 * serializePrepAdvertisement(['message/rfc822']); // '"prep";accept="message/rfc822"'
 * serializePrepAdvertisement(['message/rfc822', 'text/turtle']);
 * // '"prep";accept=("message/rfc822" "text/turtle")'
 * ```
 */
export function serializePrepAdvertisement(types: readonly string[]): string {
  // DSC-1: "accept with at least one media type MUST be there".
  if (types.length === 0) {
    throw new PrepError(
      'EVENTS_VALUE',
      'PREP is advertised with at least one notification media type (DSC-1)',
    );
  }
  for (const type of types) {
    if (!MEDIA_TYPE.test(type)) {
      throw new PrepError(
        'EVENTS_VALUE',
        `Expected a media type like "message/rfc822", got "${type}"`,
      );
    }
  }
  const accept =
    types.length === 1
      ? types[0]!
      : types.map((type): Item => [type, new Map<string, ParameterValue>()]);
  return serializeAcceptEvents([{ protocol: PREP, fields: new Map([['accept', accept]]) }]);
}
