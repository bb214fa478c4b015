import type { ApplyDeltaLimits } from '@prep-live/client/core';
import type { Store } from '../../store/index.js';
import type { AccessPolicy } from '../auth/access.js';
import type { PrepEngine } from '../engine/engine.js';
import type { EventPath } from '../log/event-path.js';
import type { ListingBounds } from './listing.js';
import type { StoreHistory } from '../log/store-history.js';
import type { RequestGuard } from './request-guard.js';
import type { StreamConnections } from './stream-connections.js';
import type { WesPublisher } from './wes/index.js';

/** What every handler of the resource server works with (built by `createResourceServer`). */
export interface ResourceContext {
  store: Store;
  /** Negotiation, streams, fan-out, limits. */
  engine: PrepEngine;
  /** Event-IDs and replays from the store's log. */
  history: StoreHistory;
  /** Where a committed write goes to be announced (N822-3, commit order, other processes). */
  events: EventPath;
  access: AccessPolicy | undefined;
  /** The WES publisher, unless turned off: containers link to their feeds. */
  wes: WesPublisher | undefined;
  /** The request body limit in bytes. */
  maxBodyBytes: number;
  /** The largest representation a write may leave, in bytes (`maxResourceBytes`). */
  maxResourceBytes: number;
  /** The bounds of one JSON Patch's work (`maxPatchOperations`, `maxPatchTouchedBytes`). */
  patchLimits: ApplyDeltaLimits;
  /** Rights and the write rate: writes are charged per event they append. */
  guard: RequestGuard;
  /** The most segments a resource path may have (`checkPathDepth`). */
  maxPathDepth: number;
  /** The CORS fields of every answer (empty when CORS is off). */
  cors: ReadonlyArray<[string, string]>;
  /** What every stored representation is sent with (`contentSecurityHeaders`). */
  contentHeaders: ReadonlyArray<[string, string]>;
  /** HTTP/1.1 connections that carry a stream: what is pipelined behind one is refused. */
  connections: StreamConnections;
  /** A stream's extra head fields: CORS and the content fields, built once. */
  streamHeaders: ReadonlyArray<[string, string]>;
  /** Page sizes of paged container listings. */
  listing: ListingBounds;
  /** The `Vary` of every GET and HEAD answer of `path`, whichever variant it is. */
  vary(path: string): string;
}
