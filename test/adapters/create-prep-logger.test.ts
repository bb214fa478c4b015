// createPrep({ logger }): the engine, embedded in an app, logs one object per response it
// sends (pino's shape; a pino logger works as it is), with the principal's id and never the
// token.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { createPrep, TokenPolicy } from '../../src/server/index.js';
import { eventually } from '../helpers/wait.js';

const TOKEN = 's3cret-token-1234';

test('SEC-1 createPrep({ logger: pino() }) logs one object per response the engine sends: a plain GET, a stream when it ends (with its principal, never the token)', async (t) => {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const prep = createPrep({
    logger: pino({}, out),
    access: new TokenPolicy({
      anonymous: [{ prefix: '/', read: true }],
      tokens: [{ name: 'alice', token: TOKEN, rules: [{ prefix: '/', read: true }] }],
    }),
  });
  const server = http.createServer((req, res) => {
    void prep.serve(req, res, {
      base: { headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await prep.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/doc`;

  const plain = await fetch(url, { headers: { 'X-Request-Id': 'req-1' } });
  assert.equal(await plain.text(), '{"a":1}');
  const controller = new AbortController();
  const stream = await fetch(url, {
    headers: {
      'Accept-Events': '"prep"',
      Authorization: `Bearer ${TOKEN}`,
      'X-Request-Id': 'req-2',
    },
    signal: controller.signal,
  });
  assert.match(stream.headers.get('events') ?? '', /status=200/);
  const reader = stream.body!.getReader();
  await reader.read();
  prep.notify({ method: 'PUT', path: '/doc', etag: '"2"' });
  let text = '';
  while (!text.includes('Method: PUT'))
    text += new TextDecoder().decode((await reader.read()).value);
  controller.abort();

  await eventually(() => lines.length >= 2, 'two log entries');
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const [first, second] = entries;
  assert.equal(first?.msg, 'request');
  assert.equal(first?.reqId, 'req-1');
  assert.equal(first?.method, 'GET');
  assert.equal(first?.path, '/doc');
  assert.equal(first?.status, 200);
  assert.equal(first?.stream, false);
  assert.equal(first?.principal, undefined, 'anonymous');
  assert.equal(typeof first?.durationMs, 'number');
  assert.ok((first?.bytes as number) > 7, 'the head and body');
  assert.equal(second?.reqId, 'req-2');
  assert.equal(second?.stream, true);
  // The policy's id: the token's name and a short digest (a rotated token is a new principal).
  assert.match(String(second?.principal), /^alice#[0-9a-f]{12}$/);
  assert.ok((second?.bytes as number) > text.length, 'everything the stream sent');
  assert.equal(typeof second?.time, 'number', "pino's own time, once");
  assert.ok(!lines.join('\n').includes(TOKEN), 'no credential in the log');
});
