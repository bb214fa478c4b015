/**
 * A request with no PREP in it is answered exactly as the upstream answers it: the same
 * requests, sent to one json-server directly and to its twin (same db.json) through the
 * proxy, get the same status line, the same end-to-end fields in the same order and
 * spelling, and the same body bytes. Only what belongs to each connection may differ: the
 * hop-by-hop fields (Connection, Keep-Alive, Transfer-Encoding) and the value of Date.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { exchange, sampleDb, startJsonServer, startTestProxy, type Exchange } from './helpers.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/** What must be equal: everything but hop-by-hop fields and Date's value. */
function comparable(x: Exchange): unknown {
  return {
    status: x.status,
    statusMessage: x.statusMessage,
    fields: x.fields
      .filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase()))
      .map(([n, v]) => [n, n.toLowerCase() === 'date' ? '<date>' : v]),
    body: x.body.toString('base64'),
  };
}

/** Enough posts that json-server compresses the list (over 1 KiB) for a client that asks. */
function bigDb(): Record<string, unknown> {
  const db = sampleDb();
  const posts = db.posts as Array<Record<string, unknown>>;
  for (let id = 3; id <= 40; id++)
    posts.push({ id, title: `post number ${id}`, author: `author ${id % 7}` });
  return db;
}

async function compare(t: TestContext, options: { preserveHost: boolean }): Promise<void> {
  const direct = await startJsonServer(t, bigDb());
  const twin = await startJsonServer(t, bigDb());
  const proxy = await startTestProxy(t, { upstream: twin.url, ...options });
  // The Host each json-server builds its links (Location) with: the twin's own without
  // --preserve-host (the proxy sends the upstream's), the client's with it.
  const host = options.preserveHost ? 'api.example.test' : `127.0.0.1:${twin.port}`;
  const json = [['Content-Type', 'application/json']] as const;
  const requests: Array<{
    method: string;
    path: string;
    fields?: ReadonlyArray<readonly [string, string]>;
    body?: string;
  }> = [
    { method: 'GET', path: '/posts' },
    { method: 'GET', path: '/posts/1' },
    { method: 'GET', path: '/posts?_sort=title&_order=desc&_limit=3' },
    { method: 'HEAD', path: '/posts/1' },
    { method: 'GET', path: '/posts/999' },
    { method: 'GET', path: '/nothing-here' },
    { method: 'GET', path: '/profile' },
    { method: 'GET', path: '/db' },
    { method: 'GET', path: '/' },
    { method: 'GET', path: '/posts', fields: [['Accept-Encoding', 'gzip']] },
    {
      method: 'OPTIONS',
      path: '/posts',
      fields: [
        ['Origin', 'https://app.example'],
        ['Access-Control-Request-Method', 'PATCH'],
      ],
    },
    { method: 'POST', path: '/posts', fields: json, body: '{"title":"created","author":"x"}' },
    { method: 'PUT', path: '/posts/1', fields: json, body: '{"title":"put","author":"y"}' },
    { method: 'PATCH', path: '/posts/2', fields: json, body: '{"title":"patched"}' },
    { method: 'PATCH', path: '/posts/3', fields: json, body: '{"broken json' },
    { method: 'DELETE', path: '/posts/2' },
    { method: 'DELETE', path: '/posts/2' },
    {
      method: 'POST',
      path: '/comments',
      fields: [...json, ['Transfer-Encoding', 'chunked']],
      body: '{"body":"sent in chunks","postId":1}',
    },
    { method: 'GET', path: '/comments' },
  ];
  let compared = 0;
  for (const r of requests) {
    const fields = [['Host', host] as const, ['Accept', 'application/json'] as const];
    const request = { ...r, fields: [...fields, ...(r.fields ?? [])] };
    const a = await exchange(direct.url, request);
    const b = await exchange(proxy.url, request);
    assert.deepEqual(comparable(b), comparable(a), `${r.method} ${r.path}`);
    compared++;
    // Conditional: the same 304 for the same validator.
    if (r.method === 'GET' && r.path === '/posts/1' && a.status === 200) {
      const etag = a.fields.find(([n]) => n.toLowerCase() === 'etag')?.[1];
      assert.ok(etag);
      const cond = { ...request, fields: [...request.fields, ['If-None-Match', etag] as const] };
      const c = await exchange(direct.url, cond);
      const d = await exchange(proxy.url, cond);
      assert.equal(c.status, 304);
      assert.deepEqual(comparable(d), comparable(c));
      compared++;
    }
  }
  assert.equal(compared, requests.length + 1);
  // The classes of answer covered: success, created, no body, not modified, client error.
  const gz = await exchange(proxy.url, {
    method: 'GET',
    path: '/posts',
    fields: [
      ['Host', host],
      ['Accept-Encoding', 'gzip'],
    ],
  });
  assert.ok(
    gz.fields.some(([n, v]) => n.toLowerCase() === 'content-encoding' && v === 'gzip'),
    'a compressed body passes as it is',
  );
}

test('a request without PREP in it is answered exactly as the upstream answers it (json-server, its Host sent)', async (t) => {
  await compare(t, { preserveHost: false });
});

test('a request without PREP in it is answered exactly as the upstream answers it (json-server, --preserve-host)', async (t) => {
  await compare(t, { preserveHost: true });
});
