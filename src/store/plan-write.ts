import { containerEtag, resourceEtag } from './etag.js';
import { StoreError } from './errors.js';
import { ROOT, ancestorsOf, assertValidPath, isContainerPath, parentOf, twinOf } from './paths.js';
import type { Change, RecordChange, Resource, StoredEvent, WriteResult } from './types.js';

/**
 * The media type every container has. The server renders a container's representation from
 * `members()`; the store keeps no body for it.
 *
 * @example
 * ```ts
 * (await store.get('/'))?.contentType === CONTAINER_TYPE; // true
 * ```
 */
export const CONTAINER_TYPE = 'application/json';

const EMPTY = new Uint8Array(0);

/**
 * What `planWrite` reads, at the transaction's snapshot. Synchronous so that SQLite and memory
 * stores call straight into their data; an asynchronous backend (PostgreSQL) fetches
 * `pathsToRead(change)` and the target's member count first and answers from those.
 *
 * @example
 * ```ts
 * const rows = new Map<string, Resource>();
 * const children = new Map<string, Set<string>>();
 * const reader: PlanReader = { get: (p) => rows.get(p), hasMembers: (p) => (children.get(p)?.size ?? 0) > 0 };
 * ```
 */
export interface PlanReader {
  get(path: string): Resource | undefined;
  hasMembers(containerPath: string): boolean;
}

/**
 * A row to insert or replace: a resource and its parent (the column `members()` reads).
 *
 * @example
 * ```ts
 * declare const resource: Resource; // /notes/a
 * const row: PlannedRow = { ...resource, parent: '/notes/' };
 * ```
 */
export interface PlannedRow extends Resource {
  parent: string | null;
}

/**
 * Everything one write does, worked out before anything is touched, so a store either applies
 * all of it in its transaction or, when planning throws, nothing. Rows are applied in order
 * (`upserts` then `deletes`), events appended in order.
 *
 * @example
 * ```ts
 * declare const change: Change;
 * declare const reader: PlanReader;
 * declare function upsert(row: PlannedRow): void;
 * const plan = planWrite({ change, reader, lastSeq: 41, time: Date.now(), storeId: 'abc', origin: null });
 * for (const row of plan.upserts) upsert(row);
 * ```
 */
export interface WritePlan {
  upserts: PlannedRow[];
  deletes: string[];
  events: StoredEvent[];
  before?: Resource;
  after?: Resource;
}

/**
 * The paths `planWrite` may read for `change`: its path, the other spelling of that name, and
 * every ancestor container with its other spelling.
 *
 * @example
 * ```ts
 * pathsToRead({ path: '/a/b' });
 * // ['/a/b', '/a/b/', '/', '/a/', '/a']
 * ```
 */
export function pathsToRead(change: Pick<Change, 'path'>): string[] {
  const out = [change.path];
  const twin = twinOf(change.path);
  if (twin !== null) out.push(twin);
  for (const a of ancestorsOf(change.path)) {
    out.push(a);
    const t = twinOf(a);
    if (t !== null) out.push(t);
  }
  return out;
}

/**
 * What a caller of `write()` gets for `plan`: its events, and the rows before and after.
 *
 * @example
 * ```ts
 * const result = resultOf(planWrite({ change, reader, lastSeq, time, storeId, origin: null }));
 * ```
 */
export function resultOf(plan: WritePlan): WriteResult {
  const result: WriteResult = { events: plan.events };
  if (plan.before) result.before = plan.before;
  if (plan.after) result.after = plan.after;
  return result;
}

/**
 * Checks `change` against the current state and works out the rows and events of the write:
 * the missing parent containers (each announced as PUT 201), the row written or deleted, the
 * parent's new ETag when its membership changed, and the change's own event. Pure: it reads
 * through `reader` and throws `StoreError` without side effects.
 *
 * @example
 * ```ts
 * declare const change: Change;
 * declare const reader: PlanReader;
 * const plan = planWrite({ change, reader, lastSeq: 0, time: Date.now(), storeId: 'abc', origin: null });
 * plan.events.map((e) => e.seq); // [1, 2] when one parent container had to be created
 * ```
 */
export function planWrite(input: {
  change: Change;
  reader: PlanReader;
  /** The newest seq assigned so far; the plan's events take the next ones. */
  lastSeq: number;
  /** The commit time (epoch ms). */
  time: number;
  storeId: string;
  /** The writing store instance (`Store.origin`), recorded with each event. */
  origin: string | null;
}): WritePlan {
  const { change, reader, time, storeId, origin } = input;
  let seq = input.lastSeq;
  validateChange(change);
  if (change.op === 'record') return planRecord(change, input.lastSeq + 1, time, origin);
  const path = change.path;
  const before = reader.get(path);
  const plan: WritePlan = { upserts: [], deletes: [], events: [] };
  if (before) plan.before = before;

  // Rows changed by this plan, so later steps see earlier ones (a parent created above is
  // bumped again when its member is added).
  const staged = new Map<string, PlannedRow | null>();
  const read = (p: string): Resource | undefined => {
    const s = staged.get(p);
    return s === null ? undefined : (s ?? reader.get(p));
  };
  const stage = (row: PlannedRow): void => {
    staged.set(row.path, row);
  };
  // A member was added to or removed from `parentPath` at event `at`: the container's
  // representation changed, so it gets a new ETag and Last-Modified.
  const bump = (parentPath: string, at: number): string => {
    const p = read(parentPath);
    if (!p) throw new Error(`store invariant broken: ${parentPath} missing`);
    const etag = containerEtag(storeId, at);
    stage({ ...p, etag, lastModified: time, parent: parentOf(parentPath) });
    return etag;
  };

  if (change.op === 'delete') {
    if (path === ROOT) {
      throw new StoreError('STORE_INVALID', 'The root container cannot be deleted', {
        status: 405,
      });
    }
    if (!before) throw new StoreError('STORE_NOT_FOUND', `${path} does not exist`, { status: 404 });
    if (isContainerPath(path) && reader.hasMembers(path)) {
      throw new StoreError('STORE_NOT_EMPTY', `${path} is a container with members`, {
        status: 409,
      });
    }
    const parent = parentOf(path);
    seq += 1;
    staged.set(path, null);
    const parentEtag = parent === null ? null : bump(parent, seq);
    plan.events.push({
      seq,
      origin,
      time,
      method: 'DELETE',
      status: change.event.status,
      path,
      parent,
      etag: null,
      parentEtag,
      contentType: null,
      body: null,
    });
  } else {
    if (before && change.createOnly) {
      throw new StoreError('STORE_EXISTS', `${path} already exists`, { status: 409 });
    }
    const conflict = (p: string): never => {
      throw new StoreError(
        'STORE_CONFLICT',
        `Cannot write ${path}: ${p} is a non-container resource`,
        { status: 409 },
      );
    };
    const twin = twinOf(path);
    if (twin !== null && read(twin)) {
      throw new StoreError('STORE_CONFLICT', `Cannot write ${path}: ${twin} exists`, {
        status: 409,
      });
    }
    // Create missing ancestors top-down, each with its own event, so that nothing changes
    // unannounced and a replica replaying the log builds the same tree.
    for (const a of ancestorsOf(path)) {
      if (read(a)) continue;
      const t = twinOf(a);
      if (t !== null && read(t)) conflict(t);
      change.checkCreate?.(a);
      const parent = parentOf(a);
      seq += 1;
      const etag = containerEtag(storeId, seq);
      stage({
        path: a,
        parent,
        contentType: CONTAINER_TYPE,
        body: EMPTY,
        etag,
        lastModified: time,
      });
      const parentEtag = parent === null ? null : bump(parent, seq);
      plan.events.push({
        seq,
        origin,
        time,
        method: 'PUT',
        status: 201,
        path: a,
        parent,
        etag,
        parentEtag,
        contentType: CONTAINER_TYPE,
        body: EMPTY,
      });
    }

    const parent = parentOf(path);
    seq += 1;
    let after: Resource;
    if (isContainerPath(path)) {
      // A container's tag and Last-Modified follow its membership only: writing an existing
      // one changes nothing.
      after = before
        ? before
        : {
            path,
            contentType: CONTAINER_TYPE,
            body: EMPTY,
            etag: containerEtag(storeId, seq),
            lastModified: time,
          };
    } else {
      const etag = resourceEtag(change.contentType, change.body);
      // Identical content keeps its tag and its Last-Modified: the representation did not change.
      after =
        before && before.etag === etag
          ? before
          : {
              path,
              contentType: change.contentType,
              body: change.body,
              etag,
              lastModified: time,
            };
    }
    if (after !== before) stage({ ...after, parent });
    const parentEtag = !before && parent !== null ? bump(parent, seq) : null;
    const { method } = change.event;
    const eventBody =
      change.event.body ??
      (isContainerPath(path) ? EMPTY : method === 'PATCH' ? null : change.body);
    const eventType =
      change.event.bodyType ?? (isContainerPath(path) ? CONTAINER_TYPE : change.contentType);
    plan.events.push({
      seq,
      origin,
      time,
      method,
      status: change.event.status,
      path,
      parent,
      etag: after.etag,
      parentEtag,
      contentType: eventBody === null ? null : eventType,
      body: eventBody,
    });
    plan.after = after;
  }

  for (const [p, row] of staged) {
    if (row) plan.upserts.push(row);
    else plan.deletes.push(p);
  }
  return plan;
}

/** A record: one event, no row touched. */
function planRecord(
  change: RecordChange,
  seq: number,
  time: number,
  origin: string | null,
): WritePlan {
  const { body, bodyType } = change.event;
  return {
    upserts: [],
    deletes: [],
    events: [
      {
        seq,
        origin,
        time,
        method: change.event.method,
        status: change.event.status,
        path: change.path,
        parent: change.parent,
        etag: change.etag,
        parentEtag: change.parentEtag ?? null,
        contentType: body === undefined ? null : (bodyType as string),
        body: body ?? null,
      },
    ],
  };
}

/** A record's fields that end up in notification headers: printable, one line. */
const FIELD_VALUE = /^[\x20-\x7e\x80-\uffff]*$/;

/** Checks a record change (see `RecordChange`). */
function validateRecord(change: RecordChange, invalid: (why: string) => never): void {
  assertValidPath(change.path);
  if (change.parent !== null) {
    assertValidPath(change.parent);
    if (change.parent === change.path) invalid("a record's parent is not its own path");
  }
  for (const tag of [change.etag, change.parentEtag ?? null])
    if (tag !== null && (typeof tag !== 'string' || !FIELD_VALUE.test(tag)))
      invalid('an entity tag is a string of printable characters');
  const { method, status, body, bodyType } = change.event;
  if (!['PUT', 'PATCH', 'POST', 'DELETE'].includes(method))
    invalid(`a record is announced as PUT, PATCH, POST or DELETE, not ${String(method)}`);
  if (!Number.isInteger(status) || status < 100 || status > 599)
    invalid(`a status is an integer from 100 to 599, got ${String(status)}`);
  if (body !== undefined && !(body instanceof Uint8Array))
    invalid('event.body must be a Uint8Array');
  if ((body === undefined) !== (bodyType === undefined))
    invalid('event.body and event.bodyType go together');
  if (bodyType !== undefined && (typeof bodyType !== 'string' || !FIELD_VALUE.test(bodyType)))
    invalid('event.bodyType is a media type');
}

/**
 * Client-caused faults (a bad path, a body sent to a container) carry status 400; the rest are
 * mistakes of the calling code, which carry no status so that the server answers 500.
 */
function validateChange(change: Change): void {
  const invalid = (why: string, status?: number): never => {
    throw new StoreError(
      'STORE_INVALID',
      `Invalid change: ${why}`,
      status === undefined ? {} : { status },
    );
  };
  if (change === null || typeof change !== 'object') invalid('apply() returned no change');
  if (typeof (change as { then?: unknown }).then === 'function') {
    invalid('apply() must be synchronous; it returned a promise');
  }
  if (change.op === 'record') return validateRecord(change, invalid);
  assertValidPath(change.path);
  if (change.op === 'delete') {
    if (change.event.method !== 'DELETE') invalid('a delete is announced as DELETE');
    return;
  }
  if (change.op !== 'put') invalid(`unknown op ${String((change as { op: unknown }).op)}`);
  if (!(change.body instanceof Uint8Array)) invalid('body must be a Uint8Array');
  if (change.checkCreate !== undefined && typeof change.checkCreate !== 'function')
    invalid('checkCreate must be a function');
  if (isContainerPath(change.path) && change.body.byteLength > 0) {
    invalid(`${change.path} is a container: it is written with an empty body`, 400);
  }
  const { method, body, bodyType } = change.event;
  if (method !== 'PUT' && method !== 'PATCH' && method !== 'POST') {
    invalid(`a put is announced as PUT, PATCH or POST, not ${String(method)}`);
  }
  if (method === 'PATCH' && (body === undefined || bodyType === undefined)) {
    invalid('a PATCH event records the patch: give event.body and event.bodyType');
  }
  if (body !== undefined && !(body instanceof Uint8Array)) {
    invalid('event.body must be a Uint8Array');
  }
}
