/**
 * HTTP dates (RFC 9110 §5.6.7). We send only IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`);
 * we accept it, the two obsolete forms (RFC 850 and asctime) and the looser spellings seen
 * in the wild and in the PREP draft's own examples (`Sat, 1 April 2023 10:11:12 GMT`).
 */

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
] as const;
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

// One entry is enough: a server stamps every notification of a second with the same value,
// and the cache makes that a comparison instead of a Date allocation and a string build.
let cachedSecond = Number.NaN;
let cachedValue = '';

/**
 * Formats a date as an IMF-fixdate (RFC 9110 §5.6.7), the only form a sender may generate.
 * Milliseconds are dropped. Cheap to call once per notification: the last result is cached
 * per second. Throws a `RangeError` for an invalid date or a year outside 0–9999, which the
 * format's four-digit year cannot hold.
 *
 * @example
 * ```ts
 * import { formatHttpDate } from './http-date.js';
 *
 * formatHttpDate(new Date(Date.UTC(2023, 3, 1, 10, 11, 12))); // 'Sat, 01 Apr 2023 10:11:12 GMT'
 * formatHttpDate(0); // 'Thu, 01 Jan 1970 00:00:00 GMT'
 * ```
 */
export function formatHttpDate(date: Date | number): string {
  const ms = typeof date === 'number' ? date : date.getTime();
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedValue;
  if (!Number.isFinite(second)) throw new RangeError('formatHttpDate: invalid date');
  const d = new Date(second * 1000);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) {
    throw new RangeError(`formatHttpDate: year ${year} does not fit IMF-fixdate's four digits`);
  }
  // ECMA-262 defines toUTCString() as exactly `Www, DD Mmm YYYY HH:mm:ss GMT` (year padded to
  // four digits), which is IMF-fixdate for the years allowed above.
  cachedValue = d.toUTCString();
  cachedSecond = second;
  return cachedValue;
}

// IMF-fixdate, RFC 850 and their loose variants: optional weekday, day, month name, 2–4
// digit year (space or dash separated), time with optional seconds, optional zone.
const DMY =
  /^(?:([a-z]{3,})\s*,?\s+)?(\d{1,2})(?:\s+|\s*-\s*)([a-z]{3,})\.?(?:\s+|\s*-\s*)(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*(gmt|utc|ut|z|[+-]\d{4}))?$/i;
// asctime: `Sun Nov  6 08:49:37 1994`, zone-less by definition (UTC).
const ASCTIME =
  /^(?:([a-z]{3,})\s*,?\s+)?([a-z]{3,})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})(?:\s+(gmt|utc))?$/i;

/**
 * Parses an HTTP date liberally (RFC 9110 §5.6.7: recipients accept all three formats):
 * IMF-fixdate, RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`), asctime
 * (`Sun Nov  6 08:49:37 1994`), and loose variants: any letter case, one-digit days, full
 * month names, a missing weekday or zone, a numeric zone. A weekday that disagrees with the
 * date is ignored. Returns `undefined` when the value is not a date.
 *
 * @example
 * ```ts
 * import { parseHttpDate } from './http-date.js';
 *
 * parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')?.toISOString(); // '1994-11-06T08:49:37.000Z'
 * parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')?.toISOString(); // '1994-11-06T08:49:37.000Z'
 * parseHttpDate('Sun Nov  6 08:49:37 1994')?.toISOString(); // '1994-11-06T08:49:37.000Z'
 * parseHttpDate('yesterday'); // undefined
 * ```
 */
export function parseHttpDate(value: string): Date | undefined {
  const s = value.trim();
  if (s.length > 64) return undefined; // no date is this long; do not run regexes on junk
  let m = DMY.exec(s);
  if (m) {
    const [, weekday, day, month, year, hour, minute, second, zone] = m;
    return build(weekday, year!, month!, day!, hour!, minute!, second, zone);
  }
  m = ASCTIME.exec(s);
  if (m) {
    const [, weekday, month, day, hour, minute, second, year] = m;
    return build(weekday, year!, month!, day!, hour!, minute!, second, undefined);
  }
  return undefined;
}

function build(
  weekday: string | undefined,
  yearText: string,
  monthText: string,
  dayText: string,
  hourText: string,
  minuteText: string,
  secondText: string | undefined,
  zone: string | undefined,
): Date | undefined {
  if (weekday !== undefined && !isPrefixOf(weekday, DAYS)) return undefined;
  const month = indexOfPrefix(monthText, MONTHS);
  if (month < 0) return undefined;
  let year = Number(yearText);
  if (yearText.length === 2) year = twoDigitYear(year);
  else if (yearText.length === 3) year += 1900; // RFC 5322 §4.3 obs-year
  const day = Number(dayText);
  const hour = Number(hourText);
  const minute = Number(minuteText);
  // RFC 9110 allows second 60 (a leap second); JavaScript time has none, so keep the minute.
  const second = Math.min(secondText === undefined ? 0 : Number(secondText), 59);
  if (day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59) return undefined;
  let offsetMinutes = 0;
  if (zone !== undefined && (zone[0] === '+' || zone[0] === '-')) {
    const hh = Number(zone.slice(1, 3));
    const mm = Number(zone.slice(3, 5));
    if (hh > 23 || mm > 59) return undefined;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (hh * 60 + mm);
  }
  const date = new Date(Date.UTC(year, month, day, hour, minute, second));
  // Date.UTC maps years 0–99 to 1900–1999; put the real year back.
  if (year < 100) date.setUTCFullYear(year);
  if (offsetMinutes !== 0) date.setTime(date.getTime() - offsetMinutes * 60_000);
  return date;
}

/**
 * RFC 9110 §5.6.7: a two-digit year more than 50 years in the future means the most recent
 * past year with the same last two digits.
 */
function twoDigitYear(yy: number): number {
  const now = new Date().getUTCFullYear();
  let year = now - (now % 100) + yy;
  if (year > now + 50) year -= 100;
  return year;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 1) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]!;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return leap ? 29 : 28;
}

function indexOfPrefix(word: string, names: readonly string[]): number {
  const w = word.toLowerCase();
  return names.findIndex((n) => n.startsWith(w));
}

function isPrefixOf(word: string, names: readonly string[]): boolean {
  return indexOfPrefix(word, names) >= 0;
}
