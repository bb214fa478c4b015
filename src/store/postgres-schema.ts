import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { containerEtag } from './etag.js';
import { StoreError } from './errors.js';
import { CONTAINER_TYPE } from './plan-write.js';
import { ROOT } from './paths.js';

/**
 * The PostgreSQL schema, as migrations applied in order inside one transaction at `open()`;
 * `schema_version` records which have run. Append new ones, never edit old ones.
 *
 * The same tables as the SQLite store. Paths compare with `COLLATE "C"`, which orders UTF-8
 * text byte by byte: code point order, like SQLite's default, whatever the database's locale.
 * Times are epoch milliseconds in `bigint` columns; bodies are `bytea`.
 *
 * @example
 * ```ts
 * console.log(POSTGRES_MIGRATIONS.length); // the schema version this code writes
 * ```
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE store_state (
    id smallint PRIMARY KEY CHECK (id = 1),
    store_id text NOT NULL,
    created bigint NOT NULL,
    last_seq bigint NOT NULL,
    last_time bigint NOT NULL
  );
  CREATE TABLE resources (
    path text COLLATE "C" PRIMARY KEY,
    parent text COLLATE "C",
    content_type text NOT NULL,
    body bytea NOT NULL,
    etag text NOT NULL,
    last_modified bigint NOT NULL
  );
  CREATE INDEX resources_parent ON resources (parent, path);
  CREATE TABLE events (
    seq bigint PRIMARY KEY,
    time bigint NOT NULL,
    method text NOT NULL,
    status integer NOT NULL,
    path text COLLATE "C" NOT NULL,
    parent text COLLATE "C",
    etag text,
    parent_etag text,
    content_type text,
    body bytea
  );
  CREATE INDEX events_path ON events (path, seq);
  CREATE INDEX events_parent ON events (parent, seq);
  `,
  // Several nodes on one log: who wrote each event, so a follower can wait for that node's
  // answer to the writer (N822-3 across nodes; the marks travel as NOTIFY payloads).
  `
  ALTER TABLE events ADD COLUMN origin text;
  `,
];

/**
 * The advisory lock migrations run under: `pg_advisory_xact_lock(MIGRATION_LOCK, 1)`. Several
 * nodes starting at once queue on it, so one creates the schema and the others find it made.
 */
const MIGRATION_LOCK = 0x70726570; // 'prep'

/**
 * Brings the database up to {@link POSTGRES_MIGRATIONS} and, the first time, creates its
 * store id and the root container; returns the store id. Idempotent, and safe when several
 * nodes run it at once: everything happens in one transaction under an advisory lock.
 * Throws `StoreError` `STORE_SCHEMA` when the database is newer than this code.
 *
 * @example
 * ```ts
 * const storeId = await migratePostgres(sql, Date.now);
 * ```
 */
export async function migratePostgres(
  sql: postgres.Sql<{ int8: number }>,
  now: () => number,
): Promise<string> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}, 1)`;
    // After the lock: READ COMMITTED gives each statement a fresh snapshot, so what another
    // node committed while we waited is visible from here on.
    await tx`
      CREATE TABLE IF NOT EXISTS schema_version (
        version integer PRIMARY KEY,
        applied bigint NOT NULL
      )`;
    const [row] = await tx<{ v: number }[]>`
      SELECT coalesce(max(version), 0) AS v FROM schema_version`;
    const version = row?.v ?? 0;
    if (version > POSTGRES_MIGRATIONS.length) {
      throw new StoreError(
        'STORE_SCHEMA',
        `The database has schema version ${version}; this code knows up to ${POSTGRES_MIGRATIONS.length}`,
        { status: 500 },
      );
    }
    for (let i = version; i < POSTGRES_MIGRATIONS.length; i++) {
      await tx.unsafe(POSTGRES_MIGRATIONS[i] as string).simple();
      await tx`INSERT INTO schema_version (version, applied) VALUES (${i + 1}, ${now()})`;
    }
    const [state] = await tx<{ store_id: string }[]>`SELECT store_id FROM store_state`;
    if (state) return state.store_id;
    // Creating the database: its id and the root container, once.
    const storeId = randomUUID();
    const time = now();
    await tx`
      INSERT INTO store_state (id, store_id, created, last_seq, last_time)
      VALUES (1, ${storeId}, ${time}, 0, ${time})`;
    await tx`
      INSERT INTO resources (path, parent, content_type, body, etag, last_modified)
      VALUES (${ROOT}, NULL, ${CONTAINER_TYPE}, '', ${containerEtag(storeId, 0)}, ${time})`;
    return storeId;
  });
}
