/** How the page writes values, times and deltas. */

/**
 * A JSON value as the page shows and edits it: two-space indentation.
 *
 * @example
 * ```ts
 * import { formatJson } from './format.js';
 *
 * formatJson({ a: 1 }); // '{\n  "a": 1\n}'
 * ```
 */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? '';
}

/**
 * A time of day, `14:03:27`, in the reader's time zone.
 *
 * @example
 * ```ts
 * import { formatTime } from './format.js';
 *
 * formatTime(new Date()); // '14:03:27'
 * ```
 */
export function formatTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * When something last changed: its time of day if that was today (in the reader's time
 * zone), else its date and time, `2026-12-07 14:03`.
 *
 * @example
 * ```ts
 * import { formatWhen } from './format.js';
 *
 * formatWhen(new Date(2026, 11, 7, 14, 3, 27), new Date(2026, 11, 7, 18, 0)); // '14:03:27'
 * formatWhen(new Date(2026, 11, 6, 14, 3, 27), new Date(2026, 11, 7, 18, 0)); // '2026-12-06 14:03'
 * ```
 */
export function formatWhen(date: Date, now = new Date()): string {
  if (date.toDateString() === now.toDateString()) return formatTime(date);
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  return `${day} ${two(date.getHours())}:${two(date.getMinutes())}`;
}

/**
 * A delta's body for the notification list: compact JSON when it is JSON, else its text.
 *
 * @example
 * ```ts
 * import { formatDelta } from './format.js';
 *
 * formatDelta(new TextEncoder().encode('[{"op":"remove","path":"/a"}]')); // '[{"op":"remove","path":"/a"}]'
 * ```
 */
export function formatDelta(body: Uint8Array): string {
  const text = new TextDecoder().decode(body);
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

/**
 * Parses what a person typed as JSON, or says where it is wrong.
 *
 * @example
 * ```ts
 * import { parseJsonInput } from './format.js';
 *
 * parseJsonInput('{"a":1}'); // { ok: true, value: { a: 1 } }
 * parseJsonInput('{a:1}'); // { ok: false, message: 'Not valid JSON: …' }
 * ```
 */
export function parseJsonInput(
  text: string,
): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `Not valid JSON: ${(e as Error).message}` };
  }
}

/**
 * A size in bytes for people: `512 bytes`, `1.5 KiB`, `3.2 MiB`.
 *
 * @example
 * ```ts
 * import { formatSize } from './format.js';
 *
 * formatSize(1536); // '1.5 KiB'
 * ```
 */
export function formatSize(bytes: number): string {
  if (bytes === 1) return '1 byte';
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
