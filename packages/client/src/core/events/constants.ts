/**
 * The protocol identifier PREP puts on the wire: the lowercase sf-string `"prep"` since
 * draft -01 (HDR-1, HDR-3). Draft -00 and the IANA table spell it `PREP`; parsers here
 * lowercase whatever they read, so compare against this constant.
 *
 * @example
 * ```ts
 * import { PREP, parseAcceptEvents } from './index.js';
 * parseAcceptEvents('PREP')?.[0]?.protocol === PREP; // true
 * ```
 */
export const PREP = 'prep';

/**
 * The default notification media type (N822-1): what a `multipart/digest` part is without
 * a `Content-Type`, and what the server sends when the client names no `accept` (HDR-7).
 *
 * @example
 * ```ts
 * import { DEFAULT_NOTIFICATION_TYPE, negotiateNotifications } from './index.js';
 * negotiateNotifications(undefined, [{ type: DEFAULT_NOTIFICATION_TYPE }])?.type; // 'message/rfc822'
 * ```
 */
export const DEFAULT_NOTIFICATION_TYPE = 'message/rfc822';
