import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseScanner } from '../../bench/load/stream-parser.js';

const part = (id: string) =>
  `\r\n\r\nMethod: PUT\r\nDate: Tue, 24 Nov 2026 01:29:19 GMT\r\nEvent-ID: ${id}\r\nETag: "x"\r\n\r\n\r\n--D`;
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
const HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: multipart/mixed; boundary="M"\r\nTransfer-Encoding: chunked\r\n\r\n';
const IDS = ['1.a', '2.a', 'Event-ID-3', '4'];
const body =
  chunk(
    '--M\r\nContent-Type: text/plain\r\n\r\nhi\r\n--M\r\nContent-Type: multipart/digest; boundary="D"\r\n\r\n--D',
  ) +
  chunk(part(IDS[0]!)) +
  chunk(part(IDS[1]!) + part(IDS[2]!)) + // two parts in one chunk
  chunk(`\r\n\r\n\r\n--D`) + // keep-alive: no Event-ID
  chunk(part(IDS[3]!)) +
  '0\r\n\r\n';
const wire = Buffer.from(HEAD + body);

function feed(pieces: Buffer[]): { scanner: ResponseScanner; ids: string[] } {
  const scanner = new ResponseScanner();
  const ids: string[] = [];
  for (const p of pieces) scanner.push(p, ids);
  return { scanner, ids };
}

test('bench: scanner finds every Event-ID of a chunked PREP body, in order', () => {
  const { scanner, ids } = feed([wire]);
  assert.equal(scanner.status, 200);
  assert.deepEqual(ids, IDS);
  assert.ok(scanner.finished);
  assert.equal(scanner.error, undefined);
});

test('bench: scanner gives the same result for every split of the bytes', () => {
  for (let cut = 1; cut < wire.length; cut++) {
    const { ids } = feed([wire.subarray(0, cut), wire.subarray(cut)]);
    assert.deepEqual(ids, IDS, `split at ${cut}`);
  }
  const bytes = [...wire].map((b) => Buffer.from([b]));
  assert.deepEqual(feed(bytes).ids, IDS, 'one byte at a time');
});

test('bench: scanner copes with a line split across chunks and with chunk extensions', () => {
  const p = part('77');
  const cut = p.indexOf('nt-ID') + 2;
  const w = Buffer.from(
    HEAD + chunk(p.slice(0, cut)) + `${(p.length - cut).toString(16)};ext=1\r\n${p.slice(cut)}\r\n`,
  );
  assert.deepEqual(feed([w]).ids, ['77']);
});

test('bench: scanner reads a body without chunking until close', () => {
  const w = Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n' + part('a') + part('b'));
  const { ids, scanner } = feed([w.subarray(0, 50), w.subarray(50)]);
  assert.deepEqual(ids, ['a', 'b']);
  assert.ok(!scanner.finished);
});

test('bench: scanner reports a refused subscription by its status', () => {
  const { scanner, ids } = feed([
    Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'),
  ]);
  assert.equal(scanner.status, 503);
  assert.deepEqual(ids, []);
});

test('bench: scanner flags a broken chunk size', () => {
  const { scanner } = feed([Buffer.from(HEAD + 'zz\r\n')]);
  assert.equal(scanner.error, 'bad chunk size');
});
