import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  applyDelta,
  formatHttpDate,
  parseMultipart,
} from '../../packages/client/src/core/index.js';
import {
  fetchFeedPage,
  type FeedEntry,
  type FeedPage,
} from '../../packages/client/src/client/wes/index.js';
import { MemoryStore, SqliteStore, type Store } from '../../src/store/index.js';
import { del, patch, post, put } from './workload.js';
import { startWesServer, type WesTestServer as TestServer } from './wes-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
const scope = { after: (fn: () => unknown) => void cleanups.push(async () => void (await fn())) };
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function serve(
  pageSize: number,
  store?: Store,
  extra: { delay?: (req: http.IncomingMessage) => number } = {},
): Promise<TestServer> {
  const s = store ?? new MemoryStore();
  if (!store) await s.open();
  const srv = await startWesServer(scope, s, { pageSize, ...extra });
  return srv;
}

/** The raw bytes and the headers we set (not Date, Connection, Keep-Alive). */
async function raw(url: string, init: RequestInit = {}) {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const bytes = Buffer.from(await res.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [n, v] of res.headers)
    if (!['date', 'connection', 'keep-alive'].includes(n)) headers[n] = v;
  return { status: res.status, headers, bytes };
}

/** Each part's header lines, as sent, and its body. */
async function entriesOf(res: { headers: Record<string, string>; bytes: Buffer }) {
  const boundary = /boundary="([^"]+)"/.exec(res.headers['content-type'] ?? '')?.[1] as string;
  const text = res.bytes.toString('latin1');
  const out: Array<{ lines: string[]; body: string }> = [];
  if (text === `--${boundary}--\r\n`) return out;
  const inner = text.slice(`--${boundary}\r\n`.length, -`\r\n--${boundary}--\r\n`.length);
  for (const p of inner.split(`\r\n--${boundary}\r\n`)) {
    const end = p.indexOf('\r\n\r\n');
    out.push({ lines: p.slice(0, end).split('\r\n'), body: p.slice(end + 4) });
  }
  // The streaming decoder agrees on the number of parts.
  const stream = new Response(new Uint8Array(res.bytes)).body as ReadableStream<Uint8Array>;
  let n = 0;
  for await (const part of parseMultipart(stream, boundary)) {
    await part.bytes();
    n++;
  }
  assert.equal(n, out.length);
  return out;
}

const feedOf = (srv: TestServer, c = 'notes/') => `${srv.url}/.well-known/wes/feed/${c}`;
const archiveOf = (srv: TestServer, k: number, c = 'notes/') =>
  `${srv.url}/.well-known/wes/archive/0/${k}/${c}`;

test('WES-3 entry headers: about, self, Event-Type, Content-Type, Last-Modified, ETag, Content-ID, Content-Length, then the body', async () => {
  const srv = await serve(100);
  await put(srv.url, '/notes/a', { n: 1, list: [] });
  await patch(srv.url, '/notes/a', 'application/json-patch+json', [
    { op: 'add', path: '/list/-', value: 7 },
  ]);
  const created = await post(srv.url, '/notes/', { made: 'by POST' });
  await del(srv.url, '/notes/a');
  const events = await srv.store.events({ parent: '/notes/' });
  assert.equal(events.length, 4);
  const page = await raw(feedOf(srv));
  assert.equal(page.status, 200);
  const entries = await entriesOf(page);
  assert.equal(entries.length, 4);
  const tag = srv.store.storeId.replace(/-/g, '').slice(0, 10);
  const expect = (
    i: number,
    about: string,
    method: string,
    type: string | undefined,
    body: string,
  ) => {
    const e = events[i]!;
    const lines = [
      `Link: <${about}>; rel="about"`,
      `Link: </.well-known/wes/changes/${e.seq}.${tag}/notes/>; rel="self"`,
      `Event-Type: http-equiv=${method}`,
      ...(type ? [`Content-Type: ${type}`] : []),
      `Last-Modified: ${formatHttpDate(e.time)}`,
      ...(method === 'DELETE' ? [] : [`ETag: ${e.etag}`]),
      `Content-ID: <${e.seq}.${tag}@localhost>`,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    assert.deepEqual(entries[i], { lines, body });
  };
  // PUT and POST carry the full state; PATCH the patch, with the patch's media type (WES-6).
  expect(0, '/notes/a', 'PUT', 'application/json', '{"n":1,"list":[]}');
  expect(
    1,
    '/notes/a',
    'PATCH',
    'application/json-patch+json',
    '[{"op":"add","path":"/list/-","value":7}]',
  );
  expect(2, created, 'POST', 'application/json', '{"made":"by POST"}');
  // DELETE: no body.
  expect(3, '/notes/a', 'DELETE', undefined, '');
});

test('WES-4 Content-IDs are unique, entries are appended at the end and never move', async () => {
  const srv = await serve(4);
  for (let i = 0; i < 10; i++) await put(srv.url, `/notes/x${i % 3}`, { i });
  const before: string[] = [];
  for (let k = 0; k < 2; k++) before.push((await raw(archiveOf(srv, k))).bytes.toString('latin1'));
  const sub1 = await fetchFeedPage(feedOf(srv));
  for (let i = 10; i < 23; i++) await put(srv.url, `/notes/x${i % 3}`, { i });
  // Old archives are byte for byte what they were.
  for (let k = 0; k < 2; k++)
    assert.equal((await raw(archiveOf(srv, k))).bytes.toString('latin1'), before[k]);
  // The entries of the old subscription document are now the start of archive 2, in order.
  const a2 = (await fetchFeedPage(archiveOf(srv, 2))) as FeedPage;
  assert.deepEqual(
    a2.entries.slice(0, (sub1 as FeedPage).entries.length).map((e) => e.id),
    (sub1 as FeedPage).entries.map((e) => e.id),
  );
  // All entries, oldest first: unique ids, seq order (times never decrease).
  const all: FeedEntry[] = [];
  for (let k = 0; k < 5; k++)
    all.push(...((await fetchFeedPage(archiveOf(srv, k))) as FeedPage).entries);
  all.push(...((await fetchFeedPage(feedOf(srv))) as FeedPage).entries);
  assert.equal(all.length, 23);
  assert.equal(new Set(all.map((e) => e.id)).size, 23);
  const seqs = all.map((e) => Number(e.id.split('.')[0]));
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
  );
  assert.deepEqual(
    all.map((e) => (JSON.parse(new TextDecoder().decode(e.body)) as { i: number }).i),
    Array.from({ length: 23 }, (_, i) => i),
  );
});

test('WES-5 archived feed: archives of exactly pageSize entries with prev-archive/next-archive/current, the rest in the subscription document', async () => {
  const srv = await serve(5);
  for (let i = 0; i < 17; i++) await put(srv.url, `/notes/p${i}`, { i });
  const sub = await raw(feedOf(srv));
  assert.equal(sub.status, 200);
  assert.equal((await entriesOf(sub)).length, 2); // 17 = 3 * 5 + 2
  assert.equal(sub.headers['cache-control'], 'no-cache');
  assert.match(sub.headers.etag ?? '', /^"[^"]+"$/);
  assert.match(
    sub.headers.link ?? '',
    /^<\/\.well-known\/wes\/archive\/0\/2\/notes\/>; rel="prev-archive"/,
  );
  for (let k = 0; k < 3; k++) {
    const a = await raw(archiveOf(srv, k));
    assert.equal(a.status, 200);
    assert.equal((await entriesOf(a)).length, 5);
    assert.equal(a.headers['cache-control'], 'public, max-age=31536000, immutable');
    const links = a.headers.link ?? '';
    assert.equal(links.includes('rel="prev-archive"'), k > 0);
    if (k > 0)
      assert.ok(links.includes(`</.well-known/wes/archive/0/${k - 1}/notes/>; rel="prev-archive"`));
    assert.ok(links.includes(`</.well-known/wes/archive/0/${k + 1}/notes/>; rel="next-archive"`));
    assert.ok(links.includes('</.well-known/wes/feed/notes/>; rel="current"'));
  }
  // Not archived yet: no such archive (and nothing cached about it).
  const notYet = await raw(archiveOf(srv, 3));
  assert.equal(notYet.status, 404);
  assert.equal(notYet.headers['cache-control'], 'no-store');
  // A page fills up exactly at pageSize: then it is an archive and the subscription is empty.
  for (let i = 17; i < 20; i++) await put(srv.url, `/notes/p${i}`, { i });
  const a3 = await raw(archiveOf(srv, 3));
  assert.equal(a3.status, 200);
  assert.equal((await entriesOf(a3)).length, 5);
  assert.equal((await entriesOf(await raw(feedOf(srv)))).length, 0);
});

test('WES-5 the subscription document answers If-None-Match with 304 until it changes; archives too', async () => {
  const srv = await serve(3);
  for (let i = 0; i < 4; i++) await put(srv.url, `/notes/q${i}`, { i });
  const first = await raw(feedOf(srv));
  const etag = first.headers.etag as string;
  const same = await raw(feedOf(srv), { headers: { 'If-None-Match': etag } });
  assert.equal(same.status, 304);
  assert.equal(same.bytes.length, 0);
  assert.equal(same.headers.etag, etag);
  assert.equal(same.headers['cache-control'], 'no-cache');
  await put(srv.url, '/notes/q9', { i: 9 });
  const changed = await raw(feedOf(srv), { headers: { 'If-None-Match': etag } });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.etag, etag);
  assert.equal((await entriesOf(changed)).length, 2);
  const a = await raw(archiveOf(srv, 0));
  const a304 = await raw(archiveOf(srv, 0), {
    headers: { 'If-None-Match': a.headers.etag as string },
  });
  assert.equal(a304.status, 304);
  // HEAD: the same headers, no body.
  const head = await raw(archiveOf(srv, 0), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.bytes.length, 0);
  assert.equal(head.headers['content-length'], a.headers['content-length']);
});

test('WES-5 RFC 9110 feed pages and archives answer If-Modified-Since as If-None-Match: 304 when not modified since, 200 when modified; If-None-Match decides when both are sent', async () => {
  const srv = await serve(3);
  for (let i = 0; i < 4; i++) await put(srv.url, `/notes/m${i}`, { i });
  for (const url of [feedOf(srv), archiveOf(srv, 0)]) {
    const first = await raw(url);
    const modified = first.headers['last-modified'] as string;
    assert.ok(modified, `${url}: Last-Modified`);
    const at = Date.parse(modified);
    const since = (ms: number) => ({ 'If-Modified-Since': formatHttpDate(ms) });
    for (const ms of [at, at + 60_000]) {
      const r = await raw(url, { headers: since(ms) });
      assert.equal(r.status, 304, `${url} since ${formatHttpDate(ms)}`);
      assert.equal(r.bytes.length, 0);
      assert.equal(r.headers.etag, first.headers.etag);
      assert.equal(r.headers['last-modified'], modified);
    }
    const older = await raw(url, { headers: since(at - 1000) });
    assert.equal(older.status, 200);
    assert.deepEqual(older.bytes, first.bytes);
    // RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is there.
    const both = await raw(url, { headers: { ...since(at), 'If-None-Match': '"other"' } });
    assert.equal(both.status, 200);
    // An unparsable date is ignored.
    assert.equal((await raw(url, { headers: { 'If-Modified-Since': 'yesterday' } })).status, 200);
  }
  // The current page changes: the old date no longer holds.
  const before = await raw(feedOf(srv));
  await new Promise((r) => setTimeout(r, 1100)); // Last-Modified has one-second precision
  await put(srv.url, '/notes/m9', { i: 9 });
  const after = await raw(feedOf(srv), {
    headers: { 'If-Modified-Since': before.headers['last-modified'] as string },
  });
  assert.equal(after.status, 200);
});

test('WES-5 archives are byte-identical across requests and across a restart on the same SqliteStore file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wes-restart-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const filename = join(dir, 'prep.db');
  const store1 = new SqliteStore({ filename });
  await store1.open();
  const srv1 = await startWesServer(scope, store1, { pageSize: 4 });
  for (let i = 0; i < 9; i++) await put(srv1.url, `/notes/r${i % 4}`, { i, text: 'x'.repeat(i) });
  await patch(srv1.url, '/notes/r1', 'application/merge-patch+json', { patched: true });
  await del(srv1.url, '/notes/r2');
  const a0 = await raw(archiveOf(srv1, 0));
  const a1 = await raw(archiveOf(srv1, 1));
  assert.deepEqual(await raw(archiveOf(srv1, 0)), a0);
  assert.deepEqual(await raw(archiveOf(srv1, 1)), a1);
  const sub = await raw(feedOf(srv1));
  await srv1.close();
  await store1.close();

  const store2 = new SqliteStore({ filename });
  await store2.open();
  const srv2 = await startWesServer(scope, store2, { pageSize: 4 });
  cleanups.push(async () => {
    await srv2.close();
    await store2.close();
  });
  assert.deepEqual(await raw(archiveOf(srv2, 0)), a0);
  assert.deepEqual(await raw(archiveOf(srv2, 1)), a1);
  // The subscription document too, while nothing changed (same ETag, same bytes).
  assert.deepEqual(await raw(feedOf(srv2)), sub);
  // Header order is fixed too: compare the raw response head.
  const head = (url: string) =>
    new Promise<string[]>((resolve, reject) => {
      http
        .get(url, (res) => {
          res.resume();
          resolve(
            res.rawHeaders
              .filter((_, i) => i % 2 === 0)
              .filter((n) => !['Date', 'Connection', 'Keep-Alive'].includes(n)),
          );
        })
        .on('error', reject);
    });
  assert.deepEqual(await head(archiveOf(srv2, 0)), [
    'Content-Type',
    'Cache-Control',
    'ETag',
    'Last-Modified',
    'Link',
    'Content-Length',
    'Access-Control-Allow-Origin',
    'Access-Control-Expose-Headers',
  ]);
});

test('WES-5 pages whose entries were pruned answer 410 with a problem pointing to the snapshot', async () => {
  const store = new MemoryStore();
  await store.open();
  const srv = await serve(3, store);
  for (let i = 0; i < 10; i++) await put(srv.url, `/notes/g${i}`, { i });
  assert.equal((await raw(archiveOf(srv, 0))).status, 200);
  const firstId = ((await fetchFeedPage(archiveOf(srv, 0))) as FeedPage).entries[0]!.id.split(
    '@',
  )[0]!;
  await store.prune({ maxEvents: 6 }); // keeps seqs 6..11: archive 0 (2,3,4) and 1 (5,6,7) lose entries
  for (const k of [0, 1]) {
    const gone = await raw(archiveOf(srv, k));
    assert.equal(gone.status, 410);
    assert.equal(gone.headers['content-type'], 'application/problem+json');
    const problem = JSON.parse(gone.bytes.toString()) as {
      status: number;
      code: string;
      snapshot: string;
    };
    assert.equal(problem.status, 410);
    assert.equal(problem.code, 'WES_GONE');
    assert.equal(problem.snapshot, '/.well-known/wes/snapshot/notes/');
    assert.match(
      gone.headers.link ?? '',
      /<\/\.well-known\/wes\/snapshot\/notes\/>; rel="[^"]+#snapshot"/,
    );
  }
  assert.equal((await raw(archiveOf(srv, 2))).status, 200);
  const change = await raw(`${srv.url}/.well-known/wes/changes/${firstId}`);
  assert.equal(change.status, 410);
});

test('WES-5 a caching proxy never serves a stale subscription document, and serves archives from its cache', async () => {
  const srv = await serve(3);
  for (let i = 0; i < 4; i++) await put(srv.url, `/notes/c${i}`, { i });
  // A small shared cache (RFC 9111): stores 200s with an ETag, serves them while fresh
  // (max-age) unless no-cache, revalidates with If-None-Match otherwise.
  const cache = new Map<string, { headers: Headers; body: Buffer; storedAt: number }>();
  const proxy = http.createServer((req, res) => {
    void (async () => {
      const url = srv.url + (req.url ?? '/');
      const hit = cache.get(url);
      const cc = hit?.headers.get('cache-control') ?? '';
      const maxAge = Number(/max-age=(\d+)/.exec(cc)?.[1] ?? 0);
      let outcome = 'MISS';
      let headers: Headers;
      let body: Buffer;
      if (hit && !/no-cache/.test(cc) && Date.now() - hit.storedAt < maxAge * 1000) {
        outcome = 'HIT';
        ({ headers, body } = hit);
      } else {
        const h: Record<string, string> = {};
        const etag = hit?.headers.get('etag');
        if (hit && etag) h['If-None-Match'] = etag;
        const upstream = await fetch(url, { headers: h });
        if (upstream.status === 304 && hit) {
          outcome = 'REVALIDATED';
          await upstream.arrayBuffer();
          hit.storedAt = Date.now();
          ({ headers, body } = hit);
        } else {
          headers = upstream.headers;
          body = Buffer.from(await upstream.arrayBuffer());
          if (
            upstream.status === 200 &&
            headers.get('etag') &&
            !/no-store/.test(headers.get('cache-control') ?? '')
          )
            cache.set(url, { headers, body, storedAt: Date.now() });
        }
      }
      res.writeHead(200, {
        'Content-Type': headers.get('content-type') ?? '',
        'X-Cache': outcome,
      });
      res.end(body);
    })();
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => proxy.close(() => r())));
  const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const get = async (path: string) => {
    const res = await fetch(via + path);
    return {
      cache: res.headers.get('x-cache'),
      page: await import('../../packages/client/src/client/wes/index.js').then((m) =>
        m.readFeedPage(res, via + path),
      ),
    };
  };
  const feedPath = '/.well-known/wes/feed/notes/';
  const one = await get(feedPath);
  assert.equal(one.cache, 'MISS');
  assert.equal(one.page.entries.length, 1);
  const two = await get(feedPath);
  assert.equal(two.cache, 'REVALIDATED'); // no-cache: asked the origin, which said 304
  await put(srv.url, '/notes/c9', { i: 9 });
  const three = await get(feedPath);
  assert.equal(three.cache, 'MISS');
  assert.equal(three.page.entries.length, 2, 'the new entry is there: never stale');
  // Archives are immutable: the second request never reaches the origin.
  const archivePath = '/.well-known/wes/archive/0/0/notes/';
  assert.equal((await get(archivePath)).cache, 'MISS');
  const before = srv.log.length;
  const again = await get(archivePath);
  assert.equal(again.cache, 'HIT');
  assert.equal(again.page.entries.length, 3);
  assert.equal(srv.log.length, before);
});

test('WES-6 replaying every entry as the request it stands for rebuilds the collection', async () => {
  const srv = await serve(7);
  for (let i = 0; i < 30; i++) {
    const name = `/notes/w${i % 5}`;
    if (i % 7 === 3) await del(srv.url, name);
    else if (i % 3 === 1)
      await patch(srv.url, name, 'application/json-patch+json', [
        { op: 'add', path: '/log/-', value: i },
      ]);
    else if (i % 5 === 2) await patch(srv.url, name, 'application/merge-patch+json', { last: i });
    else if (i % 4 === 0) await post(srv.url, '/notes/', { i, log: [] });
    else await put(srv.url, name, { i, log: [] });
  }
  // Walk from the subscription document back to the first archive, then replay forward.
  const pages: FeedPage[] = [];
  let page = (await fetchFeedPage(feedOf(srv))) as FeedPage;
  for (;;) {
    pages.unshift(page);
    if (!page.prevArchive) break;
    page = (await fetchFeedPage(page.prevArchive)) as FeedPage;
  }
  const state = new Map<string, Uint8Array>();
  for (const e of pages.flatMap((p) => p.entries)) {
    const path = new URL(e.about).pathname;
    if (e.method === 'DELETE') state.delete(path);
    else if (e.method === 'PATCH') {
      const before = state.get(path);
      if (before) state.set(path, applyDelta(e.contentType as string, before, e.body));
    } else state.set(path, e.body);
  }
  const members = (await srv.store.members('/notes/')) ?? [];
  assert.deepEqual([...state.keys()].sort(), members.map((m) => m.path).sort());
  for (const m of members) {
    const r = await srv.store.get(m.path);
    assert.equal(
      Buffer.from(state.get(m.path) as Uint8Array).toString(),
      Buffer.from(r!.body).toString(),
      m.path,
    );
  }
});

test("WES-7 an entry's self link redirects: 302 to the subscription document, 301 to its archive once archived", async () => {
  const srv = await serve(3);
  await put(srv.url, '/notes/s0', { i: 0 });
  const page = (await fetchFeedPage(feedOf(srv))) as FeedPage;
  const entry = page.entries[0]!;
  assert.ok(entry.self);
  // `/.well-known/wes/changes/<id>/<container>`: the container is checked first (SEC-1).
  const [, id, container] = /\/changes\/([^/]+)(\/.*)$/.exec(new URL(entry.self).pathname) ?? [];
  assert.equal(entry.id, `${id}@localhost`);
  assert.equal(container, '/notes/');
  const r1 = await raw(entry.self);
  assert.equal(r1.status, 302);
  assert.equal(r1.headers.location, `/.well-known/wes/feed/notes/#${id}`);
  for (let i = 1; i < 4; i++) await put(srv.url, `/notes/s${i}`, { i });
  const r2 = await raw(entry.self);
  assert.equal(r2.status, 301);
  assert.equal(r2.headers.location, `/.well-known/wes/archive/0/0/notes/#${id}`);
  assert.equal(r2.headers['cache-control'], 'public, max-age=31536000, immutable');
  // Following it lands on the page that holds the entry.
  const landed = (await fetchFeedPage(entry.self)) as FeedPage;
  assert.ok(landed.entries.some((e) => e.id === entry.id));
  // A link made before links named the container still leads there.
  const legacy = await raw(`${srv.url}/.well-known/wes/changes/${id}`);
  assert.equal(legacy.status, 301);
  assert.equal(legacy.headers.location, r2.headers.location);
  // Unknown ids, and an entry asked for under another container: 404.
  assert.equal(
    (await raw(`${srv.url}/.well-known/wes/changes/999.${id!.split('.')[1]}/notes/`)).status,
    404,
  );
  assert.equal((await raw(`${srv.url}/.well-known/wes/changes/${id}/other/`)).status, 404);
  assert.equal((await raw(`${srv.url}/.well-known/wes/changes/nonsense`)).status, 404);
});

test('WES-3 a feed holds the events about its direct entities only: sub-containers and other collections are out', async () => {
  const srv = await serve(100);
  await put(srv.url, '/notes/a', { a: 1 }); // also creates /notes/ (an entry of the root feed)
  await put(srv.url, '/notes/sub/b', { b: 1 }); // creates /notes/sub/: not an entity of /notes/
  await put(srv.url, '/other/c', { c: 1 });
  const notes = (await fetchFeedPage(feedOf(srv))) as FeedPage;
  assert.deepEqual(
    notes.entries.map((e) => new URL(e.about).pathname),
    ['/notes/a'],
  );
  const sub = (await fetchFeedPage(feedOf(srv, 'notes/sub/'))) as FeedPage;
  assert.deepEqual(
    sub.entries.map((e) => new URL(e.about).pathname),
    ['/notes/sub/b'],
  );
  const missing = await raw(feedOf(srv, 'nothing/'));
  assert.equal(missing.status, 404);
  // Other methods are refused; paths outside the prefix are left to the resource server.
  assert.equal((await raw(feedOf(srv), { method: 'DELETE' })).status, 405);
  assert.equal((await raw(`${srv.url}/notes/a`)).status, 200);
});
