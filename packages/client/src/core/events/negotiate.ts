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
 * order decides, then the server's. The `delta` parameters of the ranges that chose the
 * format then pick its delta: the highest-`q` one the offer lists; when the offer lists
 * none of them, the format is still chosen, without delta (the offer is the resource's:
 * a text document offers no JSON Patch). Other parameters are ignored (REQ-3). With no `accept` requested (`undefined`), the default
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

  let best: { q: number; range: number; offer: number; specificity: number } | undefined;
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
        best = { q: range.q, range: r, offer: o, specificity };
      }
    }
  }
  if (best === undefined) return undefined;

  const offer = offered[best.offer]!;
  const choice: NotificationChoice = { type: offer.type, varyAccept: true };
  const delta = pickDelta(requested, offer, best.specificity);
  if (delta !== undefined) choice.delta = delta;
  return choice;
}

/**
 * N822-8: the delta for the chosen offer. Among the client's ranges that chose it (the most
 * specific that match it, `q` above 0), the one with the highest `q`, then the client's
 * order, whose `delta` the offer lists: a range asking for a delta the resource cannot have
 * (JSON Patch of a text document) leaves the choice to the next one, and with none left the
 * format goes without a delta rather than not at all (`delta` is a parameter of the format,
 * and its body a SHOULD: the client re-fetches).
 */
function pickDelta(
  requested: readonly MediaRange[],
  offer: NotificationOffer,
  specificity: number,
): string | undefined {
  const slash = offer.type.indexOf('/');
  const type = offer.type.slice(0, slash).toLowerCase();
  const subtype = offer.type.slice(slash + 1).toLowerCase();
  let best: { q: number; delta: string } | undefined;
  for (const range of requested) {
    if (!(range.q > 0) || specificityOf(range, type, subtype) !== specificity) continue;
    const wanted = range.params.get('delta')?.toLowerCase();
    const delta =
      wanted === undefined ? undefined : offer.deltas?.find((d) => d.toLowerCase() === wanted);
    if (delta !== undefined && (best === undefined || range.q > best.q))
      best = { q: range.q, delta };
  }
  return best?.delta;
}

/** 3 for `type/subtype`, 2 for `type/*`, 1 for `*\/*`, 0 when the range does not match. */
function specificityOf(range: MediaRange, type: string, subtype: string): number {
  if (range.type === '*') return range.subtype === '*' ? 1 : 0;
  if (range.type !== type) return 0;
  if (range.subtype === '*') return 2;
  return range.subtype === subtype ? 3 : 0;
}
