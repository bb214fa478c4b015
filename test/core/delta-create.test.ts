import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  DELTA_TYPES,
  applyDelta,
  createDelta,
  deltaTypesFor,
  isDeltaType,
  type Representation,
} from '../../packages/client/src/core/delta/index.js';
import { replaceRootPatch } from '../../packages/client/src/core/delta/json-patch.js';
import { createMergePatch } from '../../packages/client/src/core/delta/merge-patch.js';
import { createTextReplacement } from '../../packages/client/src/core/delta/text-diff.js';
import { isPrepError } from '../../packages/client/src/core/errors.js';
import { anyJson, editedPair } from './delta-arbitraries.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
// A byte order mark is text a diff must carry: keep it when comparing texts.
const decKeepBom = new TextDecoder('utf-8', { ignoreBOM: true });
const json = (v: unknown, contentType = 'application/json'): Representation => ({
  contentType,
  body: enc.encode(JSON.stringify(v)),
});
const text = (s: string, contentType = 'text/plain'): Representation => ({
  contentType,
  body: enc.encode(s),
});
const JSON_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];
const ALL_TYPES = [...JSON_TYPES, 'text/plain'];
// Generous bounds, so that correctness tests never depend on how busy the machine is.
const unbounded = { maxInputBytes: Number.POSITIVE_INFINITY, maxCostMs: 60_000 };

/**
 * The delta exists and, applied to `before` with our applier, gives `after`: the same bytes
 * for a unified diff, the same JSON value for the JSON types. It is no bigger than the delta
 * that rebuilds the whole document.
 */
function assertApplies(
  type: string,
  before: Representation,
  after: Representation,
  delta = createDelta(type, before, after, unbounded),
): Representation {
  assert.ok(delta, `${type}: a delta`);
  const next = applyDelta(delta.contentType, before.body, delta.body);
  if (type === 'text/plain') assert.deepStrictEqual(next, after.body);
  else assert.deepStrictEqual(JSON.parse(dec.decode(next)), JSON.parse(dec.decode(after.body)));
  const rebuild = rebuildOf(type, before, after);
  if (rebuild !== undefined)
    assert.ok(dec.decode(delta.body).length <= rebuild.length, 'the smaller one');
  return delta;
}

/** The delta that rebuilds the whole document (merge patch: none; its diff is its rebuild). */
function rebuildOf(type: string, before: Representation, after: Representation) {
  if (type === 'application/json-patch+json') return replaceRootPatch(dec.decode(after.body));
  if (type === 'text/plain')
    return createTextReplacement(decKeepBom.decode(before.body), decKeepBom.decode(after.body));
  return undefined;
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

test('DSC-1 N822-8 deltaTypesFor names exactly the delta types createDelta makes for a media type', () => {
  const types = [
    'application/json',
    'application/ld+json; charset=utf-8',
    'text/json',
    'application/json; charset=iso-8859-1',
    'text/plain',
    'Text/Markdown; charset=UTF-8',
    'text/csv; charset=us-ascii',
    'application/xml',
    'image/svg+xml',
    'application/javascript',
    'text/plain; charset=iso-8859-1',
    'image/png',
    'application/octet-stream',
    'application/pdf',
  ];
  // Bodies that are JSON and UTF-8 text both: only the media type decides.
  const [a, b] = [enc.encode('{"a":1}\n'), enc.encode('{"a":2}\n')];
  for (const contentType of types) {
    const made = [...DELTA_TYPES, 'text/x-diff'].filter(
      (t) => createDelta(t, { contentType, body: a }, { contentType, body: b }) !== undefined,
    );
    assert.deepEqual(
      deltaTypesFor(contentType, [...DELTA_TYPES, 'text/x-diff']),
      made,
      contentType,
    );
    assert.deepEqual(
      deltaTypesFor(contentType),
      made.filter((t) => t !== 'text/x-diff'),
      contentType,
    );
  }
  assert.deepEqual(deltaTypesFor('application/json'), [...DELTA_TYPES]);
  assert.deepEqual(deltaTypesFor('text/plain'), ['text/plain']);
  assert.deepEqual(deltaTypesFor('image/png'), []);
  assert.deepEqual(deltaTypesFor('application/json', ['application/xml-patch+xml']), []);
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
  for (const type of ALL_TYPES) assertApplies(type, json(before), json(after));
  // A unified diff of one-line JSON replaces the line: the diff is the rebuild.
  const oneLine = createDelta('text/plain', json(before), json(after))!;
  assert.equal(
    dec.decode(oneLine.body),
    `--- a\n+++ b\n@@ -1,1 +1,1 @@\n-${JSON.stringify(before)}\n\\ No newline at end of file\n` +
      `+${JSON.stringify(after)}\n\\ No newline at end of file\n`,
  );
  const pretty = (v: unknown) => text(JSON.stringify(v, null, 2), 'application/json');
  assert.ok(
    createDelta('text/plain', pretty(before), pretty(after))!.body.length <
      pretty(after).body.length / 2,
  );
  assertApplies('text/plain', pretty(before), pretty(after));
  const a = text(Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
  const b = text(dec.decode(a.body).replace('line 25\n', 'line twenty-five\n'));
  for (const type of ['text/plain', 'TEXT/X-DIFF']) {
    const diff = createDelta(type, a, b)!;
    assert.equal(diff.contentType, `${type.toLowerCase()}; charset=utf-8`);
    assert.deepStrictEqual(applyDelta(diff.contentType, a.body, diff.body), b.body);
  }
});

test('N822-8 a small document gets a delta of every type, not a re-fetch: {"n":1} to {"n":2}', () => {
  const before = json({ n: 1 });
  const after = json({ n: 2 });
  const got = ALL_TYPES.map((type) => dec.decode(assertApplies(type, before, after).body));
  assert.deepStrictEqual(got, [
    '[{"op":"replace","path":"/n","value":2}]',
    '{"n":2}',
    '--- a\n+++ b\n@@ -1,1 +1,1 @@\n-{"n":1}\n\\ No newline at end of file\n+{"n":2}\n\\ No newline at end of file\n',
  ]);
  // A whole new document: the difference is bigger than a rebuild, so the rebuild.
  const other = json({ other: 1 });
  const wide = json({ a: 1, b: 2, c: 3 });
  assert.equal(
    dec.decode(assertApplies('application/json-patch+json', wide, other).body),
    '[{"op":"replace","path":"","value":{"other":1}}]',
  );
  assert.equal(
    dec.decode(assertApplies('application/merge-patch+json', wide, other).body),
    '{"a":null,"b":null,"c":null,"other":1}',
  );
  // A non-object replaces the target whole (RFC 7396 §2), null included.
  for (const value of [[1, 2], 'text', 7, true, null]) {
    const delta = assertApplies('application/merge-patch+json', wide, json(value));
    assert.equal(dec.decode(delta.body), JSON.stringify(value));
  }
});

test('N822-8 every delta type, every pair: a delta that applies to give the new representation (fast-check)', () => {
  const pair = fc.oneof(editedPair, fc.tuple(anyJson, anyJson));
  fc.assert(
    fc.property(pair, fc.boolean(), fc.constantFrom(...ALL_TYPES), ([a, b], pretty, type) => {
      const encode = (v: unknown) =>
        text(pretty ? JSON.stringify(v, null, 2) : JSON.stringify(v), 'application/json');
      const before = encode(a);
      const after = encode(b);
      const delta = createDelta(type, before, after, unbounded);
      // Only a merge patch can fail to say it: a null member value (RFC 7396 §1).
      if (type === 'application/merge-patch+json' && createMergePatch(a, b) === undefined) {
        assert.equal(delta, undefined);
        return;
      }
      // A unified diff reproduces the bytes, pretty-printing included.
      assertApplies(type, before, after, delta);
    }),
    { numRuns: 1500 },
  );
});

test('N822-8 text: every pair of texts gets a diff that gives the new text byte for byte (fast-check)', () => {
  const line = fc.constantFrom('a', 'b', 'dd', '', ' ', 'é✓', '\ufeff');
  const eol = fc.constantFrom('\n', '\r\n', '\r', '');
  const doc = fc.array(fc.tuple(line, eol), { maxLength: 12 }).map((ls) => ls.flat().join(''));
  const limits = fc.constantFrom(unbounded, { maxCostMs: -1 });
  fc.assert(
    fc.property(fc.oneof(doc, fc.string()), fc.oneof(doc, fc.string()), limits, (a, b, lim) => {
      const before = text(a);
      const after = text(b);
      assertApplies('text/plain', before, after, createDelta('text/plain', before, after, lim));
    }),
    { numRuns: 1500 },
  );
});

test('N822-8 no time to search: the delta rebuilds the whole document (JSON Patch, text), a merge patch is still its diff', () => {
  const before = json({ a: 'x'.repeat(100), b: 1 });
  const after = json({ a: 'x'.repeat(100), b: 2 });
  const rebuilt = ALL_TYPES.map((type) =>
    dec.decode(
      assertApplies(type, before, after, createDelta(type, before, after, { maxCostMs: -1 })).body,
    ),
  );
  assert.deepStrictEqual(rebuilt, [
    replaceRootPatch(dec.decode(after.body)),
    '{"b":2}',
    createTextReplacement(dec.decode(before.body), dec.decode(after.body)),
  ]);
});

test('N822-8 no delta only when none fits: the type, a body past the size cap, a null for merge patch; the client re-fetches', () => {
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
      'a new body over the size cap',
      'application/json-patch+json',
      json({ a: 'x' }),
      json({ a: 'y'.repeat(100) }),
      { maxInputBytes: 50 },
    ],
    [
      'a previous body over the size cap',
      'text/plain',
      text('x'.repeat(100)),
      text('y'),
      { maxInputBytes: 50 },
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

// Work must stay near-linear. Timings belong to benchmarks, so these assert no time; what
// they check is that the work is bounded and the answer right.
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
  const delta = assertApplies('application/json-patch+json', before, after);
  assert.equal(dec.decode(delta.body), '[{"op":"replace","path":"/50000/name","value":"renamed"}]');
});

test('N822-8 a 100k-item array: an unshift rewrites every index, so every type rebuilds the document', () => {
  const before = json(hundredK);
  const after = json([{ id: -1, name: 'first', done: false }, ...hundredK]);
  const afterText = dec.decode(after.body);
  for (const type of ALL_TYPES) {
    const delta = dec.decode(assertApplies(type, before, after).body);
    const want = {
      'application/json-patch+json': replaceRootPatch(afterText),
      'application/merge-patch+json': afterText, // an array replaces the target
      'text/plain': createTextReplacement(dec.decode(before.body), afterText),
    }[type];
    assert.ok(delta === want, type);
  }
});

test('N822-8 a ~10 MB document: no delta past the default size cap, and bounded work without it', () => {
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
  for (const type of ALL_TYPES) {
    assert.equal(createDelta(type, before, after), undefined, `${type}: over the 1 MiB default`);
    const delta = assertApplies(type, before, after);
    // Only JSON Patch can say "one title changed, one item appended" in fewer bytes; a merge
    // patch replaces the array, a one-line text is replaced whole.
    if (type === 'application/json-patch+json') assert.ok(delta.body.length < 200);
    else assert.ok(delta.body.length >= after.body.length, type);
  }
});

test('N822-8 two unrelated 20,000-line texts (Myers at its worst): a delta all the same, which applies', () => {
  const a = text(Array.from({ length: 20_000 }, (_, i) => `a${i}\n`).join(''));
  const b = text(Array.from({ length: 20_000 }, (_, i) => `b${i}\n`).join(''));
  // Default limits: the search gives up at its time budget and the rebuild goes out.
  const delta = createDelta('text/plain', a, b);
  assert.ok(delta, 'no re-fetch needed');
  assert.deepStrictEqual(applyDelta('text/plain', a.body, delta.body), b.body);
});
