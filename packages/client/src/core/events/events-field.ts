/**
 * The `Events` response field (HDR-3, RSP-1, ERR-2, ERR-3): a Structured Field Dictionary
 * with the `protocol`, the notifications `status`, and event fields such as `expires`
 * and `vary`.
 */
import { ParseError, parseDictionary, serializeDictionary } from '../sfv/index.js';
import type { Dictionary, Item, Member, ParameterValue } from '../sfv/index.js';
import { PrepError } from '../errors.js';
import { fieldValue, textOf } from './field-value.js';
import { parseHttpDate } from '../http-date.js';

/** The members of `Events` this model knows; anything else lands in `extra`. */
const KNOWN = new Set(['protocol', 'status', 'expires', 'vary']);

/**
 * An `Events` field value. `expires` is the draft -03 meaning (integer seconds after the
 * response `Date`, RSP-1); `expiresAt` the instant, which is what implementations that
 * send an HTTP-date mean. {@link parseEventsField} fills both when it knows `Date`.
 */
export interface EventsField {
  /** The protocol identifier, lowercased: `prep`. */
  protocol: string;
  /** The status of the notifications, not of the response (ERR-4): 200 when streaming. */
  status: number;
  /** Seconds after the response `Date` when the stream ends (RSP-1, RSP-7). */
  expires?: number;
  /** When the stream ends. */
  expiresAt?: Date;
  /** The request event fields the server honoured, lowercased: `['accept']` (HDR-7). */
  vary?: string[];
  /** Other members, as the codec reads them, in field order. */
  extra?: Map<string, Member>;
}

/** Options of {@link serializeEventsField}. */
export interface SerializeEventsFieldOptions {
  /** The response `Date`, to turn an `expiresAt` without `expires` into seconds. */
  date?: Date;
}

/**
 * Writes an `Events` field value as draft -03 does: `protocol` as an sf-string, `status`
 * as an integer, `expires` as integer seconds (RSP-1), then `vary` (one field as a
 * string, several as an inner list of strings), then `extra` members. Throws a
 * `PrepError` with code `EVENTS_VALUE` for a status that is not an HTTP status code, an
 * `expires` that is not a non-negative integer, an `expiresAt` with neither `expires` nor
 * `options.date`, or an `extra` member that shadows a known one.
 *
 * @example
 * ```ts
 * import { serializeEventsField } from './index.js';
 * serializeEventsField({ protocol: 'prep', status: 200, expires: 3600, vary: ['accept'] });
 * // 'protocol="prep", status=200, expires=3600, vary="accept"'
 * serializeEventsField({ protocol: 'prep', status: 406 }); // 'protocol="prep", status=406'
 * ```
 */
export function serializeEventsField(
  events: EventsField,
  options: SerializeEventsFieldOptions = {},
): string {
  const dict: Dictionary = new Map();
  dict.set('protocol', [events.protocol.toLowerCase(), new Map()]);
  if (!Number.isInteger(events.status) || events.status < 100 || events.status > 599) {
    throw new PrepError(
      'EVENTS_VALUE',
      `Expected an HTTP status code for status, got ${events.status}`,
    );
  }
  dict.set('status', [events.status, new Map()]);

  let expires = events.expires;
  if (expires === undefined && events.expiresAt !== undefined) {
    if (options.date === undefined) {
      throw new PrepError(
        'EVENTS_VALUE',
        'expiresAt needs the response Date (options.date): expires is sent as seconds after it (RSP-1)',
      );
    }
    expires = Math.max(0, Math.round((events.expiresAt.getTime() - options.date.getTime()) / 1000));
  }
  if (expires !== undefined) {
    // RSP-1: "an integer value in seconds", not the HTTP-date other implementations send.
    if (!Number.isInteger(expires) || expires < 0) {
      throw new PrepError('EVENTS_VALUE', `Expected expires as whole seconds >= 0, got ${expires}`);
    }
    dict.set('expires', [expires, new Map()]);
  }

  const vary = events.vary ?? [];
  if (vary.length === 1) dict.set('vary', [vary[0]!, new Map()]);
  else if (vary.length > 1) {
    dict.set('vary', [
      vary.map((name): Item => [name, new Map<string, ParameterValue>()]),
      new Map(),
    ]);
  }

  for (const [key, member] of events.extra ?? []) {
    if (KNOWN.has(key)) {
      throw new PrepError(
        'EVENTS_VALUE',
        `Extra member "${key}" would shadow the ${key} of EventsField`,
      );
    }
    dict.set(key, member);
  }
  return serializeDictionary(dict, { extended: true });
}

/**
 * Reads an `Events` field value, liberally: `protocol` as an sf-string or token (lowercased,
 * so draft -00's `PREP` reads as `prep`), `status` as an integer, `expires` as integer
 * seconds, an HTTP-date string (express-prep, NSS) or an sf-date, `vary` as a string,
 * token or inner list. With the response `Date` (`responseDate`), `expires` and
 * `expiresAt` are both filled. Returns `undefined` when the field is absent, not a
 * Dictionary, or lacks a readable `protocol` or `status` (HDR-3): a response whose
 * `Events` we do not understand is not processed (HDR-6). An `expires` that is neither
 * form is left out.
 *
 * @example
 * ```ts
 * import { parseEventsField } from './index.js';
 * parseEventsField(
 *   'protocol="prep", status=200, expires="Thu, 07 Nov 2024 15:13:48 GMT"',
 *   'Thu, 07 Nov 2024 14:13:48 GMT',
 * );
 * // { protocol: 'prep', status: 200, expires: 3600, expiresAt: 2024-11-07T15:13:48.000Z }
 * parseEventsField('protocol=PREP, status=412'); // { protocol: 'prep', status: 412 }
 * ```
 */
export function parseEventsField(
  value: string | readonly string[] | null | undefined,
  responseDate?: Date | string | null,
): EventsField | undefined {
  return readEventsField(value, responseDate)?.events;
}

/**
 * What {@link parseEventsField} builds on: `undefined` when the value is absent or not a
 * Dictionary; else the protocol if readable and the whole field if complete. Lets
 * `checkEventsResponse` tell an unknown protocol from an unparsable field. Internal.
 */
export function readEventsField(
  value: string | readonly string[] | null | undefined,
  responseDate?: Date | string | null,
): { protocol?: string; events?: EventsField } | undefined {
  const input = fieldValue(value);
  if (input === undefined) return undefined;
  let dict: Dictionary;
  try {
    dict = parseDictionary(input, { extended: true });
  } catch (e) {
    if (e instanceof ParseError) return undefined;
    throw e;
  }

  const protocolMember = dict.get('protocol');
  const protocol =
    protocolMember && !Array.isArray(protocolMember[0])
      ? textOf(protocolMember[0])?.toLowerCase()
      : undefined;
  if (protocol === undefined) return {};
  const statusMember = dict.get('status')?.[0];
  // HDR-3: status is an integer; a 3-digit one, to mean an HTTP status (ERR-4).
  if (!Number.isInteger(statusMember) || (statusMember as number) < 100) return { protocol };
  const status = statusMember as number;
  if (status > 999) return { protocol };

  const events: EventsField = { protocol, status };
  const date = toDate(responseDate);

  const expiresMember = dict.get('expires')?.[0];
  if (expiresMember !== undefined && !Array.isArray(expiresMember)) {
    if (typeof expiresMember === 'number') {
      if (expiresMember >= 0) events.expires = expiresMember;
    } else if (expiresMember instanceof Date) {
      events.expiresAt = expiresMember; // Retrofit maps Expires to an sf-date (digest §2.2)
    } else {
      const text = textOf(expiresMember)?.trim();
      if (text !== undefined && /^\d+$/.test(text)) events.expires = Number(text);
      else if (text !== undefined) {
        // What express-prep, NSS and Solid-PREP send: `expires="<HTTP-date>"`.
        const at = parseHttpDate(text);
        if (at !== undefined) events.expiresAt = at;
      }
    }
  }
  if (date !== undefined) {
    if (events.expires !== undefined && events.expiresAt === undefined) {
      // An expires past the last instant a Date can hold would make an Invalid Date: leave it out.
      const at = new Date(date.getTime() + events.expires * 1000);
      if (!Number.isNaN(at.getTime())) events.expiresAt = at;
    } else if (events.expiresAt !== undefined && events.expires === undefined) {
      events.expires = Math.max(
        0,
        Math.round((events.expiresAt.getTime() - date.getTime()) / 1000),
      );
    }
  }

  const vary = readVary(dict.get('vary'));
  if (vary !== undefined) events.vary = vary;

  const extra = new Map<string, Member>();
  for (const [key, member] of dict) if (!KNOWN.has(key)) extra.set(key, member);
  if (extra.size > 0) events.extra = extra;
  return { protocol, events };
}

/** `vary` as field names, lowercased: from a string (also `"accept, last-event-id"`), a token or an inner list. */
function readVary(member: Member | undefined): string[] | undefined {
  if (member === undefined) return undefined;
  const texts = Array.isArray(member[0])
    ? member[0].map(([bare]) => textOf(bare))
    : [textOf(member[0])];
  const names = texts
    .flatMap((text) => (text === undefined ? [] : text.split(',')))
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  return names.length > 0 ? names : undefined;
}

function toDate(value: Date | string | null | undefined): Date | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  return parseHttpDate(value);
}
