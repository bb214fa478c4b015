// The log follower in process (option `follow`): two servers, each with its own PostgresStore
// on one database. Notifications come from the log, yet a write on this node is still
// announced only once its writer's response is sent (N822-3), and even if the writer went away
// (N822-2); another node's later write to the same resource waits behind it (commit order).
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, test } from 'node:test';
import { PostgresStore } from '../../src/store/index.js';
import { defer, ownedScope } from '../helpers/cleanup.js';
import { startPostgres } from '../helpers/postgres.js';
import { prepOf } from '../helpers/prep-body.js';
import { rawSubscribe, stuckWriter, waitForNotifications } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const pg = await startPostgres();
const skip = 'skip' in pg ? pg.skip : false;
after(() => ('skip' in pg ? undefined : pg.stop()));

async function withTwoNodes(fn: (a: TestServer, b: TestServer) => Promise<void>): Promise<void> {
  if ('skip' in pg) throw new Error(pg.skip);
  const url = await pg.createDatabase();
  const stores = [new PostgresStore({ url, max: 4 }), new PostgresStore({ url, max: 4 })];
  await stores[0]!.open(); // migrates once
  await stores[1]!.open();
  const scope = ownedScope();
  for (const s of stores) defer(scope, () => s.close());
  const [a, b] = await Promise.all(
    stores.map((store) =>
      startTestServer(scope, {
        store,
        follow: { pollIntervalMs: 1000 },
        // The held-up writer below must not be cut off on a slow machine.
        writerStallMs: 60_000,
      }),
    ),
  );
  try {
    await fn(a!, b!);
  } finally {
    await scope.run();
  }
}

test('follow needs a store that can listen', (t) => {
  return assert.rejects(startTestServer(t, { follow: true }), /listen/);
});

test(
  'N822-3 with follow: a held-up local write and a later write on another node go out in commit order, after the response',
  { skip },
  async () => {
    await withTwoNodes(async (a, b) => {
      await a.put('/doc', { v: 0 });
      const sub = await rawSubscribe(a, '/doc');
      // Wait until the stream is live: a replay read still under way when the stuck write
      // commits would send it at once (the engine's replay does not wait for held writes).
      await a.put('/doc', { v: 1 });
      await waitForNotifications(sub.client, 1);
      const { writer } = await stuckWriter(a);
      // A later write to the same resource, on the other node, completes first.
      assert.equal((await b.put('/doc', { v: 2 })).status, 204);
      // Neither is announced on node A while its own writer has not taken its response.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(prepOf(sub.response).parts.length, 1);
      writer.resume();
      const put = await writer.response(1, 30_000);
      assert.equal(put.status, 204);
      const got = (await waitForNotifications(sub.client, 3)).notifications.slice(1);
      assert.equal(got[0]!.etag, put.get('etag'));
      const seqs = got.map((n) => a.app.history.seqOf(n.eventId)!);
      assert.ok(seqs[0]! < seqs[1]!, `in order: ${got.map((n) => n.eventId).join(', ')}`);
    });
  },
);

test(
  'N822-2 with follow: a write whose writer went away is still announced, once',
  { skip },
  async () => {
    await withTwoNodes(async (a, b) => {
      await a.put('/doc', { v: 0 });
      const sub = await rawSubscribe(a, '/doc');
      const subB = await rawSubscribe(b, '/doc');
      // Both streams live first (see above).
      await a.put('/doc', { v: 1 });
      await waitForNotifications(sub.client, 1);
      await waitForNotifications(subB.client, 1);
      const serverSide = new Promise<Socket>((r) => a.running.server.once('connection', r));
      const { writer } = await stuckWriter(a);
      const gone = new Promise((r) => void serverSide.then((s) => s.once('close', r)));
      writer.close();
      await gone;
      await b.request('/doc', { method: 'DELETE' });
      await sub.client.response(0);
      await subB.client.response(0);
      for (const s of [sub, subB])
        assert.deepEqual(
          prepOf(s.response).notifications.map((n) => n.method),
          ['PUT', 'PUT', 'DELETE'],
        );
    });
  },
);
