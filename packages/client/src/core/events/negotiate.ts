/**
 * Negotiation of the notification format within `prep` (REQ-4, HDR-7, N822-1): the
 * client's `accept` ranges against what the server can send for the resource.
 */
import { DEFAULT_NOTIFICATION_TYPE } from './constants.js';
import type { MediaRange } from './media-range.js';

/** A notification format the server can send for a resource. */
export interface NotificationOffer {
  /** A concrete media type, e.g. `message/rfc822` or `application/ld+json`. */
  type: string;
  /** The delta media types (N822-8) the server can produce for it, e.g. `application/json-patch+json`. */
  deltas?: readonly string[];
}

/** The negotiated notification format. */
export interface NotificationChoice {
  /** The notification media type, as the server spelled it in its offer. */
  type: string;
  /** The delta media type asked for with `delta` and offered by the server, if any. */
  delta?: string;
  /**
   * Whether the client's `accept` was honoured, so `Events` lists `vary="accept"` (HDR-7);
   * `false` when the client named no `accept` and the default format is in use.
   */
  varyAccept: boolean;
}

/**
 * Picks the notification format the way HTTP `Accept` is matched (RFC 9110 §12.5.1, REQ-4):
 * each offer takes the `q` of the most specific ranges that match it (`type/subtype` over
 * `type/*` over `*\/*`), `q=0` excludes, and the highest `q` wins; at equal `q` the client's
 * order decides, then the server's. A range's `delta` parameter selects that delta type
 * when the offer lists it (else the type is still chosen, without delta); other parameters
 * are ignored (REQ-3). With no `accept` requested (`undefined`), the default
 * `message/rfc822` is used if offered (HDR-7), else the server's first offer.
 * `undefined` means nothing is acceptable: answer with `Events` status 406 (ERR-3).
 *
 * @example
 * ```ts
 * import { negotiateNotifications, parseAcceptValue } from './index.js';
 * const offers = [
 *   { type: 'message/rfc822', deltas: ['application/json-patch+json'] },
 *   { type: 'text/turtle' },
 * ];
 * negotiateNotifications(parseAcceptValue('message/rfc822;delta="application/json-patch+json"'), offers);
 * // { type: 'message/rfc822', delta: 'application/json-patch+json', varyAccept: true }
 * negotiateNotifications(parseAcceptValue('text/*'), offers); // { type: 'text/turtle', varyAccept: true }
 * negotiateNotifications(undefined, offers); // { type: 'message/rfc822', varyAccept: false }
 * negotiateNotifications(parseAcceptValue('application/json'), offers); // undefined → status 406
 * ```
 */
export function negotiateNotifications(
  requested: readonly MediaRange[] | undefined,
  offered: readonly NotificationOffer[],
): NotificationChoice | undefined {
  if (requested === undefined) {
    // HDR-7: without `accept` (and so without it in `vary`) the default format is in use.
    const offer =
      offered.find((o) => o.type.toLowerCase() === DEFAULT_NOTIFICATION_TYPE) ?? offered[0];
    return offer && { type: offer.type, varyAccept: false };
  }

  let best: { q: number; range: number; offer: number } | undefined;
  for (let o = 0; o < offered.length; o++) {
    const offerType = offered[o]!.type.toLowerCase();
    const slash = offerType.indexOf('/');
    if (slash < 0) continue; // not a media type: nothing matches it
    const type = offerType.slice(0, slash);
    const subtype = offerType.slice(slash + 1);
    // RFC 9110 §12.5.1: "the most specific reference has precedence". Several ranges of
    // that same specificity (say, one per delta) each stand as a candidate.
    let specificity = 0;
    for (const range of requested) {
      specificity = Math.max(specificity, specificityOf(range, type, subtype));
    }
    if (specificity === 0) continue;
    for (let r = 0; r < requested.length; r++) {
      const range = requested[r]!;
      if (specificityOf(range, type, subtype) !== specificity) continue;
      if (!(range.q > 0)) continue; // REQ-4: q=0 is "not acceptable"
      // Highest q, then the client's order (range), then the server's (offer).
      if (best === undefined || range.q > best.q || (range.q === best.q && r < best.range)) {
        best = { q: range.q, range: r, offer: o };
      }
    }
  }
  if (best === undefined) return undefined;

  const offer = offered[best.offer]!;
  const choice: NotificationChoice = { type: offer.type, varyAccept: true };
  const wanted = requested[best.range]!.params.get('delta')?.toLowerCase();
  const delta =
    wanted === undefined ? undefined : offer.deltas?.find((d) => d.toLowerCase() === wanted);
  if (delta !== undefined) choice.delta = delta;
  return choice;
}

/** 3 for `type/subtype`, 2 for `type/*`, 1 for `*\/*`, 0 when the range does not match. */
function specificityOf(range: MediaRange, type: string, subtype: string): number {
  if (range.type === '*') return range.subtype === '*' ? 1 : 0;
  if (range.type !== type) return 0;
  if (range.subtype === '*') return 2;
  return range.subtype === subtype ? 3 : 0;
}
