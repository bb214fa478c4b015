/**
 * Container listings: the plain form (`{"path","members":[paths]}`) unchanged, and the paged
 * form (`?limit=&after=&contains=`): each member with its ETag, content type and
 * last-modified time, `Link: rel="next"`, validators per page, filters (a name, SEC-1), and
 * notifications on a page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenPolicy } from '../../src/server/auth/index.js';
import { withServer, type FetchedResponse, type TestServer } from '../helpers/server.js';

interface Member {
  path: string;
  etag: string;
  contentType: string;
  lastModified: string;
}
interface Page {
  path: string;
  members: Member[];
  next?: string;
}

const pageOf = (r: FetchedResponse): Page => JSON.parse(r.text) as Page;

/** The `rel="next"` target of a Link field. */
function nextOf(r: FetchedResponse): string | undefined {
  return /<([^>]*)>;\s*rel="next"/.exec(r.headers.get('link') ?? '')?.[1];
}

/** Every page from `first`, following `Link: rel="next"`; each page's body `next` agrees. */
async function allPages(srv: TestServer, first: string): Promise<Page[]> {
  const pages: Page[] = [];
  let url: string | undefined = first;
  while (url !== undefined) {
    const r = await srv.request(url);
    assert.equal(r.status, 200, `${url}: ${r.text}`);
    const page = pageOf(r);
    assert.equal(page.next, nextOf(r), 'the body and the Link name the same next page');
    pages.push(page);
    url = nextOf(r);
    assert.ok(pages.length < 1000, 'the pages end');
  }
  return pages;
}

async function fill(srv: TestServer, n: number, container = '/c/'): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = `${container}m${String(i).padStart(3, '0')}`;
    const r =
      i % 3 === 2
        ? await srv.put(path, `text ${i}`, { type: 'text/plain' })
        : await srv.put(path, { i });
    assert.equal(r.status, 201);
    paths.push(path);
  }
  return paths;
}

test('listing: the plain form stays the default: paths only, the container’s ETag', async () => {
  await withServer({}, async (srv) => {
    const paths = await fill(srv, 5);
    const plain = await srv.request('/c/');
    assert.deepEqual(JSON.parse(plain.text), { path: '/c/', members: paths });
    const meta = (await srv.store.get('/c/'))!;
    assert.equal(plain.headers.get('etag'), meta.etag);
    // Unknown query parameters do not ask for pages; a document ignores the query.
    assert.deepEqual(JSON.parse((await srv.request('/c/?x=1')).text), {
      path: '/c/',
      members: paths,
    });
    assert.deepEqual(JSON.parse((await srv.request('/c/m000?limit=abc')).text), { i: 0 });
  });
});

test('listing pages: each member with its ETag, content type and Last-Modified as its GET says; Link rel="next" until the last page; together, the plain listing', async () => {
  await withServer({ listing: { pageSize: 4, maxPageSize: 6 } }, async (srv) => {
    const paths = await fill(srv, 11);
    await srv.put('/c/sub/x', { deep: true }); // a sub-container is a member too
    const plain = JSON.parse((await srv.request('/c/')).text) as { members: string[] };
    for (const [first, size] of [
      ['/c/?limit=3', 3],
      ['/c/?after=', 4], // the default page size
      ['/c/?limit=5000', 6], // above the bound: the bound
    ] as const) {
      const pages = await allPages(srv, first);
      assert.deepEqual(
        pages.flatMap((p) => p.members.map((m) => m.path)),
        plain.members,
        first,
      );
      for (const p of pages.slice(0, -1)) assert.equal(p.members.length, size, first);
      assert.equal(pages.at(-1)!.next, undefined);
    }
    const members = (await allPages(srv, '/c/?limit=100')).flatMap((p) => p.members);
    for (const m of members) {
      const head = await srv.request(m.path, { method: 'HEAD' });
      assert.equal(m.etag, head.headers.get('etag'), m.path);
      assert.equal(m.lastModified, head.headers.get('last-modified'), m.path);
      assert.equal(m.contentType, head.headers.get('content-type'), m.path);
    }
    assert.equal(members.length, paths.length + 1);
    assert.equal(members.at(-1)!.path, '/c/sub/');
    // The next link carries the limit and the cursor: the last member of this page.
    const r = await srv.request('/c/?limit=3');
    assert.equal(nextOf(r), `/c/?limit=3&after=${encodeURIComponent('/c/m002')}`);
    assert.equal(r.headers.get('content-type'), 'application/json');
    // The container's WES links are still there, beside the next page.
    assert.match(r.headers.get('link') ?? '', /\/\.well-known\/wes\//);
  });
});

test('listing pages: bad limit or after is a 400 problem (BAD_LISTING_QUERY)', async () => {
  await withServer({}, async (srv) => {
    await fill(srv, 2);
    for (const query of [
      'limit=0',
      'limit=-1',
      'limit=abc',
      'limit=1.5',
      'limit=',
      'limit=99999999999',
      `after=${encodeURIComponent('/other/x')}`,
      `after=${encodeURIComponent('/c/')}`,
    ]) {
      const r = await srv.request(`/c/?${query}`);
      assert.equal(r.status, 400, query);
      assert.equal(r.headers.get('content-type'), 'application/problem+json');
      assert.equal((JSON.parse(r.text) as { code: string }).code, 'BAD_LISTING_QUERY', query);
    }
  });
});

test('listing pages: validators per page: 304 while a page is the same, a new tag when a member on it changes, If-Modified-Since, HEAD', async () => {
  await withServer({}, async (srv) => {
    await fill(srv, 6);
    const first = await srv.request('/c/?limit=3');
    const second = await srv.request(`/c/?limit=3&after=${encodeURIComponent('/c/m002')}`);
    const tag1 = first.headers.get('etag')!;
    const tag2 = second.headers.get('etag')!;
    assert.match(tag1, /^"[^"]+"$/, 'a strong tag');
    assert.notEqual(tag1, tag2);
    assert.notEqual(tag1, (await srv.store.get('/c/'))!.etag, 'not the plain listing’s tag');
    const again = await srv.request('/c/?limit=3', { headers: { 'If-None-Match': tag1 } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('etag'), tag1);
    // A member of the second page changes: the first page is the same, the second is not.
    await new Promise((r) => setTimeout(r, 1100)); // Last-Modified has one-second precision
    assert.equal((await srv.put('/c/m004', { changed: true })).status, 204);
    assert.equal(
      (await srv.request('/c/?limit=3', { headers: { 'If-None-Match': tag1 } })).status,
      304,
    );
    const changed = await srv.request(`/c/?limit=3&after=${encodeURIComponent('/c/m002')}`, {
      headers: { 'If-None-Match': tag2 },
    });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), tag2);
    // If-Modified-Since: by the newest of the container's and the page's members' times.
    const since = { 'If-Modified-Since': first.headers.get('last-modified')! };
    assert.equal((await srv.request('/c/?limit=3', { headers: since })).status, 304);
    const modified = await srv.request(`/c/?limit=3&after=${encodeURIComponent('/c/m002')}`, {
      headers: { 'If-Modified-Since': second.headers.get('last-modified')! },
    });
    assert.equal(modified.status, 200);
    // HEAD: the same fields, no body.
    const head = await srv.request('/c/?limit=3', { method: 'HEAD' });
    assert.equal(head.body.length, 0);
    assert.equal(head.headers.get('etag'), tag1);
    assert.equal(head.headers.get('link'), first.headers.get('link'));
    // A new member that sorts into the first page changes it.
    await srv.put('/c/a-first', { new: true });
    const grown = await srv.request('/c/?limit=3', { headers: { 'If-None-Match': tag1 } });
    assert.equal(grown.status, 200);
    assert.equal(pageOf(grown).members[0]!.path, '/c/a-first');
  });
});

test('listing pages: contains filters by name (decoded, case-insensitive), pages carry it, and a request reads a bounded number of members', async () => {
  // maxPageSize 2: a request reads at most 10 × 2 members looking for matches.
  await withServer({ listing: { pageSize: 2, maxPageSize: 2 } }, async (srv) => {
    await fill(srv, 45);
    await srv.put('/c/Caf%C3%A9-noir', { name: 'café' });
    await srv.put('/c/zz-cafe', { name: 'cafe' });
    const pages = await allPages(srv, `/c/?contains=${encodeURIComponent('CAFÉ')}`);
    assert.deepEqual(
      pages.flatMap((p) => p.members.map((m) => m.path)),
      ['/c/Caf%C3%A9-noir'],
    );
    // The first request reads 20 members: none matches, and its page says where to go on.
    const first = await srv.request('/c/?contains=cafe');
    assert.deepEqual(pageOf(first).members, []);
    assert.match(nextOf(first) ?? '', /[?&]contains=cafe(&|$)/);
    const found = (await allPages(srv, '/c/?contains=cafe')).flatMap((p) =>
      p.members.map((m) => m.path),
    );
    assert.deepEqual(found, ['/c/zz-cafe']);
    const m01 = (await allPages(srv, '/c/?contains=m01')).flatMap((p) => p.members);
    assert.deepEqual(
      m01.map((m) => m.path),
      Array.from({ length: 10 }, (_, i) => `/c/m01${i}`),
    );
  });
});

test('SEC-1 listing pages name only the members the reader may read, plain and paged', async () => {
  const policy = new TokenPolicy({
    tokens: [
      { name: 'admin', token: 'admin-token', rules: [{ prefix: '/', read: true, write: true }] },
      {
        name: 'guest',
        token: 'guest-token',
        rules: [
          { prefix: '/c/', read: true, subscribe: true },
          { prefix: '/c/m00', read: false },
        ],
      },
    ],
  });
  const admin = { Authorization: 'Bearer admin-token' };
  const guest = { Authorization: 'Bearer guest-token' };
  await withServer({ access: policy }, async (srv) => {
    for (let i = 0; i < 14; i++)
      assert.equal(
        (await srv.put(`/c/m${String(i).padStart(3, '0')}`, { i }, { headers: admin })).status,
        201,
      );
    const hidden = (p: string) => p.startsWith('/c/m00');
    const plain = JSON.parse((await srv.request('/c/', { headers: guest })).text) as {
      members: string[];
    };
    assert.deepEqual(plain.members, ['/c/m010', '/c/m011', '/c/m012', '/c/m013']);
    const paged: string[] = [];
    let url: string | undefined = '/c/?limit=3';
    while (url !== undefined) {
      const r = await srv.request(url, { headers: guest });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), 'private, no-cache');
      assert.match(r.headers.get('vary') ?? '', /Authorization/);
      paged.push(...pageOf(r).members.map((m) => m.path));
      url = nextOf(r);
    }
    assert.deepEqual(paged, plain.members);
    assert.ok(!paged.some(hidden));
    // The admin's pages list all of them, and differ from the guest's.
    const all = JSON.parse((await srv.request('/c/?limit=100', { headers: admin })).text) as Page;
    assert.equal(all.members.length, 14);
  });
});

test('N822-5 N822-6 N822-8 RSP-3 a page can be watched: part 1 is the page, notifications name the member (Content-Location) with no ETag and no delta; the container’s own stream is unchanged', async () => {
  await withServer({}, async (srv) => {
    await fill(srv, 4);
    const ask = {
      'Accept-Events': '"prep";accept=("message/rfc822";delta="application/json-patch+json")',
    };
    const page = await srv.subscribe('/c/?limit=2', { headers: ask });
    const whole = await srv.subscribe('/c/', { headers: ask });
    assert.deepEqual(
      (JSON.parse(Buffer.from(page.part1.body).toString()) as Page).members.map((m) => m.path),
      ['/c/m000', '/c/m001'],
    );
    assert.match(page.part1.headers.get('etag') ?? '', /^"page\./);
    assert.equal(page.response.headers.get('accept-events'), '"prep";accept="message/rfc822"');
    assert.match(page.response.headers.get('link') ?? '', /rel="next"/);
    assert.match(whole.response.headers.get('accept-events') ?? '', /json-patch/);
    const posted = await srv.request('/c/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Slug: 'new' },
      body: '{"n":1}',
    });
    assert.equal(posted.status, 201);
    await srv.put('/c/m003', { changed: true });
    const onPage = await page.notifications(2);
    assert.deepEqual(
      onPage.map((n) => [n.method, n.contentLocation, n.etag, n.delta]),
      [
        ['POST', posted.headers.get('location'), undefined, undefined],
        ['PUT', '/c/m003', undefined, undefined],
      ],
    );
    const onWhole = await whole.notifications(2);
    assert.equal(onWhole[0]!.contentLocation, posted.headers.get('location'));
    assert.equal(onWhole[0]!.etag, (await srv.store.get('/c/'))!.etag, 'the membership tag');
  });
});
