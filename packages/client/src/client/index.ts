/**
 * The PREP client, for browsers and Node (fetch and web streams only): `subscribe()` to a
 * resource's notifications, `live()` to keep a local copy of a resource (JSON, text or bytes) up to date,
 * and the pieces they are made of.
 *
 * @example
 * ```ts
 * import { live, subscribe } from '@prep-live/client';
 *
 * for await (const item of subscribe('https://example.org/doc')) console.log(item.kind);
 *
 * const doc = live<{ title: string }>('https://example.org/doc');
 * doc.onChange(({ value }) => console.log(value?.title));
 * ```
 */
export { subscribe, Subscription, type FetchFunction, type SubscribeOptions } from './subscribe.js';
export {
  live,
  LiveResource,
  LiveChangeEvent,
  LiveEndEvent,
  LiveErrorEvent,
  LiveReconnectEvent,
  LiveStreamEvent,
  type LiveChange,
  type LiveDeltaType,
  type LiveEndReason,
  type LiveFormat,
  type LiveOptions,
} from './live.js';
export {
  checkPrepResponse,
  readPrepResponse,
  type PrepResponseHead,
  type ReadPrepResponseOptions,
} from './read-response.js';
export { serializePrepAccept, type PrepAcceptOptions } from './accept-events.js';
export {
  fetchMemberPage,
  listMembers,
  memberPageUrl,
  parseMemberPage,
  type ContainerMember,
  type MemberPage,
  type MemberPageOptions,
} from './members.js';
export { type ReconnectOptions } from './backoff.js';
export {
  PrepSubscribeError,
  type PrepSubscribeErrorCode,
  type PrepSubscribeErrorOptions,
} from './errors.js';
export type {
  EndItem,
  NotificationItem,
  PartItem,
  ReconnectItem,
  ReconnectReason,
  RepresentationItem,
  ResponseItem,
  SubscriptionItem,
} from './items.js';
export * from './wes/index.js';
