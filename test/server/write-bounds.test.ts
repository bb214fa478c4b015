/**
 * What one write may make the server hold and do (issue 15, items 1 and 4; SEC-2): the size
 * of the representation it leaves, whatever its form, and the events it appends, counted in
 * the client's write rate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withServer, type FetchedResponse } from '../helpers/server.js';

function problemCode(r: FetchedResponse): string {
  assert.equal(r.headers.get('content-type'), 'application/problem+json', r.text);
  return (JSON.parse(r.text) as { code: string }).code;
}

test('SEC-2 maxResourceBytes bounds every representation a write leaves: PUT, POST, JSON Patch, merge patch', async () => {
  await withServer({ maxBodyBytes: 4096, maxResourceBytes: 1000 }, async (srv) => {
    assert.equal((await srv.put('/c/doc', { a: 'x'.repeat(900) })).status, 201);
    const seq = await srv.store.lastSeq();
    const big = 'y'.repeat(1001);
    const refusals: Array<[string, Promise<FetchedResponse>]> = [
      ['PUT', srv.put('/c/doc', big, { type: 'text/plain' })],
      ['PUT of a new resource', srv.put('/c/new', big, { type: 'text/plain' })],
      [
        'POST',
        srv.request('/c/', {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain' },
          body: big,
        }),
      ],
      [
        'JSON Patch',
        srv.request('/c/doc', {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json-patch+json' },
          body: JSON.stringify([{ op: 'add', path: '/b', value: 'z'.repeat(100) }]),
        }),
      ],
      [
        'merge patch',
        srv.request('/c/doc', {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/merge-patch+json' },
          body: JSON.stringify({ b: 'z'.repeat(100) }),
        }),
      ],
    ];
    for (const [what, pending] of refusals) {
      const r = await pending;
      assert.equal(r.status, 413, `${what}: ${r.text}`);
      assert.equal(problemCode(r), 'RESOURCE_TOO_LARGE', what);
      assert.match(r.text, /1000 bytes/, `${what}: the problem names the bound`);
    }
    assert.equal(await srv.store.lastSeq(), seq, 'nothing was written');
    // At the bound is fine.
    const at = await srv.put('/c/doc', 'w'.repeat(1000), { type: 'text/plain' });
    assert.equal(at.status, 204);
  });
});

test('SEC-2 a write takes one from the write rate per event it appends, not per request', async () => {
  await withServer({ writeRate: { perSecond: 0.001, burst: 10 } }, async (srv) => {
    // Seven containers and the resource: eight events, eight of the ten.
    const deep = await srv.put('/a/b/c/d/e/f/g/h', { deep: true });
    assert.equal(deep.status, 201);
    assert.equal((await srv.store.events()).length, 8);
    assert.equal((await srv.put('/a/x1', 1)).status, 201);
    assert.equal((await srv.put('/a/x2', 1)).status, 201);
    const refused = await srv.put('/a/x3', 1);
    assert.equal(refused.status, 429);
    assert.equal(problemCode(refused), 'TOO_MANY_WRITES');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(await srv.store.get('/a/x3'), undefined);
  });
});
