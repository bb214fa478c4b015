import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import { containerEtag } from './etag.js';
import { StoreError } from './errors.js';
import {
  CONTAINER_TYPE,
  planWrite,
  resultOf,
  type PlanReader,
  type WritePlan,
} from './plan-write.js';
import { ROOT, assertValidPath } from './paths.js';
import { toEvent, toMeta, toResource, type EventRow, type ResourceRow } from './rows.js';
import { readMemberQuery } from './member-query.js';
import type {
  CommitListener,
  EventQuery,
  MemberQuery,
  ListenableStore,
  PruneOptions,
  Resource,
  ResourceMeta,
  StoredEvent,
  WriteRequest,
  WriteResult,
} from './types.js';

/**
 * Options of {@link SqliteStore}.
 *
 * @example
 * ```ts
 * const options: SqliteStoreOptions = { filename: 'data/prep.db', synchronous: 'NORMAL' };
 * ```
 */
export interface SqliteStoreOptions {
  /** The database file (its parent directories are created), or `:memory:`. */
  filename: string;
  /**
   * `NORMAL` (default): in WAL mode a commit survives a crash of the process, but a power loss
   * or OS crash may roll back the last transactions (the database stays consistent).
   * `FULL`: every commit is fsynced, surviving power loss too, at a cost in write throughput.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's write lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** The clock for event times and Last-Modified (epoch ms). Default `Date.now`. */
  now?: () => number;
  /**
   * How often `listen` checks whether another process committed (`PRAGMA data_version`, a
   * read of a counter in shared memory: microseconds). Default 10 ms.
   */
  changeCheckMs?: number;
}

/**
 * Schema migrations, applied in order inside one transaction at `open()`; `schema_version`
 * records which have run. Append new ones, never edit old ones.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE store_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    store_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_time INTEGER NOT NULL
  );
  CREATE TABLE resources (
    path TEXT PRIMARY KEY,
    parent TEXT,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    etag TEXT NOT NULL,
    last_modified INTEGER NOT NULL
  );
  CREATE INDEX resources_parent ON resources (parent, path);
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    method TEXT NOT NULL,
    status INTEGER NOT NULL,
    path TEXT NOT NULL,
    parent TEXT,
    etag TEXT,
    parent_etag TEXT,
    content_type TEXT,
    body BLOB
  );
  CREATE INDEX events_path ON events (path, seq);
  CREATE INDEX events_parent ON events (parent, seq);
  `,
  // Several processes on one file (DESIGN.md): who wrote each event, and how far each
  // process has answered its writers (N822-3 across processes).
  `
  ALTER TABLE events ADD COLUMN origin TEXT;
  CREATE TABLE marks (
    origin TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    time INTEGER NOT NULL
  );
  `,
];

/** Marks of processes silent this long are dropped at open (their events were long released). */
const MARK_TTL_MS = 24 * 3600_000;

interface StateRow {
  store_id: string;
  last_seq: number;
  last_time: number;
}

const EVENT_COLUMNS =
  'seq, time, origin, method, status, path, parent, etag, parent_etag, content_type, body';

/** Statements prepared once per connection at `open()`. */
function prepareAll(db: Database) {
  return {
    state: db.prepare<[], StateRow>('SELECT store_id, last_seq, last_time FROM store_state'),
    setState: db.prepare<[number, number]>(
      'UPDATE store_state SET last_seq = ?, last_time = ? WHERE id = 1',
    ),
    get: db.prepare<[string], ResourceRow>(
      'SELECT path, content_type, body, etag, last_modified FROM resources WHERE path = ?',
    ),
    hasMembers: db.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM resources WHERE parent = ? LIMIT 1',
    ),
    // BINARY collation: UTF-8 byte order, which is code point order (comparePaths).
    // LIMIT -1 is no limit.
    members: db.prepare<[string, string, number], Omit<ResourceRow, 'body'>>(
      `SELECT path, content_type, etag, last_modified FROM resources
       WHERE parent = ? AND path > ? ORDER BY path LIMIT ?`,
    ),
    upsert: db.prepare<[string, string | null, string, Uint8Array, string, number]>(
      `INSERT INTO resources (path, parent, content_type, body, etag, last_modified)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET parent = excluded.parent,
         content_type = excluded.content_type, body = excluded.body, etag = excluded.etag,
         last_modified = excluded.last_modified`,
    ),
    delete: db.prepare<[string]>('DELETE FROM resources WHERE path = ?'),
    insertEvent: db.prepare<
      [
        number,
        number,
        string | null,
        string,
        number,
        string,
        string | null,
        string | null,
        string | null,
        string | null,
        Uint8Array | null,
      ]
    >(`INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // LIMIT -1 is SQLite for "no limit".
    eventsAll: db.prepare<[number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
    ),
    eventsByPath: db.prepare<[number, string, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? AND path = ? ORDER BY seq LIMIT ?`,
    ),
    eventsByParent: db.prepare<[number, string, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? AND parent = ? ORDER BY seq LIMIT ?`,
    ),
    // An event's parent is never its own path, so the two arms never return the same row.
    eventsByPathOrParent: db.prepare<[number, string, number, string, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (
         SELECT seq FROM events WHERE seq > ? AND path = ?
         UNION ALL
         SELECT seq FROM events WHERE seq > ? AND parent = ?
       ) ORDER BY seq LIMIT ?`,
    ),
    eventBySeq: db.prepare<[number], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq = ?`),
    lastByPath: db.prepare<[string], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE path = ? ORDER BY seq DESC LIMIT 1`,
    ),
    lastStateByPath: db.prepare<[string, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE path = ? AND seq <= ? AND method <> 'PATCH' ` +
        'ORDER BY seq DESC LIMIT 1',
    ),
    lastByPathOrParent: db.prepare<[string, string], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE seq = max(
         coalesce((SELECT max(seq) FROM events WHERE path = ?), 0),
         coalesce((SELECT max(seq) FROM events WHERE parent = ?), 0))`,
    ),
    oldestSeq: db.prepare<[], { seq: number }>(
      'SELECT coalesce(min(seq), (SELECT last_seq FROM store_state) + 1) AS seq FROM events',
    ),
    // Changes when another connection commits (not our own): the cross-process wake-up.
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    marks: db.prepare<[string], { origin: string; seq: number }>(
      'SELECT origin, seq FROM marks WHERE origin != ?',
    ),
    setMark: db.prepare<[string, number, number]>(
      `INSERT INTO marks (origin, seq, time) VALUES (?, ?, ?)
       ON CONFLICT (origin) DO UPDATE SET seq = max(seq, excluded.seq), time = excluded.time`,
    ),
    pruneCount: db.prepare<[number]>(
      'DELETE FROM events WHERE seq <= (SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?)',
    ),
    // Times never decrease along seq, so the events to drop are a prefix: the scan in seq order
    // stops at the first young one and reads no more than it deletes.
    pruneAge: db.prepare<[number]>(
      `DELETE FROM events WHERE seq < coalesce(
         (SELECT seq FROM events WHERE time >= ? ORDER BY seq LIMIT 1),
         (SELECT last_seq FROM store_state) + 1)`,
    ),
  };
}

type Statements = ReturnType<typeof prepareAll>;

/**
 * The embedded {@link Store}: one SQLite file through better-sqlite3, in WAL mode. State and
 * event log share one database, so a write and its events commit in one transaction
 * (`BEGIN IMMEDIATE`, which also serialises writers from several processes on one file: the
 * seq is read and advanced under the write lock). better-sqlite3 is synchronous, so a write
 * runs to completion when called; the methods return Promises to keep the `Store` contract.
 *
 * better-sqlite3 is loaded at `open()`, so importing this module costs nothing where the native
 * addon is not installed.
 *
 * @example
 * ```ts
 * const store = new SqliteStore({ filename: 'data/prep.db' });
 * await store.open();
 * console.log(store.storeId, await store.lastSeq());
 * await store.close();
 * ```
 */
export class SqliteStore implements ListenableStore {
  /** The database file this store opens. */
  readonly filename: string;
  readonly #options: SqliteStoreOptions;
  readonly #now: () => number;
  /** Everything that exists while the store is open. */
  #conn:
    | {
        db: Database;
        st: Statements;
        storeId: string;
        origin: string;
        writeTx: (request: WriteRequest) => WritePlan;
        pruneTx: (options: PruneOptions) => number;
      }
    | undefined;
  /** The followers of `listen`, and the change check that wakes them. */
  readonly #listeners = new Set<CommitListener>();
  #check:
    | { timer: ReturnType<typeof setInterval>; version: number; marks: Map<string, number> }
    | undefined;
  /** The mark to publish, once per turn at most (`publishMark`). */
  #mark = { wanted: 0, published: 0, scheduled: false };

  constructor(options: SqliteStoreOptions) {
    this.filename = options.filename;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get storeId(): string {
    return this.#connection().storeId;
  }

  get origin(): string {
    return this.#connection().origin;
  }

  async open(): Promise<void> {
    if (this.#conn) return;
    let Driver: typeof import('better-sqlite3').default;
    try {
      Driver = (await import('better-sqlite3')).default;
    } catch (e) {
      throw new StoreError('STORE_UNAVAILABLE', 'better-sqlite3 could not be loaded', {
        status: 503,
        cause: e,
      });
    }
    if (this.#conn) return; // a concurrent open() won the race while we awaited
    const memory = this.filename === ':memory:' || this.filename === '';
    if (!memory) mkdirSync(dirname(this.filename), { recursive: true });
    const db = new Driver(this.filename, { timeout: this.#options.busyTimeoutMs ?? 5000 });
    try {
      // WAL: readers never block the writer, and a commit is one append to the -wal file.
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode syncs at checkpoints, not at each commit: a committed transaction
      // survives the process crashing or being killed (it is in the OS's file cache), but a
      // power loss or kernel crash may drop the last few commits (the database stays
      // consistent). FULL syncs the WAL at every commit.
      db.pragma(`synchronous = ${this.#options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
      migrate(db, this.#now);
      const st = prepareAll(db);
      this.#conn = {
        db,
        st,
        storeId: (st.state.get() as StateRow).store_id,
        origin: randomBytes(6).toString('base64url'),
        // IMMEDIATE takes the write lock at BEGIN, so the seq read inside is the latest.
        writeTx: db.transaction((request: WriteRequest) => this.#writeInTx(st, request)).immediate,
        pruneTx: db.transaction((options: PruneOptions) => pruneInTx(st, options, this.#now))
          .immediate,
      };
    } catch (e) {
      db.close();
      throw e;
    }
  }

  close(): Promise<void> {
    const conn = this.#conn;
    if (conn && this.#mark.wanted > this.#mark.published) this.#flushMark();
    this.#listeners.clear();
    this.#stopCheck();
    this.#conn = undefined;
    conn?.db.close();
    return Promise.resolve();
  }

  /**
   * Follows commits of other processes on the same file: `PRAGMA data_version` changes when
   * another connection commits, so it is checked every `changeCheckMs` (default 10 ms) while
   * someone listens, and each change wakes the listeners and reads the other processes' marks.
   */
  listen(listener: CommitListener | (() => void)): Promise<() => Promise<void>> {
    const entry: CommitListener =
      typeof listener === 'function' ? { onCommit: listener } : listener;
    return this.#run(() => {
      const st = this.#statements();
      this.#listeners.add(entry);
      if (!this.#check) {
        const interval = this.#options.changeCheckMs ?? 10;
        const timer = setInterval(() => this.#checkChanges(), interval);
        timer.unref();
        this.#check = { timer, version: st.dataVersion.get() as number, marks: new Map() };
        this.#readMarks();
      }
      return () => {
        this.#listeners.delete(entry);
        if (this.#listeners.size === 0) this.#stopCheck();
        return Promise.resolve();
      };
    });
  }

  publishMark(seq: number): void {
    const m = this.#mark;
    if (seq <= m.wanted) return;
    m.wanted = seq;
    if (m.scheduled) return;
    m.scheduled = true;
    // Once per turn: the responses of one turn share one small transaction.
    setImmediate(() => {
      m.scheduled = false;
      this.#flushMark();
    });
  }

  #flushMark(): void {
    const conn = this.#conn;
    const m = this.#mark;
    if (!conn || m.wanted <= m.published) return;
    const seq = m.wanted;
    try {
      conn.st.setMark.run(conn.origin, seq, this.#now());
      m.published = seq;
    } catch {
      // Busy past the timeout: the next mark carries this one; followers wait at most their
      // stall bound in the meantime.
    }
  }

  #checkChanges(): void {
    const conn = this.#conn;
    const check = this.#check;
    if (!conn || !check) return;
    let version: number;
    try {
      version = conn.st.dataVersion.get() as number;
    } catch {
      return;
    }
    if (version === check.version) return;
    check.version = version;
    for (const l of this.#listeners) l.onCommit();
    this.#readMarks();
  }

  #readMarks(): void {
    const conn = this.#conn;
    const check = this.#check;
    if (!conn || !check) return;
    for (const { origin, seq } of conn.st.marks.all(conn.origin)) {
      if ((check.marks.get(origin) ?? 0) >= seq) continue;
      check.marks.set(origin, seq);
      for (const l of this.#listeners) l.onMark?.(origin, seq);
    }
  }

  #stopCheck(): void {
    if (this.#check) clearInterval(this.#check.timer);
    this.#check = undefined;
  }

  write(request: WriteRequest): Promise<WriteResult> {
    return this.#run(() => {
      const { writeTx } = this.#connection();
      assertValidPath(request.path);
      return resultOf(writeTx(request));
    });
  }

  #writeInTx(st: Statements, request: WriteRequest): WritePlan {
    const row = st.get.get(request.path);
    const current = row && toResource(row);
    // apply() may throw: better-sqlite3 rolls the transaction back and rethrows it unchanged.
    const change = request.apply(current);
    const state = st.state.get() as StateRow;
    // Time never goes back along the log, even if the wall clock does (WES-8 compares times).
    const time = Math.max(this.#now(), state.last_time);
    const reader: PlanReader = {
      // The target was read above: a large body is not read (and copied) twice.
      get: (p) => {
        if (p === request.path) return current;
        const r = st.get.get(p);
        return r && toResource(r);
      },
      hasMembers: (p) => st.hasMembers.get(p) !== undefined,
    };
    const plan = planWrite({
      change,
      reader,
      lastSeq: state.last_seq,
      time,
      storeId: state.store_id,
      origin: this.origin,
    });
    for (const r of plan.upserts) {
      st.upsert.run(r.path, r.parent, r.contentType, r.body, r.etag, r.lastModified);
    }
    for (const p of plan.deletes) st.delete.run(p);
    for (const e of plan.events) {
      st.insertEvent.run(
        e.seq,
        e.time,
        e.origin,
        e.method,
        e.status,
        e.path,
        e.parent,
        e.etag,
        e.parentEtag,
        e.contentType,
        e.body,
      );
    }
    const last = plan.events.at(-1) as StoredEvent;
    st.setState.run(last.seq, last.time);
    return plan;
  }

  get(path: string): Promise<Resource | undefined> {
    return this.#run(() => {
      const row = this.#statements().get.get(path);
      return row && toResource(row);
    });
  }

  members(containerPath: string, query?: MemberQuery): Promise<ResourceMeta[] | undefined> {
    return this.#run(() => {
      const st = this.#statements();
      const container = containerPath.endsWith('/') ? st.get.get(containerPath) : undefined;
      if (!container) return undefined;
      const { after, limit } = readMemberQuery(query);
      return st.members.all(containerPath, after, limit ?? -1).map(toMeta);
    });
  }

  events(query: EventQuery = {}): Promise<StoredEvent[]> {
    return this.#run(() => {
      const st = this.#statements();
      const after = query.afterSeq ?? 0;
      const limit = query.limit === undefined ? -1 : Math.max(0, Math.floor(query.limit));
      const { path, parent } = query;
      let rows: EventRow[];
      if (path !== undefined && parent !== undefined) {
        rows = st.eventsByPathOrParent.all(after, path, after, parent, limit);
      } else if (path !== undefined) rows = st.eventsByPath.all(after, path, limit);
      else if (parent !== undefined) rows = st.eventsByParent.all(after, parent, limit);
      else rows = st.eventsAll.all(after, limit);
      return rows.map(toEvent);
    });
  }

  eventBySeq(seq: number): Promise<StoredEvent | undefined> {
    return this.#run(() => {
      const row = this.#statements().eventBySeq.get(seq);
      return row && toEvent(row);
    });
  }

  lastEvent(path: string, options: { members?: boolean } = {}): Promise<StoredEvent | undefined> {
    return this.#run(() => {
      const st = this.#statements();
      const row =
        options.members === true ? st.lastByPathOrParent.get(path, path) : st.lastByPath.get(path);
      return row && toEvent(row);
    });
  }

  lastStateEvent(path: string, atOrBefore: number): Promise<StoredEvent | undefined> {
    return this.#run(() => {
      const row = this.#statements().lastStateByPath.get(path, atOrBefore);
      return row && toEvent(row);
    });
  }

  lastSeq(): Promise<number> {
    return this.#run(() => (this.#statements().state.get() as StateRow).last_seq);
  }

  oldestSeq(): Promise<number> {
    return this.#run(() => (this.#statements().oldestSeq.get() as { seq: number }).seq);
  }

  prune(options: PruneOptions): Promise<number> {
    return this.#run(() => this.#connection().pruneTx(options));
  }

  #connection() {
    if (!this.#conn) throw new StoreError('STORE_CLOSED', 'The store is not open', { status: 503 });
    return this.#conn;
  }

  #statements(): Statements {
    return this.#connection().st;
  }

  /**
   * Runs `fn` now, synchronously (so writes commit in call order), and settles with its result;
   * the Promise executor turns a throw into a rejection with the thrown value unchanged.
   */
  #run<T>(fn: () => T): Promise<T> {
    return new Promise((resolve) => resolve(fn()));
  }
}

function migrate(db: Database, now: () => number): void {
  db.transaction(() => {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)',
    );
    const { v } = db
      .prepare<[], { v: number }>('SELECT coalesce(max(version), 0) AS v FROM schema_version')
      .get() as { v: number };
    if (v > MIGRATIONS.length) {
      throw new StoreError(
        'STORE_SCHEMA',
        `The database has schema version ${v}; this code knows up to ${MIGRATIONS.length}`,
        { status: 500 },
      );
    }
    const record = db.prepare<[number, number]>(
      'INSERT INTO schema_version (version, applied) VALUES (?, ?)',
    );
    for (let i = v; i < MIGRATIONS.length; i++) {
      db.exec(MIGRATIONS[i] as string);
      record.run(i + 1, now());
    }
    db.prepare<[number]>('DELETE FROM marks WHERE time < ?').run(now() - MARK_TTL_MS);
    // Creating the database: its id and the root container, once.
    const exists = db.prepare('SELECT 1 FROM store_state').get();
    if (exists === undefined) {
      const storeId = randomUUID();
      const time = now();
      db.prepare<[string, number, number]>(
        'INSERT INTO store_state (id, store_id, created, last_seq, last_time) VALUES (1, ?, ?, 0, ?)',
      ).run(storeId, time, time);
      db.prepare<[string, string, string, number]>(
        `INSERT INTO resources (path, parent, content_type, body, etag, last_modified)
         VALUES (?, NULL, ?, x'', ?, ?)`,
      ).run(ROOT, CONTAINER_TYPE, containerEtag(storeId, 0), time);
    }
  }).immediate();
}

function pruneInTx(st: Statements, options: PruneOptions, now: () => number): number {
  let removed = 0;
  if (options.maxEvents !== undefined) {
    removed += st.pruneCount.run(Math.max(0, Math.floor(options.maxEvents))).changes;
  }
  if (options.maxAgeMs !== undefined) {
    removed += st.pruneAge.run((options.now ?? now()) - options.maxAgeMs).changes;
  }
  return removed;
}
