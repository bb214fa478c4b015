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
import { parseRaw } from './http-helpers.js';
import { within, withServer } from './helpers.js';

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
