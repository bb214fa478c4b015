// The container listing helpers (listMembers, fetchMemberPage, memberPageUrl) against our
// server's paged listings, and against a server that has only the plain form.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  fetchMemberPage,
  listMembers,
  memberPageUrl,
  type ContainerMember,
} from '../../packages/client/src/client/index.js';
import { isPrepError } from '../../packages/client/src/core/errors.js';
import { TokenPolicy } from '../../src/server/auth/index.js';
import { putJson, recordingFetch, request, withServer } from './server.js';

async function collectMembers(it: AsyncIterable<ContainerMember>): Promise<ContainerMember[]> {
  const out: ContainerMember[] = [];
  for await (const m of it) out.push(m);
  return out;
}

test('memberPageUrl: the first page, a page after a member, a filter; the container URL’s own query is replaced', () => {
  assert.equal(memberPageUrl('http://h/c/'), 'http://h/c/?after=');
  assert.equal(memberPageUrl('http://h/c/?x=1', { limit: 5 }), 'http://h/c/?limit=5');
  assert.equal(
    memberPageUrl('http://h/c/', { after: '/c/a b', limit: 2 }),
    'http://h/c/?limit=2&after=%2Fc%2Fa+b',
  );
  assert.equal(memberPageUrl('http://h/c/', { contains: 'x' }), 'http://h/c/?contains=x');
});

test('listMembers pages through a container: every member once, in order, with the ETag, type and Last-Modified its GET answers', async () => {
  await withServer({ listing: { pageSize: 3, maxPageSize: 4 } }, async ({ url }) => {
    for (let i = 0; i < 10; i++) await putJson(`${url}/c/m${i}`, { i });
    await request('PUT', `${url}/c/t`, 'text', { 'content-type': 'text/plain' });
    const { fetch, requests } = recordingFetch();
    const members = await collectMembers(listMembers(`${url}/c/`, { fetch }));
    const plain = JSON.parse((await request('GET', `${url}/c/`)).body) as { members: string[] };
    assert.deepEqual(
      members.map((m) => m.path),
      plain.members,
    );
    assert.equal(requests.length, 4, 'default pages of 3: four requests');
    for (const m of members) {
      const head = await fetch(m.url, { method: 'HEAD' });
      assert.equal(m.etag, head.headers.get('etag'));
      assert.equal(m.contentType, head.headers.get('content-type'));
      assert.equal(m.lastModified, Date.parse(head.headers.get('last-modified')!));
    }
    // limit (capped by the server), after, contains.
    const big = await collectMembers(listMembers(`${url}/c/`, { limit: 100, fetch }));
    assert.equal(big.length, 11);
    const after = await collectMembers(listMembers(`${url}/c/`, { after: '/c/m7' }));
    assert.deepEqual(
      after.map((m) => m.path),
      ['/c/m8', '/c/m9', '/c/t'],
    );
    const some = await collectMembers(listMembers(`${url}/c/`, { contains: 'M1' }));
    assert.deepEqual(
      some.map((m) => m.path),
      ['/c/m1'],
    );
  });
});

test('fetchMemberPage: If-None-Match gives not-modified; headers go out (SEC-1: a token sees only what it may read); errors have codes', async () => {
  // A token has its rights plus the anonymous ones (SEC-1): anonymous clients may only write.
  const policy = new TokenPolicy({
    anonymous: [{ prefix: '/', write: true }],
    tokens: [
      { name: 'all', token: 'all-token', rules: [{ prefix: '/', read: true }] },
      {
        name: 'g',
        token: 'g-token',
        rules: [
          { prefix: '/', read: true },
          { prefix: '/c/b', read: false },
        ],
      },
    ],
  });
  await withServer({ access: policy }, async ({ url }) => {
    await putJson(`${url}/c/a`, 1);
    await putJson(`${url}/c/b`, 2);
    const all = { Authorization: 'Bearer all-token' };
    const page = await fetchMemberPage(memberPageUrl(`${url}/c/`, { limit: 10 }), {
      headers: all,
    });
    assert.ok(page !== 'not-modified');
    assert.equal(page.container, '/c/');
    assert.equal(page.next, undefined);
    assert.equal(page.members.length, 2);
    const same = await fetchMemberPage(page.url, { ifNoneMatch: page.etag!, headers: all });
    assert.equal(same, 'not-modified');
    const guest = await fetchMemberPage(page.url, { headers: { Authorization: 'Bearer g-token' } });
    assert.ok(guest !== 'not-modified');
    assert.deepEqual(
      guest.members.map((m) => m.path),
      ['/c/a'],
    );
    await assert.rejects(fetchMemberPage(`${url}/nope/?after=`, { headers: all }), (e) => {
      assert.ok(isPrepError(e, 'LISTING_HTTP'));
      assert.equal(e.status, 404);
      return true;
    });
    await assert.rejects(fetchMemberPage(`${url}/c/?limit=0`), (e) =>
      isPrepError(e, 'LISTING_HTTP'),
    );
  });
});

test('listMembers against a server with only the plain listing: LISTING_INVALID, not a wrong answer', async (t) => {
  const server = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ path: '/c/', members: ['/c/a'] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/c/`;
  await assert.rejects(collectMembers(listMembers(url)), (e) => isPrepError(e, 'LISTING_INVALID'));
});
