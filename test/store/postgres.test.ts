// PostgresStore: the store contract on a throwaway cluster, plus what only a shared database
// has: several nodes writing one log, LISTEN/NOTIFY, and the database going away and coming
// back. Skips with a one-line reason where PostgreSQL is not installed (required in CI).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import {
  PostgresStore,
  type Store,
  type StoredEvent,
  type WriteRequest,
} from '../../src/store/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-schema.js';
import { freePort, startPostgres } from '../helpers/postgres.js';
import { storeContract } from './contract.js';

const pg = await startPostgres();
const skip = 'skip' in pg ? pg.skip : false;
after(() => ('skip' in pg ? undefined : pg.stop()));

/** A fresh, empty database of the test cluster. */
function freshDatabase(): Promise<string> {
  if ('skip' in pg) throw new Error(pg.skip);
  return pg.createDatabase();
}

async function openStore(url: string): Promise<PostgresStore> {
  const store = new PostgresStore({ url, max: 4 });
  await store.open();
  return store;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b ?? undefined);

function put(path: string, body: string, opts: { fail?: Error } = {}): WriteRequest {
  return {
    path,
    apply: (current) => {
      if (opts.fail) throw opts.fail;
      return {
        op: 'put',
        path,
        contentType: 'text/plain',
        body: enc(body),
        event: { method: 'PUT', status: current ? 200 : 201 },
      };
    },
  };
}

/** Waits until `cond()` holds, polling; fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

storeContract('postgres', async () => openStore(await freshDatabase()), {
  // A new instance on the same database, as after a restart of the node.
  reopen: async (store: Store) => {
    await store.close();
    return openStore((store as PostgresStore).url);
  },
  twin: (store: Store) => openStore((store as PostgresStore).url),
  ...(skip === false ? {} : { skip }),
});

test(
  'postgres: nodes opening a new database at once agree on one schema and one storeId',
  { skip },
  async () => {
    const url = await freshDatabase();
    const nodes = await Promise.all([1, 2, 3].map(() => openStore(url)));
    try {
      const [a, b, c] = nodes as [PostgresStore, PostgresStore, PostgresStore];
      assert.equal(a.storeId, b.storeId);
      assert.equal(b.storeId, c.storeId);
      assert.deepEqual(await a.members('/'), []);
      const sql = postgres(url, { max: 1 });
      try {
        const versions = await sql`SELECT version FROM schema_version`;
        assert.deepEqual(
          versions.map((r) => r.version as number),
          POSTGRES_MIGRATIONS.map((_, i) => i + 1),
        );
        assert.equal((await sql`SELECT count(*)::int AS n FROM resources`)[0]?.n, 1);
      } finally {
        await sql.end();
      }
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  },
);

test(
  'postgres: a database written by a newer schema fails open() with STORE_SCHEMA',
  { skip },
  async () => {
    const url = await freshDatabase();
    await (await openStore(url)).close();
    const sql = postgres(url, { max: 1 });
    try {
      await sql`INSERT INTO schema_version (version, applied) VALUES (99, 0)`;
    } finally {
      await sql.end();
    }
    await assert.rejects(openStore(url), { name: 'StoreError', code: 'STORE_SCHEMA' });
  },
);

test(
  'WES-4 postgres: three nodes writing at once share one log in commit order',
  { skip },
  async () => {
    const url = await freshDatabase();
    const nodes = await Promise.all([1, 2, 3].map(() => openStore(url)));
    const reader = nodes[0] as PostgresStore;
    try {
      // Each node runs 3 lanes of sequential writes: its own paths and one hot path shared by all.
      const lanes = 3;
      const perLane = 16;
      const written: { node: number; body: string; events: StoredEvent[] }[] = [];
      let writing = true;
      const writers = Promise.all(
        nodes.flatMap((node, n) =>
          Array.from({ length: lanes }, async (_, lane) => {
            for (let i = 0; i < perLane; i++) {
              const path = i % 2 === 0 ? '/hot' : `/n${n}/l${lane}/${i}`;
              const body = `${n}.${lane}.${i}`;
              const { events } = await node.write(put(path, body));
              written.push({ node: n, body, events });
            }
          }),
        ),
      ).finally(() => {
        writing = false;
      });

      // A feed reader polling the log while they write: each page starts after the highest seq
      // it has seen, so a seq committed below that would be skipped and show up missing below.
      const polled: StoredEvent[] = [];
      let seen = 0;
      let polls = 0;
      for (let more = true; more;) {
        more = writing;
        const page = await reader.events({ afterSeq: seen });
        polls++;
        for (const e of page) {
          assert.ok(e.seq > seen, `seq ${e.seq} appeared after ${seen} was seen`);
          seen = e.seq;
          polled.push(e);
        }
        if (more) await sleep(2);
      }
      await writers;
      assert.ok(polls > 2, 'the reader polled while the writers ran');

      const log = await reader.events();
      const writes = nodes.length * lanes * perLane;
      assert.equal(written.length, writes);
      // Every write's events, and nothing else, in one gap-free sequence.
      const appended = written.flatMap((w) => w.events).sort((x, y) => x.seq - y.seq);
      assert.deepEqual(log, appended);
      assert.deepEqual(
        log.map((e) => e.seq),
        Array.from({ length: log.length }, (_, i) => i + 1),
        'seqs are distinct and gap-free',
      );
      assert.deepEqual(polled, log, 'the polling reader saw every event, in order');
      for (let i = 1; i < log.length; i++) {
        assert.ok((log[i] as StoredEvent).time >= (log[i - 1] as StoredEvent).time);
      }
      // Every node reads the same log.
      for (const node of nodes) {
        assert.deepEqual(await node.events(), log);
        assert.equal(await node.lastSeq(), log.length);
      }
      // The hot path holds the write with the highest seq: commit order is seq order.
      const hot = written
        .filter((w) => w.events.at(-1)?.path === '/hot')
        .sort((x, y) => (x.events.at(-1)?.seq ?? 0) - (y.events.at(-1)?.seq ?? 0))
        .at(-1);
      assert.equal(dec((await reader.get('/hot'))?.body), hot?.body);
      assert.equal(
        (await reader.events({ path: '/hot' })).filter((e) => e.status === 201).length,
        1,
      );
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  },
);

test(
  'postgres: concurrent writes on one node share transactions (group commit), one NOTIFY each',
  { skip },
  async () => {
    const url = await freshDatabase();
    const store = await openStore(url);
    const raw = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const payloads: string[] = [];
      await raw.listen(store.channel, (p) => payloads.push(p));
      // Alone, a write commits at once and announces itself.
      const { events } = await store.write(put('/solo', 's'));
      await until(() => payloads.length === 1, 'the first NOTIFY');
      assert.deepEqual(payloads, [String(events[0]?.seq)]);

      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.write(put(`/many/${i}`, `${i}`))),
      );
      const last = await store.lastSeq();
      assert.equal(last, 102, 'the container, 100 writes and /solo');
      await until(() => payloads.at(-1) === String(last), 'the NOTIFY of the last commit');
      // The first write starts a transaction; the 99 called meanwhile share the next one.
      assert.ok(payloads.length <= 4, `${payloads.length - 1} transactions for 100 writes`);
      assert.deepEqual(
        results.map((r) => r.events.at(-1)?.seq),
        Array.from({ length: 100 }, (_, i) => 3 + i),
        'seqs in call order',
      );
    } finally {
      await raw.end();
      await store.close();
    }
  },
);

test(
  'postgres: a database error fails every write of its transaction and commits none of them',
  { skip },
  async () => {
    const url = await freshDatabase();
    const store = await openStore(url);
    try {
      // PostgreSQL refuses a NUL in text: the statement fails in the transaction's last batch.
      const bad: WriteRequest = {
        path: '/bad',
        apply: () => ({
          op: 'put',
          path: '/bad',
          contentType: 'text/plain\0',
          body: enc('x'),
          event: { method: 'PUT', status: 201 },
        }),
      };
      const [first, ...rest] = await Promise.allSettled([
        store.write(put('/first', '1')),
        store.write(put('/a', 'a')),
        store.write(bad),
        store.write(put('/b', 'b')),
      ]);
      assert.equal(first?.status, 'fulfilled');
      const errors = rest.map((s): unknown => (s.status === 'rejected' ? s.reason : s.value));
      // The database's own error, as for a write alone (a bad value: 22021 as a parameter,
      // 22P05 inside the JSON that carries several rows); the same for every write of the batch.
      assert.ok(errors[0] instanceof postgres.PostgresError, String(errors[0]));
      assert.match(String((errors[0] as { code?: string }).code), /^22(021|P05)$/);
      assert.equal(errors[1], errors[0]);
      assert.equal(errors[2], errors[0]);
      await assert.rejects(store.write(bad), { name: 'PostgresError', code: /^22(021|P05)$/ });

      assert.equal(await store.get('/a'), undefined);
      assert.equal(await store.get('/b'), undefined);
      assert.equal(await store.lastSeq(), 1);
      const { events } = await store.write(put('/c', 'c'));
      assert.equal(events[0]?.seq, 2, 'no seq was taken by the failed transaction');
      assert.deepEqual(
        (await store.events()).map((e) => e.path),
        ['/first', '/c'],
      );
    } finally {
      await store.close();
    }
  },
);

test(
  'postgres: listen() fires after commits on any node, never for a rolled-back write',
  { skip },
  async () => {
    const url = await freshDatabase();
    const [a, b] = [await openStore(url), await openStore(url)];
    const raw = postgres(url, { max: 1, onnotice: () => {} });
    try {
      let calls = 0;
      let stoppedCalls = 0;
      await a.listen(() => calls++);
      const stop = await a.listen(() => stoppedCalls++);
      await stop();

      // Writes that fail change nothing and announce nothing.
      await assert.rejects(
        b.write(put('/x', 'x', { fail: new RangeError('precondition') })),
        RangeError,
      );
      await assert.rejects(
        b.write({
          path: '/nope',
          apply: () => ({ op: 'delete', path: '/nope', event: { method: 'DELETE', status: 204 } }),
        }),
        { code: 'STORE_NOT_FOUND' },
      );
      // A NOTIFY on the channel in a transaction that rolls back is never delivered.
      await assert.rejects(
        raw.begin(async (tx) => {
          await tx`SELECT pg_notify(${a.channel}, '999')`;
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(calls, 0);

      // Notifications arrive in commit order: had any of the above been sent, it would come first.
      await b.write(put('/x', 'x'));
      await until(() => calls >= 1, 'a notification of the commit on node b');
      await sleep(50);
      assert.equal(calls, 1, 'one commit, one call');
      await a.write(put('/y', 'y'));
      await until(() => calls >= 2, 'a notification of its own commit');
      assert.equal(stoppedCalls, 0, 'a stopped registration is not called');
    } finally {
      await raw.end();
      await a.close();
      await b.close();
    }
  },
);

test('postgres: an unreachable database fails open() with STORE_UNAVAILABLE and a one-line message', async () => {
  const port = await freePort(); // nothing listens there
  const store = new PostgresStore({ url: `postgres://prep:secret@127.0.0.1:${port}/prep` });
  await assert.rejects(store.open(), (e: Error & { code?: string; status?: number }) => {
    assert.equal(e.name, 'StoreError');
    assert.equal(e.code, 'STORE_UNAVAILABLE');
    assert.equal(e.status, 503);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}\\b.*ECONNREFUSED`));
    assert.doesNotMatch(e.message, /secret/);
    return true;
  });
  await assert.rejects(store.get('/'), { code: 'STORE_CLOSED' });
  await store.close();
});

test(
  'postgres: a database that does not exist fails open() with STORE_UNAVAILABLE',
  { skip },
  async () => {
    const url = (await freshDatabase()).replace(/[^/]+$/, 'no_such_db');
    await assert.rejects(openStore(url), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'STORE_UNAVAILABLE');
      assert.match(e.message, /no_such_db.*does not exist/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  },
);

/**
 * Writes without pause from `lanes` concurrent loops until `stop()`, which resolves with what
 * was acknowledged (path -> the write's own event) and the codes of the failures.
 */
function keepWriting(store: PostgresStore, prefix: string, lanes = 4) {
  const acked = new Map<string, StoredEvent>();
  const failures: string[] = [];
  let running = true;
  const loops = Array.from({ length: lanes }, async (_, lane) => {
    for (let i = 0; running; i++) {
      const path = `${prefix}/${lane}/${i % 3}`;
      try {
        const { events } = await store.write(put(path, `${lane}.${i}`));
        acked.set(path, events.at(-1) as StoredEvent);
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        failures.push(code === 'STORE_UNAVAILABLE' ? code : `${String(code)}: ${String(e)}`);
        await sleep(5);
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { acked, failures };
    },
  };
}

/** The log is gap-free, holds every acknowledged write, and agrees with the resources. */
async function assertConsistent(store: PostgresStore, acked: Map<string, StoredEvent>) {
  const log = await store.events();
  assert.deepEqual(
    log.map((e) => e.seq),
    Array.from({ length: log.length }, (_, i) => i + 1),
  );
  assert.equal(await store.lastSeq(), log.length);
  for (const [path, event] of acked) {
    assert.deepEqual(await store.eventBySeq(event.seq), event, `${path}'s event is in the log`);
  }
  // Whatever committed was announced: each resource's tag is its last event's.
  for (const path of acked.keys()) {
    assert.equal((await store.get(path))?.etag, (await store.lastEvent(path))?.etag, path);
  }
}

const unavailableError = (e: Error & { code?: string; status?: number }) => {
  assert.equal(e.code, 'STORE_UNAVAILABLE');
  assert.equal(e.status, 503);
  assert.doesNotMatch(e.message, /\n/);
  return true;
};

test(
  'postgres: while PostgreSQL restarts calls fail with STORE_UNAVAILABLE (503); then the store recovers by itself',
  { skip },
  async () => {
    if ('skip' in pg) return;
    const url = await freshDatabase();
    const [store, other] = [await openStore(url), await openStore(url)];
    try {
      let calls = 0;
      await store.listen(() => calls++);
      await store.write(put('/r/before', 'b'));
      await until(() => calls >= 1, 'the first notification');

      // Writes are in flight on the other node when the server shuts down.
      const writers = keepWriting(other, '/w');
      await until(() => calls >= 3, 'the writers to get going');
      await pg.restart(async () => {
        await assert.rejects(store.write(put('/r/during', 'd')), unavailableError);
        await assert.rejects(store.get('/r/before'), unavailableError);
        await assert.rejects(store.events({ afterSeq: 0 }), unavailableError);
      });

      // The same store instance, not reopened.
      const { events } = await store.write(put('/r/after', 'a'));
      assert.equal(events.at(-1)?.path, '/r/after');
      assert.equal(await store.get('/r/during'), undefined, 'the failed write left nothing');
      assert.equal(dec((await store.get('/r/before'))?.body), 'b');

      // LISTEN is re-established (and announces itself with a call, since commits may have been
      // missed meanwhile); then commits on another node arrive again.
      const before = calls;
      await until(() => calls > before + 3, 'notifications after the restart', 10_000);
      const { acked, failures } = await writers.stop();
      assert.ok(failures.length > 0, 'writes failed during the outage');
      assert.deepEqual(new Set(failures), new Set(['STORE_UNAVAILABLE']));
      await assertConsistent(store, acked);
      assert.equal(await other.lastSeq(), await store.lastSeq());
    } finally {
      await store.close();
      await other.close();
    }
  },
);

test(
  'postgres: connections killed in mid-transaction fail those calls only; the process and the log survive',
  { skip },
  async () => {
    // postgres.js 3.4 would end the process here (a write on a dead socket from a timer)
    // unless the store keeps it from rolling back on a lost connection.
    const url = await freshDatabase();
    const store = await openStore(url);
    const admin = postgres(url, { max: 1 });
    try {
      let calls = 0;
      await store.listen(() => calls++);
      const writers = keepWriting(store, '/k', 6);
      let killed = 0;
      for (const end = Date.now() + 10_000; killed < 12 && Date.now() < end;) {
        await sleep(20 + Math.random() * 30);
        const rows = await admin`
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'prep-live'`;
        killed += rows.length;
      }
      await sleep(300);
      const { acked, failures } = await writers.stop();
      assert.ok(killed >= 12, 'connections were killed');
      assert.ok(failures.length > 0, 'some writes failed');
      assert.deepEqual(new Set(failures), new Set(['STORE_UNAVAILABLE']));
      assert.ok(acked.size > 0, 'some writes succeeded');
      await assertConsistent(store, acked);
      // Still working, listener included.
      const before = calls;
      await store.write(put('/k/last', 'x'));
      await until(() => calls > before, 'a notification after the kills');
    } finally {
      await admin.end();
      await store.close();
    }
  },
);
