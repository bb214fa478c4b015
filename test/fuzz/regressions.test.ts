// Minimal inputs the fuzzers found, each kept as a plain test named after what it checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseEventsField, parseNotification } from '../../packages/client/src/core/index.js';

test('RSP-1 Events: an expires too far out for a Date leaves expiresAt out instead of an Invalid Date', () => {
  // Found by fuzz/targets.ts (events-field): 999999999999999 s after any date is past the
  // largest JavaScript Date, and `new Date(NaN)` is no instant a client can wait for.
  const far = parseEventsField(
    'protocol="prep", status=200, expires=999999999999999',
    'Thu, 07 Nov 2024 14:13:48 GMT',
  );
  assert.deepStrictEqual(far, { protocol: 'prep', status: 200, expires: 999999999999999 });
  const last = parseEventsField('protocol="prep", status=100, expires=1', new Date(8.64e15));
  assert.deepStrictEqual(last, { protocol: 'prep', status: 100, expires: 1 });
  // Still filled in when it fits.
  const near = parseEventsField('protocol="prep", status=200, expires=60', new Date(0));
  assert.equal(near?.expiresAt?.getTime(), 60_000);
});

test('N822-4 notifications: many folded header lines parse in linear time', () => {
  // Found by fuzz/targets.ts (notification, the repeated-fragment inputs): each obs-fold
  // line re-trimmed the whole value so far, so 80 000 of them (320 KB) took about a minute.
  // A notification comes from the server: a client must not hang on a hostile one.
  const head = 'Method: PUT\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 1\r\nX-A: a\r\n';
  const bytes = new TextEncoder().encode(head + ' x\r\n'.repeat(80_000));
  const started = performance.now();
  const n = parseNotification(bytes);
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  const value = n.extraHeaders?.[0]?.[1];
  assert.equal(value?.length, 1 + 80_000 * 2);
  assert.ok(value?.startsWith('a x x'));
});

test('N822-4 notifications: folding keeps RFC 9112 semantics (one space per fold, empty folds dropped)', () => {
  const n = parseNotification(
    new TextEncoder().encode(
      'Method: PUT\nDate: Sat, 01 Apr 2023 10:11:12 GMT\nEvent-ID:\n  7\nX-A: a\n \t\n\t b  \n c\nX-B:\n \n',
    ),
  );
  assert.equal(n.eventId, '7');
  assert.deepStrictEqual(n.extraHeaders, [
    ['X-A', 'a b c'],
    ['X-B', ''],
  ]);
});
