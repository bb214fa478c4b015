/**
 * The key of a shared resource: its absolute URL and the options that change what the
 * stream carries. Two hooks with equal keys share one stream.
 */
import type { LiveOptions } from '@prep-live/client';

/**
 * The options of a live resource that change what its stream carries; hooks that differ in
 * any of them get streams of their own. (`fetch` belongs to the {@link ResourceStore}: a
 * function has no value to compare.)
 *
 * @example
 * ```ts
 * import type { ResourceOptions } from '@prep-live/react';
 *
 * const options: ResourceOptions = { delta: 'application/merge-patch+json', whenDeleted: 'watch' };
 * ```
 */
export type ResourceOptions = Pick<
  LiveOptions,
  'delta' | 'whenDeleted' | 'headers' | 'reconnect' | 'maxHeaderBytes'
>;

/**
 * The key: equal for equal requests however they are spelled (a relative or an absolute URL,
 * header names in any case, options in any order, the defaults of `delta` and `whenDeleted`
 * given or left out).
 */
export function resourceKey(
  url: string | URL,
  options: ResourceOptions,
  base: string | undefined,
): string {
  let href: string;
  try {
    href = new URL(url, base).href;
  } catch {
    href = String(url);
  }
  const reconnect = options.reconnect;
  return JSON.stringify([
    href,
    options.delta ?? 'application/json-patch+json',
    options.whenDeleted ?? 'end',
    // Headers iterate with lower-case names, sorted, repeated fields combined.
    options.headers === undefined ? [] : [...new Headers(options.headers)],
    reconnect === false
      ? false
      : Object.entries(reconnect ?? {})
          .filter(([, value]) => value !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : 1)),
    options.maxHeaderBytes ?? null,
  ]);
}
