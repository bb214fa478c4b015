/**
 * The protocol core: pure code, no I/O, runs in Node and browsers.
 *
 * @example
 * ```ts
 * import { parseAcceptEvents, selectProtocol } from '@prep-live/client/core';
 *
 * const entries = parseAcceptEvents('"prep";accept=("message/rfc822";delta="application/json-patch+json")');
 * selectProtocol(entries ?? [], ['prep'])?.fields.get('accept');
 * ```
 */
export * from './sfv/index.js';
export * from './events/index.js';
export * from './multipart/index.js';
export * from './delta/index.js';
export {
  parseNotification,
  readNotification,
  serializeNotification,
  type Notification,
  type ReceivedNotification,
} from './notification.js';
export { formatHttpDate, parseHttpDate } from './http-date.js';
export {
  MediaTypeError,
  formatMediaType,
  parseMediaType,
  type MediaType,
  type MediaTypeParameters,
} from './media-type.js';
export { PrepError, isPrepError, type PrepErrorOptions } from './errors.js';
