// Shared fast-check arbitraries for the delta tests: pairs of JSON values where the second
// is the first after a few random edits, so that diffs are small and interesting.
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// Keys that trip naive code: JSON Pointer escapes, prototype names, the empty key.
const key = fc.oneof(
  fc.constantFrom(
    'a',
    'b',
    'c',
    '',
    '/',
    '~',
    '~1',
    'a/b',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    'toString',
  ),
  fc.string({ maxLength: 4 }),
);

const jsonValue = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;

interface Edit {
  pick: number;
  kind: 'set' | 'delete' | 'insert';
  key: string;
  index: number;
  value: Json;
}

const edit: fc.Arbitrary<Edit> = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom('set', 'delete', 'insert'),
  key,
  index: fc.nat(),
  value: jsonValue,
});

function set(target: Record<string, Json>, k: string, value: Json): void {
  Object.defineProperty(target, k, { value, writable: true, enumerable: true, configurable: true });
}

/** A deep copy as JSON.parse makes it: `__proto__` stays an own key. */
export function copy(v: Json): Json {
  return JSON.parse(JSON.stringify(v)) as Json;
}

function containers(v: Json, out: (Json[] | Record<string, Json>)[]): void {
  if (typeof v !== 'object' || v === null) return;
  out.push(v);
  for (const child of Array.isArray(v) ? v : Object.values(v)) containers(child, out);
}

function applyEdit(root: Json, e: Edit): Json {
  const all: (Json[] | Record<string, Json>)[] = [];
  containers(root, all);
  if (all.length === 0) return e.value;
  const target = all[e.pick % all.length]!;
  if (Array.isArray(target)) {
    const i = e.index % (target.length + 1);
    if (e.kind === 'insert') target.splice(i, 0, e.value);
    else if (e.kind === 'delete') target.splice(i, 1);
    else if (i < target.length) target[i] = e.value;
  } else {
    const keys = Object.keys(target);
    const k = e.kind === 'delete' && keys.length > 0 ? keys[e.index % keys.length]! : e.key;
    if (e.kind === 'delete') delete target[k];
    else set(target, k, e.value);
  }
  return root;
}

/** `[a, b]`: b is a copy of a after one to five random edits. */
export const editedPair: fc.Arbitrary<[Json, Json]> = fc
  .tuple(
    fc.oneof(
      jsonValue,
      fc.dictionary(key, jsonValue).map((d) => ({ ...d })),
      fc.array(jsonValue),
    ),
    fc.array(edit, { minLength: 1, maxLength: 5 }),
  )
  .map(([a, edits]) => {
    const base = copy(a);
    let b = copy(a);
    for (const e of edits) b = applyEdit(b, e);
    return [base, copy(b)] as [Json, Json];
  });

/** Whether `v` holds a null anywhere, arrays included. */
export function hasNull(v: Json): boolean {
  if (v === null) return true;
  if (typeof v !== 'object') return false;
  return (Array.isArray(v) ? v : Object.values(v)).some(hasNull);
}

/** Any JSON value as JSON.parse would give it (no -0, which JSON cannot carry). */
export const anyJson: fc.Arbitrary<Json> = fc
  .jsonValue({ maxDepth: 4 })
  .map((v) => copy(v as Json));
