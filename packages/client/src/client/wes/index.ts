/** The Web Event Sourcing consumer: browser-safe (fetch only), storage pluggable. */
export {
  Replicator,
  MemoryReplicaStorage,
  createReplicator,
  type EntityState,
  type ReplicaLiveOptions,
  type ReplicaProgress,
  type ReplicaState,
  type ReplicaStats,
  type ReplicaStorage,
  type ReplicatorOptions,
} from './replica.js';
export {
  fetchFeedPage,
  readFeedPage,
  type EntryMethod,
  type FeedEntry,
  type FeedPage,
  type FetchFeedOptions,
} from './feed.js';
export {
  fetchSnapshotIndex,
  readSnapshotPart,
  type FetchSnapshotOptions,
  type SnapshotEntity,
  type SnapshotIndex,
} from './snapshot.js';
export { watchContainer, type ContainerEvent, type WatchOptions } from './live.js';
export { type WesErrorCode } from './errors.js';
