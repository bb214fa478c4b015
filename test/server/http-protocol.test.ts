/**
 * HTTP/1.1 framing and fields the server must refuse or add (issue 15, items 9 to 11), on the
 * wire with raw sockets: repeated singleton fields, requests pipelined behind a notifications
 * stream, and the headers that keep stored content from running as the server's origin.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import tls from 'node:tls';
import { startHttp2Server } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { testCertificate } from '../adapters/tls.js';
import { parseRaw } from '../helpers/http-checks.js';
import { prepOf } from '../helpers/prep-body.js';
import { rawSubscribe } from '../helpers/raw-client.js';
import { withServer, type TestServer } from '../helpers/server.js';
import { within } from '../helpers/wait.js';

function codeOf(r: { get(name: string): string | undefined; body: Buffer }): string {
  assert.equal(r.get('content-type'), 'application/problem+json');
  return (JSON.parse(r.body.toString('utf8')) as { code: string }).code;
}

/** Requests with a field that may appear once, twice (RFC 9110 §5.3, RFC 9112 §3.2). */
const REPEATED: ReadonlyArray<{ name: string; request: string }> = [
  { name: 'Host', request: 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n' },
  {
    name: 'Authorization',
    request:
      'GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer one\r\nAuthorization: Bearer two\r\n\r\n',
  },
  {
    name: 'Content-Type',
    request:
      'PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Type: text/html\r\n' +
      'Content-Length: 2\r\n\r\n{}',
  },
];

test('RFC 9112 §3.2 a request with two Host fields (or two of another singleton field) gets 400 problem+json and changes nothing', async () => {
  await withServer({}, async (srv) => {
    const seq = await srv.store.lastSeq();
    for (const { name, request } of REPEATED) {
      const c = await srv.connect();
      c.socket.write(request);
      const r = await c.response(0);
      assert.equal(r.status, 400, `${name}: ${r.head}`);
      assert.equal(codeOf(r), 'FIELD_REPEATED', name);
      assert.match(r.body.toString(), new RegExp(name), 'the detail names the field');
      assert.match(r.get('connection') ?? '', /close/i);
      c.close();
    }
    assert.equal(await srv.store.lastSeq(), seq, 'nothing was written');
    assert.equal(await srv.store.get('/doc'), undefined);
    // One of each is fine.
    const ok = await srv.rawRequest({ method: 'GET', path: '/', headers: { Connection: 'close' } });
    assert.equal(ok.status, 200);
  });
});

test('RFC 9112 §3.2 the HTTP/2 server checks its HTTP/1.1 clients the same: no Host, or two, is a 400', async () => {
  const { key, cert } = testCertificate();
  const store = new MemoryStore();
  await store.open();
  const server = await startHttp2Server({ store, key, cert, port: 0 });
  try {
    const send = (request: string) =>
      within(
        new Promise<ReturnType<typeof parseRaw>>((resolve, reject) => {
          const socket = tls.connect({
            host: '127.0.0.1',
            port: server.port,
            ca: cert,
            servername: 'localhost',
            ALPNProtocols: ['http/1.1'],
          });
          const chunks: Buffer[] = [];
          socket.on('data', (c: Buffer) => chunks.push(c));
          socket.on('error', reject);
          socket.on('close', () => resolve(parseRaw(Buffer.concat(chunks))));
          socket.on('secureConnect', () => socket.write(request));
        }),
        'an HTTP/1.1 answer over TLS',
      );
    const two = await send('GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n');
    assert.equal(two.status, 400, two.head);
    assert.match(two.body, /FIELD_REPEATED/);
    const none = await send('GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.equal(none.status, 400, none.head);
    assert.match(none.body, /HOST_REQUIRED/);
    const one = await send('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.equal(one.status, 200, one.head);
  } finally {
    await server.close();
    await store.close();
  }
});

/** Stored types a browser would run or render as a page of this origin, and a few others. */
const STORED: ReadonlyArray<[string, string]> = [
  ['text/html; charset=utf-8', '<script>document.title = "owned"</script>'],
  ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
  ['application/xhtml+xml', '<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'],
  ['text/xml', '<?xml version="1.0"?><x/>'],
  ['application/pdf', '%PDF-1.4'],
  ['text/plain', '<script>alert(1)</script>'],
  ['application/json', '{"html":"<script>alert(1)</script>"}'],
];

test('stored content is served with X-Content-Type-Options: nosniff and Content-Security-Policy: sandbox: GET, HEAD, streams, WES', async () => {
  await withServer({}, async (srv) => {
    const check = (
      headers: Headers | { get(n: string): string | undefined | null },
      what: string,
    ) => {
      assert.equal(headers.get('x-content-type-options'), 'nosniff', what);
      assert.equal(headers.get('content-security-policy'), 'sandbox', what);
    };
    for (const [i, [type, body]] of STORED.entries()) {
      const path = `/site/page${i}`;
      assert.equal((await srv.put(path, body, { type })).status, 201);
      for (const method of ['GET', 'HEAD']) {
        const r = await srv.request(path, { method });
        assert.equal(r.status, 200);
        check(r.headers, `${method} ${type}`);
      }
      const s = await srv.subscribe(path);
      check(s.response.headers, `the stream of ${type}`);
      s.close();
    }
    check((await srv.request('/site/')).headers, 'a container listing');
    // WES snapshot parts and feed pages carry stored bodies too.
    const index = await srv.request('/.well-known/wes/snapshot/site/');
    const uri = (JSON.parse(index.text) as { uris: string[] }).uris[0]!;
    check((await srv.request(new URL(uri, srv.url).pathname)).headers, 'a snapshot part');
    check((await srv.request('/.well-known/wes/feed/site/')).headers, 'a feed page');
  });
});

test('the content security fields can be changed or turned off', async () => {
  await withServer({ contentSecurity: { nosniff: false, csp: false } }, async (srv) => {
    await srv.put('/p.html', '<p>hi</p>', { type: 'text/html' });
    const r = await srv.request('/p.html');
    assert.equal(r.headers.get('x-content-type-options'), null);
    assert.equal(r.headers.get('content-security-policy'), null);
  });
  const policy = "sandbox allow-scripts; default-src 'none'";
  await withServer({ contentSecurity: { csp: policy } }, async (srv) => {
    await srv.put('/p.html', '<p>hi</p>', { type: 'text/html' });
    const r = await srv.request('/p.html');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('content-security-policy'), policy);
  });
});

const EVENTS = { 'Accept-Events': '"prep"' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

/**
 * What a request pipelined behind a notifications stream gets: the stream ends cleanly (both
 * close delimiters: its client may resume elsewhere), the request is answered 400 and not
 * executed, the connection closes; and the resource's other subscribers hear of its next
 * write at once, not after writerStallMs.
 */
async function assertRefusedBehindStream(
  srv: TestServer,
  client: Awaited<ReturnType<TestServer['connect']>>,
): Promise<void> {
  const stream = await client.response(0);
  assert.equal(stream.status, 200);
  assert.ok(prepOf(stream).closed, 'the stream ended with both close delimiters');
  const refused = await client.response(1);
  assert.equal(refused.status, 400, refused.head);
  assert.equal(codeOf(refused), 'PIPELINED_AFTER_STREAM');
  assert.match(refused.get('connection') ?? '', /close/i);
  await client.closed();
  assert.deepEqual(JSON.parse((await srv.request('/doc')).text), { a: 1 }, 'not executed');
}

test('RSP-8 N822-3 a request pipelined behind a notifications GET is not executed; the stream ends cleanly and the request gets 400', async () => {
  // A writer that never gets its response would hold /doc's notifications this long.
  await withServer({ writerStallMs: 60_000 }, async (srv) => {
    assert.equal((await srv.put('/doc', { a: 1 })).status, 201);
    const watcher = await srv.subscribe('/doc');
    const seq = await srv.store.lastSeq();

    // Sent together: the PUT arrives while the GET is still being handled.
    const together = await srv.connect();
    together.send(
      { method: 'GET', path: '/doc', headers: EVENTS },
      { method: 'PUT', path: '/doc', headers: JSON_TYPE, body: '{"a":"pipelined"}' },
    );
    await assertRefusedBehindStream(srv, together);

    // Sent once the stream is open.
    const { client: later } = await rawSubscribe(srv, '/doc');
    later.send({ method: 'PUT', path: '/doc', headers: JSON_TYPE, body: '{"a":"later"}' });
    // The client parses what it sent in order: the stream, then the PUT's answer.
    await assertRefusedBehindStream(srv, later);
    assert.equal(await srv.store.lastSeq(), seq, 'nothing was written');

    // Nothing holds the resource's notifications: the next write reaches its subscriber.
    const next = await srv.put('/doc', { a: 2 });
    assert.equal(next.status, 204);
    const n = await watcher.notification(5000);
    assert.equal(n.etag, next.headers.get('etag'));
  });
});

test('pipelining behind requests that are not streams still works: answered in order', async () => {
  await withServer({}, async (srv) => {
    assert.equal((await srv.put('/doc', { a: 1 })).status, 201);
    const c = await srv.connect();
    c.send(
      { method: 'GET', path: '/doc' },
      { method: 'PUT', path: '/doc', headers: JSON_TYPE, body: '{"a":2}' },
      { method: 'GET', path: '/doc', headers: { Connection: 'close' } },
    );
    // node:http runs pipelined requests at once and answers them in order: the last GET
    // may or may not see the PUT.
    assert.equal((await c.response(0)).body.toString(), '{"a":1}');
    assert.equal((await c.response(1)).status, 204);
    assert.equal((await c.response(2)).status, 200);
    assert.deepEqual(JSON.parse((await srv.request('/doc')).text), { a: 2 });
  });
});
