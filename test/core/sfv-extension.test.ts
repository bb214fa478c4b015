// The PREP extension to Structured Fields (HDR-2): list-valued parameters.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DisplayString,
  parseDictionary,
  parseItem,
  parseList,
  ParseError,
  serializeDictionary,
  serializeItem,
  serializeList,
  SerializeError,
  Token,
  type Item,
  type ParameterValue,
} from '../../packages/client/src/core/sfv/index.js';

const ext = { extended: true } as const;
const t = (v: string): Token => new Token(v);
const item = (bare: Item[0], params: [string, ParameterValue][] = []): Item => [
  bare,
  new Map(params),
];

// Maps compare without order in deepStrictEqual; parameters are ordered. Compare entries.
function ordered(v: unknown): unknown {
  if (v instanceof Map) return [...(v as Map<unknown, unknown>)].map(([k, x]) => [k, ordered(x)]);
  if (Array.isArray(v)) return (v as unknown[]).map(ordered);
  return v;
}

function parseErrorAt(fn: () => unknown, offset: number, expected?: RegExp): ParseError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ParseError, `expected a ParseError, got ${String(error)}`);
  assert.equal(error.offset, offset, error.message);
  if (expected) assert.match(error.message, expected);
  return error;
}

const DELTA = '"prep";accept=("message/rfc822";delta="application/json-patch+json")';
const TWO = '"prep";accept=("message/rfc822" "text/turtle")';

test('HDR-2 a list-valued accept with a parameterised media type parses', () => {
  assert.deepEqual(
    ordered(parseList(DELTA, ext)),
    ordered([
      item('prep', [
        ['accept', [item('message/rfc822', [['delta', 'application/json-patch+json']])]],
      ]),
    ]),
  );
});

test('HDR-2 a list-valued accept with two media types parses', () => {
  assert.deepEqual(
    ordered(parseList(TWO, ext)),
    ordered([item('prep', [['accept', [item('message/rfc822'), item('text/turtle')]]])]),
  );
});

test('HDR-2 parameter lists nest: a;b=(c;d=(e f))', () => {
  const expected = item(t('a'), [['b', [item(t('c'), [['d', [item(t('e')), item(t('f'))]]])]]]);
  assert.deepEqual(ordered(parseItem('a;b=(c;d=(e f))', ext)), ordered(expected));
  assert.deepEqual(ordered(parseList('a;b=(c;d=(e f))', ext)), ordered([expected]));
});

test('HDR-2 an empty parameter list () is an empty array', () => {
  assert.deepEqual(ordered(parseItem('a;b=()', ext)), ordered(item(t('a'), [['b', []]])));
  assert.deepEqual(ordered(parseItem('a;b=(  )', ext)), ordered(item(t('a'), [['b', []]])));
  assert.equal(serializeItem(item(t('a'), [['b', []]]), ext), 'a;b=()');
});

test('HDR-2 the list takes no parameters: a ";" after ")" continues the outer parameters', () => {
  assert.deepEqual(
    ordered(parseItem('a;b=(c);d=1;e', ext)),
    ordered(
      item(t('a'), [
        ['b', [item(t('c'))]],
        ['d', 1],
        ['e', true],
      ]),
    ),
  );
});

test('HDR-2 parameter lists work in every parameter position', () => {
  // on an item inside an inner list, on the inner list, and on a dictionary member
  const list = parseList('(x;p=(y z));q=(w), v;r=("s";t=(u))', ext);
  assert.deepEqual(
    ordered(list),
    ordered([
      [[item(t('x'), [['p', [item(t('y')), item(t('z'))]]])], new Map([['q', [item(t('w'))]]])],
      item(t('v'), [['r', [item('s', [['t', [item(t('u'))]]])]]]),
    ]),
  );
  const dict = parseDictionary('protocol="prep";accept=("a" "b"), status=200, flag;x=()', ext);
  assert.deepEqual(
    ordered(dict),
    ordered(
      new Map([
        ['protocol', item('prep', [['accept', [item('a'), item('b')]]])],
        ['status', item(200)],
        ['flag', item(true, [['x', []]])],
      ]),
    ),
  );
  // A member-level "(" is still an RFC 9651 Inner List, with parameters of its own.
  assert.deepEqual(
    ordered(parseDictionary('a=(1 2);q=(3)', ext)),
    ordered(new Map([['a', [[item(1), item(2)], new Map([['q', [item(3)]]])]]])),
  );
});

test('HDR-2 every bare item type may appear in a parameter list', () => {
  const [, params] = parseItem('a;l=(1 -2.5 "s" tok :AQI=: ?0 @86400 %"f%c3%bc")', ext);
  assert.deepEqual(
    ordered(params.get('l')),
    ordered([
      item(1),
      item(-2.5),
      item('s'),
      item(t('tok')),
      item(new Uint8Array([1, 2])),
      item(false),
      item(new Date(86400_000)),
      item(new DisplayString('fü')),
    ]),
  );
});

test('HDR-2 whitespace: SP inside the parentheses as in an inner list, nothing else', () => {
  // "(" *SP [ item *( 1*SP item ) *SP ] ")"
  const two = ordered(item(t('a'), [['b', [item(t('c')), item(t('d'))]]]));
  assert.deepEqual(ordered(parseItem('a;b=(c d)', ext)), two);
  assert.deepEqual(ordered(parseItem('a;b=(  c   d  )', ext)), two);
  assert.deepEqual(ordered(parseItem('a; b=(c d)', ext)), two); // SP after ";" as in RFC 9651
  parseErrorAt(() => parseItem('a;b=(c\td)', ext), 6, /" " or "\)"/); // HTAB is not SP
  parseErrorAt(() => parseItem('a;b=("c""d")', ext), 8, /" " or "\)"/); // items need 1*SP
  parseErrorAt(() => parseItem('a;b= (c)', ext), 4, /a bare item or "\("/); // nothing after "="
  parseErrorAt(() => parseItem('a;b =(c)', ext), 4, /end of input/); // nor before it
  parseErrorAt(() => parseItem('a;b=(c) ;d', ext), 8, /end of input/);
  parseErrorAt(() => parseList('a;b=(c ,d)', ext), 7, /a bare item/);
});

test('HDR-2 malformed parameter lists fail with the offset of the problem', () => {
  parseErrorAt(() => parseItem('a;b=(c', ext), 6, /^Expected "\)" at offset 6 in 'a;b=\(c'$/);
  parseErrorAt(() => parseItem('a;b=(', ext), 5, /"\)"/);
  parseErrorAt(() => parseItem('a;b=(c;d=(e f)', ext), 14, /"\)"/);
  parseErrorAt(() => parseItem('a;b=(c,d)', ext), 6, /" " or "\)"/);
  parseErrorAt(() => parseItem('a;b=((c))', ext), 5, /a bare item/); // no lists of lists
  parseErrorAt(() => parseItem('a;b=(c);', ext), 8, /a key/);
});

test('HDR-2 strict mode rejects list-valued parameters with the offset of the "("', () => {
  for (const [input, offset] of [
    [DELTA, 14],
    [TWO, 14],
    ['a;b=(c;d=(e f))', 4],
    ['a;b=()', 4],
  ] as const) {
    const e = parseErrorAt(() => parseList(input), offset, /^Expected a bare item at offset/);
    assert.equal(input[e.offset], '(');
    assert.equal(e.code, 'SFV_PARSE');
    assert.equal(e.input, input);
    assert.ok(e instanceof SyntaxError);
    parseErrorAt(() => parseItem(input), offset);
    parseErrorAt(() => parseList(input, { extended: false }), offset);
  }
  parseErrorAt(() => parseDictionary('protocol="prep";accept=("a")'), 23);
});

test('HDR-2 nesting is bounded by maxDepth, so hostile input is a ParseError, not a stack overflow', () => {
  const nest = (n: number): string => `${'a;b=('.repeat(n)}a${')'.repeat(n)}`;
  assert.doesNotThrow(() => parseItem(nest(32), ext));
  parseErrorAt(() => parseItem(nest(33), ext), 32 * 5 + 4, /at most 32 levels/);
  assert.doesNotThrow(() => parseItem(nest(3), { extended: true, maxDepth: 3 }));
  parseErrorAt(() => parseItem(nest(4), { extended: true, maxDepth: 3 }), 19);
  parseErrorAt(() => parseItem(nest(100_000), ext), 32 * 5 + 4);
});

test('HDR-2 serializing list-valued parameters gives back the PREP strings', () => {
  for (const input of [
    DELTA,
    TWO,
    'a;b=(c;d=(e f))',
    'a;b=()',
    '"prep";accept=(message/rfc822);q=0.9, "other"',
    '(x;p=(y z));q=(w), v;r=("s";t=(u))',
  ]) {
    assert.equal(serializeList(parseList(input, ext), ext), input);
  }
  assert.equal(
    serializeDictionary(parseDictionary('protocol="prep";accept=("a" "b"), status=200', ext), ext),
    'protocol="prep";accept=("a" "b"), status=200',
  );
  // Non-canonical whitespace is normalised as RFC 9651 does for inner lists.
  assert.equal(serializeItem(parseItem('a; b=(  c   d  )', ext), ext), 'a;b=(c d)');
});

test('HDR-2 serializing a list-valued parameter without extended throws SerializeError', () => {
  const value = parseList(TWO, ext);
  for (const fn of [
    () => serializeList(value),
    () => serializeList(value, { extended: false }),
    () => serializeItem(item(t('a'), [['b', []]])),
    () => serializeDictionary(new Map([['k', item(1, [['b', [item(2)]]])]])),
    // also when the list hides in a parameter of an item inside an inner list
    () => serializeList([[[item(1, [['b', [item(2)]]])], new Map()]]),
  ]) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof SerializeError);
      assert.ok(e instanceof TypeError);
      assert.equal(e.code, 'SFV_SERIALIZE');
      assert.match(e.message, /extended: true.*HDR-2/);
      return true;
    });
  }
  // Inside an HDR-2 list the usual RFC 9651 checks still apply.
  assert.throws(
    () => serializeItem(item(t('a'), [['b', [item(t('not a token'))]]]), ext),
    SerializeError,
  );
  assert.throws(() => serializeItem(item(t('a'), [['B', [item(1)]]]), ext), SerializeError);
});

test('HDR-1 Accept-Events values parse as Structured Field Lists of sf-strings with parameters', () => {
  const list = parseList('"prep";accept="message/rfc822";q=0.9, "other"');
  assert.equal(list.length, 2);
  assert.deepEqual(
    ordered(list),
    ordered([
      item('prep', [
        ['accept', 'message/rfc822'],
        ['q', 0.9],
      ]),
      item('other'),
    ]),
  );
  assert.deepEqual(ordered(parseList('"prep"; accept="message/rfc822"')), [
    ['prep', [['accept', 'message/rfc822']]],
  ]);
  assert.equal(serializeList(list), '"prep";accept="message/rfc822";q=0.9, "other"');
});

test('HDR-3 Events values parse as Structured Field Dictionaries with protocol and integer status', () => {
  const events = parseDictionary('protocol="prep", status=200, expires=3600, vary="accept"');
  assert.deepEqual([...events.keys()], ['protocol', 'status', 'expires', 'vary']);
  assert.deepEqual(ordered(events.get('protocol')), ['prep', []]);
  assert.deepEqual(ordered(events.get('status')), [200, []]);
  assert.equal(
    serializeDictionary(events),
    'protocol="prep", status=200, expires=3600, vary="accept"',
  );
});
