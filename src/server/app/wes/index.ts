/** The Web Event Sourcing publisher: snapshots and the paged change feed of each container. */
export { createWesPublisher, type WesPublisher, type WesPublisherOptions } from './publisher.js';
export {
  REL_WES_FEED,
  REL_WES_SNAPSHOT,
  WES_PREFIX,
  archivePath,
  changePath,
  feedPath,
  parseWesPath,
  snapshotIndexPath,
  snapshotPartPath,
  snapshotPath,
  wesLinks,
  type WesRoute,
} from './urls.js';
export { FeedIndex } from './feed-index.js';
export { SnapshotStore, type Snapshot, type SnapshotStoreOptions } from './snapshots.js';
export { encodeDeterministic, entryPart, readEntries, type EntryNaming } from './feed-page.js';
