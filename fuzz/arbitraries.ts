/**
 * The fast-check arbitraries of the fuzzers, shared by `test/fuzz/*.test.ts` (a few hundred
 * runs per property, in `npm test`) and `fuzz/run.ts` (a million per parser).
 *
 * Three kinds of input per format:
 * - arbitrary text or bytes (any code unit, lone surrogates, controls);
 * - "soups" of the grammar's own fragments, which reach deeper into a parser than noise;
 * - valid inputs with a few structured edits (insert, delete, replace, duplicate, truncate).
 * Plus, now and then, one fragment repeated thousands of times: a super-linear parser shows
 * up as a slow call, an unbounded recursion as a stack overflow.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  DELTA_TYPES,
  DisplayString,
  Token,
  serializeDictionary,
  serializeEventsField,
  serializeItem,
  serializeList,
  serializeNotification,
  type BareItem,
  type Dictionary,
  type EventsField,
  type InnerList,
  type Item,
  type List,
  type Member,
  type Notification,
  type NotificationOffer,
  type ParameterValue,
  type Parameters,
} from '../packages/client/src/core/index.js';
import { KNOWN_FIELDS } from '../packages/client/src/core/notification.js';

// ---------------------------------------------------------------------------------------
// Structured edits

/** One edit of a valid input. `at` and `len` are taken modulo the input's length. */
export interface Edit {
  kind: 'insert' | 'delete' | 'replace' | 'duplicate' | 'truncate' | 'swap';
  at: number;
  len: number;
  text: string;
}

function editArb(fragment: fc.Arbitrary<string>): fc.Arbitrary<Edit> {
  return fc.record({
    kind: fc.constantFrom(
      'insert',
      'delete',
      'replace',
      'replace',
      'duplicate',
      'truncate',
      'swap',
    ),
    at: fc.nat(),
    len: fc.nat({ max: 8 }),
    text: fragment,
  });
}

/** Applies edits in order to a string. */
export function applyEdits(input: string, edits: readonly Edit[]): string {
  let s = input;
  for (const e of edits) {
    const at = e.at % (s.length + 1);
    const end = Math.min(s.length, at + e.len);
    switch (e.kind) {
      case 'insert':
        s = s.slice(0, at) + e.text + s.slice(at);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(end);
        break;
      case 'replace':
        s = s.slice(0, at) + e.text + s.slice(at + Math.max(1, e.len % 3));
        break;
      case 'duplicate':
        s = s.slice(0, end) + s.slice(at, end) + s.slice(end);
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
      case 'swap':
        s = s.slice(at) + s.slice(0, at);
        break;
    }
  }
  return s;
}

/** A valid input after one to `maxEdits` structured edits with grammar fragments. */
export function mutated(
  valid: fc.Arbitrary<string>,
  fragment: fc.Arbitrary<string>,
  maxEdits = 4,
): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.array(editArb(fragment), { minLength: 1, maxLength: maxEdits }))
    .map(([s, edits]) => applyEdits(s, edits));
}

/** Latin-1 bytes of a string (every char code taken modulo 256): any octet is reachable. */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------------------
// Text

// Character units of our own: fast-check's named units ('binary', 'grapheme') build a reverse
// map of all of Unicode whenever a string arbitrary is created with them (seconds each).
/** Any code point, lone surrogates included. */
export const anyChar: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 0x10ffff })
  .map((c) => String.fromCodePoint(c));
/** Any code point but a surrogate: text that UTF-8 can carry. */
export const textChar: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 0x10ffff - 0x800 })
  .map((c) => String.fromCodePoint(c < 0xd800 ? c : c + 0x800));
/** Any ASCII character, controls included. */
export const asciiChar: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 0x7f })
  .map((c) => String.fromCharCode(c));

/** Any UTF-16 string, lone surrogates and controls included. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: anyChar, maxLength: 40 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength: 40,
  }),
  fc.string({ unit: asciiChar, maxLength: 60 }),
);

/** Strings made of the given fragments (and now and then any character). */
export function soup(fragments: readonly string[], maxLength = 24): fc.Arbitrary<string> {
  const unit = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...fragments) },
    { weight: 1, arbitrary: anyChar },
  );
  return fc.array(unit, { maxLength }).map((parts) => parts.join(''));
}

/**
 * A short run of fragments repeated up to `max` times: a probe for super-linear parsing and
 * deep nesting. The regular inputs repeat up to 2 000 times; the "big input" properties up to
 * {@link BIG_REPEAT} (about 500 KB), which a linear parser reads in well under a second.
 */
export function repeated(
  fragments: readonly string[],
  max = 2_000,
  prefix: fc.Arbitrary<string> = fc.constant(''),
): fc.Arbitrary<string> {
  // At most `max` repetitions of a one-character unit, and as many characters for longer ones.
  return fc
    .tuple(
      prefix,
      fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max }),
      fc.string({ maxLength: 8 }),
    )
    .map(([p, f, n, tail]) => {
      const unit = f.join('');
      return p + unit.repeat(Math.max(1, Math.min(n, Math.floor((max * 4) / unit.length)))) + tail;
    });
}

/** Repetitions in the "big input" properties: inputs of up to about 500 KB (4 × this). */
export const BIG_REPEAT = 125_000;

/**
 * `size` values of `arb`, drawn once (lazily, with a fixed seed) and then picked from: valid
 * inputs are costly to generate, and the structured edits applied to them supply the variety.
 */
export function pooled<T>(arb: fc.Arbitrary<T>, size = 4_000, seed = 20_241_107): fc.Arbitrary<T> {
  let pool: T[] | undefined;
  return fc.nat({ max: size - 1 }).map((i) => {
    pool ??= fc.sample(arb, { numRuns: size, seed });
    return pool[i % pool.length]!;
  });
}

/** Characters that mean something to most header grammars here. */
const COMMON_FRAGMENTS = [
  ' ',
  '\t',
  '"',
  '\\',
  '(',
  ')',
  ',',
  ';',
  '=',
  ':',
  '/',
  '*',
  '%',
  '?',
  '@',
  '-',
  '.',
  '0',
  '1',
  '9',
  'a',
  'z',
  'A',
  'Z',
  '\r',
  '\n',
  '\u0000',
  '\u007f',
  '\u00e9',
  '\ud800',
  '\u{1f600}',
];

// ---------------------------------------------------------------------------------------
// Structured Field Values (RFC 9651, with the HDR-2 extension)

export const SFV_FRAGMENTS: readonly string[] = [
  ...COMMON_FRAGMENTS,
  '?0',
  '?1',
  '%"',
  '%c3%a9',
  '%ff',
  ':AQ==:',
  ':',
  '@1',
  '@-1',
  '1.5',
  '0.001',
  '-0',
  '999999999999999',
  '1234567890123456',
  '123456789012.123',
  '"prep"',
  'prep',
  'q=0.5',
  ';q=1',
  'accept=',
  'key',
  '*',
  '=(',
  '( ',
  ' )',
  '\\"',
];

const sfKey = fc.oneof(
  fc.constantFrom('a', 'q', 'accept', 'delta', 'protocol', 'status', 'expires', 'vary', '*'),
  fc.stringMatching(/^[a-z*][a-z0-9_\-.*]{0,6}$/),
);
const sfToken = fc
  .stringMatching(/^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]{0,8}$/)
  .map((v) => new Token(v));
const sfInteger = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.bigInt({ min: -999_999_999_999_999n, max: 999_999_999_999_999n }).map((n) => Number(n)),
);
// A decimal with a non-zero fraction: an integral one is an integer in this data model.
const sfDecimal = fc
  .tuple(
    fc.bigInt({ min: 0n, max: 999_999_999_999n }),
    fc.integer({ min: 1, max: 999 }),
    fc.boolean(),
  )
  .map(([i, f, negative]) => ((negative ? -1 : 1) * (Number(i) * 1000 + f)) / 1000);
const sfString = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 12,
});
const sfDisplay = fc.string({ unit: textChar, maxLength: 6 }).map((s) => new DisplayString(s));
const sfDate = fc
  .bigInt({ min: -8_640_000_000_000n, max: 8_640_000_000_000n })
  .map((s) => new Date(Number(s) * 1000));

export const sfBareItem: fc.Arbitrary<BareItem> = fc.oneof(
  sfInteger,
  sfDecimal,
  sfString,
  sfToken,
  fc.uint8Array({ maxLength: 12 }),
  fc.boolean(),
  sfDate,
  sfDisplay,
);

function sfParameters(extended: boolean, depth: number): fc.Arbitrary<Parameters> {
  const value: fc.Arbitrary<ParameterValue> =
    extended && depth > 0
      ? fc.oneof(
          { weight: 4, arbitrary: sfBareItem },
          { weight: 1, arbitrary: fc.array(sfItem(extended, depth - 1), { maxLength: 3 }) },
        )
      : sfBareItem;
  return fc.array(fc.tuple(sfKey, value), { maxLength: 3 }).map((entries) => new Map(entries));
}

export function sfItem(extended: boolean, depth = 2): fc.Arbitrary<Item> {
  return fc.tuple(sfBareItem, sfParameters(extended, depth));
}

function sfMember(extended: boolean): fc.Arbitrary<Member> {
  const inner: fc.Arbitrary<InnerList> = fc.tuple(
    fc.array(sfItem(extended), { maxLength: 3 }),
    sfParameters(extended, 2),
  );
  return fc.oneof({ weight: 3, arbitrary: sfItem(extended) }, { weight: 1, arbitrary: inner });
}

export const sfList = (extended: boolean): fc.Arbitrary<List> =>
  fc.array(sfMember(extended), { maxLength: 4 });
export const sfDictionary = (extended: boolean): fc.Arbitrary<Dictionary> =>
  fc.array(fc.tuple(sfKey, sfMember(extended)), { maxLength: 4 }).map((e) => new Map(e));

/** The raw inputs of the httpwg structured-field-tests vectors, by header type. */
export const SFV_VECTORS: Readonly<Record<'list' | 'dictionary' | 'item', readonly string[]>> =
  loadVectors();

function loadVectors(): Record<'list' | 'dictionary' | 'item', string[]> {
  const out: Record<'list' | 'dictionary' | 'item', string[]> = {
    list: [],
    dictionary: [],
    item: [],
  };
  const dir = new URL('../test/vectors/structured-field-tests/', import.meta.url);
  const files = [
    'binary',
    'boolean',
    'date',
    'dictionary',
    'display-string',
    'examples',
    'item',
    'key-generated',
    'list',
    'listlist',
    'number',
    'param-dict',
    'param-list',
    'param-listlist',
    'string',
    'token',
  ];
  for (const file of files) {
    let vectors: Array<{ raw?: string[]; header_type?: string }>;
    try {
      vectors = JSON.parse(readFileSync(new URL(`${file}.json`, dir), 'utf8')) as typeof vectors;
    } catch {
      continue; // the vectors are a seed corpus, not a requirement
    }
    for (const v of vectors) {
      const type = v.header_type;
      if (v.raw && (type === 'list' || type === 'dictionary' || type === 'item'))
        out[type].push(v.raw.join(', '));
    }
  }
  for (const k of ['list', 'dictionary', 'item'] as const)
    if (out[k].length === 0) out[k].push('a');
  return out;
}

const sfFragment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SFV_FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ unit: anyChar, maxLength: 3 }) },
);

/** Field values valid for the given Structured Field type (serialized models and vectors). */
export function validSfv(
  type: 'list' | 'dictionary' | 'item',
  extended: boolean,
): fc.Arbitrary<string> {
  const serialized =
    type === 'list'
      ? sfList(extended).map((l) => serializeList(l, { extended }))
      : type === 'dictionary'
        ? sfDictionary(extended).map((d) => serializeDictionary(d, { extended }))
        : sfItem(extended).map((i) => serializeItem(i, { extended }));
  return fc.oneof(serialized, fc.constantFrom(...SFV_VECTORS[type]));
}

const SFV_REPEAT = [
  '(',
  'a;b=(',
  '"prep";accept=(',
  ' ',
  ',',
  '1',
  '"',
  '\\"',
  '%"%c3',
  ':AAAA',
  'a=1, ',
  ';a',
  ')',
  '?1',
  'a ',
  '\t',
];

/** Every kind of input for a Structured Field parser. */
export function sfvInput(type: 'list' | 'dictionary' | 'item'): fc.Arbitrary<string> {
  const valid = pooled(fc.oneof(validSfv(type, false), validSfv(type, true)));
  return fc.oneof(
    { weight: 3, arbitrary: anyString },
    { weight: 4, arbitrary: soup(SFV_FRAGMENTS) },
    { weight: 2, arbitrary: valid },
    { weight: 8, arbitrary: mutated(valid, sfFragment) },
    { weight: 1, arbitrary: repeated(SFV_REPEAT) },
  );
}

/** Big Structured Field inputs (about 500 KB at most). */
export const bigSfvInput: fc.Arbitrary<string> = repeated(
  SFV_REPEAT,
  BIG_REPEAT,
  fc.constantFrom('', '"prep";accept=', 'a=', '('),
);

// ---------------------------------------------------------------------------------------
// Accept-Events (HDR-1, HDR-2, REQ-1) and Events (HDR-3)

const mediaTypeText = fc.constantFrom(
  'message/rfc822',
  'MESSAGE/RFC822',
  'text/turtle',
  'text/*',
  '*/*',
  '*/rfc822',
  'application/ld+json',
  'message/rfc822;delta="application/json-patch+json"',
  'message/rfc822;q=0.5, text/turtle',
  'message/rfc822; delta=text/plain; q=0',
  'text/plain;q=2',
  'x',
  '',
  'a/b/c',
  ';;',
);
const deltaText = fc.constantFrom(
  ...DELTA_TYPES,
  'text/x-diff',
  'application/xml-patch+xml',
  'Text/Plain',
  '',
);
const weight: fc.Arbitrary<BareItem> = fc.oneof(
  fc.constantFrom(0, 0.001, 0.5, 1, 1.5, -1, 2, 0.999),
  sfString,
  fc.boolean(),
);

const acceptItem: fc.Arbitrary<Item> = fc.tuple(
  fc.oneof(
    mediaTypeText,
    mediaTypeText
      .filter((t) => /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/.test(t))
      .map((t) => new Token(t)),
  ),
  fc
    .array(
      fc.oneof(
        fc.tuple(
          fc.constant('delta'),
          fc.oneof(deltaText as fc.Arbitrary<ParameterValue>, sfBareItem),
        ),
        fc.tuple(fc.constant('q'), weight as fc.Arbitrary<ParameterValue>),
        fc.tuple(sfKey, sfBareItem as fc.Arbitrary<ParameterValue>),
      ),
      { maxLength: 3 },
    )
    .map((e) => new Map(e)),
);

const acceptValue: fc.Arbitrary<ParameterValue> = fc.oneof(
  mediaTypeText,
  mediaTypeText
    .filter((t) => /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/.test(t))
    .map((t) => new Token(t)),
  fc.array(acceptItem, { maxLength: 4 }),
  sfBareItem,
);

const protocolName: fc.Arbitrary<BareItem> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('prep', 'PREP', 'Prep', 'other', 'braid', '', ' prep') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(new Token('prep'), new Token('PREP'), new Token('other')),
  },
  { weight: 1, arbitrary: sfBareItem },
);

const acceptEventsMember: fc.Arbitrary<Member> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(
      protocolName,
      fc
        .array(
          fc.oneof(
            fc.tuple(fc.constant('accept'), acceptValue),
            fc.tuple(fc.constant('q'), weight as fc.Arbitrary<ParameterValue>),
            fc.tuple(sfKey, sfBareItem as fc.Arbitrary<ParameterValue>),
          ),
          { maxLength: 4 },
        )
        .map((e) => new Map(e)),
    ),
  },
  { weight: 1, arbitrary: sfMember(true) },
);

/** Valid (if not always meaningful) `Accept-Events` values. */
export const validAcceptEvents: fc.Arbitrary<string> = fc.oneof(
  fc.array(acceptEventsMember, { maxLength: 4 }).map((l) => serializeList(l, { extended: true })),
  fc.constantFrom(
    '"prep"',
    'prep',
    'PREP',
    '"prep";accept="message/rfc822"',
    '"prep";accept=("message/rfc822";delta="application/json-patch+json" "text/turtle";q=0.5)',
    '"prep";accept=message/rfc822;q=0.9, "other"',
    '"prep";q=0',
    '"prep";accept="message/rfc822;delta=\\"application/merge-patch+json\\""',
    '"prep";accept=("message/rfc822";delta=text/plain)',
    '"other", "prep";q=0.8, "braid";q=0.9',
  ),
);

export const ACCEPT_EVENTS_FRAGMENTS: readonly string[] = [
  ...SFV_FRAGMENTS,
  'prep',
  '"prep"',
  'accept',
  'delta',
  'message/rfc822',
  'text/*',
  '*/*',
  'application/json-patch+json',
  ';q=0',
  ';q=0.5',
  ';delta=',
];

const aeFragment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ACCEPT_EVENTS_FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ unit: anyChar, maxLength: 3 }) },
);

const AE_REPEAT = [
  '"prep";accept=(',
  'a;b=(',
  '"prep", ',
  'text/*;q=0.5, ',
  ',',
  '"prep";accept="',
  'message/rfc822;delta=x, ',
  '"\\"',
  ' ',
];
const validAcceptEventsPool = pooled(validAcceptEvents);

/** Every kind of `Accept-Events` input: one field value, or several field lines. */
export const acceptEventsInput: fc.Arbitrary<string | string[]> = fc.oneof(
  { weight: 2, arbitrary: anyString },
  { weight: 3, arbitrary: soup(ACCEPT_EVENTS_FRAGMENTS) },
  { weight: 3, arbitrary: validAcceptEvents },
  { weight: 8, arbitrary: mutated(validAcceptEventsPool, aeFragment) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.oneof(validAcceptEventsPool, mutated(validAcceptEventsPool, aeFragment)),
      { maxLength: 3 },
    ),
  },
  { weight: 1, arbitrary: repeated(AE_REPEAT) },
);

/** Big `Accept-Events` inputs. */
export const bigAcceptEventsInput: fc.Arbitrary<string> = repeated(
  AE_REPEAT,
  BIG_REPEAT,
  fc.constantFrom('', '"prep";accept=("message/rfc822" ', '"prep";accept="'),
);

/** What a server could offer: concrete types, odd spellings, and non-types. */
export const notificationOffers: fc.Arbitrary<NotificationOffer[]> = fc.array(
  fc.record(
    {
      type: fc.constantFrom(
        'message/rfc822',
        'text/turtle',
        'application/ld+json',
        'Message/RFC822',
        'text/plain',
        'bogus',
        'a/b/c',
        '',
        '/',
      ),
      deltas: fc.array(deltaText, { maxLength: 3 }),
    },
    { requiredKeys: ['type'] },
  ),
  { maxLength: 4 },
);

const eventsField: fc.Arbitrary<EventsField> = fc.record(
  {
    protocol: fc.constantFrom('prep', 'PREP', 'other'),
    status: fc.integer({ min: 100, max: 599 }),
    expires: fc.nat({ max: 1_000_000 }),
    vary: fc.array(fc.constantFrom('accept', 'last-event-id', 'x'), { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: ['protocol', 'status'] },
);

const eventsMember: fc.Arbitrary<[string, Member]> = fc.oneof(
  fc.tuple(fc.constant('protocol'), fc.tuple(protocolName, sfParameters(true, 1))),
  fc.tuple(
    fc.constant('status'),
    fc.tuple(
      fc.oneof(fc.constantFrom(200, 406, 412, 99, 1000, 0, -1, 200.5), sfBareItem),
      sfParameters(true, 0),
    ),
  ),
  fc.tuple(
    fc.constant('expires'),
    fc.tuple(
      fc.oneof(
        fc.constantFrom<BareItem>(
          3600,
          0,
          -5,
          1.5,
          '3600',
          ' 12 ',
          'Thu, 07 Nov 2024 15:13:48 GMT',
          'Sunday, 06-Nov-94 08:49:37 GMT',
          'Sun Nov  6 08:49:37 1994',
          'tomorrow',
          new Date(0),
        ),
        sfBareItem,
      ),
      sfParameters(true, 0),
    ),
  ),
  fc.tuple(fc.constant('vary'), sfMember(true)),
  fc.tuple(sfKey, sfMember(true)),
);

/** Valid `Events` values: generated models, hand-built dictionaries and examples. */
export const validEvents: fc.Arbitrary<string> = fc.oneof(
  eventsField.map((e) => serializeEventsField(e)),
  fc
    .array(eventsMember, { maxLength: 5 })
    .map((m) => serializeDictionary(new Map(m), { extended: true })),
  fc.constantFrom(
    'protocol="prep", status=200, expires=3600, vary="accept"',
    'protocol=PREP, status=412',
    'protocol="prep", status=200, expires="Thu, 07 Nov 2024 15:13:48 GMT"',
    'protocol="prep", status=200, vary=("accept" "last-event-id")',
  ),
);

/** Every kind of `Events` input. */
export const eventsInput: fc.Arbitrary<string | string[]> = fc.oneof(
  { weight: 2, arbitrary: anyString },
  {
    weight: 3,
    arbitrary: soup([
      ...SFV_FRAGMENTS,
      'protocol=',
      'status=',
      'expires=',
      'vary=',
      '"prep"',
      'GMT',
      'Nov',
    ]),
  },
  { weight: 3, arbitrary: validEvents },
  { weight: 6, arbitrary: mutated(pooled(validEvents), sfFragment) },
  { weight: 1, arbitrary: fc.array(validEvents, { maxLength: 3 }) },
);

/** The response `Date` that comes with `Events`. */
export const responseDate: fc.Arbitrary<string | Date | null | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    'Thu, 07 Nov 2024 14:13:48 GMT',
    'garbage',
    '',
    new Date(Number.NaN),
  ),
  fc.date({ noInvalidDate: true }),
  anyString,
);

export { eventsField as validEventsModel };

// ---------------------------------------------------------------------------------------
// Media types

const MEDIA_TYPE_FRAGMENTS = [
  ...COMMON_FRAGMENTS,
  'text',
  'multipart',
  'mixed',
  'boundary=',
  'charset=utf-8',
  '"a\\"b"',
  '; ',
  '+json',
];

const validMediaType = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'multipart/mixed; boundary="abc def"',
    'Text/HTML;Charset=UTF-8',
    'application/json-patch+json',
    'message/rfc822; delta="application/json-patch+json"',
    'multipart/digest;boundary=x;boundary=y',
    'a/b; c=""; d="\\\\"',
  ),
  fc
    .tuple(
      fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,8}$/),
      fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,8}$/),
      fc.array(fc.tuple(fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,6}$/), sfString), {
        maxLength: 3,
      }),
    )
    .map(
      ([t, s, ps]) =>
        `${t}/${s}` +
        ps.map(([n, v]) => `; ${n}="${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(''),
    ),
);

const MEDIA_TYPE_REPEAT = ['; a=b', ';', ' ', '"', '\\"', 'a/', 'a=', '\t'];

/** Every kind of media type input. */
export const mediaTypeInput: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: anyString },
  { weight: 3, arbitrary: soup(MEDIA_TYPE_FRAGMENTS) },
  { weight: 5, arbitrary: mutated(validMediaType, fc.constantFrom(...MEDIA_TYPE_FRAGMENTS)) },
  { weight: 1, arbitrary: repeated(MEDIA_TYPE_REPEAT, 2_000, fc.constant('text/plain')) },
);

/** Big media type inputs. */
export const bigMediaTypeInput: fc.Arbitrary<string> = repeated(
  MEDIA_TYPE_REPEAT,
  BIG_REPEAT,
  fc.constantFrom('text/plain', 'a/b;c="', ''),
);

// ---------------------------------------------------------------------------------------
// Notifications (N822-4..8)

const headerToken = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,10}$/);
const fieldValue = fc.stringMatching(/^[\x21-\x7e](?:[\x20-\x7e\t]{0,12}[\x21-\x7e])?$/);

/** A valid notification model: what `serializeNotification` takes. */
export const notificationModel: fc.Arbitrary<Notification> = fc.record(
  {
    method: fc.oneof(fc.constantFrom('PUT', 'PATCH', 'POST', 'DELETE'), headerToken),
    // Whole seconds in years 0–9999, which IMF-fixdate can carry.
    date: fc.integer({ min: -62_167_219_200, max: 253_402_300_799 }).map((s) => new Date(s * 1000)),
    eventId: fieldValue,
    etag: fc.oneof(
      fc.stringMatching(/^"[\x21\x23-\x7e]{0,10}"$/),
      fc.stringMatching(/^W\/"[\x21\x23-\x7e]{0,10}"$/),
    ),
    contentLocation: fc.stringMatching(/^[\x21-\x7e]{1,16}$/),
    delta: fc.record({
      contentType: fc.constantFrom(
        ...DELTA_TYPES,
        'text/plain; charset=utf-8',
        'application/ld+json',
      ),
      body: fc.uint8Array({ maxLength: 40 }),
    }),
    extraHeaders: fc.array(
      fc.tuple(
        headerToken.filter((n) => !KNOWN_FIELDS.has(n.toLowerCase())),
        fieldValue,
      ),
      { minLength: 1, maxLength: 3 },
    ),
  },
  { requiredKeys: ['method', 'date', 'eventId'] },
);

const NOTIFICATION_FRAGMENTS = [
  '\r\n',
  '\n',
  '\r\n\r\n',
  ':',
  ': ',
  ' ',
  '\t',
  'Method: PUT\r\n',
  'Date: Sat, 01 Apr 2023 10:11:12 GMT\r\n',
  'Event-ID: 1\r\n',
  'E-tag: "x"\r\n',
  'Content-Type: text/plain\r\n',
  'date',
  'GMT',
  '\u0000',
  '\u00ff',
  '\u00c3',
];

const NOTIFICATION_REPEAT = [' x\r\n', 'a:b\n', '\n', 'Date: 1\r\n', '\t', ' ', ':', '\r', 'x'];

/** Raw notification bytes of every kind: noise, soups, and mutations of serialized ones. */
export function notificationInput(): fc.Arbitrary<Uint8Array> {
  const valid = pooled(
    notificationModel.map((n) => Buffer.from(serializeNotification(n)).toString('latin1')),
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 2, arbitrary: soup(NOTIFICATION_FRAGMENTS, 30).map(latin1) },
    {
      weight: 6,
      arbitrary: mutated(valid, fc.constantFrom(...NOTIFICATION_FRAGMENTS)).map(latin1),
    },
    {
      weight: 2,
      arbitrary: fc.string({ unit: anyChar, maxLength: 80 }).map((s) => utf8.encode(s)),
    },
    {
      weight: 1,
      arbitrary: repeated(NOTIFICATION_REPEAT, 2_000, fc.constant('Method: PUT\r\n')).map(latin1),
    },
  );
}

/** Big notification inputs. */
export const bigNotificationInput: fc.Arbitrary<Uint8Array> = repeated(
  NOTIFICATION_REPEAT,
  BIG_REPEAT,
  fc.constantFrom(
    '',
    'Method: PUT\r\n',
    'Method: PUT\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 1\r\nX: y\r\n',
  ),
).map(latin1);

// ---------------------------------------------------------------------------------------
// Multipart

/** Boundaries: valid RFC 2046 ones and the decoder's liberal extremes, and invalid ones. */
export const boundary: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[0-9A-Za-z'()+_,\-./:=?]{1,20}$/) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('b', '-', 'a b', 'x'.repeat(70), 'y'.repeat(256), '--', 'B='),
  },
  { weight: 1, arbitrary: anyString },
);

export interface PartSpec {
  headers: Array<[string, string]>;
  body: string;
}

const bodyFragments = (b: string): string[] => [
  'a',
  'text',
  '\r',
  '\n',
  '\r\n',
  '-',
  '--',
  `--${b}`,
  `\r\n--${b}`,
  `\n--${b}--`,
  `--${b.slice(0, -1)}`,
  ':',
  ' ',
  '\u0000',
  '\u00ff',
];

const headerName = fc.oneof(
  fc.constantFrom('Content-Type', 'content-type', 'X-A', 'Content-Location', 'ETag'),
  headerToken,
);

/** A multipart body built as a string of octets, with parts to compare against. */
export interface MultipartCase {
  boundary: string;
  /** The whole body, one char per octet. */
  text: string;
  /** The parts as encoded (for unmutated inputs). */
  parts: PartSpec[];
}

function encodeCase(
  b: string,
  parts: PartSpec[],
  preamble: string,
  epilogue: string,
  lf: boolean,
): string {
  const nl = lf ? '\n' : '\r\n';
  let s = preamble === '' ? '' : `${preamble}${nl}`;
  for (const p of parts) {
    s += `--${b}${nl}`;
    for (const [n, v] of p.headers) s += `${n}: ${v}${nl}`;
    s += nl + p.body + nl;
  }
  return `${s}--${b}--${nl}${epilogue}`;
}

/** Well-formed multipart bodies whose parts are known. */
export const validMultipart: fc.Arbitrary<MultipartCase> = fc
  .tuple(
    fc.stringMatching(/^[0-9A-Za-z'()+_,\-./:=?]{1,20}$/),
    fc.array(
      fc.record({
        headers: fc.array(fc.tuple(headerName, fieldValue), { maxLength: 3 }),
        body: fc.string({
          unit: fc.constantFrom('a', 'b', ' ', '\r', '\n', '-', '\u00ff', '\u0000'),
          maxLength: 30,
        }),
      }),
      { maxLength: 4 },
    ),
    fc.constantFrom('', 'preamble', 'This is a message with multiple parts in MIME format.'),
    fc.constantFrom('', 'epilogue', '\r\n'),
    fc.boolean(),
  )
  // A body that holds the delimiter is no longer the part we meant.
  .filter(([b, parts]) =>
    parts.every((p) => !`\n${p.body}\r\n`.includes(`\n--${b}`) && !p.body.endsWith('\r')),
  )
  .map(([b, parts, pre, epi, lf]) => ({
    boundary: b,
    parts,
    text: encodeCase(b, parts, pre, epi, lf),
  }));

const MULTIPART_REPEAT = [
  '--b\r\n',
  '--b\r\nX: y\r\n\r\n',
  ' x\r\n',
  '-',
  '--',
  '\r\n--b',
  'X: y\r\n',
  '\r\n',
  '\n--',
  'b',
];

/** Multipart inputs of every kind, with the boundary to decode them with. */
export const multipartInput: fc.Arbitrary<{ boundary: string; bytes: Uint8Array }> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ boundary, bytes: fc.uint8Array({ maxLength: 300 }) }) },
  {
    weight: 3,
    arbitrary: fc
      .stringMatching(/^[0-9A-Za-z]{1,8}$/)
      .chain((b) =>
        fc.record({ boundary: fc.constant(b), bytes: soup(bodyFragments(b), 40).map(latin1) }),
      ),
  },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        pooled(validMultipart),
        fc.array(
          editArb(
            fc.oneof(
              fc.constantFrom('X: y\r\n', ' \t', '\r\n', '--', '-', ':', '\u0000', '\u00ff'),
              fc.constant('@boundary'),
            ),
          ),
          { minLength: 1, maxLength: 4 },
        ),
      )
      .map(([c, edits]) => ({
        boundary: c.boundary,
        // '@boundary' stands for a delimiter of the body's own boundary, at the edit's place.
        bytes: latin1(
          applyEdits(
            c.text,
            edits.map((e) => (e.text === '@boundary' ? { ...e, text: `\r\n--${c.boundary}` } : e)),
          ),
        ),
      })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      boundary: fc.constant('b'),
      bytes: repeated(MULTIPART_REPEAT).map(latin1),
    }),
  },
);

/** Big multipart bodies (boundary `b`). */
export const bigMultipartInput: fc.Arbitrary<Uint8Array> = repeated(
  MULTIPART_REPEAT,
  BIG_REPEAT,
  fc.constantFrom('', '--b\r\n', '--b\r\n\r\n'),
).map(latin1);

/** How a consumer reads each part: the decoder must cope with all of them. */
export type PartReading = 'bytes' | 'text' | 'stream' | 'skip' | 'stop' | 'nested' | 'headers';
export const partReadings: fc.Arbitrary<PartReading[]> = fc.array(
  fc.constantFrom<PartReading>(
    'bytes',
    'bytes',
    'text',
    'stream',
    'skip',
    'stop',
    'nested',
    'headers',
  ),
  { minLength: 1, maxLength: 6 },
);

/** Cut points that split a body into the chunks a source hands out. */
export const chunkCuts: fc.Arbitrary<number[]> = fc.oneof(
  fc.array(fc.nat(), { maxLength: 8 }),
  fc.constant(Array.from({ length: 20 }, (_, i) => i + 1)),
);

/** Splits `all` at the cuts (taken modulo its length). */
export function split(all: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, all.length]) {
    if (p > from) out.push(all.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

/** A source that hands out `chunks` one per pull, as copies. */
export function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk) controller.enqueue(chunk.slice());
      else controller.close();
    },
  });
}

// ---------------------------------------------------------------------------------------
// JSON documents and patches (RFC 6902, RFC 7396)

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys that trip naive code: pointer escapes, prototype names, array-ish names, "". */
export const jsonKey: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'a',
      'b',
      '',
      '-',
      '0',
      '1',
      '01',
      'length',
      '~',
      '/',
      '~1',
      '~0',
      'a/b',
      '__proto__',
      'constructor',
      'prototype',
      'hasOwnProperty',
      'toString',
      'valueOf',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
);

/** Sets an own property, `__proto__` included, as JSON.parse does. */
function setOwn(o: Record<string, Json>, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
}

const { json: jsonArb } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
    fc.string({ maxLength: 4 }),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.array(fc.tuple(jsonKey, tie('json')), { maxLength: 4 }).map((entries) => {
      const o: Record<string, Json> = {};
      for (const [k, v] of entries) setOwn(o, k, v);
      return o;
    }),
  ),
}));

/** JSON values as JSON.parse makes them (own `__proto__` keys, no -0, no undefined). */
export const json: fc.Arbitrary<Json> = jsonArb.map((v) => JSON.parse(JSON.stringify(v)) as Json);

/** Every JSON Pointer to a value of `doc` (RFC 6901), the root ("") first. */
export function pointersOf(doc: Json, max = 64): string[] {
  const out: string[] = [''];
  const walk = (v: Json, prefix: string): void => {
    if (out.length >= max || typeof v !== 'object' || v === null) return;
    const keys = Array.isArray(v) ? v.map((_, i) => String(i)) : Object.keys(v);
    for (const k of keys) {
      const p = `${prefix}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      out.push(p);
      walk((v as Record<string, Json>)[k]!, p);
    }
  };
  walk(doc, '');
  return out;
}

const POINTER_EXTRAS = [
  '/-',
  '/0',
  '/01',
  '/99',
  '/a',
  '/a/b',
  '/__proto__',
  '/__proto__/polluted',
  '/constructor/prototype',
  '/constructor/prototype/polluted',
  '/a/__proto__/polluted',
  '/a/constructor/prototype/polluted',
  '/toString',
  '/hasOwnProperty',
  '/length',
  '/~',
  '/~2',
  '/~01',
  'a',
  '#/a',
  '//',
  '/',
];

interface OpSpec {
  op: string;
  pathPick: number;
  fromPick: number;
  suffix: string;
  value: Json;
  drop: 'none' | 'path' | 'from' | 'value';
}

const opSpec: fc.Arbitrary<OpSpec> = fc.record({
  op: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test') },
    { weight: 1, arbitrary: fc.constantFrom('ADD', '_get', 'x', '') },
  ),
  pathPick: fc.nat(),
  fromPick: fc.nat(),
  suffix: fc.constantFrom('', '', '', '/-', '/0', '/new', '/__proto__'),
  value: json,
  drop: fc.constantFrom('none', 'none', 'none', 'none', 'path', 'from', 'value'),
});

function pointerFor(pick: number, doc: Json, suffix: string): string {
  const own = pointersOf(doc);
  const all = [...own, ...POINTER_EXTRAS];
  const p = all[pick % all.length]!;
  // Mostly a real pointer of the document (with an optional last step), else an odd one.
  return pick % 5 === 4 ? p : (own[pick % own.length] ?? '') + suffix;
}

function operation(spec: OpSpec, doc: Json): Json {
  const op: Record<string, Json> = { op: spec.op };
  if (spec.drop !== 'path') op.path = pointerFor(spec.pathPick, doc, spec.suffix);
  if (spec.drop !== 'from' && (spec.op === 'move' || spec.op === 'copy' || spec.fromPick % 7 === 0))
    op.from = pointerFor(spec.fromPick, doc, '');
  if (
    spec.drop !== 'value' &&
    (spec.op === 'add' || spec.op === 'replace' || spec.op === 'test' || spec.fromPick % 5 === 0)
  )
    op.value = spec.value;
  return op;
}

/** A document and a JSON Patch made for it (most operations name real paths), or junk. */
export const jsonPatchCase: fc.Arbitrary<{ doc: Json; patch: Json }> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(json, fc.array(opSpec, { maxLength: 6 })).map(([doc, specs]) => {
      // Each operation is built against the document's paths; later ones may be stale.
      return { doc, patch: specs.map((s) => operation(s, doc)) };
    }),
  },
  { weight: 1, arbitrary: fc.record({ doc: json, patch: json }) },
  {
    weight: 1,
    arbitrary: fc.record({
      doc: json,
      patch: fc.array(
        fc.oneof(
          json,
          fc.record({ op: fc.constantFrom('add', 'test'), path: fc.string(), value: json }),
        ),
        { maxLength: 3 },
      ),
    }),
  },
);

/** Prototype-pollution attempts, as the JSON text a client would send. */
export const POLLUTION_PATCHES: readonly string[] = [
  '[{"op":"add","path":"/__proto__/polluted","value":1}]',
  '[{"op":"add","path":"/constructor/prototype/polluted","value":1}]',
  '[{"op":"add","path":"/a/__proto__/polluted","value":1}]',
  '[{"op":"replace","path":"/__proto__","value":{"polluted":1}}]',
  '[{"op":"add","path":"/__proto__","value":{"polluted":1}}]',
  '[{"op":"copy","from":"/a","path":"/__proto__/polluted"}]',
  '[{"op":"move","from":"/a","path":"/constructor/prototype/polluted"}]',
  '[{"op":"add","path":"/constructor","value":{"prototype":{"polluted":1}}},{"op":"add","path":"/constructor/prototype/polluted","value":1}]',
  '[{"op":"add","path":"/a/constructor/prototype/polluted","value":1}]',
  '[{"op":"add","path":"/toString","value":1},{"op":"test","path":"/toString","value":1}]',
];

export const POLLUTION_MERGE_PATCHES: readonly string[] = [
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"a":{"__proto__":{"polluted":1}}}',
  '{"__proto__":null}',
  '{"__proto__":{"__proto__":{"polluted":1}}}',
  '{"toString":1,"hasOwnProperty":null}',
];

/** Documents for the pollution attempts, `__proto__` keys as own data. */
export const POLLUTION_DOCS: readonly string[] = [
  '{}',
  '{"a":{}}',
  '{"a":1}',
  '{"__proto__":{"x":1},"a":{}}',
  '{"constructor":{"prototype":{}}}',
  '[]',
  '{"a":[]}',
];

/** Delta media types as a client might spell them, supported or not. */
export const deltaType: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...DELTA_TYPES, 'text/x-diff') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Application/JSON-Patch+JSON',
      'application/merge-patch+json; charset=utf-8',
      ' text/plain ;charset=latin1',
      'application/json',
      'application/xml-patch+xml',
      '',
      ';',
    ),
  },
  { weight: 1, arbitrary: anyString },
);

/** A unified diff against `before`-like text, mostly well-formed. */
const unifiedDiff = fc
  .tuple(
    fc.constantFrom(
      '--- a\n+++ b\n',
      '--- a\r\n+++ b\r\n',
      '',
      'Index: x\n===\n--- a\n+++ b\n',
      '--- a\n+++ b\n--- c\n+++ d\n',
    ),
    fc.array(
      fc.tuple(
        fc.constantFrom(
          '@@ -1,1 +1,1 @@\n',
          '@@ -1 +1 @@\n',
          '@@ -0,0 +1,2 @@\n',
          '@@ -1,999999999 +1,1 @@\n',
          '@@ -a,b +c @@\n',
          '@@\n',
        ),
        fc.array(
          fc.constantFrom(
            ' a\n',
            '-a\n',
            '+b\n',
            '\\ No newline at end of file\n',
            'x\n',
            '\n',
            '-\n',
          ),
          { maxLength: 5 },
        ),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([head, hunks]) => head + hunks.map(([h, lines]) => h + lines.join('')).join(''));

/** Inputs of `applyDelta`: a type, the representation's bytes and the delta's bytes. */
export const deltaCase: fc.Arbitrary<{ type: string; before: Uint8Array; delta: Uint8Array }> =
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({
          type: fc.constantFrom('application/json-patch+json', 'application/merge-patch+json'),
          pair: jsonPatchCase,
          asMerge: fc.boolean(),
        })
        .map(({ type, pair, asMerge }) => ({
          type,
          before: utf8.encode(JSON.stringify(pair.doc)),
          delta: utf8.encode(JSON.stringify(asMerge ? pair.doc : pair.patch)),
        })),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.constantFrom('text/plain', 'text/x-diff'),
        before: fc
          .string({ unit: fc.constantFrom('a\n', 'b\n', 'a', '\r\n', '\u00e9'), maxLength: 6 })
          .map((s) => utf8.encode(s)),
        delta: unifiedDiff.map((s) => utf8.encode(s)),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: deltaType,
        before: fc.oneof(
          json.map((v) => utf8.encode(JSON.stringify(v))),
          fc.uint8Array({ maxLength: 30 }),
        ),
        delta: fc.oneof(
          mutated(
            json.map((v) => JSON.stringify(v)),
            fc.constantFrom('{', '}', '[', ']', '"', ',', ':', 'null', '\\u0000', '\u00ff'),
          ).map(latin1),
          fc.uint8Array({ maxLength: 30 }),
        ),
      }),
    },
  );

/** Deeply nested documents and patches: the appliers must answer 422, not overflow the stack. */
export const deepDeltaCase: fc.Arbitrary<{ type: string; before: Uint8Array; delta: Uint8Array }> =
  fc.record({
    type: fc.constantFrom('application/json-patch+json', 'application/merge-patch+json'),
    before: fc
      .integer({ min: 1, max: 20_000 })
      .map((n) => utf8.encode('['.repeat(n) + ']'.repeat(n))),
    delta: fc.oneof(
      fc
        .integer({ min: 1, max: 20_000 })
        .map((n) => utf8.encode(`[${'{"a":'.repeat(n)}1${'}'.repeat(n)}]`)),
      fc
        .integer({ min: 1, max: 20_000 })
        .map((n) =>
          utf8.encode(`[{"op":"add","path":"/0","value":${'['.repeat(n)}${']'.repeat(n)}}]`),
        ),
      fc
        .integer({ min: 1, max: 20_000 })
        .map((n) => utf8.encode(`${'{"a":'.repeat(n)}null${'}'.repeat(n)}`)),
    ),
  });

// ---------------------------------------------------------------------------------------
// Raw HTTP requests

/** Paths the HTTP fuzzer seeds the store with before a run. */
export const SEED_RESOURCES: ReadonlyArray<{ path: string; contentType: string; body: string }> = [
  { path: '/c/', contentType: 'application/json', body: '' },
  { path: '/c/d/', contentType: 'application/json', body: '' },
  { path: '/a', contentType: 'application/json', body: '{"n":1,"list":[1,2,3],"o":{"k":"v"}}' },
  { path: '/c/x', contentType: 'application/json', body: '{"title":"x","tags":["a"]}' },
  { path: '/c/d/y', contentType: 'application/ld+json', body: '{"@id":"y"}' },
  { path: '/t.txt', contentType: 'text/plain; charset=utf-8', body: 'line 1\nline 2\n' },
  { path: '/bin', contentType: 'application/octet-stream', body: '\u0000\u0001\u00ff' },
];

const SEGMENTS = [
  'a',
  'c',
  'x',
  'y',
  'd',
  't.txt',
  'new',
  '.',
  '..',
  '%2e',
  '%2E%2e',
  '%2f',
  '%2F..',
  '%00',
  '%',
  '%zz',
  '%ff',
  '%c3%a9',
  '%25',
  '~',
  '',
  ';p=1',
  '*',
  'con',
  '@',
  ':',
  "!$&'()+,=",
];
// Characters a request line cannot carry raw (node answers 400 before any handler runs).
const ODD_SEGMENTS = ['a b', '\u00e9', '?', '#', '\\', '\t', '"', '<>', '{}', '`', '^', '|'];

/** Request targets: seeded paths, odd characters, percent-encodings, dot segments, very long. */
export const requestTarget: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '/',
      ...SEED_RESOURCES.map((r) => r.path),
      '/c',
      '/c/d',
      '/missing',
      '/c/missing/',
      '/new/',
      '/new',
    ),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.array(
          fc.oneof(
            { weight: 12, arbitrary: fc.constantFrom(...SEGMENTS) },
            { weight: 1, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
          ),
          { minLength: 1, maxLength: 5 },
        ),
        fc.boolean(),
        fc.constantFrom('', '', '', '?q=1', '?a=%zz&b', '#frag', '?'),
      )
      .map(([segs, slash, q]) => `/${segs.join('/')}${slash ? '/' : ''}${q}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '*',
      'http://localhost/a',
      'http://[::1]:80/c/',
      'localhost:80',
      '',
      'a',
      '//a',
      '//',
      '/../../etc/passwd',
      '/%2e%2e/%2e%2e/x',
      '/c/../a',
      '/./a',
      '/a?x=1#y',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('/c/', '/', '/a/'),
        fc.constantFrom('a', 'ab/', '%41', '../'),
        fc.integer({ min: 100, max: 12_000 }),
      )
      .map(([p, seg, n]) => p + seg.repeat(Math.ceil(n / seg.length))),
  },
);

const methodArb = fc.oneof(
  {
    weight: 50,
    arbitrary: fc.constantFrom(
      'GET',
      'GET',
      'GET',
      'HEAD',
      'PUT',
      'PUT',
      'PATCH',
      'PATCH',
      'POST',
      'DELETE',
      'OPTIONS',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'get',
      'Get',
      'TRACE',
      'CONNECT',
      'PROPFIND',
      'MKCOL',
      'BREW',
      'QUERY',
      'M-SEARCH',
      'PURGE',
      'LINK',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/) },
  { weight: 1, arbitrary: fc.constantFrom('', 'G ET', 'GET\u0000', '\u00c9T', '(', 'GET/') },
);

const contentTypeArb = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/ld+json',
  'application/json-patch+json',
  'application/merge-patch+json',
  'Application/Merge-Patch+JSON; x=y',
  'text/plain',
  'text/turtle',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'json',
  '',
  ';',
  '/',
  'a/b/c',
  '*/*',
  'application/json, text/plain',
  'application/json; charset=latin1',
);

const etagArb = fc.oneof(
  fc.constantFrom('*', '"x"', 'W/"x"', '""', '"', 'W/', 'x', '"a", "b"', 'W/"a", *', '"\u00e9"'),
  fc.stringMatching(/^"[0-9a-f]{8,40}"$/),
  // Filled in by the HTTP harness with the ETag of a seeded resource.
  fc.nat({ max: 50 }).map((n) => `@etag:${n}`),
);

const dateArb = fc.constantFrom(
  'Sat, 01 Apr 2023 10:11:12 GMT',
  'Thu, 01 Jan 2099 00:00:00 GMT',
  'Sunday, 06-Nov-94 08:49:37 GMT',
  'Sun Nov  6 08:49:37 1994',
  'yesterday',
  '',
  '0',
);

const slugArb = fc.oneof(
  fc.constantFrom(
    'note',
    'Crème brûlée',
    '%C3%A9t%C3%A9',
    '..',
    '../x',
    '%2e%2e',
    '/',
    'a/b',
    '',
    '-',
    '\u00ff',
    'x'.repeat(300),
    '%',
  ),
  fc.string({ maxLength: 10 }),
);

/** The raw `Accept-Events` values a request may carry (any kind, incl. field lines). */
const acceptEventsHeader = fc.oneof(
  { weight: 4, arbitrary: validAcceptEvents },
  { weight: 3, arbitrary: mutated(validAcceptEvents, aeFragment) },
  { weight: 1, arbitrary: fc.string({ unit: asciiChar, maxLength: 20 }) },
);

const lastEventIdArb = fc.oneof(
  fc.constantFrom('*', '', '0', '1', '-1', '999999999999999999999', 'abc', ' * ', '1:2', '\u00e9'),
  fc.nat({ max: 200 }).map(String),
  fc.string({ maxLength: 12 }),
  // Filled in by the HTTP harness with one of the server's recent Event-IDs (RSP-5, EXT-1).
  fc.nat({ max: 50 }).map((n) => `@event:${n}`),
);

/** One header line of a request, by name and raw value. */
type HeaderLine = [string, string];

const extraHeaderArb: fc.Arbitrary<HeaderLine> = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.constant('Accept-Events'), acceptEventsHeader) },
  { weight: 3, arbitrary: fc.tuple(fc.constant('Last-Event-ID'), lastEventIdArb) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('If-Match', 'If-None-Match'), etagArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('If-Modified-Since'), dateArb) },
  { weight: 4, arbitrary: fc.tuple(fc.constant('Content-Type'), contentTypeArb) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('Slug'), slugArb) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant('Connection'),
      fc.constantFrom('close', 'keep-alive', 'Upgrade', 'close, TE', 'x'),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant('Expect'),
      fc.constantFrom('100-continue', '100-Continue', 'x'),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constant('Upgrade'), fc.constantFrom('websocket', 'h2c', 'x')),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant('Accept'),
      fc.constantFrom('*/*', 'application/json', 'text/html;q=0', 'x'),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom(
        'Origin',
        'Authorization',
        'Cookie',
        'Range',
        'Accept-Encoding',
        'TE',
        'Trailer',
      ),
      fc.string({ unit: asciiChar, maxLength: 16 }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constant('Host'),
      fc.constantFrom('', 'a b', 'localhost:99999', '[::1', '\u00e9'),
    ),
  },
  { weight: 1, arbitrary: fc.tuple(headerToken, fc.string({ unit: asciiChar, maxLength: 16 })) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('X-Long'),
      fc.integer({ min: 1000, max: 20_000 }).map((n) => 'v'.repeat(n)),
    ),
  },
);

/** Header lines, their values mostly free of the controls no field value may carry. */
const headerLineArb: fc.Arbitrary<HeaderLine> = fc
  .tuple(extraHeaderArb, fc.nat({ max: 9 }))
  .map(([[name, value], keep]) => [
    name,
    // eslint-disable-next-line no-control-regex
    keep === 0 ? value : value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ''),
  ]);

/** How the body is framed, honestly or not. */
export type Framing =
  | 'length'
  | 'none'
  | 'chunked'
  | 'chunked-bad'
  | 'length-short'
  | 'length-long'
  | 'length-bad'
  | 'length-dup'
  | 'both';

export interface RequestSpec {
  method: string;
  target: string;
  version: string;
  host: boolean;
  /** The Content-Type, before the other headers (a write needs one). */
  contentType: string | undefined;
  headers: HeaderLine[];
  body: Uint8Array;
  framing: Framing;
  /** Extra raw bytes after the request (a pipelined or smuggled second one). */
  trailing: string;
  /** Byte-level edits of the head, which may make it unparsable. */
  headEdits: Edit[];
}

const bodyArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: json.map((v) => utf8.encode(JSON.stringify(v))) },
  { weight: 5, arbitrary: jsonPatchCase.map((c) => utf8.encode(JSON.stringify(c.patch))) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(...POLLUTION_PATCHES, ...POLLUTION_MERGE_PATCHES)
      .map((s) => utf8.encode(s)),
  },
  {
    weight: 2,
    arbitrary: mutated(
      json.map((v) => JSON.stringify(v)),
      fc.constantFrom('{', '}', '[', '"', ',', '\u00ff', '\u0000'),
    ).map(latin1),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{}', '[]', '', 'null', '{"a":1}').map((s) => utf8.encode(s)),
  },
);

const HEAD_FRAGMENTS = [
  '\r\n',
  '\n',
  '\r',
  ' ',
  ':',
  '\u0000',
  '\u00ff',
  'Content-Length: 5\r\n',
  'Transfer-Encoding: chunked\r\n',
  ' folded\r\n',
  'HTTP/1.1',
  '\r\n\r\n',
];

/** Structured raw requests: every field may be odd, the framing may lie. */
export const requestSpec: fc.Arbitrary<RequestSpec> = fc.record({
  method: methodArb,
  target: requestTarget,
  version: fc.oneof(
    { weight: 30, arbitrary: fc.constant('HTTP/1.1') },
    { weight: 3, arbitrary: fc.constant('HTTP/1.0') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'HTTP/2.0',
        'HTTP/1.2',
        'HTTP/0.9',
        'HTTP/9.9',
        'http/1.1',
        'FOO',
        '',
      ),
    },
  ),
  host: fc.oneof(
    { weight: 19, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  contentType: fc.option(
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom(
          'application/json',
          'application/json-patch+json',
          'application/merge-patch+json',
        ),
      },
      { weight: 1, arbitrary: contentTypeArb },
    ),
    { freq: 4, nil: undefined },
  ),
  headers: fc.array(headerLineArb, { maxLength: 5 }),
  body: bodyArb,
  framing: fc.oneof(
    { weight: 20, arbitrary: fc.constant<Framing>('length') },
    { weight: 2, arbitrary: fc.constant<Framing>('chunked') },
    {
      weight: 3,
      arbitrary: fc.constantFrom<Framing>(
        'none',
        'chunked-bad',
        'length-short',
        'length-long',
        'length-bad',
        'length-dup',
        'both',
      ),
    },
  ),
  trailing: fc.oneof(
    { weight: 20, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
        'garbage\r\n\r\n',
        '\r\n',
        'G',
      ),
    },
  ),
  headEdits: fc.oneof(
    { weight: 10, arbitrary: fc.constant<Edit[]>([]) },
    {
      weight: 1,
      arbitrary: fc.array(editArb(fc.constantFrom(...HEAD_FRAGMENTS)), {
        minLength: 1,
        maxLength: 3,
      }),
    },
  ),
});

const CHUNKED_BAD = [
  (b: string) => `${b.length.toString(16)}\r\n${b}\r\n`, // no last chunk: incomplete
  (b: string) => `zz\r\n${b}\r\n0\r\n\r\n`,
  (b: string) => `${(b.length + 3).toString(16)}\r\n${b}\r\n0\r\n\r\n`,
  (b: string) => `${b.length.toString(16)};ext=${'e'.repeat(20_000)}\r\n${b}\r\n0\r\n\r\n`,
  (b: string) => `${b.length.toString(16)}\n${b}\n0\n\n`,
  (b: string) => `-1\r\n${b}\r\n0\r\n\r\n`,
  (b: string) => `ffffffffffffffffff\r\n${b}\r\n0\r\n\r\n`,
  (b: string) => `${b.length.toString(16)}\r\n${b}\r\n0\r\nTrailer: x\r\n\r\n`,
  (b: string) => `${b.length.toString(16)} \r\n${b}\r\n0\r\n\r\n`,
  (b: string) => `${b.length.toString(16)}\r\n${b}0\r\n\r\n`,
];

/** Whether the request, as specified, is complete and parseable (so it deserves an answer). */
export function isWellFormed(spec: RequestSpec): boolean {
  return (
    spec.headEdits.length === 0 &&
    (spec.framing === 'length' || spec.framing === 'chunked' || spec.framing === 'none')
  );
}

/** The wire bytes of a request spec. */
export function encodeRequest(spec: RequestSpec): Uint8Array {
  const body = Buffer.from(spec.body).toString('latin1');
  let head = `${spec.method} ${spec.target} ${spec.version}`.replace(/ +$/, '') + '\r\n';
  if (spec.host) head += 'Host: localhost\r\n';
  if (spec.contentType !== undefined) head += `Content-Type: ${spec.contentType}\r\n`;
  for (const [n, v] of spec.headers) head += `${n}: ${v}\r\n`;
  let payload = '';
  switch (spec.framing) {
    case 'length':
      head += `Content-Length: ${body.length}\r\n`;
      payload = body;
      break;
    case 'none':
      // GET and friends carry no body; elsewhere the bytes read as the next request.
      payload = body.length > 0 && spec.method !== 'GET' && spec.method !== 'HEAD' ? body : '';
      break;
    case 'chunked':
      head += 'Transfer-Encoding: chunked\r\n';
      payload =
        body.length > 0 ? `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` : '0\r\n\r\n';
      break;
    case 'chunked-bad':
      head += 'Transfer-Encoding: chunked\r\n';
      payload = CHUNKED_BAD[body.length % CHUNKED_BAD.length]!(body);
      break;
    case 'length-short':
      head += `Content-Length: ${Math.max(0, body.length - 1 - (body.length >> 1))}\r\n`;
      payload = body;
      break;
    case 'length-long':
      head += `Content-Length: ${body.length + 1 + body.length * 2}\r\n`;
      payload = body;
      break;
    case 'length-bad':
      head += `Content-Length: ${['-1', 'abc', '1e3', ' 5', '0x10', '99999999999999999999', '5, 6', '+5'][body.length % 8]!}\r\n`;
      payload = body;
      break;
    case 'length-dup':
      head += `Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}\r\n`;
      payload = body;
      break;
    case 'both':
      head += `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`;
      payload = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
      break;
  }
  head = applyEdits(head, spec.headEdits);
  return latin1(`${head}\r\n${payload}${spec.trailing}`);
}

const SEEDED_JSON = SEED_RESOURCES.filter((r) => r.contentType.includes('json') && r.body !== '');

/** PATCH requests on a seeded JSON resource, with patches made for its seed document. */
export const patchRequestSpec: fc.Arbitrary<RequestSpec> = fc
  .tuple(
    requestSpec,
    fc.constantFrom(...SEEDED_JSON),
    fc.array(opSpec, { maxLength: 5 }),
    fc.boolean(),
    json,
  )
  .map(([base, seed, ops, merge, mergeDoc]) => {
    const doc = JSON.parse(seed.body) as Json;
    const patch = merge ? mergeDoc : ops.map((o) => operation(o, doc));
    return {
      ...base,
      method: 'PATCH',
      target: seed.path,
      contentType: merge ? 'application/merge-patch+json' : 'application/json-patch+json',
      body: utf8.encode(JSON.stringify(patch)),
      framing: base.framing === 'chunked' ? 'chunked' : 'length',
      trailing: '',
      headEdits: [],
    };
  });
