/** Client-side validation of a response's `Events` field (HDR-5, HDR-6). */
import { PREP } from './constants.js';
import type { EventsField } from './events-field.js';
import { readEventsField } from './events-field.js';
import { fieldValue } from './field-value.js';

/** What {@link checkEventsResponse} needs to know about a request and its response. */
export interface EventsResponseInput {
  /** Whether the request carried `Accept-Events` listing `prep`. */
  requestedPrep: boolean;
  /** The response's `Events` field value, `null` when absent. */
  eventsHeader: string | readonly string[] | null | undefined;
  /** The response's `Date`, to turn `expires` into an instant and back. */
  responseDate?: string | null;
}

/** The verdict of {@link checkEventsResponse}. */
export type EventsResponseCheck =
  | { ok: true; events: EventsField }
  | {
      ok: false;
      reason: 'unsolicited' | 'unparsable' | 'unknown-protocol' | 'status';
      status?: number;
      events?: EventsField;
    }
  | { ok: false; reason: 'absent' };

/**
 * Decides whether a client may treat a response as a PREP notifications response:
 *
 * - `absent`: no `Events`; the server ignored `Accept-Events` (HDR-5) and the response is
 *   an ordinary one (or no notifications were asked for).
 * - `unsolicited`: `Events` on a response to a request without `Accept-Events`; the
 *   response is invalid (HDR-6).
 * - `unparsable` / `unknown-protocol`: `Events` or its `protocol` is not understood; do not
 *   process the response (HDR-6).
 * - `status`: the notifications status is not 200 (ERR-2, ERR-3); the body is the base
 *   response alone, and `status` says why (412, 406, 429, …).
 *
 * @example
 * ```ts
 * import { checkEventsResponse } from './index.js';
 * checkEventsResponse({ requestedPrep: true, eventsHeader: 'protocol="prep", status=200, expires=3600' });
 * // { ok: true, events: { protocol: 'prep', status: 200, expires: 3600 } }
 * checkEventsResponse({ requestedPrep: true, eventsHeader: 'protocol="prep", status=406' });
 * // { ok: false, reason: 'status', status: 406, events: { protocol: 'prep', status: 406 } }
 * checkEventsResponse({ requestedPrep: false, eventsHeader: 'protocol="prep", status=200' });
 * // { ok: false, reason: 'unsolicited', events: { … } }
 * ```
 */
export function checkEventsResponse(input: EventsResponseInput): EventsResponseCheck {
  const { requestedPrep, eventsHeader, responseDate } = input;
  const value = fieldValue(eventsHeader);
  if (value === undefined) return { ok: false, reason: 'absent' };
  const read = readEventsField(value, responseDate);
  // HDR-6: Events without Accept-Events makes the response invalid, whatever it says.
  if (!requestedPrep) {
    return read?.events
      ? { ok: false, reason: 'unsolicited', events: read.events }
      : { ok: false, reason: 'unsolicited' };
  }
  // HDR-6: a recipient that does not understand Events or its protocol does not process it.
  if (read?.protocol === undefined) return { ok: false, reason: 'unparsable' };
  if (read.protocol !== PREP) {
    return read.events
      ? { ok: false, reason: 'unknown-protocol', events: read.events }
      : { ok: false, reason: 'unknown-protocol' };
  }
  if (read.events === undefined) return { ok: false, reason: 'unparsable' };
  const { events } = read;
  if (events.status !== 200) return { ok: false, reason: 'status', status: events.status, events };
  return { ok: true, events };
}
