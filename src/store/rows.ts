import type { EventMethod, Resource, ResourceMeta, StoredEvent } from './types.js';

/** A `resources` row as the SQL stores (SQLite, PostgreSQL) read it. */
export interface ResourceRow {
  path: string;
  content_type: string;
  body: Uint8Array;
  etag: string;
  last_modified: number;
}

/** An `events` row as the SQL stores read it. */
export interface EventRow {
  seq: number;
  time: number;
  origin: string | null;
  method: string;
  status: number;
  path: string;
  parent: string | null;
  etag: string | null;
  parent_etag: string | null;
  content_type: string | null;
  body: Uint8Array | null;
}

/** A zero-copy view: drivers give each BLOB/bytea its own Buffer; callers get a plain Uint8Array. */
export function bytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A row of `resources` as a {@link Resource}. */
export function toResource(r: ResourceRow): Resource {
  return {
    path: r.path,
    contentType: r.content_type,
    body: bytes(r.body),
    etag: r.etag,
    lastModified: r.last_modified,
  };
}

/** A row of `resources` read without its body, as a {@link ResourceMeta}. */
export function toMeta(r: Omit<ResourceRow, 'body'>): ResourceMeta {
  return {
    path: r.path,
    contentType: r.content_type,
    etag: r.etag,
    lastModified: r.last_modified,
  };
}

/** A row of `events` as a {@link StoredEvent}. */
export function toEvent(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    time: r.time,
    origin: r.origin,
    method: r.method as EventMethod,
    status: r.status,
    path: r.path,
    parent: r.parent,
    etag: r.etag,
    parentEtag: r.parent_etag,
    contentType: r.content_type,
    body: r.body && bytes(r.body),
  };
}
