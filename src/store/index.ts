export { canListen } from './types.js';
export type {
  Change,
  CommitListener,
  ListenableStore,
  DeleteChange,
  EventMethod,
  EventQuery,
  MemberQuery,
  PruneOptions,
  PutChange,
  RecordChange,
  Resource,
  ResourceMeta,
  Store,
  StoredEvent,
  WriteRequest,
  WriteResult,
} from './types.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export {
  ROOT,
  ancestorsOf,
  assertValidPath,
  comparePaths,
  isContainerPath,
  parentOf,
  twinOf,
} from './paths.js';
export { containerEtag, resourceEtag } from './etag.js';
export {
  CONTAINER_TYPE,
  pathsToRead,
  planWrite,
  type PlanReader,
  type PlannedRow,
  type WritePlan,
} from './plan-write.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
