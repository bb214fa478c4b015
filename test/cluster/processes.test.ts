// Several processes on one log (DESIGN.md, "The event path, and processes"): two servers,
// each with its own store instance (its own connection, origin and follower, as two
// processes have) on one SQLite file or one PostgreSQL database. A write through either
// reaches the subscribers of both, once, in commit order; Last-Event-ID resumes on either;
// and no server announces another's write before that write's response is out (N822-3).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PostgresStore, SqliteStore, type Store } from '../../src/store/index.js';
import { startPostgres } from '../helpers/postgres.js';
import { defer, ownedScope, tempDir } from '../helpers/cleanup.js';
import { prepOf } from '../helpers/prep-body.js';
import { rawSubscribe, stuckWriter, waitForNotifications } from '../helpers/raw-client.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.js';

const pg = await startPostgres();
after(() => ('skip' in pg ? undefined : pg.stop()));

type Kind = 'sqlite' | 'postgres';
const KINDS: Array<{ kind: Kind; skip: string | false }> = [
  { kind: 'sqlite', skip: false },
  { kind: 'postgres', skip: 'skip' in pg ? pg.skip : false },
];

/** Two servers on one log, each with a store instance of its own; both stopped after `fn`. */
async function withTwoServers(
  kind: Kind,
  options: Omit<TestServerOptions, 'store'>,
  fn: (a: TestServer, b: TestServer) => Promise<void>,
): Promise<void> {
  const scope = ownedScope();
  let stores: Store[];
  if (kind === 'sqlite') {
    const filename = join(tempDir(scope), 'shared.db');
    stores = [new SqliteStore({ filename }), new SqliteStore({ filename })];
  } else {
    if ('skip' in pg) throw new Error(pg.skip);
    const url = await pg.createDatabase();
    stores = [new PostgresStore({ url, max: 4 }), new PostgresStore({ url, max: 4 })];
  }
  await stores[0]!.open(); // creates the schema once
  await stores[1]!.open();
  for (const s of stores) defer(scope, () => s.close());
  const [a, b] = await Promise.all(
    stores.map((store) => startTestServer(scope, { ...options, store })),
  );
  try {
    await fn(a!, b!);
  } finally {
    await scope.run();
  }
}

const seqsOf = (srv: TestServer, ids: Array<string | undefined>): number[] =>
  ids.map((id) => srv.app.history.seqOf(id ?? '') ?? NaN);

for (const { kind, skip } of KINDS) {
  test(
    `N822-3 N822-4 N822-6 two servers on one ${kind} log: writes through either reach the subscribers of both, once, in commit order`,
    { skip },
    async () => {
      await withTwoServers(kind, {}, async (a, b) => {
        await a.put('/c/doc', { n: 0 });
        const start = await a.store.lastSeq();
        const subs = [
          await rawSubscribe(a, '/c/doc'),
          await rawSubscribe(b, '/c/doc'),
          await rawSubscribe(a, '/c/'),
          await rawSubscribe(b, '/c/'),
        ];
        // Rounds of concurrent writes, half through each server: the same resource, and new
        // members of the container (each a POST that the container's streams hear of).
        const rounds = 10;
        for (let r = 1; r <= rounds; r++) {
          const results = await Promise.all([
            a.put('/c/doc', { n: r, by: 'a' }),
            b.put('/c/doc', { n: r, by: 'b' }),
            (r % 2 ? a : b).request('/c/', {
              method: 'POST',
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ r }),
            }),
          ]);
          for (const res of results) assert.ok(res.status < 300, `write answered ${res.status}`);
        }
        const docEvents = await a.store.events({ path: '/c/doc', afterSeq: start });
        const containerEvents = await a.store.events({
          path: '/c/',
          parent: '/c/',
          afterSeq: start,
        });
        for (const [i, s] of subs.entries()) {
          const srv = i % 2 === 0 ? a : b;
          const expected = i < 2 ? docEvents : containerEvents.filter((e) => e.path !== '/c/');
          const got = (await waitForNotifications(s.client, expected.length)).notifications;
          const seqs = seqsOf(
            srv,
            got.map((n) => n.eventId),
          );
          assert.deepEqual(
            seqs,
            expected.map((e) => e.seq),
            `stream ${i} on ${i % 2 ? 'b' : 'a'}: every event once, in commit order`,
          );
          if (i < 2)
            assert.deepEqual(
              got.map((n) => n.etag),
              expected.map((e) => e.etag),
            );
        }
        // Nothing more arrives: none was sent twice.
        await new Promise((r) => setTimeout(r, 200));
        for (const [i, s] of subs.entries())
          assert.equal(
            prepOf(s.response).notifications.length,
            i < 2 ? docEvents.length : containerEvents.filter((e) => e.path !== '/c/').length,
          );
      });
    },
  );

  test(
    `RSP-5 EXT-1 two servers on one ${kind} log: Last-Event-ID from one resumes on the other`,
    { skip },
    async () => {
      await withTwoServers(kind, {}, async (a, b) => {
        await a.put('/doc', { v: 0 });
        const sub = await rawSubscribe(a, '/doc');
        for (let v = 1; v <= 3; v++) await (v % 2 ? b : a).put('/doc', { v });
        const first = (await waitForNotifications(sub.client, 3)).notifications;
        const from = first[0]!.eventId;
        // Missed while away, written through both.
        await b.put('/doc', { v: 4 });
        await a.request('/doc', {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/merge-patch+json' },
          body: '{"v":5}',
        });
        const resumed = await rawSubscribe(b, '/doc', {
          'Accept-Events': '"prep";accept=("message/rfc822";delta="application/json-patch+json")',
          'Last-Event-ID': from,
        });
        const all = (await a.store.events({ path: '/doc' })).filter(
          (e) => e.seq > b.app.history.seqOf(from)!,
        );
        const got = (await waitForNotifications(resumed.client, all.length)).notifications;
        assert.equal(prepOf(resumed.response).part1?.body.length, 0, 'EXT-1: no body, a replay');
        assert.deepEqual(
          seqsOf(
            b,
            got.map((n) => n.eventId),
          ),
          all.map((e) => e.seq),
        );
        assert.deepEqual(
          got.map((n) => n.method),
          ['PUT', 'PUT', 'PUT', 'PATCH'],
        );
      });
    },
  );

  test(
    `N822-3 across processes (${kind}): a server announces another's write only once that write's response is out, and a later write waits behind it`,
    { skip },
    async () => {
      // The held-up writer must not be cut off on a slow machine.
      await withTwoServers(kind, { writerStallMs: 60_000 }, async (a, b) => {
        await a.put('/doc', { v: 0 });
        const sub = await rawSubscribe(a, '/doc');
        await b.put('/doc', { v: 1 });
        await waitForNotifications(sub.client, 1);
        // A PUT through b whose writer does not read: committed, its response stuck.
        const { writer } = await stuckWriter(b);
        // A later write to the same resource, through a, completes first.
        assert.equal((await a.put('/doc', { v: 2 })).status, 204);
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(
          prepOf(sub.response).notifications.length,
          1,
          'neither is announced on a while b has not answered its writer',
        );
        writer.resume();
        const put = await writer.response(1, 30_000);
        assert.equal(put.status, 204);
        const got = (await waitForNotifications(sub.client, 3)).notifications.slice(1);
        assert.equal(got[0]!.etag, put.get('etag'));
        const [s1, s2] = seqsOf(
          a,
          got.map((n) => n.eventId),
        );
        assert.ok(s1! < s2!, 'in commit order');
      });
    },
  );

  test(
    `N822-2 across processes (${kind}): a write whose server never says it answered (a crash) is announced after the stall bound`,
    { skip },
    async () => {
      await withTwoServers(kind, { writerStallMs: 500 }, async (a, b) => {
        await a.put('/doc', { v: 0 });
        const sub = await rawSubscribe(a, '/doc');
        // b "crashes" after committing: its event path stops before its writer is answered,
        // so it never publishes the mark for this write.
        await b.app.events.close();
        await b.put('/doc', { v: 1 });
        const [n] = (await waitForNotifications(sub.client, 1, 0, 20_000)).notifications;
        assert.equal(n!.method, 'PUT');
        assert.equal(n!.etag, (await a.store.get('/doc'))!.etag);
      });
    },
  );
}
