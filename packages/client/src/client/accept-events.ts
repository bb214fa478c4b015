/**
 * The `Accept-Events` a client sends to ask for PREP (REQ-1): the `prep` protocol with the
 * notification formats it reads in `accept`, and the delta format as the `delta` parameter
 * of `message/rfc822` (N822-1, N822-8), written through the HDR-2 extension when needed.
 */
import { serializeAcceptEvents } from '../core/events/index.js';
import { DEFAULT_NOTIFICATION_TYPE } from '../core/events/index.js';
import { parseMediaType } from '../core/media-type.js';
import type { Item, ParameterValue, Parameters } from '../core/sfv/index.js';

/**
 * What {@link serializePrepAccept} takes.
 *
 * @example
 * ```ts
 * import type { PrepAcceptOptions } from '@prep-live/client';
 *
 * const ask: PrepAcceptOptions = { accept: ['message/rfc822'], delta: 'application/merge-patch+json' };
 * ```
 */
export interface PrepAcceptOptions {
  /** Notification media types, most preferred first. Default `message/rfc822`. */
  accept?: string | readonly string[];
  /** The delta media type asked for, as `delta` on each `message/rfc822`. */
  delta?: string;
}

/**
 * Writes the `Accept-Events` value of a notifications request (REQ-1): a single type
 * without parameters as a plain string, anything else as an HDR-2 list. Parameters given
 * in a type (`text/turtle;q=0.5`) become item parameters.
 *
 * @example
 * ```ts
 * import { serializePrepAccept } from '@prep-live/client';
 *
 * serializePrepAccept({}); // '"prep";accept="message/rfc822"'
 * serializePrepAccept({ delta: 'application/json-patch+json' });
 * // '"prep";accept=("message/rfc822";delta="application/json-patch+json")'
 * serializePrepAccept({ accept: ['message/rfc822', 'application/ld+json'] });
 * // '"prep";accept=("message/rfc822" "application/ld+json")'
 * ```
 */
export function serializePrepAccept(options: PrepAcceptOptions = {}): string {
  const types =
    options.accept === undefined
      ? [DEFAULT_NOTIFICATION_TYPE]
      : typeof options.accept === 'string'
        ? [options.accept]
        : [...options.accept];
  if (types.length === 0) types.push(DEFAULT_NOTIFICATION_TYPE);
  const items: Item[] = types.map((type) => {
    const media = parseMediaType(type);
    const params: Parameters = new Map<string, ParameterValue>();
    for (const [name, value] of media.parameters) {
      // A weight is a decimal (RFC 9110 §12.4.2); keep it one.
      const q = name === 'q' ? Number(value) : NaN;
      params.set(name, Number.isFinite(q) ? q : value);
    }
    if (options.delta !== undefined && media.essence === DEFAULT_NOTIFICATION_TYPE)
      params.set('delta', options.delta);
    return [media.essence, params];
  });
  const only = items.length === 1 ? items[0]! : undefined;
  const accept: ParameterValue = only && only[1].size === 0 ? only[0] : items;
  return serializeAcceptEvents([{ protocol: 'prep', fields: new Map([['accept', accept]]) }]);
}
