/**
 * `prep-live/store`: the stores (memory, SQLite, PostgreSQL) and the `Store` contract a store
 * of your own meets. The write planner and etag helpers are internals. The report of
 * this surface is api/prep-live-store.api.md (`node scripts/api-report.mjs`).
 */
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
// The path rules of the contract: a container's path ends with `/`; what a valid path is.
export { assertValidPath, isContainerPath } from './paths.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
