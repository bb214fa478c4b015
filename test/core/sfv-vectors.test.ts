// The httpwg structured-field-tests vectors, run as data: every vector in every file,
// once strict and once with the HDR-2 extension on, which must change no outcome.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import {
  DisplayString,
  joinFieldLines,
  parseDictionary,
  parseItem,
  parseList,
  ParseError,
  serializeDictionary,
  serializeItem,
  serializeList,
  SerializeError,
  Token,
  type BareItem,
  type Dictionary,
  type Item,
  type List,
  type Member,
  type ParseOptions,
  type Parameters,
} from '../../packages/client/src/core/sfv/index.js';

type HeaderType = 'item' | 'list' | 'dictionary';
type JsonBare = number | string | boolean | { __type: string; value: string | number };
type JsonItem = [JsonBare, [string, JsonBare][]];
type JsonMember = JsonItem | [JsonItem[], [string, JsonBare][]];

interface Vector {
  name: string;
  raw?: string[];
  header_type: HeaderType;
  expected?: unknown;
  must_fail?: boolean;
  can_fail?: boolean;
  canonical?: string[];
}

const dir = new URL('../vectors/structured-field-tests/', import.meta.url);
const files = [
  ...readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f),
  ...readdirSync(new URL('serialisation-tests/', dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `serialisation-tests/${f}`),
].sort();

function load(file: string): Vector[] {
  return JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Vector[];
}

// RFC 4648 §6: the vectors carry sf-binary as base32.
function base32(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of text.replace(/=+$/, '')) {
    const v = alphabet.indexOf(ch);
    assert.ok(v >= 0, `bad base32 ${text}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return new Uint8Array(out);
}

function toBare(v: JsonBare): BareItem {
  if (typeof v !== 'object') return v;
  switch (v.__type) {
    case 'token':
      return new Token(String(v.value));
    case 'binary':
      return base32(String(v.value));
    case 'date':
      return new Date(Number(v.value) * 1000);
    case 'displaystring':
      return new DisplayString(String(v.value));
    default:
      throw new Error(`unknown __type ${v.__type}`);
  }
}

const toParams = (p: [string, JsonBare][]): Parameters =>
  new Map(p.map(([k, v]) => [k, toBare(v)]));
const toItem = (i: JsonItem): Item => [toBare(i[0]), toParams(i[1])];
function toMember(m: JsonMember): Member {
  if (Array.isArray(m[0])) return [m[0].map(toItem), toParams(m[1])];
  return toItem(m as JsonItem);
}

function fromJson(type: HeaderType, expected: unknown): Item | List | Dictionary {
  if (type === 'item') return toItem(expected as JsonItem);
  if (type === 'list') return (expected as JsonMember[]).map(toMember);
  return new Map((expected as [string, JsonMember][]).map(([k, m]) => [k, toMember(m)]));
}

// deepStrictEqual ignores Map order; Structured Fields keep it. Compare Maps as entry lists.
function ordered(v: unknown): unknown {
  if (v instanceof Map) return [...(v as Map<unknown, unknown>)].map(([k, x]) => [k, ordered(x)]);
  if (Array.isArray(v)) return (v as unknown[]).map(ordered);
  return v;
}

function parse(type: HeaderType, input: string, options: ParseOptions): Item | List | Dictionary {
  if (type === 'item') return parseItem(input, options);
  if (type === 'list') return parseList(input, options);
  return parseDictionary(input, options);
}

function serialize(type: HeaderType, value: unknown, extended: boolean): string {
  if (type === 'item') return serializeItem(value as Item, { extended });
  if (type === 'list') return serializeList(value as List, { extended });
  return serializeDictionary(value as Dictionary, { extended });
}

/**
 * The data model cannot tell an integral sf-decimal (`1.0`) from an sf-integer (`1`):
 * both are the number 1 and serialize as `1`. The vectors' JSON loses the difference too,
 * so the only difference allowed is a `.0` (or `.00`, `.000`) dropped from a number.
 */
const dropIntegralDecimals = (s: string): string =>
  s.replace(/(?<![\w.])(-?\d+)\.0+(?![\d.])/g, '$1');

interface Tally {
  total: number;
  passed: number;
  parsedCanFail: number;
  rejectedCanFail: number;
  integralDecimal: string[];
}

function check(file: string, v: Vector, extended: boolean, tally: Tally): void {
  const type = v.header_type;
  const canonical = v.canonical ? joinFieldLines(v.canonical) : undefined;

  // Serialisation-only vectors: no raw input.
  if (v.raw === undefined) {
    if (v.must_fail) {
      assert.throws(() => serialize(type, fromJson(type, v.expected), extended), SerializeError);
    } else {
      assert.equal(serialize(type, fromJson(type, v.expected), extended), canonical);
    }
    return;
  }

  const input = joinFieldLines(v.raw);
  if (v.must_fail) {
    assert.throws(() => parse(type, input, { extended }), ParseError);
    return;
  }
  let parsed: Item | List | Dictionary;
  try {
    parsed = parse(type, input, { extended });
  } catch (e) {
    assert.ok(e instanceof ParseError, `threw ${String(e)}`);
    assert.ok(v.can_fail, `failed to parse: ${e.message}`);
    tally.rejectedCanFail++;
    return;
  }
  if (v.can_fail) tally.parsedCanFail++;
  const expected = fromJson(type, v.expected);
  assert.deepEqual(ordered(parsed), ordered(expected));

  const want = canonical ?? input;
  const fromExpected = serialize(type, expected, extended);
  const fromParsed = serialize(type, parsed, extended);
  assert.equal(fromParsed, fromExpected);
  if (fromExpected !== want) {
    assert.equal(fromExpected, dropIntegralDecimals(want), 'serialization differs from canonical');
    // And what we send parses back to the same value.
    assert.deepEqual(ordered(parse(type, fromExpected, { extended })), ordered(expected));
    tally.integralDecimal.push(`${file}: ${v.name}`);
  }
}

for (const extended of [false, true]) {
  const mode = extended ? 'extended' : 'strict';
  const tally: Tally = {
    total: 0,
    passed: 0,
    parsedCanFail: 0,
    rejectedCanFail: 0,
    integralDecimal: [],
  };

  test(`HDR-2 httpwg structured-field-tests vectors, ${mode}: everything but HDR-2 is exactly RFC 9651`, async (t) => {
    for (const file of files) {
      await t.test(file, async (tf) => {
        for (const v of load(file)) {
          tally.total++;
          await tf.test(`${file}: ${v.name}`, () => {
            check(file, v, extended, tally);
            tally.passed++;
          });
        }
      });
    }
    t.diagnostic(
      `${mode}: ${tally.passed}/${tally.total} vectors passed; can_fail parsed ${tally.parsedCanFail}, rejected ${tally.rejectedCanFail}; ` +
        `${tally.integralDecimal.length} serialize an integral decimal as an integer (model limit)`,
    );
    assert.equal(tally.passed, tally.total);
  });
}

test('HDR-2 no vector that must fail strictly becomes valid through the extension', () => {
  // The extension only adds "(" after "key=" in parameters: list vectors that must fail
  // with such input would be the only ones it could turn valid. There are none.
  const changed: string[] = [];
  for (const file of files) {
    for (const v of load(file)) {
      if (!v.must_fail || v.raw === undefined) continue;
      const input = joinFieldLines(v.raw);
      try {
        parse(v.header_type, input, { extended: true });
        changed.push(`${file}: ${v.name}`);
      } catch {
        // still fails, as in strict mode
      }
    }
  }
  assert.deepEqual(changed, []);
});
