// Scale-out (README, "Running several nodes"): three `prep serve --database` nodes on one PostgreSQL database.
// Writes on any node reach subscribers on every node, in seq order, once each; Last-Event-ID
// resumes on another node; the WES feed is the same everywhere; a killed node's clients resume
// elsewhere; PostgreSQL restarting is survived without restarting the nodes. Skips like the
// store tests where PostgreSQL is not installed (required in CI).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Notification } from '../../packages/client/src/core/notification.js';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { StoreHistory } from '../../src/server/log/store-history.js';
import { PostgresStore } from '../../src/store/index.js';
import { startPostgres } from '../helpers/postgres.js';
import { bigDoc } from '../helpers/documents.js';
import { Subscriber } from '../helpers/subscriber.js';
import { eventually, within } from '../helpers/wait.js';
import { killAll, startNodes, type Node } from './nodes.js';

const pg = await startPostgres();
const skip = 'skip' in pg ? pg.skip : false;
after(() => ('skip' in pg ? undefined : pg.stop()));

const JSON_PATCH = 'application/json-patch+json';
const withDelta = `"prep";accept=("message/rfc822";delta="${JSON_PATCH}")`;

/** A fresh database and `n` nodes on it; the nodes are killed when `fn` ends. */
async function withCluster(
  n: number,
  fn: (
    nodes: Node[],
    db: { url: string; history: StoreHistory; store: PostgresStore },
  ) => Promise<void>,
): Promise<void> {
  if ('skip' in pg) throw new Error(pg.skip);
  const url = await pg.createDatabase();
  // Migrate once before the nodes start, so they do not race to create the schema.
  const store = new PostgresStore({ url, max: 2 });
  await store.open();
  const nodes = await startNodes(url, n);
  try {
    await fn(nodes, { url, history: new StoreHistory(store), store });
  } finally {
    await killAll(nodes);
    await store.close();
  }
}

async function send(
  node: Node,
  method: string,
  path: string,
  body?: unknown,
  type = 'application/json',
): Promise<Response> {
  const res = await within(
    fetch(`${node.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'Content-Type': type }, body: JSON.stringify(body) }),
    }),
    `${method} ${path}`,
  );
  await res.arrayBuffer();
  return res;
}

async function put(node: Node, path: string, body: unknown): Promise<void> {
  const res = await send(node, 'PUT', path, body);
  assert.ok(res.status === 201 || res.status === 204, `PUT ${path}: ${res.status}`);
}

async function patch(node: Node, path: string, ops: unknown): Promise<void> {
  const res = await send(node, 'PATCH', path, ops, JSON_PATCH);
  assert.equal(res.status, 204, `PATCH ${path}`);
}

const seqOf = (n: Notification): number => Number(n.eventId.split('.')[0]);

test(
  'a subscriber on node 1 gets the writes made on nodes 2 and 3 (and its own), in order, once each',
  { skip },
  async () => {
    await withCluster(3, async ([n1, n2, n3], db) => {
      await put(n1!, '/notes/', undefined);
      const sub = await Subscriber.open(`${n1!.url}/notes/`);
      try {
        for (let i = 0; i < 10; i++) await put([n2!, n3!, n1!][i % 3]!, `/notes/n${i}`, { i });
        // Concurrent writes on both nodes too.
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => put([n2!, n3!, n1!][i % 3]!, `/notes/c${i}`, { i })),
        );
        const got = await sub.notifications(20);
        const expected = (await db.store.events({ parent: '/notes/' })).map((e) =>
          db.history.eventId(e.seq),
        );
        assert.deepEqual(
          got.map((n) => n.eventId),
          expected,
        );
        const seqs = got.map(seqOf);
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
        );
        // Nothing more (no duplicates): the next part within a while is at most a keep-alive.
        const more = await sub.notification(1500).catch(() => undefined);
        assert.equal(more, undefined, 'no notification beyond the 20 writes');
      } finally {
        sub.close();
      }
    });
  },
);

test(
  'a client that reconnects to node 3 with Last-Event-ID resumes with nothing missed (EXT-1)',
  { skip },
  async () => {
    await withCluster(3, async ([n1, n2, n3], db) => {
      await put(n2!, '/doc', bigDoc());
      const first = await Subscriber.open(`${n1!.url}/doc`, {
        headers: { 'Accept-Events': withDelta },
      });
      await patch(n2!, '/doc', [{ op: 'replace', path: '/key1', value: 'a' }]);
      const [seen] = await first.notifications(1);
      first.close();
      // Missed while away: a PATCH on node 2, a PUT on node 1, a PATCH on node 3.
      await patch(n2!, '/doc', [{ op: 'replace', path: '/key2', value: 'b' }]);
      await put(n1!, '/doc', bigDoc(40, { key1: 'a', key2: 'b', key3: 'c' }));
      await patch(n3!, '/doc', [{ op: 'remove', path: '/key4' }]);
      const again = await Subscriber.open(`${n3!.url}/doc`, {
        headers: { 'Accept-Events': withDelta, 'Last-Event-ID': seen!.eventId },
      });
      try {
        assert.equal(again.part1.body.length, 0, 'resumed: no body');
        await patch(n2!, '/doc', [{ op: 'add', path: '/live', value: true }]);
        const got = await again.notifications(4);
        const all = await db.store.events({ path: '/doc' });
        assert.deepEqual(
          got.map((n) => n.eventId),
          all.slice(2).map((e) => db.history.eventId(e.seq)),
        );
        assert.deepEqual(
          got.map((n) => n.method),
          ['PATCH', 'PUT', 'PATCH', 'PATCH'],
        );
        // Replayed from the log with rebuilt states, and live PATCHes with their own patch:
        // each carries a delta, and they rebuild the current state from the one seen.
        let state: Uint8Array = Buffer.from(JSON.stringify(bigDoc(40, { key1: 'a' })));
        for (const n of got) {
          assert.ok(n.delta, `${n.method} ${n.eventId} has a delta`);
          state = applyDelta(n.delta.contentType, state, n.delta.body);
        }
        const current: unknown = await within(
          fetch(`${n2!.url}/doc`).then((r) => r.json()),
          'GET /doc',
        );
        assert.deepEqual(JSON.parse(Buffer.from(state).toString('utf8')), current);
      } finally {
        again.close();
      }
    });
  },
);

test('the WES feed is byte-identical whichever node serves it', { skip }, async () => {
  await withCluster(3, async (nodes) => {
    const [n1, n2, n3] = nodes;
    await put(n1!, '/feed/', undefined);
    for (let i = 0; i < 6; i++) await put(nodes[i % 3]!, `/feed/m${i}`, { i });
    await patch(n3!, '/feed/m1', [{ op: 'add', path: '/x', value: 1 }]);
    assert.equal((await send(n2!, 'DELETE', '/feed/m2')).status, 204);
    const bodies = await Promise.all(
      nodes.map(async (n) => {
        const res = await within(fetch(`${n.url}/.well-known/wes/feed/feed/`), 'the feed');
        assert.equal(res.status, 200, `feed on ${n.url}`);
        return {
          type: res.headers.get('content-type'),
          etag: res.headers.get('etag'),
          body: Buffer.from(await res.arrayBuffer()),
        };
      }),
    );
    assert.ok(bodies[0]!.body.length > 0);
    for (const b of bodies.slice(1)) {
      assert.equal(b.type, bodies[0]!.type);
      assert.equal(b.etag, bodies[0]!.etag);
      assert.ok(b.body.equals(bodies[0]!.body), 'the same bytes');
    }
  });
});

test(
  'a node killed mid-stream: its clients resume on another node with nothing lost',
  { skip },
  async () => {
    await withCluster(3, async ([n1, n2, n3], db) => {
      await put(n2!, '/live', bigDoc());
      const got: Notification[] = [];
      let sub = await Subscriber.open(`${n3!.url}/live`, {
        headers: { 'Accept-Events': withDelta },
      });
      let writes = 0;
      const writer = (async () => {
        for (; writes < 30; writes++) {
          await patch(writes % 2 ? n1! : n2!, '/live', [
            { op: 'add', path: `/w${writes}`, value: writes },
          ]);
          await sleep(10);
        }
      })();
      await sub.notifications(5);
      await n3!.kill();
      // The stream breaks (without its close delimiters: the node crashed); keep what came.
      await within(
        sub.rest().catch(() => []),
        'the stream to break',
      );
      sub.close();
      for (const part of sub.received) if (part.notification) got.push(part.notification);
      const last = got.at(-1)!.eventId;
      sub = await Subscriber.open(`${n1!.url}/live`, {
        headers: { 'Accept-Events': withDelta, 'Last-Event-ID': last },
      });
      try {
        assert.equal(sub.part1.body.length, 0);
        await within(writer, 'the writes', 30_000);
        const total = (await db.store.events({ path: '/live' })).length - 1;
        got.push(...(await sub.notifications(total - got.length)));
        const expected = (await db.store.events({ path: '/live' }))
          .slice(1)
          .map((e) => db.history.eventId(e.seq));
        assert.deepEqual(
          got.map((n) => n.eventId),
          expected,
        );
      } finally {
        sub.close();
      }
    });
  },
);

test(
  'PostgreSQL restarts: 503 while it is down, then the nodes recover by themselves',
  { skip },
  async () => {
    if ('skip' in pg) return;
    await withCluster(2, async ([n1, n2], db) => {
      await put(n2!, '/r', { v: 0 });
      const sub = await Subscriber.open(`${n1!.url}/r`);
      try {
        await db.store.close();
        await pg.restart(async () => {
          const w = await send(n2!, 'PUT', '/r', { v: 'down' });
          assert.equal(w.status, 503, 'a write while the database is down');
          assert.match(w.headers.get('content-type') ?? '', /problem\+json/);
          const r = await within(
            fetch(`${n1!.url}/r`, { headers: { 'Accept-Events': '"prep"' } }),
            'a new stream while down',
          );
          await r.arrayBuffer();
          assert.equal(r.status, 503);
          assert.match(r.headers.get('events') ?? '', /status=503/);
          assert.match(r.headers.get('content-type') ?? '', /problem\+json/);
        });
        await db.store.open();
        // The nodes reconnect by themselves: retry the write until it goes through (bounded).
        await eventually(
          async () => {
            const w = await send(n2!, 'PUT', '/r', { v: 1 });
            return w.status === 204 || (w.status === 503 ? false : assert.fail(`PUT ${w.status}`));
          },
          'a write after recovery',
          20_000,
        );
        const n = await sub.notification(20_000);
        assert.equal(n.method, 'PUT');
        const events = await db.store.events({ path: '/r' });
        assert.equal(n.eventId, db.history.eventId(events.at(-1)!.seq));
      } finally {
        sub.close();
      }
    });
  },
);
