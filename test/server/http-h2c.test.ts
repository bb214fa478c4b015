/**
 * `startHttp2Server({ h2c: true })` (`prep serve --h2c`) and `createHttp2Server` with h2c:
 * HTTP/2 by prior knowledge and plain HTTP/1.1 on one cleartext port, told apart by the
 * HTTP/2 connection preface (RFC 9113 §3.4). HTTP/1.1 there is served as `startServer`
 * serves it: the same bounds and problem answers.
 */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { createHttp2Server } from '../../src/server/adapters/http2.js';
import {
  closeHttp2Server,
  listenHttp2,
  startHttp2Server,
  type Http2StartOptions,
} from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { boundaryOf, readPrepBody } from '../helpers/prep-body.js';
import { within } from '../helpers/wait.js';

async function startH2c(
  t: TestContext,
  options: Partial<Http2StartOptions> = {},
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const store = new MemoryStore();
  await store.open();
  const running = await startHttp2Server({ store, port: 0, ...options, h2c: true });
  t.after(async () => {
    await running.close();
    await store.close();
  });
  return running;
}

/** One HTTP/2 prior-knowledge request; resolves with its status, headers and body. */
function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: string,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let text = '';
    let responseHeaders: http2.IncomingHttpHeaders = {};
    stream.setEncoding('utf8');
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (c: string) => (text += c));
    stream.on('end', () =>
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: text }),
    );
    stream.on('error', reject);
    stream.end(body);
  });
}

/**
 * A raw TCP client: sends `bytes` (in pieces of `piece` bytes, one write per turn, as a slow
 * client would) and resolves with everything received until the server closes or `until`
 * holds.
 */
async function rawExchange(
  port: number,
  bytes: string,
  options: { piece?: number; until?: (got: string) => boolean } = {},
): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let got = '';
  const done = new Promise<string>((resolve) => {
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (options.until?.(got)) resolve(got);
    });
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
  });
  const piece = options.piece ?? bytes.length;
  for (let i = 0; i < bytes.length; i += piece) {
    socket.write(bytes.slice(i, i + piece), 'latin1');
    await new Promise((r) => setImmediate(r));
  }
  const out = await within(done, 'the answer on the raw socket');
  socket.destroy();
  return out;
}

test('SEC-4 --h2c: HTTP/2 by prior knowledge and plain HTTP/1.1 (fetch, a raw socket, byte by byte) on one port, on the same resources', async (t) => {
  const srv = await startH2c(t);
  // HTTP/1.1 with fetch: a write, then a read.
  const put = await fetch(`${srv.url}/doc`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: '{"over":"http/1.1"}',
  });
  assert.equal(put.status, 201);
  // HTTP/2 prior knowledge on the same port sees it, and writes too.
  const session = http2.connect(srv.url);
  t.after(() => session.close());
  const read = await h2Request(session, { ':path': '/doc' });
  assert.equal(read.status, 200);
  assert.equal(read.body, '{"over":"http/1.1"}');
  assert.equal(read.headers.etag, put.headers.get('etag'));
  const h2put = await h2Request(
    session,
    { ':method': 'PUT', ':path': '/doc', 'content-type': 'application/json' },
    '{"over":"h2"}',
  );
  assert.equal(h2put.status, 204);
  assert.equal(await (await fetch(`${srv.url}/doc`)).text(), '{"over":"h2"}');
  // A curl-like HTTP/1.1 request on a raw socket, whole and then a byte per write (a method
  // that starts like the preface, PUT and POST start with P, included).
  for (const piece of [undefined, 1]) {
    for (const request of [
      'GET /doc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx',
    ]) {
      const answer = await rawExchange(srv.port, request, piece ? { piece } : {});
      assert.match(answer, /^HTTP\/1\.1 20[014] /, `${request.split(' ')[0]} piece ${piece}`);
    }
  }
  // HTTP/2 whose preface arrives a byte at a time is still HTTP/2.
  const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
  const settings = '\x00\x00\x00\x04\x00\x00\x00\x00\x00'; // an empty SETTINGS frame
  const h2answer = await rawExchange(srv.port, preface + settings, {
    piece: 1,
    until: (got) => got.length >= 9,
  });
  // The server's first frame is its SETTINGS (type 4 at byte 3), not an HTTP/1.1 status line.
  assert.equal(h2answer.charCodeAt(3), 4);
  assert.doesNotMatch(h2answer, /^HTTP\/1/);
});

test('SEC-4 RSP-6 --h2c: a notifications stream over HTTP/1.1 (chunked) hears a write made over HTTP/2, on one port', async (t) => {
  const srv = await startH2c(t);
  assert.equal(
    (
      await fetch(`${srv.url}/n`, {
        method: 'PUT',
        body: '{"n":1}',
        headers: { 'Content-Type': 'application/json' },
      })
    ).status,
    201,
  );
  const controller = new AbortController();
  t.after(() => controller.abort());
  const res = await fetch(`${srv.url}/n`, {
    headers: { 'Accept-Events': '"prep"' },
    signal: controller.signal,
  });
  assert.equal(res.headers.get('events'), 'protocol="prep", status=200, expires=3600');
  const reader = res.body!.getReader();
  let got = Buffer.alloc(0);
  const readUntil = async (check: (s: string) => boolean) => {
    while (!check(got.toString('latin1'))) {
      const step = await within(reader.read(), 'stream bytes');
      assert.ok(!step.done, 'the stream ended early');
      got = Buffer.concat([got, step.value]);
    }
  };
  await readUntil((s) => s.includes('multipart/digest'));
  const session = http2.connect(srv.url);
  t.after(() => session.close());
  const h2put = await h2Request(
    session,
    { ':method': 'PUT', ':path': '/n', 'content-type': 'application/json' },
    '{"n":2}',
  );
  assert.equal(h2put.status, 204);
  await readUntil((s) => s.includes('Method: PUT'));
  const body = readPrepBody(got, boundaryOf(res.headers.get('content-type')));
  assert.equal(body.notifications[0]?.etag, h2put.headers.etag);
});

test('SEC-2 --h2c: HTTP/1.1 there has startServer’s bounds (431, 408 for a slow head); a connection that sends nothing is closed', async (t) => {
  const srv = await startH2c(t, { headersTimeoutMs: 300, maxHeaderBytes: 1024 });
  const big = await rawExchange(
    srv.port,
    `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`,
  );
  assert.match(big, /^HTTP\/1\.1 431 /);
  assert.match(big, /"code":"HEADERS_TOO_LARGE"/);
  // A head that never ends: 408 once the head timeout has passed (node's sweep enforces it).
  const slow = await rawExchange(srv.port, 'GET / HTTP/1.1\r\nHost: x\r\n');
  assert.match(slow, /^HTTP\/1\.1 408 /);
  // Nothing at all: neither protocol; the connection is closed, not held.
  assert.equal(await rawExchange(srv.port, ''), '');
});

test('SEC-4 createHttp2Server h2c: allowHTTP1 (default) serves HTTP/1.1 through the same listener; allowHTTP1: false is HTTP/2 only', async () => {
  for (const allowHTTP1 of [undefined, false]) {
    const server = createHttp2Server(
      (req, res) => res.end(`HTTP/${req.httpVersion} ${req.method}`),
      allowHTTP1 === undefined ? { h2c: true } : { h2c: true, allowHTTP1 },
    );
    const { port, url } = await listenHttp2(server);
    try {
      const session = http2.connect(url);
      const h2 = await h2Request(session, { ':path': '/' });
      session.close();
      assert.equal(h2.body, 'HTTP/2.0 GET');
      const h1 = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      if (allowHTTP1 === false) assert.doesNotMatch(h1, /^HTTP\/1\.1 200/);
      else {
        assert.match(h1, /^HTTP\/1\.1 200 /);
        assert.match(h1, /HTTP\/1\.1 GET$/);
      }
    } finally {
      await closeHttp2Server(server, 200);
    }
  }
});
