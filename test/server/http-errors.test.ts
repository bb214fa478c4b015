/**
 * Bad input over a real node:http listener: every refusal is a clear 4xx with an
 * `application/problem+json` body (RFC 9457: status, title, detail, and our stable code),
 * and a refused write changes nothing and announces nothing: the resources read the same,
 * the event log does not move, and PREP subscribers receive nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expectProblem,
  put,
  rawRequest,
  snapshot,
  subscribe,
  type Problem,
  type Snapshot,
} from '../helpers/http-checks.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const LIMIT = 1024;

/** A server with `/doc` (JSON), `/text` (text), and the container `/box/` holding `/box/m`. */
async function fixture(t: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer(t, {
    maxBodyBytes: LIMIT,
    maxUrlLength: 256,
    maxHeaderBytes: 4096,
    maxPatchOperations: 8,
    maxPatchTouchedBytes: 4096,
  });
  const { url } = server;
  assert.equal((await put(`${url}/doc`, '{"a":1}')).status, 201);
  assert.equal((await put(`${url}/text`, 'words', 'text/plain')).status, 201);
  assert.equal((await put(`${url}/box/m`, '"member"')).status, 201);
  return server;
}

/** A body of `size` bytes sent as a chunked stream (no Content-Length). */
function chunked(size: number): RequestInit {
  const chunk = new Uint8Array(256).fill(0x61);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      controller.enqueue(chunk.subarray(0, Math.min(chunk.length, size - sent)));
      sent += chunk.length;
    },
  });
  return { body, duplex: 'half' } as RequestInit;
}

/** A JSON Patch request. */
function jsonPatch(url: string, path: string, ops: unknown[]): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json-patch+json' },
    body: JSON.stringify(ops),
  });
}

/** Bytes, so fetch adds no Content-Type of its own. */
const bytes = (text: string) => Buffer.from(text);

/** One refused request: what is sent and the status (and code) it must get. */
interface Refusal {
  name: string;
  send: (url: string) => Promise<Response>;
  status: number;
  code?: string;
  check?: (res: Response, problem: Problem) => void;
}

const REFUSALS: Refusal[] = [
  {
    name: 'PUT malformed JSON',
    send: (url) => put(`${url}/doc`, '{"a": 2'),
    status: 400,
    code: 'MALFORMED_JSON',
  },
  {
    name: 'PUT without Content-Type',
    send: (url) => fetch(`${url}/doc`, { method: 'PUT', body: bytes('{"a":2}') }),
    status: 415,
    code: 'CONTENT_TYPE_REQUIRED',
  },
  {
    name: 'PUT with a Content-Type that is not a media type',
    send: (url) => put(`${url}/doc`, '{"a":2}', 'json please'),
    status: 415,
    code: 'CONTENT_TYPE_INVALID',
  },
  {
    name: 'PUT over maxBodyBytes with Content-Length',
    send: (url) => put(`${url}/doc`, new Uint8Array(LIMIT * 4).fill(0x20), 'text/plain'),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  {
    name: 'PUT over maxBodyBytes, chunked',
    send: (url) =>
      fetch(`${url}/doc`, {
        method: 'PUT',
        headers: { 'Content-Type': 'text/plain' },
        ...chunked(LIMIT * 8),
      }),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  {
    name: 'PUT of one byte over maxBodyBytes',
    send: (url) => put(`${url}/doc`, new Uint8Array(LIMIT + 1).fill(0x20), 'text/plain'),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  {
    name: 'POST over maxBodyBytes, chunked',
    send: (url) =>
      fetch(`${url}/box/`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        ...chunked(LIMIT * 3),
      }),
    status: 413,
    code: 'BODY_TOO_LARGE',
  },
  {
    name: 'POST malformed JSON',
    send: (url) =>
      fetch(`${url}/box/`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '[1,',
      }),
    status: 400,
    code: 'MALFORMED_JSON',
  },
  {
    name: 'POST without Content-Type',
    send: (url) => fetch(`${url}/box/`, { method: 'POST', body: bytes('x') }),
    status: 415,
    code: 'CONTENT_TYPE_REQUIRED',
  },
  {
    name: 'POST to a non-container',
    send: (url) =>
      fetch(`${url}/doc`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      }),
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    check: (res) => assert.ok(res.headers.get('allow')),
  },
  {
    name: 'PUT an existing container',
    send: (url) => fetch(`${url}/box/`, { method: 'PUT' }),
    status: 409,
    code: 'CONTAINER_EXISTS',
  },
  {
    name: 'PUT a container with a body',
    send: (url) => put(`${url}/box/`, '{"a":1}'),
    status: 400,
    code: 'CONTAINER_BODY',
  },
  {
    name: 'PUT below a non-container',
    send: (url) => put(`${url}/doc/child`, '{}'),
    status: 409,
  },
  {
    name: 'PUT with a stale If-Match',
    send: (url) => put(`${url}/doc`, '{"a":2}', 'application/json', { 'If-Match': '"stale"' }),
    status: 412,
    code: 'PRECONDITION_FAILED',
  },
  {
    name: 'PATCH malformed JSON',
    send: (url) =>
      fetch(`${url}/doc`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: '{"a":',
      }),
    status: 400,
  },
  {
    name: 'PATCH whose test fails',
    send: (url) =>
      fetch(`${url}/doc`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json-patch+json' },
        body: '[{"op":"test","path":"/a","value":99}]',
      }),
    status: 409,
  },
  {
    name: 'PATCH whose result is larger than maxResourceBytes (its default: maxBodyBytes)',
    send: (url) =>
      jsonPatch(url, '/doc', [
        { op: 'add', path: '/s', value: 'x'.repeat(510) },
        { op: 'copy', from: '/s', path: '/t' },
      ]),
    status: 413,
    code: 'RESOURCE_TOO_LARGE',
    check: (_res, problem) => assert.match(problem.detail, new RegExp(`${LIMIT} bytes`)),
  },
  {
    name: 'PATCH that copies the whole document into itself again and again',
    send: (url) =>
      jsonPatch(url, '/doc', [
        { op: 'add', path: '/s', value: 'x'.repeat(300) },
        ...[1, 2, 3].map((i) => ({ op: 'copy', from: '', path: `/c${i}` })),
      ]),
    status: 422,
    code: 'PATCH_TOO_COMPLEX',
    check: (_res, problem) => assert.match(problem.detail, new RegExp(`${LIMIT} bytes`)),
  },
  {
    name: 'PATCH (merge) whose result is one byte over maxResourceBytes',
    send: (url) =>
      fetch(`${url}/doc`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        // {"a":1,"b":"x…"} is LIMIT + 1 bytes.
        body: JSON.stringify({ b: 'x'.repeat(LIMIT - 13) }),
      }),
    status: 413,
    code: 'RESOURCE_TOO_LARGE',
  },
  {
    name: 'PATCH with more operations than maxPatchOperations',
    send: (url) =>
      jsonPatch(
        url,
        '/doc',
        Array.from({ length: 9 }, () => ({ op: 'test', path: '/a', value: 1 })),
      ),
    status: 422,
    code: 'PATCH_TOO_COMPLEX',
    check: (_res, problem) => assert.match(problem.detail, /at most 8/),
  },
  {
    name: 'PATCH that moves more than maxPatchTouchedBytes of the document',
    send: (url) =>
      jsonPatch(url, '/doc', [
        { op: 'add', path: '/l', value: Array.from({ length: 100 }, (_, i) => i) },
        ...Array.from({ length: 7 }, () => ({ op: 'add', path: '/l/0', value: 0 })),
      ]),
    status: 422,
    code: 'PATCH_TOO_COMPLEX',
    check: (_res, problem) => assert.match(problem.detail, /4096 bytes/),
  },
  {
    name: 'PATCH of a text resource',
    send: (url) =>
      fetch(`${url}/text`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: '{}',
      }),
    status: 415,
    check: (res) => assert.ok(res.headers.get('accept-patch')),
  },
  {
    name: 'PATCH without Content-Type',
    send: (url) => fetch(`${url}/doc`, { method: 'PATCH', body: bytes('{}') }),
    status: 415,
    check: (res) => assert.ok(res.headers.get('accept-patch')),
  },
  {
    name: 'DELETE of a non-empty container',
    send: (url) => fetch(`${url}/box/`, { method: 'DELETE' }),
    status: 409,
    code: 'STORE_NOT_EMPTY',
  },
  {
    name: 'DELETE of /',
    send: (url) => fetch(`${url}/`, { method: 'DELETE' }),
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    check: (res) => assert.equal(res.headers.get('allow'), 'GET, HEAD, POST, OPTIONS'),
  },
  {
    name: 'PUT of /',
    send: (url) => fetch(`${url}/`, { method: 'PUT' }),
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    check: (res) => assert.equal(res.headers.get('allow'), 'GET, HEAD, POST, OPTIONS'),
  },
  {
    name: 'DELETE of a missing resource',
    send: (url) => fetch(`${url}/nope`, { method: 'DELETE' }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'a method the server does not support',
    send: (url) => fetch(`${url}/doc`, { method: 'PROPFIND' }),
    status: 405,
    code: 'METHOD_NOT_ALLOWED',
    check: (res) =>
      assert.equal(res.headers.get('allow'), 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'),
  },
  {
    name: 'PUT with a URL over maxUrlLength',
    send: (url) => put(`${url}/${'u'.repeat(300)}`, '{}'),
    status: 414,
    code: 'URI_TOO_LONG',
    check: (_res, problem) => assert.equal(problem.instance, undefined, 'not echoed back'),
  },
  {
    name: 'PUT to a path with an empty segment',
    send: (url) => put(`${url}//doc`, '{}'),
    status: 400,
    code: 'BAD_TARGET',
  },
];

test('every refused write is a problem+json 4xx, changes nothing, announces nothing', async (t) => {
  const server = await fixture(t);
  const { url, store } = server;
  const watched = ['/doc', '/text', '/box/', '/box/m', '/'];
  const subscribers = new Map(
    await Promise.all(watched.map(async (p) => [p, await subscribe(t, `${url}${p}`)] as const)),
  );
  const before = new Map<string, Snapshot>();
  for (const p of watched) before.set(p, await snapshot(`${url}${p}`));
  const seq = await store.lastSeq();

  for (const r of REFUSALS) {
    await t.test(r.name, async () => {
      const res = await r.send(url);
      const problem = await expectProblem(res, r.status, r.code);
      r.check?.(res, problem);
      assert.equal(res.headers.get('events'), null, 'MTH-2: no Events on a write');
      assert.equal(await store.lastSeq(), seq, 'the event log did not move');
    });
  }

  for (const p of watched) assert.deepEqual(await snapshot(`${url}${p}`), before.get(p), p);
  assert.equal(await store.lastSeq(), seq);

  // Nothing was announced: the first notification each subscriber gets is of a write made now.
  const doc = await put(`${url}/doc`, '{"a":2}');
  assert.equal(doc.status, 204);
  const n1 = await subscribers.get('/doc')!.next();
  assert.equal(n1?.method, 'PUT');
  assert.equal(n1?.etag, doc.headers.get('etag'));
  const nRoot = await subscribers.get('/')!.next();
  assert.equal(nRoot?.contentLocation, '/doc', 'the root sees its member /doc change first');

  const member = await put(`${url}/box/m`, '"changed"');
  assert.equal(member.status, 204);
  assert.equal((await subscribers.get('/box/m')!.next())?.etag, member.headers.get('etag'));
  assert.equal((await subscribers.get('/box/')!.next())?.contentLocation, '/box/m');

  const text = await put(`${url}/text`, 'new words', 'text/plain');
  assert.equal((await subscribers.get('/text')!.next())?.etag, text.headers.get('etag'));
});

test('unknown paths are 404 problem+json on GET and HEAD', async (t) => {
  const { url } = await fixture(t);
  const problem = await expectProblem(await fetch(`${url}/no/such/thing`), 404, 'NOT_FOUND');
  assert.equal(problem.instance, '/no/such/thing');
  await expectProblem(await fetch(`${url}/no/such/`), 404, 'NOT_FOUND');
  const head = await fetch(`${url}/no/such/thing`, { method: 'HEAD' });
  assert.equal(head.status, 404);
  assert.equal(head.headers.get('content-type'), 'application/problem+json');
  assert.equal((await head.arrayBuffer()).byteLength, 0);
});

test('a body over the limit sent after Expect: 100-continue is refused before it is sent', async (t) => {
  const { port, store } = await fixture(t);
  const seq = await store.lastSeq();
  const res = await rawRequest(
    port,
    'PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n' +
      `Content-Length: ${LIMIT * 100}\r\nExpect: 100-continue\r\n\r\n`,
  );
  assert.equal(res.status, 413, res.head);
  assert.doesNotMatch(res.head, /100 Continue/);
  assert.match(res.head, /application\/problem\+json/);
  assert.equal((JSON.parse(res.body) as Problem).code, 'BODY_TOO_LARGE');
  assert.equal(await store.lastSeq(), seq);
});

test('a small body after Expect: 100-continue is accepted', async (t) => {
  const { port, url } = await fixture(t);
  const res = await rawRequest(
    port,
    'PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n' +
      'Expect: 100-continue\r\nConnection: close\r\n\r\n{"a":3}',
  );
  // The interim answer, then the final one.
  assert.equal(res.head, 'HTTP/1.1 100 Continue');
  assert.match(res.body, /^HTTP\/1\.1 204 /);
  assert.deepEqual(await (await fetch(`${url}/doc`)).json(), { a: 3 });
});

test('a request head over maxHeaderBytes is 431 problem+json (from node:http)', async (t) => {
  const { port, url, store } = await fixture(t);
  const seq = await store.lastSeq();
  const res = await rawRequest(
    port,
    'PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `X-Filler: ${'f'.repeat(8192)}\r\nContent-Length: 7\r\n\r\n{"a":9}`,
  );
  assert.equal(res.status, 431, res.head);
  assert.match(res.head, /Content-Type: application\/problem\+json/);
  assert.match(res.head, /Connection: close/);
  const problem = JSON.parse(res.body) as Problem;
  assert.equal(problem.status, 431);
  assert.equal(problem.code, 'HEADERS_TOO_LARGE');
  assert.ok(problem.title && problem.detail);
  assert.deepEqual(await (await fetch(`${url}/doc`)).json(), { a: 1 });
  assert.equal(await store.lastSeq(), seq);
});

test('an unparsable request is 400 problem+json (from node:http)', async (t) => {
  const { port } = await fixture(t);
  for (const request of [
    'BREW /doc HTTP/1.1\r\nHost: x\r\n\r\n', // a method node does not know
    'GET /doc HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    'PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
  ]) {
    const res = await rawRequest(port, request);
    assert.equal(res.status, 400, `${JSON.stringify(request)} → ${res.head}`);
    const problem = JSON.parse(res.body) as Problem;
    assert.equal(problem.status, 400);
    assert.equal(problem.code, 'BAD_REQUEST');
  }
});

test('the server keeps serving after every kind of refusal', async (t) => {
  const { url, port } = await fixture(t);
  await rawRequest(port, 'BREW / HTTP/1.1\r\n\r\n');
  await put(`${url}/doc`, new Uint8Array(LIMIT * 4), 'text/plain').then((r) => r.arrayBuffer());
  const ok = await fetch(`${url}/doc`);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { a: 1 });
});

test('an HTTP/1.1 request without Host is 400 problem+json, and writes nothing', async (t) => {
  const { port, store } = await fixture(t);
  const seq = await store.lastSeq();
  const res = await rawRequest(
    port,
    'PUT /doc HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":2}',
  );
  assert.equal(res.status, 400, res.head);
  assert.match(res.head, /Content-Type: application\/problem\+json/);
  assert.equal((JSON.parse(res.body) as Problem).code, 'HOST_REQUIRED');
  assert.equal(await store.lastSeq(), seq);
  // HTTP/1.0 has no Host requirement.
  const old = await rawRequest(port, 'GET /doc HTTP/1.0\r\n\r\n');
  assert.equal(old.status, 200, old.head);
});

test('an Expect other than 100-continue is 417 problem+json, and writes nothing', async (t) => {
  const { port, store } = await fixture(t);
  const seq = await store.lastSeq();
  const res = await rawRequest(
    port,
    'PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n' +
      'Expect: teapot\r\n\r\n',
  );
  assert.equal(res.status, 417, res.head);
  assert.match(res.head, /Content-Type: application\/problem\+json/);
  const problem = JSON.parse(res.body) as Problem;
  assert.equal(problem.code, 'EXPECTATION_FAILED');
  assert.match(problem.detail ?? '', /teapot/);
  assert.equal(await store.lastSeq(), seq);
});
