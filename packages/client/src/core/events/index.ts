/**
 * The `Accept-Events` and `Events` models of PREP (HDR-1…HDR-7) and the negotiation built
 * on them: which protocol (REQ-4), which notification format (REQ-1, REQ-3, HDR-7), how a
 * resource advertises PREP (DSC-1) and how a client checks a response (HDR-5, HDR-6).
 */
export { PREP, DEFAULT_NOTIFICATION_TYPE } from './constants.js';
export { parseAcceptEvents, serializeAcceptEvents } from './accept-events.js';
export type { AcceptEventsEntry, AcceptEventsEntryInit } from './accept-events.js';
export { selectProtocol } from './select-protocol.js';
export { readNotificationAccept, parseAcceptValue } from './media-range.js';
export type { MediaRange } from './media-range.js';
export { negotiateNotifications } from './negotiate.js';
export type { NotificationOffer, NotificationChoice } from './negotiate.js';
export { parseEventsField, serializeEventsField } from './events-field.js';
export type { EventsField, SerializeEventsFieldOptions } from './events-field.js';
export { readPrepAdvertisement, serializePrepAdvertisement } from './advertisement.js';
export type { AdvertisedFormat } from './advertisement.js';
export { checkEventsResponse } from './check-response.js';
export type { EventsResponseCheck, EventsResponseInput } from './check-response.js';
