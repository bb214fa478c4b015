import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyMergePatch,
  createMergePatch,
} from '../../packages/client/src/core/delta/merge-patch.js';
import { anyJson, editedPair, hasNull, type Json } from './delta-arbitraries.js';

// RFC 7396 Appendix A, every row: original, patch, result.
const APPENDIX_A: [string, string, string][] = [
  ['{"a":"b"}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'],
  ['{"a":"b"}', '{"a":null}', '{}'],
  ['{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'],
  ['{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'],
  ['{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'],
  ['{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'],
  ['{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'],
  ['["a","b"]', '["c","d"]', '["c","d"]'],
  ['{"a":"b"}', '["c"]', '["c"]'],
  ['{"a":"foo"}', 'null', 'null'],
  ['{"a":"foo"}', '"bar"', '"bar"'],
  ['{"e":null}', '{"a":1}', '{"e":null,"a":1}'],
  ['[1,2]', '{"a":"b","c":null}', '{"a":"b"}'],
  ['{}', '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}'],
];

test('N822-8 RFC 7396 Appendix A: every example applies as listed', () => {
  for (const [original, patch, result] of APPENDIX_A) {
    const target = JSON.parse(original) as unknown;
    assert.deepStrictEqual(
      applyMergePatch(target, JSON.parse(patch)),
      JSON.parse(result),
      `${original} + ${patch}`,
    );
    assert.deepStrictEqual(target, JSON.parse(original), 'the target is unchanged');
  }
});

test('N822-8 RFC 7396 §3: the example document', () => {
  const target = {
    title: 'Goodbye!',
    author: { givenName: 'John', familyName: 'Doe' },
    tags: ['example', 'sample'],
    content: 'This will be unchanged',
  };
  const patch = {
    title: 'Hello!',
    phoneNumber: '+01-123-456-7890',
    author: { familyName: null },
    tags: ['example'],
  };
  assert.deepStrictEqual(applyMergePatch(target, patch), {
    title: 'Hello!',
    author: { givenName: 'John' },
    tags: ['example'],
    content: 'This will be unchanged',
    phoneNumber: '+01-123-456-7890',
  });
  // And we generate the same patch for it.
  const after = applyMergePatch(target, patch);
  assert.deepStrictEqual(applyMergePatch(target, createMergePatch(target, after)), after);
});

test('N822-8 createMergePatch: what a merge patch can and cannot say about null', () => {
  assert.equal(createMergePatch({ a: 1 }, { a: null }), undefined, 'setting a member to null');
  assert.equal(createMergePatch({}, { a: null }), undefined, 'adding a null member');
  assert.equal(
    createMergePatch({ a: 1 }, { a: { b: null } }),
    undefined,
    'a new object with a null member',
  );
  assert.equal(
    createMergePatch([1], { b: null }),
    undefined,
    'an object with a null replacing an array',
  );
  assert.deepStrictEqual(
    createMergePatch({ a: null, b: 1 }, { a: null, b: 2 }),
    { b: 2 },
    'an unchanged null',
  );
  assert.deepStrictEqual(
    createMergePatch({}, { a: [null, { b: null }] }),
    { a: [null, { b: null }] },
    'nulls in arrays',
  );
  assert.equal(createMergePatch({ a: 1 }, null), null, 'a null root is a null patch');
  assert.deepStrictEqual(applyMergePatch({ a: 1 }, null), null);
  assert.deepStrictEqual(
    createMergePatch({ a: 1, b: 2 }, { a: 1 }),
    { b: null },
    'a removed member',
  );
  assert.deepStrictEqual(createMergePatch({ a: 1 }, { a: 1 }), {}, 'no change on an object');
  assert.deepStrictEqual(
    createMergePatch([1, 2], [1, 2]),
    [1, 2],
    'no change on an array: itself, not {}',
  );
  assert.deepStrictEqual(createMergePatch({ a: { b: 1, c: 2 } }, { a: { b: 1, c: 3 } }), {
    a: { c: 3 },
  });
});

test('N822-8 merge patch keeps __proto__ as data and pollutes nothing', () => {
  const patch = JSON.parse(
    '{"__proto__": {"polluted": true}, "a": {"__proto__": null}}',
  ) as unknown;
  const result = applyMergePatch(JSON.parse('{"a": {"__proto__": 1}}'), patch) as Record<
    string,
    unknown
  >;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(result), Object.prototype);
  assert.deepStrictEqual(Object.keys(result), ['a', '__proto__']);
  assert.deepStrictEqual(Object.keys(result.a as object), []);
  const before = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
  const after = JSON.parse('{"__proto__": {"x": 2}}') as unknown;
  assert.deepStrictEqual(applyMergePatch(before, createMergePatch(before, after)), after);
});

test('N822-8 applyMergePatch(a, createMergePatch(a, b)) equals b; without nulls there is always a patch', () => {
  const check = ([a, b]: [Json, Json]) => {
    const snapshot = JSON.stringify([a, b]);
    const patch = createMergePatch(a, b);
    if (!hasNull(b)) assert.notEqual(patch, undefined, 'no null in b: a merge patch exists');
    if (patch !== undefined) assert.deepStrictEqual(applyMergePatch(a, patch), b);
    assert.equal(JSON.stringify([a, b]), snapshot, 'inputs unchanged');
  };
  fc.assert(fc.property(editedPair, check), { numRuns: 1000 });
  fc.assert(
    fc.property(anyJson, anyJson, (a, b) => check([a, b])),
    { numRuns: 1000 },
  );
});

test('N822-8 merge patch: values nested too deeply to walk', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = { a: deep };
  assert.equal(createMergePatch({}, deep), undefined);
  assert.throws(
    () => applyMergePatch({}, deep),
    (e) => e instanceof Error && (e as { code?: string }).code === 'PATCH_UNPROCESSABLE',
  );
});
