/**
 * `ReadableStreamSink`, the body of a fetch handler's notifications response: one part per
 * read (RSP-6), paced so that a runtime finds one part ready at a time, exact accounting of
 * what a reader has not taken (the hub's slow-subscriber bound, SEC-2), and its ends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadableStreamSink } from '../../src/server/engine/readable-sink.js';
import { turns } from '../helpers/wait.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

/** Whether `promise` has settled after the microtasks queued now (no turn passes). */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  return settled;
}

test('RSP-6 each read gets one written part, never two joined, in order', async () => {
  for (const pace of ['none', 'turn', 'timer'] as const) {
    const sink = new ReadableStreamSink({ pace });
    const reader = sink.stream.getReader();
    const parts = ['--M', '\r\npart 1--M', '\r\nhead--D', '\r\nn1--D', '\r\nn2--D'];
    for (const p of parts) sink.write(bytes(p));
    const got: string[] = [];
    for (let i = 0; i < parts.length; i++) got.push(text((await reader.read()).value));
    assert.deepEqual(got, parts, pace);
  }
});

test('RSP-6 a paced sink hands over one part per turn (turn) or timer (timer), none at once', async () => {
  for (const pace of ['turn', 'timer'] as const) {
    const sink = new ReadableStreamSink({ pace });
    const reader = sink.stream.getReader();
    sink.write(bytes('a--D'));
    sink.write(bytes('\r\nb--D'));
    assert.equal(text((await reader.read()).value), 'a--D');
    // A runtime that reads again at once finds nothing ready: it sends `a--D` alone.
    const second = reader.read();
    assert.equal(await settledNow(second), false, `${pace}: the second part came at once`);
    assert.equal(text((await second).value), '\r\nb--D');
  }
  // Unpaced (@hono/node-server writes each read by itself): at once.
  const sink = new ReadableStreamSink({ pace: 'none' });
  const reader = sink.stream.getReader();
  sink.write(bytes('a'));
  sink.write(bytes('b'));
  await reader.read();
  assert.equal(await settledNow(reader.read()), true);
});

test('SEC-2 bufferedBytes counts exactly what the reader has not taken; write says false past the high-water mark', async () => {
  const sink = new ReadableStreamSink({ pace: 'none', highWaterMark: 10 });
  assert.equal(sink.write(bytes('12345')), true);
  assert.equal(sink.bufferedBytes, 5);
  assert.equal(sink.write(bytes('67890')), false, 'at the mark');
  assert.equal(sink.write(bytes('abc')), false);
  assert.equal(sink.bufferedBytes, 13);
  const reader = sink.stream.getReader();
  await reader.read();
  assert.equal(sink.bufferedBytes, 8);
  await reader.read();
  await reader.read();
  assert.equal(sink.bufferedBytes, 0);
  // A reader waiting for more takes the next part straight away: nothing is queued.
  const next = reader.read();
  await turns(1); // the stream calls pull a few microtasks after read()
  assert.equal(sink.write(bytes('x')), true);
  assert.equal(sink.bufferedBytes, 0);
  assert.equal(text((await next).value), 'x');
});

test('RSP-7 end: the last bytes, then the end; finished only once the reader took them all', async () => {
  const sink = new ReadableStreamSink({ pace: 'turn' });
  let closes = 0;
  sink.onClose(() => closes++);
  sink.write(bytes('n--D'));
  sink.end(bytes('--\r\n--M--'));
  assert.equal(sink.finished, false);
  assert.equal(sink.write(bytes('late')), false, 'nothing after the end');
  const reader = sink.stream.getReader();
  assert.equal(text((await reader.read()).value), 'n--D');
  assert.equal(sink.finished, false);
  assert.equal(text((await reader.read()).value), '--\r\n--M--');
  assert.deepEqual(await reader.read(), { done: true, value: undefined });
  assert.equal(sink.finished, true);
  assert.equal(sink.closed, false);
  assert.equal(closes, 1);
});

test('RSP-8 a cancelled body (the client went away) is closed and says so once; destroy errors the body', async () => {
  const gone = new ReadableStreamSink();
  let closes = 0;
  gone.onClose(() => closes++);
  gone.write(bytes('queued'));
  await gone.stream.cancel();
  assert.equal(gone.closed, true);
  assert.equal(gone.bufferedBytes, 0);
  assert.equal(gone.write(bytes('x')), false);
  assert.equal(closes, 1);
  let late = 0;
  gone.onClose(() => late++);
  assert.equal(late, 1, 'a listener added after the close runs at once');

  const slow = new ReadableStreamSink();
  const reader = slow.stream.getReader();
  slow.write(bytes('a'));
  slow.destroy();
  assert.equal(slow.closed, true);
  await assert.rejects(reader.read(), /stopped reading/);
  await turns(2);
});
