import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { fileScope } from '../helpers/cleanup.js';
import {
  readSnapshotPart,
  fetchSnapshotIndex,
} from '../../packages/client/src/client/wes/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { wesLinks, REL_WES_FEED, REL_WES_SNAPSHOT } from '../../src/server/app/wes/index.js';
import { put } from './workload.js';
import { startWesServer, type WesTestServer as TestServer } from './wes-server.js';

const file = fileScope();

let server: TestServer;
let store: MemoryStore;

before(async () => {
  store = new MemoryStore();
  await store.open();
  server = await startWesServer(file, store, { snapshotPartSize: 3 });
  for (let i = 0; i < 7; i++) await put(server.url, `/notes/n${i}`, { i });
  await put(server.url, '/notes/sub/x', { nested: true }); // a sub-container: not an entity
  await put(server.url, '/other/o', { elsewhere: true });
});

/** Splits a multipart document into parts, keeping each header block's lines as sent. */
function rawParts(bytes: Uint8Array, boundary: string): Array<{ lines: string[]; body: string }> {
  const text = Buffer.from(bytes).toString('latin1');
  assert.ok(text.startsWith(`--${boundary}\r\n`), 'opens with the first delimiter');
  assert.ok(text.endsWith(`\r\n--${boundary}--\r\n`), 'ends with the close delimiter');
  const inner = text.slice(`--${boundary}\r\n`.length, -`\r\n--${boundary}--\r\n`.length);
  return inner.split(`\r\n--${boundary}\r\n`).map((p) => {
    const end = p.indexOf('\r\n\r\n');
    return { lines: p.slice(0, end).split('\r\n'), body: p.slice(end + 4) };
  });
}

test('WES-1 the snapshot index is { id, started, completed, uris } with epoch ms and its parts in order', async () => {
  const t0 = Date.now();
  const res = await fetch(`${server.url}/.well-known/wes/snapshot/notes/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  const index = (await res.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(index), ['id', 'started', 'completed', 'uris']);
  assert.equal(typeof index.id, 'string');
  assert.ok(Number.isInteger(index.started) && Number.isInteger(index.completed));
  const started = index.started as number;
  const completed = index.completed as number;
  assert.ok(started >= t0 - 5000 && started <= completed && completed <= Date.now());
  const uris = index.uris as string[];
  // 7 entities, 3 per part: 3 parts, named in order.
  assert.equal(uris.length, 3);
  uris.forEach((u, n) => assert.ok(u.endsWith(`/${n}`), u));
  // The latest index: revalidated every time (no-cache) and answered 304 when unchanged.
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  const etag = res.headers.get('etag') as string;
  const again = await fetch(`${server.url}/.well-known/wes/snapshot/notes/`, {
    headers: { 'If-None-Match': etag },
  });
  assert.equal(again.status, 304);
  // The snapshot's own index never changes: long caching.
  const own = await fetch(new URL(res.headers.get('content-location') as string, server.url));
  assert.equal(own.status, 200);
  assert.equal(own.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.deepEqual(await own.json(), index);
  // It and its parts answer If-None-Match with 304 as well.
  const ownAgain = await fetch(new URL(res.headers.get('content-location') as string, server.url), {
    headers: { 'If-None-Match': own.headers.get('etag') as string },
  });
  assert.equal(ownAgain.status, 304);
  const part = await fetch(new URL(uris[0]!, server.url));
  await part.arrayBuffer();
  const partAgain = await fetch(new URL(uris[0]!, server.url), {
    headers: { 'If-None-Match': part.headers.get('etag') as string },
  });
  assert.equal(partAgain.status, 304);
  assert.equal((await partAgain.arrayBuffer()).byteLength, 0);
});

test('WES-1 POST makes a new snapshot (201, Location); GET then serves the newest', async () => {
  const first = await fetchSnapshotIndex(`${server.url}/.well-known/wes/snapshot/notes/`);
  const res = await fetch(`${server.url}/.well-known/wes/snapshot/notes/`, { method: 'POST' });
  assert.equal(res.status, 201);
  const made = (await res.json()) as { id: string; started: number };
  assert.notEqual(made.id, first.id);
  assert.ok(made.started >= first.started);
  assert.equal(
    new URL(res.headers.get('location') as string, server.url).pathname,
    `/.well-known/wes/snapshots/${made.id}`,
  );
  const latest = await fetchSnapshotIndex(`${server.url}/.well-known/wes/snapshot/notes/`);
  assert.equal(latest.id, made.id);
  // No such container: 404, not an empty snapshot.
  const missing = await fetch(`${server.url}/.well-known/wes/snapshot/nothing/`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get('content-type'), 'application/problem+json');
});

test('WES-2 a snapshot part is a multipart document, one part per entity with Content-Disposition, Content-Type, Content-Location, ETag, Content-Length', async () => {
  const index = await fetchSnapshotIndex(`${server.url}/.well-known/wes/snapshot/notes/`);
  const seen: string[] = [];
  for (const uri of index.uris) {
    const res = await fetch(uri);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const type = res.headers.get('content-type') as string;
    const boundary = /^multipart\/mixed; boundary="([^"]+)"$/.exec(type)?.[1];
    assert.ok(boundary, type);
    const parts = rawParts(new Uint8Array(await res.arrayBuffer()), boundary);
    assert.ok(parts.length >= 1 && parts.length <= 3);
    for (const p of parts) {
      const names = p.lines.map((l) => l.slice(0, l.indexOf(':')));
      assert.deepEqual(names, [
        'Content-Disposition',
        'Content-Type',
        'Content-Location',
        'ETag',
        'Content-Length',
      ]);
      const field = (n: string) => p.lines.find((l) => l.startsWith(`${n}: `))?.slice(n.length + 2);
      assert.equal(field('Content-Disposition'), 'inline');
      const path = field('Content-Location') as string;
      const r = await store.get(path);
      assert.ok(r, path);
      assert.equal(field('Content-Type'), r.contentType);
      assert.equal(field('ETag'), r.etag);
      assert.equal(Number(field('Content-Length')), Buffer.byteLength(p.body, 'latin1'));
      assert.equal(p.body, Buffer.from(r.body).toString('latin1'));
      seen.push(path);
    }
  }
  // Every direct, non-container member, in path order; no sub-container, nothing elsewhere.
  assert.deepEqual(
    seen,
    [0, 1, 2, 3, 4, 5, 6].map((i) => `/notes/n${i}`),
  );
});

test("WES-2 the consumer reads the draft's multipart/package example, whose first part has no opening delimiter", async () => {
  const boundary = '_-------------1435019846753';
  const body = [
    'Content-Disposition: inline',
    'Content-Type: application/entity-images+json',
    'Content-Location: /entities/variant/16325906:001:99999',
    'Content-Length: 93',
    '',
    '{"id":"16325906:001:99999","assets":[{"id":"930770","role":"spot"},{"id":"9424","role":"1"}]}',
    `--${boundary}`,
    'Content-Disposition: inline',
    'Content-Type: application/entity-images+json',
    'Content-Location: /entities/variant/16326538:001:99999',
    'Content-Length: 93',
    '',
    '{"id":"16326538:001:99999","assets":[{"id":"931862","role":"spot"},{"id":"9425","role":"1"}]}',
    `--${boundary}--`,
    '',
  ].join('\r\n');
  const fakeFetch = (() =>
    Promise.resolve(
      new Response(body, {
        headers: { 'Content-Type': `multipart/package; boundary="${boundary}"` },
      }),
    )) as unknown as typeof fetch;
  const got = [];
  for await (const e of readSnapshotPart('http://example.org/resourcesync/variant/snapshot/x/0', {
    fetch: fakeFetch,
  }))
    got.push(e);
  assert.deepEqual(
    got.map((e) => [e.url, e.contentType, new TextDecoder().decode(e.body).length]),
    [
      [
        'http://example.org/entities/variant/16325906:001:99999',
        'application/entity-images+json',
        93,
      ],
      [
        'http://example.org/entities/variant/16326538:001:99999',
        'application/entity-images+json',
        93,
      ],
    ],
  );
});

test('WES-1 generating a snapshot does not block writes; started is taken before reading and completed after', async () => {
  const s = new MemoryStore();
  await s.open();
  let writesDuring = 0;
  let generating = false;
  const srv = await startWesServer(file, s, {
    snapshotPartSize: 10,
    snapshotYieldEvery: 5,
    // At each yield a write goes through and completes: generation holds no lock.
    snapshotThrottle: async () => {
      if (!generating) return;
      const status = await put(srv.url, `/c/w${writesDuring}`, { during: writesDuring });
      assert.ok(status === 201 || status === 204);
      writesDuring++;
    },
  });
  try {
    for (let i = 0; i < 40; i++) await put(srv.url, `/c/e${String(i).padStart(2, '0')}`, { i });
    const before = await s.lastSeq();
    generating = true;
    const index = await fetchSnapshotIndex(`${srv.url}/.well-known/wes/snapshot/c/`, {
      method: 'POST',
    });
    generating = false;
    assert.ok(writesDuring >= 7, `${writesDuring} writes went through during generation`);
    const during = await s.events({ afterSeq: before, parent: '/c/' });
    assert.equal(during.length, writesDuring);
    for (const e of during) {
      assert.ok(e.time >= index.started, 'every write made during generation is after started');
      assert.ok(e.time <= index.completed, 'and before completed');
    }
  } finally {
    await srv.close();
  }
});

test('WES-1 discovery: wesLinks names the feed and the snapshot of a container', () => {
  const value = wesLinks('/notes/');
  assert.equal(
    value,
    `</.well-known/wes/feed/notes/>; rel="${REL_WES_FEED}", </.well-known/wes/snapshot/notes/>; rel="${REL_WES_SNAPSHOT}"`,
  );
  assert.ok(
    wesLinks('/', 'https://example.org').startsWith('<https://example.org/.well-known/wes/feed/>'),
  );
});

test('WES-1 the latest snapshot is made again once the feed has grown past snapshotStaleAfter entries', async () => {
  const s = new MemoryStore();
  await s.open();
  const srv = await startWesServer(file, s, { pageSize: 2, snapshotStaleAfter: 3 });
  try {
    await put(srv.url, '/c/a', { v: 0 });
    const url = `${srv.url}/.well-known/wes/snapshot/c/`;
    const first = await fetchSnapshotIndex(url);
    for (let v = 1; v <= 3; v++) await put(srv.url, '/c/a', { v });
    assert.equal((await fetchSnapshotIndex(url)).id, first.id, '3 entries later: still usable');
    await put(srv.url, '/c/a', { v: 4 });
    const second = await fetchSnapshotIndex(url);
    assert.notEqual(second.id, first.id, '4 entries later: a consumer gets a fresh one');
    assert.ok(second.started >= first.completed);
  } finally {
    await srv.close();
  }
});
