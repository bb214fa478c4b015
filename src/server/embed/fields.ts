/**
 * Which header fields of an app's base response go where in a notifications response
 * (RSP-1, RSP-4), and the `Vary` bookkeeping of discovery (DSC-1): shared by every adapter,
 * node's and the fetch handler.
 */

/** Part 1 holds these (RSP-4); the rest of what the app set stays on the response. */
export const REPRESENTATION = new Set([
  'content-type',
  'etag',
  'last-modified',
  'content-language',
  'content-encoding',
  'content-location',
]);

/** Fields a stream's head takes from the engine, or that framing owns: not copied from the app. */
export const ENGINE_OWNED = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'date',
  'events',
  'accept-events',
  'cache-control',
  'x-accel-buffering',
  'incremental',
  'last-modified',
  'etag',
]);

/** Base statuses whose responses advertise notifications (DSC-1): those that could stream (ERR-2). */
export const ADVERTISED = new Set([200, 204, 206, 226]);

/** Header fields given as a record or as pairs, as pairs. */
export function entries(
  headers: Readonly<Record<string, string>> | ReadonlyArray<readonly [string, string]> | undefined,
): Array<[string, string]> {
  if (headers === undefined) return [];
  if (Array.isArray(headers))
    return (headers as ReadonlyArray<readonly [string, string]>).map(([n, v]) => [n, v]);
  return Object.entries(headers as Record<string, string>);
}

/**
 * A response an app sent (lower-case names, one pair per value), split for `serve`: the
 * representation fields (part 1), and the others but its framing (the stream's head).
 */
export function splitSent(fields: ReadonlyArray<readonly [string, string]>): {
  representation: Array<[string, string]>;
  other: Array<[string, string]>;
} {
  const representation: Array<[string, string]> = [];
  const other: Array<[string, string]> = [];
  for (const [name, value] of fields) {
    if (REPRESENTATION.has(name)) representation.push([fieldName(name), value]);
    else if (name !== 'content-length' && name !== 'transfer-encoding')
      other.push([fieldName(name), value]);
  }
  return { representation, other };
}

const SPELLING: Record<string, string> = { etag: 'ETag', 'www-authenticate': 'WWW-Authenticate' };

/** A field name as usually written (`content-type` → `Content-Type`), for lower-cased ones. */
export function fieldName(lower: string): string {
  return (
    SPELLING[lower] ??
    lower.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
  );
}

/**
 * A `Vary` value with `member` added, or undefined when it is there already (or `*` is).
 * `current` is the value as set (several values joined with commas).
 */
export function varyWith(current: string | undefined, member: string): string | undefined {
  const list = (current ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (list.some((m) => m === '*' || m.toLowerCase() === member.toLowerCase())) return undefined;
  list.push(member);
  return list.join(', ');
}
