import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  DELTA_TYPES,
  applyDelta,
  createDelta,
  isDeltaType,
  type Representation,
} from '../../src/core/delta/index.js';
import { isPrepError } from '../../src/core/errors.js';
import { editedPair } from './delta-arbitraries.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = (v: unknown, contentType = 'application/json'): Representation => ({
  contentType,
  body: enc.encode(JSON.stringify(v)),
});
const text = (s: string, contentType = 'text/plain'): Representation => ({
  contentType,
  body: enc.encode(s),
});
const JSON_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];
// Generous bounds, so that correctness tests never depend on how busy the machine is.
const unbounded = { maxInputBytes: Number.POSITIVE_INFINITY, maxCostMs: 60_000 };

/** The delta applied to `before` gives `after`, as JSON values. */
function assertJsonRoundTrip(
  type: string,
  before: Representation,
  after: Representation,
  delta = createDelta(type, before, after, unbounded),
) {
  if (delta === undefined) return undefined;
  const next = applyDelta(delta.contentType, before.body, delta.body);
  assert.deepStrictEqual(JSON.parse(dec.decode(next)), JSON.parse(dec.decode(after.body)));
  assert.ok(delta.body.length < after.body.length, 'a delta is smaller than the new body');
  return delta;
}

/** createDelta with generous bounds (how long it takes is measured by the benchmarks, not here). */
function timed(type: string, before: Representation, after: Representation) {
  return { delta: createDelta(type, before, after, unbounded) };
}

test('N822-8 DELTA_TYPES and their aliases', () => {
  assert.deepStrictEqual(
    [...DELTA_TYPES],
    ['application/json-patch+json', 'application/merge-patch+json', 'text/plain'],
  );
  assert.ok(isDeltaType('text/x-diff'));
  assert.ok(isDeltaType('Application/Merge-Patch+JSON; charset=utf-8'));
  assert.ok(!isDeltaType('application/json'));
});

test('N822-8 each delta type: a small change gives a small delta that applies', () => {
  const before = { title: 'Hello', tags: ['a', 'b', 'c'], body: 'x'.repeat(200) };
  const after = { ...before, title: 'Hi' };
  const patch = createDelta('application/json-patch+json', json(before), json(after));
  assert.deepStrictEqual(patch && { ...patch, body: dec.decode(patch.body) }, {
    contentType: 'application/json-patch+json',
    body: '[{"op":"replace","path":"/title","value":"Hi"}]',
  });
  const merge = createDelta('application/merge-patch+json', json(before), json(after));
  assert.deepStrictEqual(merge && dec.decode(merge.body), '{"title":"Hi"}');
  for (const type of JSON_TYPES)
    assert.ok(assertJsonRoundTrip(type, json(before), json(after)), type);
  // A unified diff of one-line JSON replaces the line: bigger than the body, so none.
  assert.equal(createDelta('text/plain', json(before), json(after)), undefined);
  const pretty = (v: unknown) => text(JSON.stringify(v, null, 2), 'application/json');
  assert.ok(assertJsonRoundTrip('text/plain', pretty(before), pretty(after)));
  const a = text(Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
  const b = text(dec.decode(a.body).replace('line 25\n', 'line twenty-five\n'));
  for (const type of ['text/plain', 'TEXT/X-DIFF']) {
    const diff = createDelta(type, a, b)!;
    assert.equal(diff.contentType, `${type.toLowerCase()}; charset=utf-8`);
    assert.deepStrictEqual(applyDelta(diff.contentType, a.body, diff.body), b.body);
  }
});

test('N822-8 JSON deltas round-trip through bytes (fast-check related pairs)', () => {
  fc.assert(
    fc.property(editedPair, fc.constantFrom(...JSON_TYPES, 'text/plain'), ([a, b], type) => {
      assertJsonRoundTrip(type, json(a), json(b));
      // Pretty-printed JSON gives line-based diffs something to work with.
      const pa = { contentType: 'application/json', body: enc.encode(JSON.stringify(a, null, 2)) };
      const pb = { contentType: 'application/json', body: enc.encode(JSON.stringify(b, null, 2)) };
      const delta = createDelta(type, pa, pb, unbounded);
      if (delta !== undefined && type === 'text/plain') {
        assert.deepStrictEqual(applyDelta(type, pa.body, delta.body), pb.body, 'byte for byte');
      }
    }),
    { numRuns: 500 },
  );
});

test('N822-8 no delta when there should be none: the client re-fetches', () => {
  const small = json({ a: 1 });
  const cases: [string, string, Representation, Representation, object?][] = [
    ['an unknown type', 'application/xml-patch+xml', small, json({ a: 2 })],
    [
      'a JSON type for HTML',
      'application/json-patch+json',
      text('<p>a</p>', 'text/html'),
      text('<p>b</p>', 'text/html'),
    ],
    [
      'bytes that are not JSON',
      'application/merge-patch+json',
      text('{"a":', 'application/json'),
      small,
    ],
    [
      'bytes that are not UTF-8',
      'text/plain',
      { contentType: 'text/plain', body: new Uint8Array([0xff, 0xfe, 0x0a]) },
      text('a\n'),
    ],
    ['a binary type', 'text/plain', text('a\n', 'image/png'), text('b\n', 'image/png')],
    [
      'another charset',
      'text/plain',
      text('a\n', 'text/plain; charset=iso-8859-1'),
      text('b\n', 'text/plain; charset=iso-8859-1'),
    ],
    [
      'the media type changed',
      'application/json-patch+json',
      small,
      json({ a: 2 }, 'application/ld+json'),
    ],
    [
      'a null a merge patch cannot carry',
      'application/merge-patch+json',
      json({ a: 1, pad: 'x'.repeat(50) }),
      json({ a: null, pad: 'x'.repeat(50) }),
    ],
    [
      'a delta larger than the new body',
      'application/json-patch+json',
      json({ a: 1, b: 2, c: 3 }),
      json({}),
    ],
    ['a delta as large as the new body', 'text/plain', text('a\n'), text('b\n')],
    [
      'inputs over maxInputBytes',
      'application/json-patch+json',
      json({ a: 'x'.repeat(100) }),
      json({ a: 'y'.repeat(100) }),
      { maxInputBytes: 50 },
    ],
    [
      'no time to spend',
      'application/json-patch+json',
      json({ a: 'x'.repeat(100) }),
      json({ a: 'y' }),
      { maxCostMs: -1 },
    ],
    [
      'over maxDeltaRatio',
      'application/merge-patch+json',
      json({ a: 1, pad: 'x'.repeat(50) }),
      json({ a: 2, pad: 'x'.repeat(50) }),
      { maxDeltaRatio: 0.05 },
    ],
  ];
  for (const [why, type, before, after, limits] of cases) {
    assert.equal(createDelta(type, before, after, limits), undefined, why);
  }
});

test('N822-8 a deeply nested document gives no delta, not a stack overflow', () => {
  const deep = (n: number, leaf: string) => '['.repeat(n) + JSON.stringify(leaf) + ']'.repeat(n);
  const a = text(deep(200_000, 'a'), 'application/json');
  const b = text(deep(200_000, 'b'), 'application/json');
  for (const type of JSON_TYPES) assert.equal(createDelta(type, a, b, unbounded), undefined);
  assert.throws(
    () => applyDelta('application/json-patch+json', a.body, enc.encode('[]')),
    (e) => isPrepError(e, 'PATCH_UNPROCESSABLE'),
  );
});

test('N822-8 applyDelta errors carry codes and statuses', () => {
  const doc = enc.encode('{"a":1}');
  const cases: [string, Uint8Array, string, string, number][] = [
    ['application/xml-patch+xml', doc, '<x/>', 'DELTA_UNSUPPORTED', 415],
    ['application/json-patch+json', doc, '[{"op":"remove"', 'PATCH_MALFORMED', 400],
    ['application/json-patch+json', doc, '{"op":"remove","path":"/a"}', 'PATCH_MALFORMED', 400],
    [
      'application/json-patch+json',
      doc,
      '[{"op":"test","path":"/a","value":2}]',
      'PATCH_CONFLICT',
      409,
    ],
    [
      'application/json-patch+json',
      doc,
      '[{"op":"remove","path":"/b"}]',
      'PATCH_UNPROCESSABLE',
      422,
    ],
    ['application/json-patch+json', enc.encode('not json'), '[]', 'PATCH_UNPROCESSABLE', 422],
    ['application/merge-patch+json', doc, '{"a":', 'PATCH_MALFORMED', 400],
    ['text/plain', enc.encode('a\n'), '--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n', 'PATCH_CONFLICT', 409],
    ['text/plain', new Uint8Array([0xff]), '', 'PATCH_UNPROCESSABLE', 422],
  ];
  for (const [type, before, delta, code, status] of cases) {
    assert.throws(
      () => applyDelta(type, before, enc.encode(delta)),
      (e) => isPrepError(e, code) && e.status === status,
      `${type} ${delta}`,
    );
  }
});

// Work must stay near-linear. Timings belong to benchmarks, so these assert only a generous
// bound; what they check is that the work is bounded and the answer right or absent.
const hundredK = Array.from({ length: 100_000 }, (_, i) => ({
  id: i,
  name: `item ${i}`,
  done: i % 2 === 0,
}));

test('N822-8 a 100k-item array: a changed item gives a tiny JSON Patch', () => {
  const before = json(hundredK);
  const items = hundredK.slice();
  items[50_000] = { ...items[50_000]!, name: 'renamed' };
  const after = json(items);
  const { delta } = timed('application/json-patch+json', before, after);
  assert.equal(
    delta && dec.decode(delta.body),
    '[{"op":"replace","path":"/50000/name","value":"renamed"}]',
  );
  assertJsonRoundTrip('application/json-patch+json', before, after, delta);
});

test('N822-8 a 100k-item array: an unshift rewrites every index, so no delta', () => {
  const before = json(hundredK);
  const after = json([{ id: -1, name: 'first', done: false }, ...hundredK]);
  for (const type of [...JSON_TYPES, 'text/plain']) {
    const { delta } = timed(type, before, after);
    assert.equal(delta, undefined, type);
  }
});

test('N822-8 a ~10 MB document: no delta under the default bound, and bounded work without it', () => {
  const doc = {
    items: Array.from({ length: 110_000 }, (_, i) => ({
      id: i,
      title: 'x'.repeat(40),
      n: i,
      tags: ['a', 'b'],
    })),
  };
  const changed = structuredClone(doc);
  changed.items[7]!.title = 'changed';
  changed.items.push({ id: -1, title: 'new', n: 0, tags: [] });
  const before = json(doc);
  const after = json(changed);
  assert.ok(before.body.length > 9_000_000, `${before.body.length} bytes`);
  for (const type of [...JSON_TYPES, 'text/plain']) {
    assert.equal(createDelta(type, before, after), undefined, `${type}: over the 1 MiB default`);
    const { delta } = timed(type, before, after);
    assertJsonRoundTrip(type, before, after, delta);
    // Only JSON Patch can say "one title changed, one item appended" in fewer bytes.
    if (type === 'application/json-patch+json') assert.ok(delta && delta.body.length < 200);
    else assert.equal(delta, undefined, type);
  }
});
