import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import {
  applyJsonPatch,
  createJsonPatch,
  diffJson,
  replaceRootPatch,
} from '../../packages/client/src/core/delta/json-patch.js';
import { isPrepError } from '../../packages/client/src/core/errors.js';
import { anyJson, editedPair } from './delta-arbitraries.js';

const rejects = (doc: unknown, patch: unknown, code: string, status: number, msg?: RegExp) =>
  assert.throws(
    () => applyJsonPatch(doc, patch),
    (e) =>
      isPrepError(e, code) && e.status === status && (msg === undefined || msg.test(e.message)),
  );

// RFC 6902 Appendix A, the examples that succeed.
const APPENDIX_A: [string, unknown, unknown[], unknown][] = [
  ['A.1', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
  [
    'A.2',
    { foo: ['bar', 'baz'] },
    [{ op: 'add', path: '/foo/1', value: 'qux' }],
    { foo: ['bar', 'qux', 'baz'] },
  ],
  ['A.3', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
  [
    'A.4',
    { foo: ['bar', 'qux', 'baz'] },
    [{ op: 'remove', path: '/foo/1' }],
    { foo: ['bar', 'baz'] },
  ],
  [
    'A.5',
    { baz: 'qux', foo: 'bar' },
    [{ op: 'replace', path: '/baz', value: 'boo' }],
    { baz: 'boo', foo: 'bar' },
  ],
  [
    'A.6',
    { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  ],
  [
    'A.7',
    { foo: ['all', 'grass', 'cows', 'eat'] },
    [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    { foo: ['all', 'cows', 'eat', 'grass'] },
  ],
  [
    'A.8',
    { baz: 'qux', foo: ['a', 2, 'c'] },
    [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    { baz: 'qux', foo: ['a', 2, 'c'] },
  ],
  [
    'A.10',
    { foo: 'bar' },
    [{ op: 'add', path: '/child', value: { grandchild: {} } }],
    { foo: 'bar', child: { grandchild: {} } },
  ],
  [
    'A.11',
    { foo: 'bar' },
    [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
    { foo: 'bar', baz: 'qux' },
  ],
  ['A.14', { '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: 10 }], { '/': 9, '~1': 10 }],
  [
    'A.16',
    { foo: ['bar'] },
    [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
    { foo: ['bar', ['abc', 'def']] },
  ],
];

for (const [name, doc, patch, want] of APPENDIX_A) {
  test(`N822-8 RFC 6902 ${name} applies`, () => {
    const before = JSON.stringify(doc);
    assert.deepStrictEqual(applyJsonPatch(doc, patch), want);
    assert.equal(JSON.stringify(doc), before, 'the input document is unchanged');
  });
}

test('N822-8 RFC 6902 A.9 and A.15: a failing test is PATCH_CONFLICT (409) naming the operation', () => {
  rejects(
    { baz: 'qux' },
    [{ op: 'test', path: '/baz', value: 'bar' }],
    'PATCH_CONFLICT',
    409,
    /operation 0 \(test \/baz\)/,
  );
  rejects({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }], 'PATCH_CONFLICT', 409);
  // A key named like an Object.prototype method is data (fast-json-patch throws a TypeError here).
  rejects(
    { a: { hasOwnProperty: 1 } },
    [{ op: 'test', path: '/a', value: { hasOwnProperty: 2 } }],
    'PATCH_CONFLICT',
    409,
  );
  assert.deepEqual(
    applyJsonPatch({ a: { hasOwnProperty: 1 } }, [
      { op: 'test', path: '/a', value: { hasOwnProperty: 1 } },
    ]),
    {
      a: { hasOwnProperty: 1 },
    },
  );
});

test('N822-8 RFC 6902 A.12: adding to a nonexistent target is PATCH_UNPROCESSABLE (422)', () => {
  rejects(
    { foo: 'bar' },
    [{ op: 'add', path: '/baz/bat', value: 'qux' }],
    'PATCH_UNPROCESSABLE',
    422,
    /operation 0 \(add \/baz\/bat\): \/baz does not exist/,
  );
});

test('N822-8 malformed patch documents are PATCH_MALFORMED (400) naming the operation', () => {
  const doc = { a: 1 };
  rejects(doc, { op: 'add', path: '/b', value: 1 }, 'PATCH_MALFORMED', 400, /not an array/);
  rejects(doc, [null], 'PATCH_MALFORMED', 400, /operation 0/);
  rejects(
    doc,
    [
      { op: 'test', path: '/a', value: 1 },
      { op: 'frobnicate', path: '/a' },
    ],
    'PATCH_MALFORMED',
    400,
    /operation 1 \(frobnicate \/a\): op is not one of/,
  );
  rejects(doc, [{ op: 'remove' }], 'PATCH_MALFORMED', 400, /path is missing/);
  rejects(doc, [{ op: 'add', path: '/b' }], 'PATCH_MALFORMED', 400, /value is missing/);
  rejects(doc, [{ op: 'replace', path: 'a', value: 1 }], 'PATCH_MALFORMED', 400, /JSON Pointer/);
  rejects(doc, [{ op: 'remove', path: '/a~2' }], 'PATCH_MALFORMED', 400, /JSON Pointer/);
  rejects(doc, [{ op: 'move', path: '/b' }], 'PATCH_MALFORMED', 400, /from is missing/);
  rejects(
    doc,
    [{ op: 'copy', from: 'a', path: '/b' }],
    'PATCH_MALFORMED',
    400,
    /from is not a JSON Pointer/,
  );
});

test('N822-8 patches that do not fit the document are PATCH_UNPROCESSABLE (422)', () => {
  const doc = { a: [1, 2, 3], o: { k: 'v' }, s: 'str' };
  const cases: [unknown[], RegExp][] = [
    [
      [{ op: 'remove', path: '/missing' }],
      /operation 0 \(remove \/missing\): \/missing does not exist/,
    ],
    [[{ op: 'replace', path: '/o/nope', value: 1 }], /\/o\/nope does not exist/],
    [[{ op: 'test', path: '/a/3', value: 1 }], /\/a\/3 does not exist/],
    [[{ op: 'add', path: '/a/4', value: 0 }], /out of range/],
    [[{ op: 'add', path: '/a/01', value: 0 }], /not an index/],
    [[{ op: 'remove', path: '/a/-' }], /does not exist/],
    [[{ op: 'add', path: '/s/x', value: 0 }], /not an object or array/],
    [[{ op: 'remove', path: '/o/toString' }], /does not exist/],
    [[{ op: 'move', from: '/nope', path: '/b' }], /from: \/nope does not exist/],
    [[{ op: 'move', from: '/o', path: '/o/k2' }], /its own children/],
    // After the remove the array has two elements, so index 3 is past the end (fast-json-patch appends).
    [[{ op: 'move', from: '/a/0', path: '/a/3' }], /out of range/],
    [[{ op: 'remove', path: '' }], /whole document/],
    [[{ op: 'add', path: '/__proto__/polluted', value: true }], /__proto__/],
    [
      [{ op: 'add', path: '/constructor/prototype/polluted', value: true }],
      /__proto__ or constructor/,
    ],
    [[{ op: 'copy', from: '/__proto__', path: '/x' }], /banned/],
  ];
  for (const [patch, msg] of cases) rejects(doc, patch, 'PATCH_UNPROCESSABLE', 422, msg);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('N822-8 a patch is atomic: a late failure leaves the input untouched', () => {
  const doc = { a: 1, list: [1, 2] };
  assert.throws(() =>
    applyJsonPatch(doc, [
      { op: 'replace', path: '/a', value: 2 },
      { op: 'remove', path: '/list/0' },
      { op: 'test', path: '/a', value: 1 },
    ]),
  );
  assert.deepStrictEqual(doc, { a: 1, list: [1, 2] });
});

test('N822-8 root operations, move and copy', () => {
  assert.deepStrictEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: [1] }]), [1]);
  assert.deepStrictEqual(applyJsonPatch(1, [{ op: 'add', path: '', value: { b: 2 } }]), { b: 2 });
  assert.deepStrictEqual(applyJsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '' }]), {
    b: 1,
  });
  assert.deepStrictEqual(applyJsonPatch({ a: 1 }, [{ op: 'move', from: '/a', path: '/a' }]), {
    a: 1,
  });
  const copied = applyJsonPatch({ a: { b: [1] } }, [
    { op: 'copy', from: '/a', path: '/c' },
    { op: 'add', path: '/c/b/-', value: 2 },
  ]);
  assert.deepStrictEqual(copied, { a: { b: [1] }, c: { b: [1, 2] } });
});

test('N822-8 copy is bounded: doubling a member again and again is refused', () => {
  const patch = Array.from({ length: 40 }, () => ({ op: 'copy', from: '/a', path: '/a/-' }));
  const doc = { a: [1] };
  // Each copy puts the array into itself, doubling it; 2^40 elements without the bound.
  assert.throws(
    () => applyJsonPatch(doc, patch, { maxCopyBytes: 1 << 20 }),
    (e) =>
      isPrepError(e, 'PATCH_TOO_COMPLEX') && e.status === 422 && /copies exceed/.test(e.message),
  );
});

test('the work of one patch is bounded: operations, and bytes moved or copied', () => {
  const tooComplex = (e: unknown, bound: RegExp) =>
    isPrepError(e, 'PATCH_TOO_COMPLEX') && e.status === 422 && bound.test(e.message);
  // More operations than allowed, refused before any is applied.
  const ops = Array.from({ length: 11 }, () => ({ op: 'test', path: '/a', value: 1 }));
  assert.throws(
    () => applyJsonPatch({ a: 1 }, ops, { maxOperations: 10 }),
    (e) => tooComplex(e, /11 operations.*at most 10/),
  );
  assert.deepEqual(applyJsonPatch({ a: 1 }, ops.slice(1), { maxOperations: 10 }), { a: 1 });

  // Inserts at the front of a long array move every element each time (issue 15: 28,000 of
  // them on 500,000 elements stalled the server for seconds).
  const long = { a: Array.from({ length: 10_000 }, (_, i) => i) };
  const front = Array.from({ length: 100 }, () => ({ op: 'add', path: '/a/0', value: 0 }));
  assert.throws(
    () => applyJsonPatch(long, front, { maxTouchedBytes: 1_000_000 }),
    (e) => tooComplex(e, /operation 12 .*1000000 bytes/),
  );
  const removes = Array.from({ length: 100 }, () => ({ op: 'remove', path: '/a/0' }));
  assert.throws(
    () => applyJsonPatch(long, removes, { maxTouchedBytes: 1_000_000 }),
    (e) => tooComplex(e, /1000000 bytes/),
  );
  const moves = Array.from({ length: 100 }, () => ({ op: 'move', from: '/a/0', path: '/a/-' }));
  assert.throws(
    () => applyJsonPatch(long, moves, { maxTouchedBytes: 1_000_000 }),
    (e) => tooComplex(e, /1000000 bytes/),
  );
  // The same operations at the end of the array move nothing.
  const back = Array.from({ length: 100 }, () => ({ op: 'add', path: '/a/-', value: 0 }));
  assert.equal(
    (applyJsonPatch(long, back, { maxTouchedBytes: 1_000_000 }) as { a: number[] }).a.length,
    10_100,
  );
  // Copies count what they duplicate: the doubling of the whole document.
  const doubling = Array.from({ length: 14 }, (_, i) => ({ op: 'copy', from: '', path: `/c${i}` }));
  assert.throws(
    () => applyJsonPatch({ pad: 'x'.repeat(1000) }, doubling, { maxTouchedBytes: 1 << 20 }),
    (e) => tooComplex(e, /bytes/),
  );
  // The input is untouched by a refused patch.
  assert.equal(long.a.length, 10_000);
});

test('N822-8 the result shares nothing with the patch unless asked to', () => {
  const value = { x: 1 };
  const patch = [{ op: 'add', path: '/v', value }];
  const result = applyJsonPatch({}, patch) as { v: { x: number } };
  result.v.x = 2;
  assert.equal(value.x, 1);
  const doc = { n: 1 };
  const inPlace = applyJsonPatch(doc, [{ op: 'replace', path: '/n', value: 2 }], { mutate: true });
  assert.equal(inPlace, doc);
  assert.equal(doc.n, 2);
});

test('N822-8 createJsonPatch: roots, primitives and type changes', () => {
  assert.deepStrictEqual(createJsonPatch(1, 2), [{ op: 'replace', path: '', value: 2 }]);
  assert.deepStrictEqual(createJsonPatch('a', 'a'), []);
  assert.deepStrictEqual(createJsonPatch({ a: 1 }, [1]), [{ op: 'replace', path: '', value: [1] }]);
  assert.deepStrictEqual(createJsonPatch(null, {}), [{ op: 'replace', path: '', value: {} }]);
  assert.deepStrictEqual(createJsonPatch({ a: 1 }, { a: 1 }), []);
  assert.deepStrictEqual(createJsonPatch({ 'a/b': 1 }, { 'a/b': 2, '~': 0 }), [
    { op: 'replace', path: '/a~1b', value: 2 },
    { op: 'add', path: '/~0', value: 0 },
  ]);
  assert.equal(
    createJsonPatch({ a: [1, 2, 3] }, { a: [0, 1, 2, 3] }, { maxOperations: 2 }),
    undefined,
  );
  // A patch through __proto__ would be refused by applyJsonPatch: no patch instead.
  const proto = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
  const proto2 = JSON.parse('{"__proto__": {"x": 2}}') as unknown;
  assert.equal(createJsonPatch(proto, proto2), undefined);
});

test('N822-8 applyJsonPatch(a, createJsonPatch(a, b)) equals b (related pairs)', () => {
  fc.assert(
    fc.property(editedPair, ([a, b]) => {
      const snapshot = JSON.stringify(a);
      const patch = createJsonPatch(a, b);
      assert.equal(JSON.stringify(a), snapshot, 'createJsonPatch does not change its input');
      if (patch === undefined) return;
      const patchSnapshot = JSON.stringify(patch);
      assert.deepStrictEqual(applyJsonPatch(a, patch), b);
      assert.equal(JSON.stringify(a), snapshot, 'applyJsonPatch does not change the document');
      assert.equal(
        JSON.stringify(patch),
        patchSnapshot,
        'applyJsonPatch does not change the patch',
      );
    }),
    { numRuns: 1000 },
  );
});

test('N822-8 applyJsonPatch(a, createJsonPatch(a, b)) equals b (unrelated values)', () => {
  fc.assert(
    fc.property(anyJson, anyJson, (a, b) => {
      const patch = createJsonPatch(a, b);
      if (patch !== undefined) assert.deepStrictEqual(applyJsonPatch(a, patch), b);
    }),
    { numRuns: 1000 },
  );
});

test('N822-8 JSON Patch: values nested too deeply to walk', () => {
  const nest = (leaf: unknown) => {
    let v = leaf;
    for (let i = 0; i < 100_000; i++) v = [v];
    return v;
  };
  const deep = nest(1);
  assert.equal(createJsonPatch(deep, nest(2)), undefined);
  rejects(deep, [], 'PATCH_UNPROCESSABLE', 422, /nests too deeply/);
});

test('N822-8 our JSON diff walk makes the operations fast-json-patch compare makes, in its order', () => {
  fc.assert(
    fc.property(fc.oneof(editedPair, fc.tuple(anyJson, anyJson)), ([a, b]) => {
      const ours = createJsonPatch(a, b);
      if (ours === undefined) return; // a __proto__ path: compare would make one we refuse
      if (isObject(a) && isObject(b) && Array.isArray(a) === Array.isArray(b))
        assert.deepStrictEqual(ours, jsonpatch.compare(a, b));
    }),
    { numRuns: 1000 },
  );
});

test('N822-8 diffJson stops at its budget and says why there is no patch', () => {
  const items = Array.from({ length: 1000 }, (_, i) => ({ id: i }));
  const shifted = [{ id: -1 }, ...items];
  assert.equal(diffJson(items, shifted, { maxChars: 500 }), 'not-expressed');
  assert.equal(diffJson(items, shifted, { maxOperations: 10 }), 'not-expressed');
  const full = diffJson(items, shifted);
  assert.ok(Array.isArray(full) && full.length === 1001);
  // The budget is a lower bound: no patch within it is ever refused.
  const ops = diffJson({ a: 'x', b: [1, 2] }, { a: 'yy', b: [1] });
  const chars = JSON.stringify(ops).length;
  assert.deepStrictEqual(
    diffJson({ a: 'x', b: [1, 2] }, { a: 'yy', b: [1] }, { maxChars: chars }),
    ops,
  );
  const proto = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
  assert.equal(diffJson(proto, JSON.parse('{"__proto__": {"x": 2}}')), 'not-expressed');
  const nest = (leaf: unknown) => {
    let v = leaf;
    for (let i = 0; i < 100_000; i++) v = [v];
    return v;
  };
  assert.equal(diffJson(nest(1), nest(2)), 'too-deep');
});

test('N822-8 replaceRootPatch rebuilds any document, __proto__ keys included', () => {
  fc.assert(
    fc.property(anyJson, anyJson, (a, b) => {
      const patch = JSON.parse(replaceRootPatch(JSON.stringify(b, null, 1))) as unknown;
      assert.deepStrictEqual(applyJsonPatch(a, patch), b);
    }),
  );
  const proto = '{"__proto__":{"polluted":true}}';
  const got = applyJsonPatch({}, JSON.parse(replaceRootPatch(proto)));
  assert.equal(JSON.stringify(got), proto);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}
