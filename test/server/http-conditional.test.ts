/**
 * Conditional requests (RFC 9110 §13) over a real node:http listener: If-Match,
 * If-None-Match, If-Modified-Since, and a lost-update-safe write loop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectProblem, put, snapshot } from '../helpers/http-checks.js';
import { startTestServer } from '../helpers/server.js';

test('If-Match with the current ETag writes; with another ETag is 412 and changes nothing', async (t) => {
  const { url, store } = await startTestServer(t);
  const created = await put(`${url}/doc`, '{"v":1}');
  const etag = created.headers.get('etag') ?? '';

  const ok = await put(`${url}/doc`, '{"v":2}', 'application/json', { 'If-Match': etag });
  assert.equal(ok.status, 204);
  const etag2 = ok.headers.get('etag') ?? '';

  const before = await snapshot(`${url}/doc`);
  const seq = await store.lastSeq();
  // The old ETag no longer matches: someone else wrote in between.
  const stale = await put(`${url}/doc`, '{"v":3}', 'application/json', { 'If-Match': etag });
  const problem = await expectProblem(stale, 412, 'PRECONDITION_FAILED');
  assert.ok(problem.detail.includes(etag2), 'the detail names the current ETag');
  assert.deepEqual(await snapshot(`${url}/doc`), before);
  assert.equal(await store.lastSeq(), seq);

  // A list matches when any member does; a weak tag never matches If-Match (strong comparison).
  const listed = await put(`${url}/doc`, '{"v":4}', 'application/json', {
    'If-Match': `"nope", ${etag2}`,
  });
  assert.equal(listed.status, 204);
  const etag4 = listed.headers.get('etag') ?? '';
  await expectProblem(
    await put(`${url}/doc`, '{"v":5}', 'application/json', { 'If-Match': `W/${etag4}` }),
    412,
  );
});

test('If-Match: * writes an existing resource, and is 412 on a missing one', async (t) => {
  const { url, store } = await startTestServer(t);
  await put(`${url}/here`, '"x"');
  const ok = await put(`${url}/here`, '"y"', 'application/json', { 'If-Match': '*' });
  assert.equal(ok.status, 204);
  const seq = await store.lastSeq();
  await expectProblem(
    await put(`${url}/missing`, '"z"', 'application/json', { 'If-Match': '*' }),
    412,
    'PRECONDITION_FAILED',
  );
  assert.equal((await fetch(`${url}/missing`)).status, 404);
  assert.equal(await store.lastSeq(), seq, 'nothing was written or announced');
});

test('If-Match on DELETE and PATCH', async (t) => {
  const { url } = await startTestServer(t);
  const etag = (await put(`${url}/d`, '{"a":1}')).headers.get('etag') ?? '';
  await expectProblem(
    await fetch(`${url}/d`, { method: 'DELETE', headers: { 'If-Match': '"other"' } }),
    412,
  );
  await expectProblem(
    await fetch(`${url}/d`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': '"other"' },
      body: '{"a":2}',
    }),
    412,
  );
  assert.deepEqual(await (await fetch(`${url}/d`)).json(), { a: 1 });
  const patched = await fetch(`${url}/d`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': etag },
    body: '{"a":2}',
  });
  assert.equal(patched.status, 204);
  const etag2 = patched.headers.get('etag') ?? '';
  assert.equal(
    (await fetch(`${url}/d`, { method: 'DELETE', headers: { 'If-Match': etag2 } })).status,
    204,
  );
});

test('If-None-Match: * on PUT creates only: 201 the first time, 412 once it exists', async (t) => {
  const { url, store } = await startTestServer(t);
  const first = await put(`${url}/once`, '{"n":1}', 'application/json', { 'If-None-Match': '*' });
  assert.equal(first.status, 201);
  const before = await snapshot(`${url}/once`);
  const seq = await store.lastSeq();
  const second = await put(`${url}/once`, '{"n":2}', 'application/json', {
    'If-None-Match': '*',
  });
  await expectProblem(second, 412, 'PRECONDITION_FAILED');
  assert.deepEqual(await snapshot(`${url}/once`), before);
  assert.equal(await store.lastSeq(), seq);
});

test('GET with If-None-Match of the current ETag is 304 without a body; another ETag is 200', async (t) => {
  const { url } = await startTestServer(t);
  const etag = (await put(`${url}/c`, '{"cached":true}')).headers.get('etag') ?? '';
  const hit = await fetch(`${url}/c`, { headers: { 'If-None-Match': etag } });
  assert.equal(hit.status, 304);
  assert.equal(hit.headers.get('etag'), etag);
  assert.equal((await hit.arrayBuffer()).byteLength, 0);
  // Weak comparison for GET, lists, and *.
  assert.equal(
    (await fetch(`${url}/c`, { headers: { 'If-None-Match': `W/${etag}` } })).status,
    304,
  );
  assert.equal(
    (await fetch(`${url}/c`, { headers: { 'If-None-Match': `"a", ${etag}` } })).status,
    304,
  );
  assert.equal((await fetch(`${url}/c`, { headers: { 'If-None-Match': '*' } })).status, 304);
  const miss = await fetch(`${url}/c`, { headers: { 'If-None-Match': '"stale"' } });
  assert.equal(miss.status, 200);
  assert.deepEqual(await miss.json(), { cached: true });
  // HEAD too.
  assert.equal(
    (await fetch(`${url}/c`, { method: 'HEAD', headers: { 'If-None-Match': etag } })).status,
    304,
  );
  // After a change the old ETag no longer matches.
  await put(`${url}/c`, '{"cached":false}');
  const changed = await fetch(`${url}/c`, { headers: { 'If-None-Match': etag } });
  assert.equal(changed.status, 200);
  assert.deepEqual(await changed.json(), { cached: false });
});

test('GET with If-Modified-Since at or after Last-Modified is 304; before it is 200', async (t) => {
  const { url } = await startTestServer(t);
  await put(`${url}/m`, '"x"');
  const first = await fetch(`${url}/m`);
  await first.arrayBuffer();
  const lastModified = first.headers.get('last-modified') ?? '';
  assert.ok(lastModified);
  const same = await fetch(`${url}/m`, { headers: { 'If-Modified-Since': lastModified } });
  assert.equal(same.status, 304);
  assert.equal((await same.arrayBuffer()).byteLength, 0);
  const later = new Date(Date.parse(lastModified) + 3600_000).toUTCString();
  assert.equal((await fetch(`${url}/m`, { headers: { 'If-Modified-Since': later } })).status, 304);
  const earlier = new Date(Date.parse(lastModified) - 3600_000).toUTCString();
  const changed = await fetch(`${url}/m`, { headers: { 'If-Modified-Since': earlier } });
  assert.equal(changed.status, 200);
  assert.equal(await changed.text(), '"x"');
  // An unparsable date is ignored (RFC 9110 §13.1.3).
  const junk = await fetch(`${url}/m`, { headers: { 'If-Modified-Since': 'yesterday' } });
  assert.equal(junk.status, 200);
  await junk.arrayBuffer();
  // If-None-Match takes precedence over If-Modified-Since.
  const both = await fetch(`${url}/m`, {
    headers: { 'If-None-Match': '"other"', 'If-Modified-Since': later },
  });
  assert.equal(both.status, 200);
  await both.arrayBuffer();
});

test('a safe update loop with If-Match loses no update among concurrent writers', async (t) => {
  const { url } = await startTestServer(t);
  await put(`${url}/counter`, '{"n":0}');
  const writers = 4;
  const incrementsEach = 5;
  async function increment(): Promise<void> {
    for (;;) {
      const res = await fetch(`${url}/counter`);
      const etag = res.headers.get('etag') ?? '';
      const { n } = (await res.json()) as { n: number };
      const written = await put(
        `${url}/counter`,
        JSON.stringify({ n: n + 1 }),
        'application/json',
        {
          'If-Match': etag,
        },
      );
      await written.arrayBuffer();
      if (written.status === 204) return;
      assert.equal(written.status, 412, 'a lost race is a 412; read again and retry');
    }
  }
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = 0; i < incrementsEach; i++) await increment();
    }),
  );
  assert.deepEqual(await (await fetch(`${url}/counter`)).json(), { n: writers * incrementsEach });
});
