import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { StoreError } from './errors.js';
import { isContainerPath, assertValidPath } from './paths.js';
import { readMemberQuery } from './member-query.js';
import { PostgresListener, reconnectBackoff } from './postgres-listener.js';
import { migratePostgres } from './postgres-schema.js';
import type { PlannedRow } from './plan-write.js';
import { toEvent, toMeta, toResource, type EventRow, type ResourceRow } from './rows.js';
import { firstPaths, planBatch, type WriteOutcome } from './write-batch.js';
import type {
  CommitListener,
  ListenableStore,
  EventQuery,
  MemberQuery,
  PruneOptions,
  Resource,
  ResourceMeta,
  StoredEvent,
  WriteRequest,
  WriteResult,
} from './types.js';

/**
 * Options of {@link PostgresStore}.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { url: 'postgres://prep@db.internal:5432/prep', max: 20 };
 * ```
 */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  url: string;
  /** The most connections the store opens for its work. Default 10; `listen` adds one. */
  max?: number;
  /** How long opening one connection may take before it fails, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * The longest wait between attempts to reconnect while the database is down, in ms. The wait
   * grows from 50 ms up to this bound; a call made during an outage fails after at most about
   * this long plus `connectTimeoutMs`. Default 1000.
   */
  maxReconnectDelayMs?: number;
  /**
   * How long a transaction may sit idle on the server before PostgreSQL ends it, in ms. A
   * write holds the lock every writer queues on; if its node stalls mid-write (a paused VM, a
   * network partition), this is how long the others wait. Default 10000.
   */
  idleInTransactionTimeoutMs?: number;
  /** The channel every write NOTIFYs and `listen` LISTENs on. Default `prep_commit`. */
  channel?: string;
  /** The clock for event times and Last-Modified (epoch ms). Default `Date.now`. */
  now?: () => number;
}

/** How postgres.js gets bigint columns (seq, epoch ms): as numbers, exact below 2^53. */
const TYPES = {
  int8: {
    to: 20,
    from: [20],
    serialize: (x: number) => String(x),
    parse: (x: string) => Number(x),
  },
};

type Sql = postgres.Sql<{ int8: number }>;
type Tx = postgres.TransactionSql<{ int8: number }>;

interface StateRow {
  store_id: string;
  last_seq: number;
  last_time: number;
}

/** Everything that exists while the store is open. */
interface Connection {
  sql: Sql;
  storeId: string;
  /** This instance's id, recorded with its events. */
  origin: string;
  /** The callbacks of `listen`, each registration its own entry. */
  listeners: Set<CommitListener>;
  /** The mark to publish, once per turn at most (`publishMark`). */
  mark: { wanted: number; published: number; scheduled: boolean };
  /** The LISTEN connection, once asked for; undefined again if starting it failed. */
  listener: Promise<PostgresListener> | undefined;
  /** Writes waiting for the next transaction (group commit, see `write`). */
  queue: Queued[];
  /** The write transaction running, if any; it never rejects. */
  writing: Promise<void> | undefined;
}

/** A write waiting for its transaction, and how to settle its `write()` call. */
interface Queued {
  request: WriteRequest;
  resolve: (result: WriteResult) => void;
  reject: (error: unknown) => void;
}

/**
 * The most writes one transaction takes. It holds the lock for all of them, so a bound keeps
 * the wait of other nodes' writers (and the latency of the batch's first write) in check.
 */
const MAX_BATCH = 256;

const EVENT_COLUMNS =
  'seq, time, origin, method, status, path, parent, etag, parent_etag, content_type, body';
/** NOTIFY payloads: a commit's seq (`123`), or a mark (`m:<origin>:<seq>`, see `publishMark`). */
const MARK_PAYLOAD = /^m:([A-Za-z0-9_-]{1,64}):([0-9]{1,16})$/;
const RESOURCE_COLUMNS = 'path, content_type, body, etag, last_modified';

/**
 * The scale-out {@link Store}: PostgreSQL through postgres.js, with the schema of the SQLite
 * store. Several server nodes open one database; writes commit in transactions that change
 * the resources, append their events and NOTIFY the other nodes.
 *
 * Group commit: a store runs one write transaction at a time. Writes called while it runs
 * queue, and the next transaction takes all of them (up to 256): one lock, one pipelined read
 * of the rows they need, one pipelined batch of statements, one NOTIFY, one COMMIT. Each write
 * still has its own outcome: one whose `apply` or plan fails (a precondition, a create-only
 * path that exists) fails alone, changes nothing and takes no seq; a database error fails
 * every write of that transaction, none of which is committed. A write with nothing queued
 * before it starts its transaction at once (no timer waits for a batch to fill).
 *
 * Event order is commit order (WES-4). Every write transaction first locks the one
 * `store_state` row (`SELECT … FOR UPDATE`) and holds that lock until it commits, so write
 * transactions from every node queue there, one at a time: the next one reads `last_seq` only
 * after the previous one committed, and a reader that has seen seq `n` can never later see a
 * smaller seq appear. A plain SEQUENCE would not do: a transaction could take seq 5, another
 * seq 6 and commit first, and a feed reader who read up to 6 would skip 5 forever. The price
 * is that writes to one database are serialised, as in SQLite (group commit makes each turn
 * at the lock serve many writes); more nodes add read and fan-out capacity.
 *
 * Connection errors surface as `StoreError` `STORE_UNAVAILABLE` (503) with a one-line message,
 * at `open()` and afterwards; the pool reconnects by itself once the database is back, so a
 * store never needs reopening. A write that fails with `STORE_UNAVAILABLE` while committing
 * may or may not have committed: the log says which.
 *
 * @example
 * ```ts
 * const store = new PostgresStore({ url: 'postgres://prep@127.0.0.1:5432/prep' });
 * await store.open();
 * const stop = await store.listen(() => console.log('something committed; read the log'));
 * console.log(store.storeId, await store.lastSeq());
 * await stop();
 * await store.close();
 * ```
 */
export class PostgresStore implements ListenableStore {
  /** The database URL this store opens. */
  readonly url: string;
  /** The channel every write NOTIFYs and `listen` LISTENs on. */
  readonly channel: string;
  readonly #options: PostgresStoreOptions;
  readonly #now: () => number;
  #conn: Connection | undefined;
  #opening: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    if (typeof options.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.url)) {
      throw new TypeError('PostgresStore: expected url to be a postgres:// or postgresql:// URL');
    }
    this.url = options.url;
    this.channel = options.channel ?? 'prep_commit';
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get storeId(): string {
    return this.#connection().storeId;
  }

  get origin(): string {
    return this.#connection().origin;
  }

  open(): Promise<void> {
    if (this.#conn) return Promise.resolve();
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(): Promise<void> {
    const sql = postgres(this.url, {
      max: this.#options.max ?? 10,
      connect_timeout: (this.#options.connectTimeoutMs ?? 10_000) / 1000,
      backoff: reconnectBackoff(this.#options.maxReconnectDelayMs ?? 1000),
      onnotice: () => {},
      types: TYPES,
      // Not needed (no array columns), and the driver's type query runs unguarded on each new
      // connection: a connection lost during it is an unhandled rejection, ending the process.
      fetch_types: false,
      connection: {
        application_name: 'prep-live',
        idle_in_transaction_session_timeout: this.#options.idleInTransactionTimeoutMs ?? 10_000,
      },
    });
    try {
      const storeId = await migratePostgres(sql, () => Math.floor(this.#now()));
      this.#conn = {
        sql,
        storeId,
        origin: randomBytes(6).toString('base64url'),
        mark: { wanted: 0, published: 0, scheduled: false },
        listeners: new Set(),
        listener: undefined,
        queue: [],
        writing: undefined,
      };
    } catch (e) {
      await sql.end({ timeout: 0 });
      throw unavailable(e, sql) ?? e;
    }
  }

  async close(): Promise<void> {
    await this.#opening?.catch(() => {});
    const conn = this.#conn;
    this.#conn = undefined;
    if (!conn) return;
    conn.listeners.clear();
    const listener = conn.listener?.catch(() => undefined);
    // Writes called before close() run (queued ones too), for at most 5 s.
    const drained = (async () => {
      while (conn.writing) await conn.writing;
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    // Let the calls in flight finish (for at most 5 s), then cut the connections.
    await Promise.all([conn.sql.end({ timeout: 5 }), listener?.then((l) => l?.close())]);
  }

  async write(request: WriteRequest): Promise<WriteResult> {
    const conn = this.#connection();
    assertValidPath(request.path);
    return new Promise((resolve, reject) => {
      conn.queue.push({ request, resolve, reject });
      if (!conn.writing) this.#nextBatch(conn);
    });
  }

  /** Starts a transaction for the writes queued now; when it ends, for those queued meanwhile. */
  #nextBatch(conn: Connection): void {
    const batch = conn.queue.splice(0, MAX_BATCH);
    conn.writing = this.#writeBatch(conn, batch).finally(() => {
      conn.writing = undefined;
      if (conn.queue.length > 0) this.#nextBatch(conn);
    });
  }

  /** Runs `batch` in one transaction and settles each write's call. Never rejects. */
  async #writeBatch(conn: Connection, batch: Queued[]): Promise<void> {
    let outcomes: WriteOutcome[];
    try {
      const done = await transaction(conn.sql, (tx) => this.#writeInTx(tx, batch));
      // COMMIT went out behind the writes; had one failed, PostgreSQL would have taken the
      // COMMIT for a ROLLBACK (without an error): the write's own rejection says so.
      await done.written;
      outcomes = done.outcomes;
    } catch (e) {
      // Nothing of the transaction was committed (or, if COMMIT was lost on the way, the log
      // says what was): every write of it fails the same way.
      const error = this.#translate(e, conn);
      for (const q of batch) q.reject(error);
      return;
    }
    // apply() throws on behalf of the server; its error comes out unchanged.
    for (const [i, q] of batch.entries()) {
      const outcome = outcomes[i] as WriteOutcome;
      if ('result' in outcome) q.resolve(outcome.result);
      else q.reject(outcome.error);
    }
  }

  /**
   * Plans `batch` under the lock and sends its writes; resolves once they are sent, so that
   * COMMIT follows them in the same round trip (the lock is held for one round trip fewer).
   * `written` settles when the writes have run; the caller awaits it after the COMMIT.
   */
  async #writeInTx(
    tx: Tx,
    batch: Queued[],
  ): Promise<{ outcomes: WriteOutcome[]; written: Promise<unknown> }> {
    // WES-4: lock the counter row first and keep it to the commit, so seqs are handed out in
    // commit order. Every statement after it (READ COMMITTED) sees what the previous writer
    // committed. With it, the rows every write of the batch reads before its apply(); the two
    // statements are pipelined: one round trip.
    const requests = batch.map((q) => q.request);
    const first = firstPaths(requests);
    const [[state], firstRows] = await Promise.all([
      tx<StateRow[]>`SELECT store_id, last_seq, last_time FROM store_state WHERE id = 1 FOR UPDATE`,
      lockRows(tx, first),
    ]);
    if (!state) throw new StoreError('STORE_SCHEMA', 'store_state is empty', { status: 500 });
    const rows = new Map<string, Resource | null>();
    for (const p of first) rows.set(p, null);
    for (const r of firstRows) rows.set(r.path, toResource(r));

    // Each write in turn against the rows as the earlier ones left them, with the next seqs.
    // Nothing is written yet: what a write needs beyond the view (a POST's new member, whether
    // a container to delete has members) is read as the database was before the batch.
    const planned = await planBatch({
      requests,
      rows,
      source: {
        read: async (paths) => (await lockRows(tx, paths)).map(toResource),
        hasMembers: async (path, exclude) => {
          const [row] = await tx<{ has: boolean }[]>`
            SELECT EXISTS (SELECT 1 FROM resources WHERE parent = ${path}
              AND NOT (path = ANY (${textArray(exclude)}::text[]))) AS has`;
          return row?.has === true;
        },
      },
      lastSeq: state.last_seq,
      lastTime: state.last_time,
      now: this.#now,
      storeId: state.store_id,
      origin: this.#connection().origin,
    });
    const last = planned.events.at(-1);
    // Every write failed on its own: nothing to write.
    if (!last) return { outcomes: planned.outcomes, written: Promise.resolve() };

    // One pipelined batch: the net change of each row, the events in seq order, the counter
    // and the NOTIFY, which is delivered only if and when the transaction commits.
    const upserts: PlannedRow[] = [];
    const deletes: string[] = [];
    for (const [path, row] of planned.writes) {
      if (row) upserts.push(row);
      else deletes.push(path);
    }
    const written = Promise.all([
      ...chunks(upserts).map((rs) => upsertRows(tx, rs)),
      ...(deletes.length > 0
        ? [tx`DELETE FROM resources WHERE path = ANY (${textArray(deletes)}::text[])`]
        : []),
      ...chunks(planned.events).map((es) => insertEvents(tx, es)),
      tx`
        UPDATE store_state SET last_seq = ${last.seq}, last_time = ${last.time} WHERE id = 1
        RETURNING pg_notify(${this.channel}, ${String(last.seq)})`,
    ]);
    // Awaited by the caller, after the COMMIT (or never, if the transaction fails first).
    written.catch(() => {});
    return { outcomes: planned.outcomes, written };
  }

  get(path: string): Promise<Resource | undefined> {
    return this.#run(async (sql) => {
      const [row] = await sql<ResourceRow[]>`
        SELECT ${sql.unsafe(RESOURCE_COLUMNS)} FROM resources WHERE path = ${path}`;
      return row && toResource(row);
    });
  }

  members(containerPath: string, query?: MemberQuery): Promise<ResourceMeta[] | undefined> {
    return this.#run(async (sql) => {
      if (!isContainerPath(containerPath)) return undefined;
      const { after, limit } = readMemberQuery(query);
      // One statement, one snapshot: no row if there is no container, one row of nulls if it
      // has no members (or none on this page). COLLATE "C" on the column orders and compares
      // by code point. The container's own row comes first, so LIMIT never drops it.
      const rows = await sql<(Omit<ResourceRow, 'body'> | { path: null })[]>`
        SELECT m.path, m.content_type, m.etag, m.last_modified
        FROM resources c
        LEFT JOIN LATERAL (
          SELECT path, content_type, etag, last_modified FROM resources
          WHERE parent = c.path AND path > ${after}
          ORDER BY path LIMIT ${limit ?? null}
        ) m ON true
        WHERE c.path = ${containerPath}
        ORDER BY m.path`;
      if (rows.length === 0) return undefined;
      return rows.flatMap((r) => (r.path === null ? [] : [toMeta(r)]));
    });
  }

  events(query: EventQuery = {}): Promise<StoredEvent[]> {
    return this.#run(async (sql) => {
      const after = query.afterSeq ?? 0;
      if (Number.isNaN(after) || after === Infinity) return [];
      // LIMIT NULL is LIMIT ALL.
      const limit =
        query.limit === undefined || !Number.isFinite(query.limit)
          ? null
          : Math.max(0, Math.floor(query.limit));
      const { path, parent } = query;
      const which =
        path !== undefined && parent !== undefined
          ? sql`AND (path = ${path} OR parent = ${parent})`
          : path !== undefined
            ? sql`AND path = ${path}`
            : parent !== undefined
              ? sql`AND parent = ${parent}`
              : sql``;
      const rows = await sql<EventRow[]>`
        SELECT ${sql.unsafe(EVENT_COLUMNS)} FROM events
        WHERE seq > ${Math.max(0, Math.floor(after))} ${which}
        ORDER BY seq LIMIT ${limit}`;
      return rows.map(toEvent);
    });
  }

  eventBySeq(seq: number): Promise<StoredEvent | undefined> {
    return this.#run(async (sql) => {
      if (!Number.isSafeInteger(seq)) return undefined;
      const [row] = await sql<EventRow[]>`
        SELECT ${sql.unsafe(EVENT_COLUMNS)} FROM events WHERE seq = ${seq}`;
      return row && toEvent(row);
    });
  }

  lastEvent(path: string, options: { members?: boolean } = {}): Promise<StoredEvent | undefined> {
    return this.#run(async (sql) => {
      // Two index lookups (GREATEST ignores NULL), rather than a backward scan of the log.
      const [row] =
        options.members === true
          ? await sql<EventRow[]>`
              SELECT ${sql.unsafe(EVENT_COLUMNS)} FROM events WHERE seq = GREATEST(
                (SELECT max(seq) FROM events WHERE path = ${path}),
                (SELECT max(seq) FROM events WHERE parent = ${path}))`
          : await sql<EventRow[]>`
              SELECT ${sql.unsafe(EVENT_COLUMNS)} FROM events WHERE path = ${path}
              ORDER BY seq DESC LIMIT 1`;
      return row && toEvent(row);
    });
  }

  lastStateEvent(path: string, atOrBefore: number): Promise<StoredEvent | undefined> {
    return this.#run(async (sql) => {
      if (!Number.isFinite(atOrBefore)) return undefined;
      const [row] = await sql<EventRow[]>`
        SELECT ${sql.unsafe(EVENT_COLUMNS)} FROM events
        WHERE path = ${path} AND seq <= ${Math.floor(atOrBefore)} AND method <> 'PATCH'
        ORDER BY seq DESC LIMIT 1`;
      return row && toEvent(row);
    });
  }

  lastSeq(): Promise<number> {
    return this.#run(async (sql) => {
      const [row] = await sql<{ last_seq: number }[]>`SELECT last_seq FROM store_state`;
      return row?.last_seq ?? 0;
    });
  }

  oldestSeq(): Promise<number> {
    return this.#run(async (sql) => {
      const [row] = await sql<{ seq: number }[]>`
        SELECT coalesce((SELECT min(seq) FROM events),
          (SELECT last_seq FROM store_state) + 1) AS seq`;
      return row?.seq ?? 1;
    });
  }

  prune(options: PruneOptions): Promise<number> {
    return this.#run((sql) =>
      transaction(sql, async (tx) => {
        let removed = 0;
        if (options.maxEvents !== undefined && Number.isFinite(options.maxEvents)) {
          const keep = Math.max(0, Math.floor(options.maxEvents));
          removed += (
            await tx`
              DELETE FROM events WHERE seq <= (
                SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ${keep})`
          ).count;
        }
        const cutoff = (options.now ?? this.#now()) - (options.maxAgeMs ?? NaN);
        if (Number.isFinite(cutoff)) {
          // Times never decrease along seq: the events to drop are a prefix of the log.
          removed += (
            await tx`
              DELETE FROM events WHERE seq < coalesce(
                (SELECT seq FROM events WHERE time >= ${Math.ceil(cutoff)} ORDER BY seq LIMIT 1),
                (SELECT last_seq FROM store_state) + 1)`
          ).count;
        }
        return removed;
      }),
    );
  }

  /**
   * Calls `onCommit` after a write to this database commits, from any node: every write
   * transaction NOTIFYs {@link channel}, and PostgreSQL delivers a NOTIFY at commit and never
   * for a transaction that rolled back. A NOTIFY is only a wake-up (several commits may give
   * one call, the payload is just a hint): the caller reads what is new from the log with
   * `events({ afterSeq })`.
   *
   * Listening uses one extra connection. When it is lost, it is re-established by itself, and
   * then every `onCommit` is called once, since commits made meanwhile were not announced.
   * `onCommit` runs in its own microtask; it must not throw. Resolves once LISTEN is in place
   * (STORE_UNAVAILABLE if it cannot be), with a function that stops this registration.
   *
   * @example
   * ```ts
   * const store = new PostgresStore({ url: 'postgres://prep@localhost/prep' });
   * await store.open();
   * let seen = await store.lastSeq();
   * const stop = await store.listen(() => {
   *   void store.events({ afterSeq: seen }).then((es) => {
   *     for (const e of es) seen = Math.max(seen, e.seq);
   *   });
   * });
   * await stop();
   * ```
   */
  async listen(listener: CommitListener | (() => void)): Promise<() => Promise<void>> {
    const conn = this.#connection();
    const entry: CommitListener =
      typeof listener === 'function' ? { onCommit: listener } : { ...listener };
    conn.listeners.add(entry);
    try {
      await this.#ensureListening(conn);
    } catch (e) {
      conn.listeners.delete(entry);
      throw this.#translate(e, conn);
    }
    return () => {
      conn.listeners.delete(entry);
      return Promise.resolve();
    };
  }

  /**
   * Publishes this instance's mark as a NOTIFY on {@link channel} (`m:<origin>:<seq>`), at
   * most once per turn. A NOTIFY that is lost (the database down) only delays the other
   * nodes' announcements up to their stall bound.
   */
  publishMark(seq: number): void {
    const conn = this.#conn;
    if (!conn) return;
    const m = conn.mark;
    if (seq <= m.wanted) return;
    m.wanted = seq;
    if (m.scheduled) return;
    m.scheduled = true;
    setImmediate(() => {
      m.scheduled = false;
      if (this.#conn !== conn || m.wanted <= m.published) return;
      const at = m.wanted;
      m.published = at;
      conn.sql`SELECT pg_notify(${this.channel}, ${`m:${conn.origin}:${at}`})`.catch(() => {});
    });
  }

  /** Starts the LISTEN connection once; a failed start is retried by the next `listen`. */
  #ensureListening(conn: Connection): Promise<PostgresListener> {
    if (conn.listener) return conn.listener;
    const dispatch = (): void => {
      for (const l of conn.listeners) queueMicrotask(() => l.onCommit());
    };
    const onNotify = (payload: string): void => {
      const mark = MARK_PAYLOAD.exec(payload);
      if (!mark) return dispatch();
      const [, origin, seq] = mark as unknown as [string, string, string];
      // Our own marks come back too: only others' matter.
      if (origin === conn.origin) return;
      for (const l of conn.listeners) queueMicrotask(() => l.onMark?.(origin, Number(seq)));
    };
    const listener = new PostgresListener({
      url: this.url,
      channel: this.channel,
      onNotify,
      // Commits made while the connection was down were not announced.
      onResume: dispatch,
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 10_000,
      maxReconnectDelayMs: this.#options.maxReconnectDelayMs ?? 1000,
    });
    conn.listener = listener.start().then(
      () => listener,
      (e: unknown) => {
        conn.listener = undefined;
        throw e;
      },
    );
    return conn.listener;
  }

  #connection(): Connection {
    if (!this.#conn) throw new StoreError('STORE_CLOSED', 'The store is not open', { status: 503 });
    return this.#conn;
  }

  /** Runs a read on the pool; connection errors become STORE_UNAVAILABLE. */
  async #run<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const conn = this.#connection();
    try {
      return await fn(conn.sql);
    } catch (e) {
      throw this.#translate(e, conn);
    }
  }

  /** The error a caller sees for `e`, thrown while working on `conn`. */
  #translate(e: unknown, conn: Connection): unknown {
    if (e instanceof StoreError) return e;
    const code = (e as { code?: unknown } | null)?.code;
    if (this.#conn !== conn && (code === 'CONNECTION_ENDED' || code === 'CONNECTION_DESTROYED')) {
      return new StoreError('STORE_CLOSED', 'The store was closed', { status: 503, cause: e });
    }
    return unavailable(e, conn.sql) ?? e;
  }
}

/** Errors of the network or the driver's connection handling (`code` of the Error). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT', // a Unix socket path that does not exist
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
]);

/**
 * SQLSTATEs that say the database is not there for us right now: a lost connection (see
 * {@link isFatalState}), too many connections, a database that does not exist (yet), refused
 * credentials, or a read-only server (a standby after failover).
 */
function isUnavailableState(code: string): boolean {
  return isFatalState(code) || ['53300', '3D000', '28000', '28P01', '25006'].includes(code);
}

/**
 * `e` as `STORE_UNAVAILABLE` (503) with a one-line message naming the server, or undefined
 * when `e` is not about reaching the database.
 */
function unavailable(e: unknown, sql: Sql): StoreError | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  const known =
    e instanceof postgres.PostgresError ? isUnavailableState(code) : CONNECTION_CODES.has(code);
  if (!known) return undefined;
  const { host, port, database } = sql.options;
  const where = host.map((h, i) => `${h}:${port[i] ?? port[0] ?? 5432}`).join(',');
  const reason = e.message.split('\n')[0]?.trim() || code;
  return new StoreError(
    'STORE_UNAVAILABLE',
    `PostgreSQL at ${where} (database ${database}) is unavailable: ${reason}`,
    { status: 503, cause: e },
  );
}

/**
 * `sql.begin(fn)`, minus a crash. When the connection dies while `fn` awaits a statement,
 * postgres.js 3.4 settles `fn`'s statements with the connection error, then sends ROLLBACK
 * (when `fn` rejects) or COMMIT (when it resolves) on the dead connection, whose socket is
 * null by then: a TypeError thrown from a timer, which no caller can catch, ends the process
 * (porsager/postgres#1154, #1208). So once a statement has failed for a lost connection,
 * `fn` waits: `sql.begin` rejects by itself when it sees the connection close, and PostgreSQL
 * rolls the transaction back (or, if COMMIT had been sent, may have committed it). Should the
 * connection turn out not to close after all, `fn` rejects after a while, and ROLLBACK goes
 * out on the live connection as usual.
 */
function transaction<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let settled = false;
  const done = sql.begin((tx) =>
    fn(tx).catch((e: unknown) => {
      if (!(e instanceof Error) || !isConnectionLoss(e)) throw e;
      return new Promise<never>((_, reject) => {
        // Once sql.begin has settled, the connection may be another transaction's: never
        // settle then (this promise is simply dropped).
        setTimeout(() => settled || reject(e), 5000).unref();
      });
    }),
  ) as Promise<T>;
  return done.finally(() => {
    settled = true;
  });
}

/**
 * SQLSTATEs after which PostgreSQL closes the connection: shutdown (57P01, 57P02), startup
 * (57P03), idle timeouts (25P03, 57P05), and connection exceptions (class 08).
 */
function isFatalState(code: string): boolean {
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '57P05', '25P03'].includes(code);
}

/** Whether `e` says the connection it was sent on is gone. */
function isConnectionLoss(e: Error): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return e instanceof postgres.PostgresError ? isFatalState(code) : CONNECTION_CODES.has(code);
}

/**
 * Locks and reads the rows at `paths` that exist, in path order (a fixed lock order). The
 * paths go as one array parameter, so the statement's text, prepared once per connection, is
 * the same however many there are (a new text costs a round trip to describe it).
 */
function lockRows(tx: Tx, paths: string[]) {
  return tx<ResourceRow[]>`
    SELECT ${tx.unsafe(RESOURCE_COLUMNS)} FROM resources
    WHERE path = ANY (${textArray(paths)}::text[]) ORDER BY path FOR UPDATE`;
}

/**
 * `xs` as a PostgreSQL array literal (`{"a","b"}`), to pass as a `text[]` parameter: the
 * store does not fetch the server's array types (`fetch_types: false`), so postgres.js would
 * not serialise a JavaScript array.
 */
function textArray(xs: string[]): string {
  return `{${xs.map((x) => `"${x.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/*
 * Rows are written one statement per row when there is one, else all in one statement that
 * takes them as a JSON array (json_populate_recordset): a statement per row costs the node
 * CPU and PostgreSQL a little each, and a text that depends on the number of rows would be
 * prepared (a round trip) for each new number. (A multi-column unnest() costs PostgreSQL
 * more than the statements it replaces: each array becomes a tuplestore of its own.)
 */

/** `body` as a bytea's text form, as postgres.js sends a bytea. */
function hex(body: Uint8Array): string {
  return `\\x${Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('hex')}`;
}

/** Inserts or replaces `rows` (distinct paths) in `resources`. */
function upsertRows(tx: Tx, rows: PlannedRow[]) {
  const set = tx`
    ON CONFLICT (path) DO UPDATE SET parent = excluded.parent,
      content_type = excluded.content_type, body = excluded.body, etag = excluded.etag,
      last_modified = excluded.last_modified`;
  const [r] = rows;
  if (rows.length === 1 && r) {
    return tx`
      INSERT INTO resources (path, parent, content_type, body, etag, last_modified)
      VALUES (${r.path}, ${r.parent}, ${r.contentType}, ${r.body}, ${r.etag}, ${r.lastModified})
      ${set}`;
  }
  const json = JSON.stringify(
    rows.map((x) => ({
      path: x.path,
      parent: x.parent,
      content_type: x.contentType,
      body: hex(x.body),
      etag: x.etag,
      last_modified: x.lastModified,
    })),
  );
  return tx`
    INSERT INTO resources (path, parent, content_type, body, etag, last_modified)
    SELECT path, parent, content_type, body, etag, last_modified
    FROM json_populate_recordset(NULL::resources, ${json}::text::json)
    ${set}`;
}

/** Appends `events` to the log. */
function insertEvents(tx: Tx, events: StoredEvent[]) {
  const [e] = events;
  if (events.length === 1 && e) {
    return tx`
      INSERT INTO events (${tx.unsafe(EVENT_COLUMNS)})
      VALUES (${e.seq}, ${e.time}, ${e.origin}, ${e.method}, ${e.status}, ${e.path}, ${e.parent},
        ${e.etag}, ${e.parentEtag}, ${e.contentType}, ${e.body})`;
  }
  const json = JSON.stringify(
    events.map((x) => ({
      seq: x.seq,
      time: x.time,
      origin: x.origin,
      method: x.method,
      status: x.status,
      path: x.path,
      parent: x.parent,
      etag: x.etag,
      parent_etag: x.parentEtag,
      content_type: x.contentType,
      body: x.body && hex(x.body),
    })),
  );
  return tx`
    INSERT INTO events (${tx.unsafe(EVENT_COLUMNS)})
    SELECT ${tx.unsafe(EVENT_COLUMNS)}
    FROM json_populate_recordset(NULL::events, ${json}::text::json)`;
}

/**
 * `rows` in runs of at most 1000 rows and about 8 MB of bodies, so that no one statement
 * grows without bound (a batch usually makes one run).
 */
function chunks<T extends { body: Uint8Array | null }>(rows: T[]): T[][] {
  const out: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = row.body?.byteLength ?? 0;
    if (run.length > 0 && (run.length >= 1000 || bytes + size > 8 << 20)) {
      out.push(run);
      run = [];
      bytes = 0;
    }
    run.push(row);
    bytes += size;
  }
  if (run.length > 0) out.push(run);
  return out;
}
