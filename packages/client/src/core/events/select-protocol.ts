/** Proactive negotiation of the notification protocol (REQ-4, HDR-4). */
import type { AcceptEventsEntry } from './accept-events.js';

/**
 * Picks the entry of the protocol to serve: the client's most preferred (highest `q`,
 * then earliest in the field) among the protocols the server supports for the resource.
 * Entries with `q=0` are "not acceptable" and unknown protocols are skipped (HDR-4);
 * `undefined` means none is left, and the server answers as if `Accept-Events` were
 * absent (ERR-1). Protocols compare case-insensitively.
 *
 * @example
 * ```ts
 * import { parseAcceptEvents, selectProtocol } from './index.js';
 * const entries = parseAcceptEvents('"other", "prep";q=0.8, "braid";q=0.9') ?? [];
 * selectProtocol(entries, ['prep'])?.protocol; // 'prep'
 * selectProtocol(parseAcceptEvents('"prep";q=0') ?? [], ['prep']); // undefined
 * ```
 */
export function selectProtocol(
  entries: readonly AcceptEventsEntry[],
  supported: readonly string[],
): AcceptEventsEntry | undefined {
  const known = new Set(supported.map((p) => p.toLowerCase()));
  let best: AcceptEventsEntry | undefined;
  for (const entry of entries) {
    // REQ-4: q=0 is "not acceptable"; HDR-4: protocols we do not know are ignored.
    if (!(entry.q > 0) || !known.has(entry.protocol.toLowerCase())) continue;
    // Strictly greater: at equal q the earlier entry (the client's order) wins.
    if (best === undefined || entry.q > best.q) best = entry;
  }
  return best;
}
