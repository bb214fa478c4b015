/**
 * PREP over node:http2: the behaviour suite over TLS (a self-signed certificate made here
 * with openssl) and h2c, then what is particular to HTTP/2: DATA frame boundaries checked on
 * raw frames (RSP-6), HTTP/1.1 clients on the TLS port, many streams on one connection
 * (SEC-4), the resource server (`startHttp2Server`) and the core stream API.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import http2, { type ServerHttp2Stream } from 'node:http2';
import { test } from 'node:test';
import { docsListener } from '../../examples/node-http.js';
import { createHttp2Server } from '../../src/server/adapters/http2.js';
import { PrepEngine } from '../../src/server/engine/engine.js';
import { createHttp2StreamTransport } from '../../src/server/engine/transport.js';
import {
  closeHttp2Server,
  createPrep,
  createPrepHttp2Server,
  listenHttp2,
  startHttp2Server,
  type EventHistory,
  type Http2Mode,
  type PrepOptions,
} from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { boundaryOf, readPrepBody } from '../helpers/prep-body.js';
import { within } from '../helpers/wait.js';
import {
  assertDelimitersEndPieces,
  prepBehaviour,
  prepOf,
  waitNotifications,
  WATCH,
  type Started,
} from './behaviour.js';
import { createClient } from './clients.js';
import { FRAME, RawH2Client } from './h2-frames.js';
import type { WriterHold } from './hold.js';
import { testCertificate } from './tls.js';

async function startDocs(
  mode: Http2Mode,
  options: PrepOptions,
  hold?: WriterHold,
): Promise<Started> {
  const prep = createPrep(options);
  const app = docsListener(prep);
  const server = createPrepHttp2Server(
    prep,
    (req, res) => {
      hold?.wrap(req, res);
      return app(req, res);
    },
    mode,
  );
  const { url } = await listenHttp2(server);
  return {
    url,
    kind: 'h2',
    ...('h2c' in mode ? {} : { ca: testCertificate().cert }),
    prep,
    async close() {
      await prep.close();
      await closeHttp2Server(server, 200);
    },
  };
}

const tls = (): Http2Mode => ({ key: testCertificate().key, cert: testCertificate().cert });

prepBehaviour('node:http2 over TLS', ({ prep, hold }) => startDocs(tls(), prep, hold));
prepBehaviour('node:http2 h2c', ({ prep, hold }) => startDocs({ h2c: true }, prep, hold));

test('premise: node:http2 merges writes made in one turn into one DATA frame (why the HTTP/2 sink serializes them)', async () => {
  const server = createHttp2Server(
    (_req, res) => {
      res.writeHead(200);
      res.write('a');
      res.write('b');
      res.write('c');
      res.end();
    },
    { h2c: true },
  );
  const { port } = await listenHttp2(server);
  const raw = await RawH2Client.connect(port);
  try {
    raw.get(1, '/', {});
    await raw.waitFor(() => raw.ended(1), 'the response');
    const payloads = raw.data(1).map((f) => f.payload.toString());
    assert.equal(payloads.join(''), 'abc');
    assert.ok(payloads.filter((p) => p !== '').length < 3, `frames: ${JSON.stringify(payloads)}`);
  } finally {
    raw.close();
    await closeHttp2Server(server, 100);
  }
});

test('RSP-6 on raw HTTP/2 frames: every delimiter ends a DATA frame, also for parts published in one round and the close', async () => {
  const started = await startDocs({ h2c: true }, { watch: WATCH });
  const raw = await RawH2Client.connect(Number(new URL(started.url).port));
  const client = createClient(started.url, 'h2');
  try {
    const put = await client.request('PUT', '/docs/a', {
      headers: { 'content-type': 'application/json' },
      body: '{"v":0}',
    });
    assert.equal(put.status, 201);
    raw.get(1, '/docs/a', { 'accept-events': '"prep"' });
    const body = (): Buffer => Buffer.concat(raw.data(1).map((f) => f.payload));
    await raw.waitFor(() => body().includes('multipart/digest'), 'the opening');
    // Four notifications in one round (published in one turn), then a DELETE that ends it.
    for (let i = 1; i <= 4; i++)
      started.prep.notify({ method: 'PUT', path: '/docs/a', etag: `"v${i}"` });
    started.prep.notify({ method: 'DELETE', path: '/docs/a' });
    await raw.waitFor(() => raw.ended(1), 'the end of the stream');

    const frames = raw.data(1).filter((f) => f.payload.length > 0);
    const all = body();
    // The mixed boundary is the first line of the body; the digest one is in part 2's head.
    const mixed = all.toString('latin1').slice(2, all.indexOf('\r\n'));
    const prep = readPrepBody(all, mixed);
    assert.ok(prep.closed);
    assert.deepEqual(
      prep.notifications.map((n) => `${n.method} ${n.etag ?? ''}`),
      ['PUT "v1"', 'PUT "v2"', 'PUT "v3"', 'PUT "v4"', 'DELETE '],
    );
    // Each frame ends right after a delimiter, but the last, which is the final `--` CRLF
    // (RSP-7): one frame per opening piece, per notification and per close delimiter.
    const ends = [`--${mixed}`, `--${prep.digest!}`];
    for (const f of frames.slice(0, -1)) {
      const text = f.payload.toString('latin1');
      assert.ok(
        ends.some((e) => text.endsWith(e)),
        `a DATA frame ends with ${JSON.stringify(text.slice(-12))}`,
      );
    }
    assert.equal(frames.at(-1)!.payload.toString('latin1'), '--\r\n');
    assert.equal(frames.at(-2)!.payload.toString('latin1'), `--\r\n--${mixed}`);
    assert.equal(frames.length, 3 + 5 + 2);
    // No frame but the last carries END_STREAM; no RST_STREAM.
    assert.ok(!raw.frames.some((f) => f.type === FRAME.RST_STREAM));
  } finally {
    raw.close();
    client.close();
    await started.close();
  }
});

test('SEC-4 the TLS server also serves HTTP/1.1 clients on the same port (ALPN http/1.1)', async () => {
  const started = await startDocs(tls(), { watch: WATCH });
  const client = createClient(started.url, 'h2', started.ca);
  try {
    await client.request('PUT', '/docs/a', {
      headers: { 'content-type': 'application/json' },
      body: '{"v":0}',
    });
    const { port } = new URL(started.url);
    const res = await within(
      new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        const req = https.get(
          {
            host: '127.0.0.1',
            port,
            path: '/docs/a',
            ca: started.ca,
            headers: { 'accept-events': '"prep"' },
            agent: false,
          },
          resolve,
        );
        req.on('error', reject);
      }),
      'an HTTP/1.1 response over TLS',
    );
    try {
      assert.equal(res.httpVersion, '1.1');
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      const mixed = boundaryOf(res.headers['content-type']);
      let body = Buffer.alloc(0);
      await within(
        new Promise<void>((resolve) => {
          res.on('data', (d: Buffer) => {
            body = Buffer.concat([body, d]);
            if (readPrepBody(body, mixed).digest !== undefined) resolve();
          });
        }),
        'the opening of the stream',
      );
      assert.equal(readPrepBody(body, mixed).part1!.body.toString(), '{"v":0}');
    } finally {
      res.destroy();
    }
  } finally {
    client.close();
    await started.close();
  }
});

test('SEC-4 one HTTP/2 connection carries more notifications streams than the six a browser opens over HTTP/1.1', async () => {
  const started = await startDocs(tls(), { watch: WATCH });
  const client = createClient(started.url, 'h2', started.ca);
  try {
    const names = Array.from({ length: 12 }, (_, i) => `d${i}`);
    for (const n of names)
      await client.request('PUT', `/docs/${n}`, {
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
    const streams = await Promise.all(
      names.map(async (n) => {
        const s = await client.open(`/docs/${n}`, { 'accept-events': '"prep"' });
        await s.waitFor(() => prepOf(s).digest !== undefined, `the opening of ${n}`);
        return s;
      }),
    );
    assert.equal(started.prep.engine.hub.stats.subscriptions, 12);
    for (const n of names)
      await client.request('PUT', `/docs/${n}`, {
        headers: { 'content-type': 'application/json' },
        body: '{"v":1}',
      });
    for (const s of streams) {
      const [n] = await waitNotifications(s, 1);
      assert.equal(n!.method, 'PUT');
    }
  } finally {
    client.close();
    await started.close();
  }
});

for (const kind of ['TLS', 'h2c'] as const) {
  test(`SEC-4 RSP-6 RSP-7 startHttp2Server: the resource server over HTTP/2 (${kind}), and close() ends streams with both close delimiters`, async () => {
    const store = new MemoryStore();
    await store.open();
    const mode: Http2Mode = kind === 'TLS' ? tls() : { h2c: true };
    const running = await startHttp2Server({ store, port: 0, ...mode });
    const client = createClient(
      running.url,
      'h2',
      kind === 'TLS' ? testCertificate().cert : undefined,
    );
    try {
      assert.match(
        running.url,
        kind === 'TLS' ? /^https:\/\/127\.0\.0\.1:\d+$/ : /^http:\/\/127\.0\.0\.1:\d+$/,
      );
      const json = { 'content-type': 'application/json' };
      assert.equal(
        (await client.request('PUT', '/doc', { headers: json, body: '{"v":0}' })).status,
        201,
      );
      const s = await client.open('/doc', { 'accept-events': '"prep"' });
      assert.equal(s.status, 200);
      assert.equal(s.headers.events, 'protocol="prep", status=200, expires=3600');
      assert.ok(
        !s.fieldNames.includes('connection') && !s.fieldNames.includes('transfer-encoding'),
      );
      const put = await client.request('PUT', '/doc', { headers: json, body: '{"v":1}' });
      const [n] = await waitNotifications(s, 1);
      assert.equal(n!.etag, put.headers.etag);
      await running.close();
      await s.waitFor(() => s.complete, 'the stream to end');
      const body = prepOf(s);
      assert.ok(body.closed);
      assertDelimitersEndPieces(s, [body.mixed, body.digest!]);
    } finally {
      client.close();
      await running.close();
      await store.close();
    }
  });
}

test('RSP-1 RSP-4 RSP-6 the core stream API: engine.streamTo(createHttp2StreamTransport(stream, headers), ...)', async () => {
  const engine = new PrepEngine();
  const history: EventHistory = {
    lastSeq: () => Promise.resolve(0),
    latestEventId: () => Promise.resolve(undefined),
    seqOf: () => undefined,
    eventsAfter: () => Promise.resolve([]),
  };
  const server = http2.createServer();
  server.on('stream', (stream: ServerHttp2Stream, headers) => void answer(stream, headers));
  const answer = async (stream: ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const target = { path: '/x', client: 'c' };
    const n = await engine.negotiate(String(headers[':method']), headers, 200, target);
    if (n.kind !== 'stream') {
      stream.respond({ ':status': 200 });
      stream.end('plain');
      return;
    }
    const base = {
      status: 200,
      headers: [['Content-Type', 'text/plain']] as const,
      body: Buffer.from('hi'),
    };
    void engine.streamTo(createHttp2StreamTransport(stream, headers), base, n, {
      ...target,
      isContainer: false,
      afterSeq: 0,
      history,
    });
  };
  const { port } = await listenHttp2(server);
  const client = createClient(`http://127.0.0.1:${port}`, 'h2');
  try {
    const s = await client.open('/x', { 'accept-events': '"prep"' });
    assert.equal(s.status, 200);
    assert.match(s.headers.date ?? '', /GMT$/); // RSP-1: respond() adds Date
    await s.waitFor(() => prepOf(s).digest !== undefined, 'the opening');
    assert.deepEqual(prepOf(s).part1, {
      headers: 'Content-Type: text/plain',
      body: Buffer.from('hi'),
    });
    engine.hub.publish([
      {
        seq: 1,
        id: 'e1',
        time: Date.now(),
        method: 'PUT',
        path: '/x',
        parent: null,
        etag: '"2"',
        parentEtag: null,
      },
      {
        seq: 2,
        id: 'e2',
        time: Date.now(),
        method: 'DELETE',
        path: '/x',
        parent: null,
        etag: null,
        parentEtag: null,
      },
    ]);
    await s.waitFor(() => s.complete, 'the end of the stream');
    const body = prepOf(s);
    assert.deepEqual(
      body.notifications.map((n) => n.eventId),
      ['e1', 'e2'],
    );
    assertDelimitersEndPieces(s, [body.mixed, body.digest!]);
    assert.equal(engine.hub.stats.subscriptions, 0);
  } finally {
    client.close();
    engine.hub.closeAll();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
