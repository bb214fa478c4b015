import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  MemoryReplicaStorage,
  createReplicator,
  type ReplicaState,
} from '../../packages/client/src/client/wes/index.js';
import { MemoryStore, type Store } from '../../src/store/index.js';
import { del, patch, put, replicaDiff, sleep, workload } from './workload.js';
import {
  startWesServer,
  type WesServerOptions,
  type WesTestServer as TestServer,
} from './wes-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
const scope = { after: (fn: () => unknown) => void cleanups.push(async () => void (await fn())) };
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function serve(options: WesServerOptions = {}, store?: Store): Promise<TestServer> {
  const s = store ?? new MemoryStore();
  if (!store) await s.open();
  const srv = await startWesServer(scope, s, options);
  return srv;
}

async function diff(srv: TestServer, storage: MemoryReplicaStorage, container = '/notes/') {
  const state = (await storage.load()) as ReplicaState;
  return replicaDiff(srv.store, container, state.entities, (p) => storage.read(p));
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('WES-8 a replica loads the snapshot, reads the feed from started, and equals the collection', async () => {
  const srv = await serve({ pageSize: 4, snapshotPartSize: 3 });
  for (let i = 0; i < 10; i++) await put(srv.url, `/notes/a${i}`, { i, list: [] });
  const storage = new MemoryReplicaStorage();
  const replica = createReplicator({ url: `${srv.url}/notes/`, storage });
  const stats = await replica.sync();
  assert.equal(stats.snapshots, 1);
  assert.equal(stats.entities, 10);
  assert.equal(stats.resumed, false);
  assert.deepEqual(await diff(srv, storage), []);
  // It remembers the last entry's Content-ID.
  const last = (await srv.store.events({ parent: '/notes/' })).at(-1)!;
  assert.equal(replica.state?.lastId?.split('.')[0], String(last.seq));
});

test('WES-8 PATCHes in the window: GET the entity conditionally on the snapshot ETag, never apply a patch twice', async () => {
  let patchesDuring = 0;
  let generating = false;
  const srv: TestServer = await serve({
    pageSize: 50,
    snapshotYieldEvery: 1,
    snapshotThrottle: async () => {
      if (!generating) return;
      // Each entity gets a non-idempotent patch while the snapshot is being read: some
      // before it is read (the snapshot has it), some after (it does not).
      await patch(srv.url, `/notes/p${(patchesDuring + 3) % 6}`, 'application/json-patch+json', [
        { op: 'add', path: '/list/-', value: patchesDuring },
      ]);
      patchesDuring++;
    },
  });
  for (let i = 0; i < 6; i++) await put(srv.url, `/notes/p${i}`, { i, list: [] });
  await sleep(1100); // the PUTs fall in an earlier second than the snapshot's start
  const storage = new MemoryReplicaStorage();
  const replica = createReplicator({ url: `${srv.url}/notes/`, storage });
  generating = true;
  await replica.sync();
  generating = false;
  assert.ok(patchesDuring >= 6);
  assert.deepEqual(await diff(srv, storage), []);
  // The entities patched in the window were fetched, conditionally on the snapshot's ETag.
  const gets = srv.log.filter((l) => /^GET \/notes\/p\d/.test(l));
  assert.ok(gets.length > 0, 'some entities were fetched');
  assert.ok(
    gets.every((l) => l.includes('If-None-Match: "')),
    gets.join('\n'),
  );
});

test('WES-8 a restart resumes after the remembered Content-ID; a lost state or a lost history starts over from a snapshot', async () => {
  const srv = await serve({ pageSize: 3 });
  for (let i = 0; i < 5; i++) await put(srv.url, `/notes/r${i}`, { i, list: [] });
  const storage = new MemoryReplicaStorage();
  await createReplicator({ url: `${srv.url}/notes/`, storage }).sync();
  for (let i = 0; i < 8; i++)
    await patch(srv.url, `/notes/r${i % 5}`, 'application/json-patch+json', [
      { op: 'add', path: '/list/-', value: i },
    ]);
  await del(srv.url, '/notes/r4');
  // A new process: same storage, resumes.
  const mark = srv.log.length;
  const resumed = createReplicator({ url: `${srv.url}/notes/`, storage });
  const stats = await resumed.sync();
  assert.equal(stats.resumed, true);
  assert.equal(stats.snapshots, 0);
  assert.equal(stats.entries, 9);
  assert.ok(!srv.log.slice(mark).some((l) => l.includes('/snapshot')), 'no snapshot loaded');
  assert.deepEqual(await diff(srv, storage), []);

  // Local disaster: the state is gone. Start over.
  const lost = new MemoryReplicaStorage();
  const fresh = await createReplicator({ url: `${srv.url}/notes/`, storage: lost }).sync();
  assert.equal(fresh.snapshots, 1);
  assert.deepEqual(await diff(srv, lost), []);

  // The feed no longer has the remembered entry (pruned): 410, start over.
  for (let i = 0; i < 6; i++) await put(srv.url, `/notes/z${i}`, { i });
  await srv.store.prune({ maxEvents: 4 });
  const again = await createReplicator({ url: `${srv.url}/notes/`, storage }).sync();
  assert.equal(again.resumed, false);
  assert.equal(again.snapshots, 1);
  assert.deepEqual(await diff(srv, storage), []);
});

test('WES-8 live: PREP notifications keep the replica current within moments, without polling', async () => {
  const srv = await serve({ pageSize: 10 });
  await put(srv.url, '/notes/l0', { v: 0 });
  const storage = new MemoryReplicaStorage();
  const replica = createReplicator({ url: `${srv.url}/notes/`, storage });
  await replica.sync();
  const controller = new AbortController();
  const live = replica.live({ intervalMs: 60_000, signal: controller.signal });
  try {
    await sleep(200); // subscribed
    await put(srv.url, '/notes/l1', { v: 1 });
    await patch(srv.url, '/notes/l0', 'application/merge-patch+json', { v: 2 });
    await until(async () => (await diff(srv, storage)).length === 0, 3000, 'PREP updates');
    await del(srv.url, '/notes/l1');
    await until(async () => (await diff(srv, storage)).length === 0, 3000, 'the delete');
    assert.ok(replica.stats.notifications >= 3);
    assert.ok(srv.log.some((l) => l.startsWith('GET /notes/ ')) || srv.log.includes('GET /notes/'));
  } finally {
    controller.abort();
    await live;
  }
});

test('WES-8 live without PREP: polls the subscription document with If-None-Match', async () => {
  const srv = await serve({ pageSize: 10 });
  await put(srv.url, '/notes/q0', { v: 0 });
  const storage = new MemoryReplicaStorage();
  const replica = createReplicator({ url: `${srv.url}/notes/`, storage });
  await replica.sync();
  const controller = new AbortController();
  const live = replica.live({ intervalMs: 30, prep: false, signal: controller.signal });
  try {
    await sleep(100);
    await put(srv.url, '/notes/q1', { v: 1 });
    await until(async () => (await diff(srv, storage)).length === 0, 3000, 'polling');
    const polls = srv.log.filter((l) => l.startsWith('GET /.well-known/wes/feed/notes/'));
    assert.ok(
      polls.some((l) => l.includes('If-None-Match')),
      'conditional polls',
    );
    assert.equal(replica.stats.notifications, 0);
  } finally {
    controller.abort();
    await live;
  }
});

test('WES-8 live falls back to polling when the server does not serve PREP', async () => {
  const srv = await serve({ pageSize: 10 });
  await put(srv.url, '/notes/f0', { v: 0 });
  // A server (or proxy) that ignores Accept-Events: the request goes out without it.
  const noPrep = ((input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    headers.delete('Accept-Events');
    return fetch(input, { ...init, headers });
  }) as typeof fetch;
  const storage = new MemoryReplicaStorage();
  const messages: string[] = [];
  const replica = createReplicator({
    url: `${srv.url}/notes/`,
    storage,
    fetch: noPrep,
    log: (m) => messages.push(m),
  });
  await replica.sync();
  const controller = new AbortController();
  const live = replica.live({ intervalMs: 30, signal: controller.signal });
  try {
    await sleep(100);
    await put(srv.url, '/notes/f1', { v: 1 });
    await until(async () => (await diff(srv, storage)).length === 0, 5000, 'polling');
    assert.ok(
      messages.some((m) => m.includes('polling')),
      messages.join('\n'),
    );
    assert.equal(replica.stats.notifications, 0);
  } finally {
    controller.abort();
    await live;
  }
});

test('WES-8 the hard case: 1,000 random writes during snapshot generation, catch-up and live; the replica equals the collection exactly', async () => {
  // In memory: the same semantics as SQLite (whose feed is tested in feed.test.ts), at a
  // fraction of the cost per write, which keeps this test quick on a busy machine.
  const store = new MemoryStore();
  await store.open();
  let seqAtThrottle: number[] = [];
  const srv = await serve(
    {
      pageSize: 20,
      snapshotPartSize: 25,
      snapshotYieldEvery: 4,
      snapshotThrottle: async () => {
        seqAtThrottle.push(await store.lastSeq());
        await sleep(2);
      },
      // Feed pages arrive slowly, so writes go on during the catch-up too.
      delay: (req) => (req.url?.startsWith('/.well-known/wes/archive/') ? 15 : 0),
    },
    store,
  );
  // A history before the replica starts: more than a few pages.
  const warmup = workload(srv.url, '/notes/', { total: 120, seed: 7 });
  await warmup.finished;
  seqAtThrottle = [];
  const load = workload(srv.url, '/notes/', { total: 1000, seed: 42, concurrency: 6 });
  await sleep(30);
  const storage = new MemoryReplicaStorage();
  const replica = createReplicator({ url: `${srv.url}/notes/`, storage });
  const doneBefore = load.done();
  await replica.sync();
  const doneAfter = load.done();
  assert.ok(
    doneAfter > doneBefore,
    `writes went on during the sync (${doneBefore} -> ${doneAfter})`,
  );
  assert.ok(
    (seqAtThrottle.at(-1) ?? 0) > (seqAtThrottle[0] ?? 0),
    'writes committed while the snapshot was being read',
  );
  const controller = new AbortController();
  const live = replica.live({ intervalMs: 100, signal: controller.signal });
  try {
    await load.finished;
    await until(async () => (await diff(srv, storage)).length === 0, 20_000, 'live convergence');
  } finally {
    controller.abort();
    await live;
  }
  // And the feed alone gets there too: a final catch-up changes nothing.
  await replica.sync();
  assert.deepEqual(await diff(srv, storage), []);
  const members = ((await store.members('/notes/')) ?? []).length;
  assert.ok(members > 50, `${members} members`);
});
