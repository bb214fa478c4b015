/**
 * PATCH over a real node:http listener: JSON Patch (RFC 6902) and JSON Merge Patch
 * (RFC 7396) on JSON resources, and every way a PATCH can be refused. A refused PATCH
 * changes nothing and announces nothing.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { expectProblem, put, snapshot } from '../helpers/http-checks.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';

function patch(url: string, body: string, contentType?: string): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: contentType === undefined ? {} : { 'Content-Type': contentType },
    // Bytes, not a string: fetch would label a string text/plain.
    body: Buffer.from(body),
  });
}

/** A server with `/doc` = `{"a":1,"b":{"c":[1,2]}}`. */
async function withDoc(t: TestContext): Promise<TestServer> {
  const server = await startTestServer(t);
  assert.equal((await put(`${server.url}/doc`, '{"a":1,"b":{"c":[1,2]}}')).status, 201);
  return server;
}

/** Runs `refuse` and checks that /doc and the event log are as they were. */
async function unchanged(server: TestServer, refuse: () => Promise<void>): Promise<void> {
  const before = await snapshot(`${server.url}/doc`);
  const seq = await server.store.lastSeq();
  await refuse();
  assert.deepEqual(await snapshot(`${server.url}/doc`), before, 'the resource did not change');
  assert.equal(await server.store.lastSeq(), seq, 'no event was logged');
}

test('application/json-patch+json applies, answers 204 with the new ETag', async (t) => {
  const { url } = await withDoc(t);
  const res = await patch(
    `${url}/doc`,
    JSON.stringify([
      { op: 'test', path: '/a', value: 1 },
      { op: 'replace', path: '/a', value: 2 },
      { op: 'add', path: '/b/c/-', value: 3 },
      { op: 'remove', path: '/b/c/0' },
      { op: 'copy', from: '/a', path: '/d' },
    ]),
    JSON_PATCH,
  );
  assert.equal(res.status, 204);
  const got = await fetch(`${url}/doc`);
  assert.equal(got.headers.get('etag'), res.headers.get('etag'));
  assert.equal(got.headers.get('content-type'), 'application/json');
  assert.deepEqual(await got.json(), { a: 2, b: { c: [2, 3] }, d: 2 });
});

test('application/merge-patch+json applies (null removes a member)', async (t) => {
  const { url } = await withDoc(t);
  const res = await patch(`${url}/doc`, '{"a":null,"b":{"e":true},"f":"new"}', MERGE_PATCH);
  assert.equal(res.status, 204);
  assert.deepEqual(await (await fetch(`${url}/doc`)).json(), {
    b: { c: [1, 2], e: true },
    f: 'new',
  });
});

test('a Content-Type with parameters is still the patch type', async (t) => {
  const { url } = await withDoc(t);
  const res = await patch(`${url}/doc`, '{"a":5}', `${MERGE_PATCH}; charset=utf-8`);
  assert.equal(res.status, 204);
  assert.equal(((await (await fetch(`${url}/doc`)).json()) as { a: number }).a, 5);
});

test('a +json resource can be patched and keeps its media type', async (t) => {
  const { url } = await startTestServer(t);
  await put(`${url}/ld`, '{"@id":"x"}', 'application/ld+json');
  assert.equal((await patch(`${url}/ld`, '{"name":"n"}', MERGE_PATCH)).status, 204);
  const got = await fetch(`${url}/ld`);
  assert.equal(got.headers.get('content-type'), 'application/ld+json');
  assert.deepEqual(await got.json(), { '@id': 'x', name: 'n' });
});

test('malformed patch JSON is 400, and nothing changes', async (t) => {
  const server = await withDoc(t);
  await unchanged(server, async () => {
    await expectProblem(await patch(`${server.url}/doc`, '[{"op":', JSON_PATCH), 400);
    await expectProblem(await patch(`${server.url}/doc`, '{oops', MERGE_PATCH), 400);
    // Valid JSON that is not a JSON Patch document.
    await expectProblem(await patch(`${server.url}/doc`, '{"op":"add"}', JSON_PATCH), 400);
    await expectProblem(
      await patch(`${server.url}/doc`, '[{"op":"frobnicate","path":"/a"}]', JSON_PATCH),
      400,
    );
  });
});

test('a failing test op is 409, a missing path 422, and nothing changes', async (t) => {
  const server = await withDoc(t);
  await unchanged(server, async () => {
    // The document is fine but not in the state the client expected (RFC 5789 §2.2: 409).
    await expectProblem(
      await patch(
        `${server.url}/doc`,
        '[{"op":"replace","path":"/a","value":9},{"op":"test","path":"/a","value":1}]',
        JSON_PATCH,
      ),
      409,
      'PATCH_CONFLICT',
    );
    // The patch cannot apply to this document at all (422).
    for (const ops of [
      '[{"op":"replace","path":"/nope/x","value":2}]',
      '[{"op":"remove","path":"/missing"}]',
      '[{"op":"add","path":"/b/c/9","value":0}]',
      '[{"op":"move","from":"/zzz","path":"/a"}]',
    ])
      await expectProblem(
        await patch(`${server.url}/doc`, ops, JSON_PATCH),
        422,
        'PATCH_UNPROCESSABLE',
      );
  });
});

test('a wrong or missing Content-Type is 415 with Accept-Patch', async (t) => {
  const server = await withDoc(t);
  await unchanged(server, async () => {
    for (const type of ['application/json', 'text/plain', undefined]) {
      const res = await patch(`${server.url}/doc`, '{"a":2}', type);
      const problem = await expectProblem(res, 415, 'UNSUPPORTED_PATCH_TYPE');
      assert.ok(problem.detail.includes(JSON_PATCH), problem.detail);
      const accept = res.headers.get('accept-patch') ?? '';
      assert.ok(accept.includes(JSON_PATCH) && accept.includes(MERGE_PATCH), accept);
    }
  });
});

test('PATCH of a non-JSON resource is 415 with Accept-Patch', async (t) => {
  const { url, store } = await startTestServer(t);
  await put(`${url}/text`, 'plain words', 'text/plain');
  const seq = await store.lastSeq();
  const res = await patch(`${url}/text`, '{"a":1}', MERGE_PATCH);
  await expectProblem(res, 415, 'NOT_JSON');
  assert.ok(res.headers.get('accept-patch'));
  assert.equal(await (await fetch(`${url}/text`)).text(), 'plain words');
  assert.equal(await store.lastSeq(), seq);
});

test('PATCH of a missing resource is 404 and creates nothing', async (t) => {
  const { url, store } = await startTestServer(t);
  const seq = await store.lastSeq();
  await expectProblem(await patch(`${url}/ghost`, '{"a":1}', MERGE_PATCH), 404, 'NOT_FOUND');
  assert.equal((await fetch(`${url}/ghost`)).status, 404);
  assert.equal(await store.lastSeq(), seq);
});

test('PATCH of a container is 405 with Allow', async (t) => {
  const { url, store } = await startTestServer(t);
  await fetch(`${url}/box/`, { method: 'PUT' });
  const seq = await store.lastSeq();
  const res = await patch(`${url}/box/`, '{"a":1}', MERGE_PATCH);
  await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
  const allow = res.headers.get('allow') ?? '';
  assert.ok(allow.includes('GET') && !allow.includes('PATCH'), allow);
  assert.equal(await store.lastSeq(), seq);
});

test('a JSON Patch may replace the whole document', async (t) => {
  const { url } = await withDoc(t);
  assert.equal(
    (await patch(`${url}/doc`, '[{"op":"replace","path":"","value":42}]', JSON_PATCH)).status,
    204,
  );
  assert.equal(await (await fetch(`${url}/doc`)).json(), 42);
});
