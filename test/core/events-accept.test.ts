import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseList as stockParseList } from 'structured-headers';
import { isPrepError } from '../../packages/client/src/core/errors.js';
import {
  parseAcceptEvents,
  readPrepAdvertisement,
  selectProtocol,
  serializeAcceptEvents,
  serializePrepAdvertisement,
} from '../../packages/client/src/core/events/index.js';
import type { AcceptEventsEntry } from '../../packages/client/src/core/events/index.js';
import { DisplayString, Token } from '../../packages/client/src/core/sfv/index.js';
import type { BareItem, Item, ParameterValue } from '../../packages/client/src/core/sfv/index.js';

const str = (value: string): Item => [value, new Map<string, ParameterValue>()];
const entry = (
  protocol: string,
  fields: [string, ParameterValue][] = [],
  q = 1,
): AcceptEventsEntry => ({ protocol, q, fields: new Map(fields) });

// --- parsing: every Accept-Events example of PROTOCOL.md and the digest note -------------

test('HDR-1 REQ-1 the minimal request "prep" is one protocol, q=1, no event fields', () => {
  assert.deepEqual(parseAcceptEvents('"prep"'), [entry('prep')]);
});

test('HDR-1 DSC-1 the discovery/request example "prep"; accept="message/rfc822"', () => {
  assert.deepEqual(parseAcceptEvents('"prep"; accept="message/rfc822"'), [
    entry('prep', [['accept', 'message/rfc822']]),
  ]);
  assert.deepEqual(parseAcceptEvents('"prep";accept="message/rfc822"'), [
    entry('prep', [['accept', 'message/rfc822']]),
  ]);
});

test('HDR-2 list-valued event fields: delta parameters and several types (a stock parser throws)', () => {
  const delta = '"prep";accept=("message/rfc822";delta="application/json-patch+json")';
  assert.deepEqual(parseAcceptEvents(delta), [
    entry('prep', [
      ['accept', [['message/rfc822', new Map([['delta', 'application/json-patch+json']])]]],
    ]),
  ]);
  const several = '"prep";accept=("message/rfc822" "text/turtle")';
  assert.deepEqual(parseAcceptEvents(several), [
    entry('prep', [['accept', [str('message/rfc822'), str('text/turtle')]]]),
  ]);
  // Why HDR-2 needs our own codec: RFC 9651 parsers reject both (digest §2.2).
  assert.throws(() => stockParseList(delta));
  assert.throws(() => stockParseList(several));
});

test('HDR-2 NSS advertisement "prep";accept=("message/rfc822" "application/ld+json" "text/turtle")', () => {
  assert.deepEqual(
    parseAcceptEvents('"prep";accept=("message/rfc822" "application/ld+json" "text/turtle")'),
    [
      entry('prep', [
        ['accept', [str('message/rfc822'), str('application/ld+json'), str('text/turtle')]],
      ]),
    ],
  );
});

test('HDR-2 N822-1 the delta request "prep"; accept=("message/rfc822";delta="text/plain")', () => {
  assert.deepEqual(parseAcceptEvents('"prep"; accept=("message/rfc822";delta="text/plain")'), [
    entry('prep', [['accept', [['message/rfc822', new Map([['delta', 'text/plain']])]]]]),
  ]);
});

test('HDR-7 tokens are read too: NSS "prep";accept=application/ld+json, express-prep accept=(message/rfc822)', () => {
  assert.deepEqual(parseAcceptEvents('"prep";accept=application/ld+json'), [
    entry('prep', [['accept', new Token('application/ld+json')]]),
  ]);
  assert.deepEqual(parseAcceptEvents('"prep";accept=(message/rfc822)'), [
    entry('prep', [['accept', [[new Token('message/rfc822'), new Map()]]]]),
  ]);
});

test('HDR-1 draft -00 "PREP; accept=message/rfc822": a token protocol in any case means prep', () => {
  assert.deepEqual(parseAcceptEvents('PREP; accept=message/rfc822'), [
    entry('prep', [['accept', new Token('message/rfc822')]]),
  ]);
  assert.equal(parseAcceptEvents('"PrEp"')?.[0]?.protocol, 'prep');
  assert.equal(parseAcceptEvents('prep')?.[0]?.protocol, 'prep');
});

test('HDR-1 q is the weight wherever it appears, and is not an event field', () => {
  assert.deepEqual(parseAcceptEvents('"prep";q=0.5;accept="message/rfc822"'), [
    entry('prep', [['accept', 'message/rfc822']], 0.5),
  ]);
  assert.deepEqual(parseAcceptEvents('"prep";accept="message/rfc822";q=0'), [
    entry('prep', [['accept', 'message/rfc822']], 0),
  ]);
  assert.deepEqual(parseAcceptEvents('"a";q=1, "b";q=0.001'), [entry('a'), entry('b', [], 0.001)]);
});

test('HDR-1 an entry with an invalid q is left out, the others kept', () => {
  for (const bad of ['q=2', 'q=-0.1', 'q="0.5"', 'q', 'q=?0', 'q=x', 'q=("1")']) {
    assert.deepEqual(parseAcceptEvents(`"prep";${bad}, "other"`), [entry('other')], bad);
  }
});

test('HDR-1 members that name no protocol (inner lists, numbers, booleans) are left out', () => {
  assert.deepEqual(parseAcceptEvents('("prep" "x"), 1, ?1, :AQ==:, "prep"'), [entry('prep')]);
});

test('HDR-1 several protocols keep header order; several field lines are one list', () => {
  const expected = [entry('other', [['x', 1]]), entry('prep', [], 0.8)];
  assert.deepEqual(parseAcceptEvents('"other";x=1, "prep";q=0.8'), expected);
  assert.deepEqual(parseAcceptEvents(['"other";x=1', '"prep";q=0.8']), expected);
});

test('HDR-4 an Accept-Events that does not parse is ignored as a whole', () => {
  for (const bad of [
    '"prep";accept=("message/rfc822"',
    '"prep",',
    '"prep";;',
    '"prep" "other"',
    '"prep";accept=message/rfc822 ,, "x"',
    '"pr\u00e9p"',
    '"prep";Accept="x"',
  ]) {
    assert.equal(parseAcceptEvents(bad), undefined, bad);
  }
});

test('HDR-4 an absent Accept-Events is undefined, an empty one an empty list', () => {
  assert.equal(parseAcceptEvents(null), undefined);
  assert.equal(parseAcceptEvents(undefined), undefined);
  assert.equal(parseAcceptEvents([]), undefined);
  assert.deepEqual(parseAcceptEvents(''), []);
});

test('REQ-3 unknown event fields are kept as data, whatever their shape, without failing', () => {
  const [prep] =
    parseAcceptEvents('"prep";duration=600;x=("a";b=?0 2);accept="message/rfc822"') ?? [];
  assert.equal(prep?.protocol, 'prep');
  assert.equal(prep.fields.get('accept'), 'message/rfc822');
  assert.equal(prep.fields.get('duration'), 600);
  assert.deepEqual(prep.fields.get('x'), [
    ['a', new Map([['b', false]])],
    [2, new Map()],
  ]);
});

// --- selection ----------------------------------------------------------------------------

test('REQ-4 the protocol with the highest q that the server supports wins', () => {
  const entries = parseAcceptEvents('"braid";q=0.9, "prep";q=0.8, "other"') ?? [];
  assert.equal(selectProtocol(entries, ['prep'])?.protocol, 'prep');
  assert.equal(selectProtocol(entries, ['prep', 'braid'])?.protocol, 'braid');
  assert.equal(selectProtocol(entries, ['prep', 'braid', 'other'])?.protocol, 'other');
});

test('REQ-4 at equal q the client order decides', () => {
  const entries = parseAcceptEvents('"braid";q=0.5, "prep";q=0.5') ?? [];
  assert.equal(selectProtocol(entries, ['prep', 'braid'])?.protocol, 'braid');
  const first = parseAcceptEvents('"prep";accept="text/turtle", "prep"') ?? [];
  assert.equal(selectProtocol(first, ['prep']), first[0]);
});

test('REQ-4 q=0 means not acceptable', () => {
  assert.equal(selectProtocol(parseAcceptEvents('"prep";q=0') ?? [], ['prep']), undefined);
  const entries = parseAcceptEvents('"prep";q=0, "braid";q=0.1') ?? [];
  assert.equal(selectProtocol(entries, ['prep', 'braid'])?.protocol, 'braid');
});

test('HDR-4 protocols the server does not know are skipped; none known gives undefined', () => {
  const entries = parseAcceptEvents('"unknown", "other";q=0.9') ?? [];
  assert.equal(selectProtocol(entries, ['prep']), undefined);
  assert.equal(selectProtocol([], ['prep']), undefined);
  // Supported names compare case-insensitively.
  assert.equal(selectProtocol(parseAcceptEvents('"prep"') ?? [], ['PREP'])?.protocol, 'prep');
});

// --- strict serialization -----------------------------------------------------------------

test('HDR-1 serialization is strict: sf-strings, q last and only when not 1', () => {
  assert.equal(serializeAcceptEvents([{ protocol: 'prep' }]), '"prep"');
  assert.equal(
    serializeAcceptEvents([
      { protocol: 'PREP', q: 0.5, fields: new Map([['accept', 'message/rfc822']]) },
      { protocol: 'other', q: 1 },
      { protocol: 'none', q: 0 },
    ]),
    '"prep";accept="message/rfc822";q=0.5, "other", "none";q=0',
  );
  // q travels with at most 3 decimals (RFC 9110 §12.4.2).
  assert.equal(serializeAcceptEvents([{ protocol: 'prep', q: 0.12345 }]), '"prep";q=0.123');
  assert.equal(serializeAcceptEvents([{ protocol: 'prep', q: 0.9999 }]), '"prep"');
  assert.equal(serializeAcceptEvents([]), '');
});

test('HDR-1 serialization refuses an event field named q and a q outside 0-1', () => {
  assert.throws(
    () => serializeAcceptEvents([{ protocol: 'prep', fields: new Map([['q', 1]]) }]),
    (e) => isPrepError(e, 'EVENTS_VALUE'),
  );
  for (const q of [-0.5, 1.5, Number.NaN]) {
    assert.throws(
      () => serializeAcceptEvents([{ protocol: 'prep', q }]),
      (e) => isPrepError(e, 'EVENTS_VALUE'),
    );
  }
});

test('HDR-2 list-valued event fields are serialized through the extension', () => {
  assert.equal(
    serializeAcceptEvents([
      {
        protocol: 'prep',
        q: 0.9,
        fields: new Map<string, ParameterValue>([
          [
            'accept',
            [
              ['message/rfc822', new Map([['delta', 'application/json-patch+json']])],
              ['text/turtle', new Map([['q', 0.5]])],
            ],
          ],
        ]),
      },
    ]),
    '"prep";accept=("message/rfc822";delta="application/json-patch+json" "text/turtle";q=0.5);q=0.9',
  );
});

test('DSC-1 the advertisement lists prep with accept: one type as a string, several as a list', () => {
  assert.equal(serializePrepAdvertisement(['message/rfc822']), '"prep";accept="message/rfc822"');
  assert.equal(
    serializePrepAdvertisement(['message/rfc822', 'application/ld+json', 'text/turtle']),
    '"prep";accept=("message/rfc822" "application/ld+json" "text/turtle")',
  );
  const [prep] = parseAcceptEvents(serializePrepAdvertisement(['message/rfc822'])) ?? [];
  assert.equal(prep?.protocol, 'prep');
  assert.equal(prep.fields.get('accept'), 'message/rfc822');
});

test('DSC-1 HDR-2 N822-8 the advertisement names the delta types: one as a string, several as a nested list', () => {
  const both = ['application/json-patch+json', 'application/merge-patch+json'];
  assert.equal(
    serializePrepAdvertisement([{ type: 'message/rfc822', deltas: both }]),
    '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json"))',
  );
  assert.equal(
    serializePrepAdvertisement([{ type: 'message/rfc822', deltas: ['text/plain'] }, 'text/turtle']),
    '"prep";accept=("message/rfc822";delta="text/plain" "text/turtle")',
  );
  assert.equal(
    serializePrepAdvertisement([{ type: 'message/rfc822', deltas: [] }]),
    '"prep";accept="message/rfc822"',
  );
  assert.throws(
    () => serializePrepAdvertisement([{ type: 'message/rfc822', deltas: ['json patch'] }]),
    (e) => isPrepError(e, 'EVENTS_VALUE'),
  );
});

test('DSC-1 HDR-2 readPrepAdvertisement reads what servers send: delta lists, one delta, none, tokens, other protocols', () => {
  const rfc822 = (...deltas: string[]) => ({ type: 'message/rfc822', deltas });
  const cases: [string | null, unknown][] = [
    [
      '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json"))',
      [rfc822('application/json-patch+json', 'application/merge-patch+json')],
    ],
    ['"prep";accept=("message/rfc822";delta="Text/Plain")', [rfc822('text/plain')]],
    // Ours today, express-prep, and node-solid-server 5.8.8 (recorded).
    ['"prep";accept="message/rfc822"', [rfc822()]],
    ['"prep";accept=(message/rfc822)', [rfc822()]],
    [
      '"prep";accept=("message/rfc822" "application/ld+json" "text/turtle")',
      [rfc822(), { type: 'application/ld+json', deltas: [] }, { type: 'text/turtle', deltas: [] }],
    ],
    ['"other";accept="x/y", "prep";accept=("message/rfc822";delta=(a/b))', [rfc822('a/b')]],
    ['"prep";accept="message/rfc822";q=0', undefined],
    ['"prep"', undefined],
    ['"other";accept="message/rfc822"', undefined],
    ['"prep";accept=(', undefined],
    [null, undefined],
  ];
  for (const [value, want] of cases)
    assert.deepEqual(readPrepAdvertisement(value), want, value ?? 'null');
});

test('DSC-1 HDR-2 an advertisement reads back as written (fast-check)', () => {
  const mediaType = fc.stringMatching(/^[a-z][a-z0-9.+-]{0,8}\/[a-z][a-z0-9.+-]{0,8}$/);
  const formats = fc.array(
    fc.record({ type: mediaType, deltas: fc.array(mediaType, { maxLength: 3 }) }),
    {
      minLength: 1,
      maxLength: 4,
    },
  );
  fc.assert(
    fc.property(formats, (f) => {
      const plain = f.map((r) => ({ type: r.type, deltas: [...r.deltas] }));
      assert.deepEqual(readPrepAdvertisement(serializePrepAdvertisement(plain)), plain);
    }),
  );
});

test('DSC-1 the advertisement never has an empty accept, nor a non-media-type', () => {
  for (const types of [[], [''], ['text'], ['*/*'], ['message/rfc822', 'a b/c']]) {
    assert.throws(
      () => serializePrepAdvertisement(types),
      (e) => isPrepError(e, 'EVENTS_VALUE'),
      JSON.stringify(types),
    );
  }
});

// --- round trips ----------------------------------------------------------------------------

const key = fc.stringMatching(/^[a-z*][a-z0-9_.*-]{0,8}$/).filter((k) => k !== 'q');
const bareItem: fc.Arbitrary<BareItem> = fc.oneof(
  fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }),
  fc.integer({ min: -999_999_999, max: 999_999_999 }).map((n) => n / 1000),
  fc.stringMatching(/^[\x20-\x7e]{0,20}$/),
  fc.stringMatching(/^[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]{0,15}$/).map((t) => new Token(t)),
  fc.boolean(),
  fc.uint8Array({ maxLength: 12 }),
  fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }).map((s) => new Date(s * 1000)),
  fc.string({ maxLength: 10, unit: 'grapheme' }).map((s) => new DisplayString(s)),
);
const { parameterValue } = fc.letrec<{
  parameterValue: ParameterValue;
  item: Item;
  parameters: Map<string, ParameterValue>;
}>((tie) => ({
  parameterValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    bareItem,
    fc.array(tie('item'), { maxLength: 3 }),
  ),
  item: fc.tuple(bareItem, tie('parameters')),
  parameters: fc
    .uniqueArray(fc.tuple(key, tie('parameterValue')), { maxLength: 3, selector: ([k]) => k })
    .map((pairs) => new Map(pairs)),
}));
const entries = fc.array(
  fc
    .record({
      protocol: fc.stringMatching(/^[a-z][a-z0-9 ._-]{0,10}$/),
      q: fc.integer({ min: 0, max: 1000 }).map((n) => n / 1000),
      fields: fc
        .uniqueArray(fc.tuple(key, parameterValue), { maxLength: 4, selector: ([k]) => k })
        .map((pairs) => new Map(pairs)),
    })
    .map((e): AcceptEventsEntry => ({ ...e })), // plain objects, as the parser builds
  { maxLength: 4 },
);

test('HDR-1 HDR-2 round trip: parseAcceptEvents(serializeAcceptEvents(entries)) equals entries', () => {
  fc.assert(
    fc.property(entries, (list) => {
      assert.deepEqual(parseAcceptEvents(serializeAcceptEvents(list)), list);
    }),
    { numRuns: 500 },
  );
});

test('HDR-1 serialization is canonical: serialize(parse(serialize(entries))) is stable', () => {
  fc.assert(
    fc.property(entries, (list) => {
      const once = serializeAcceptEvents(list);
      assert.equal(serializeAcceptEvents(parseAcceptEvents(once) ?? []), once);
    }),
    { numRuns: 200 },
  );
});
