import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseDictionary as stockParseDictionary } from 'structured-headers';
import { isPrepError } from '../../packages/client/src/core/errors.js';
import {
  checkEventsResponse,
  parseEventsField,
  serializeEventsField,
} from '../../packages/client/src/core/events/index.js';
import type { EventsField } from '../../packages/client/src/core/events/index.js';
import { Token } from '../../packages/client/src/core/sfv/index.js';
import type { Member } from '../../packages/client/src/core/sfv/index.js';

const NSS_EXPIRES = 'protocol="prep", status=200, expires="Thu, 07 Nov 2024 15:13:48 GMT"';
const AT = new Date(Date.UTC(2024, 10, 7, 15, 13, 48));

// --- parsing: every Events example of PROTOCOL.md and the digest note -------------------------

test('HDR-3 Events is a Dictionary with protocol and status: protocol="prep", status=412', () => {
  assert.deepEqual(parseEventsField('protocol="prep", status=412'), {
    protocol: 'prep',
    status: 412,
  });
  assert.deepEqual(parseEventsField('protocol="prep", status=200'), {
    protocol: 'prep',
    status: 200,
  });
});

test('HDR-3 RSP-1 expires as integer seconds after Date: protocol="prep", status=200, expires=3600', () => {
  assert.deepEqual(parseEventsField('protocol="prep", status=200, expires=3600'), {
    protocol: 'prep',
    status: 200,
    expires: 3600,
  });
  // With the response Date, the instant too.
  assert.deepEqual(
    parseEventsField('protocol="prep", status=200, expires=3600', 'Thu, 07 Nov 2024 14:13:48 GMT'),
    { protocol: 'prep', status: 200, expires: 3600, expiresAt: AT },
  );
});

test('HDR-3 expires as an HTTP-date string, as express-prep and NSS send it', () => {
  assert.deepEqual(parseEventsField(NSS_EXPIRES), {
    protocol: 'prep',
    status: 200,
    expiresAt: AT,
  });
  assert.deepEqual(parseEventsField(NSS_EXPIRES, new Date(AT.getTime() - 3_600_000)), {
    protocol: 'prep',
    status: 200,
    expiresAt: AT,
    expires: 3600,
  });
  // An expiry already past is 0 seconds away, not negative.
  assert.equal(parseEventsField(NSS_EXPIRES, new Date(AT.getTime() + 5000))?.expires, 0);
});

test('HDR-3 expires also as an sf-date, a digit string, and in obsolete HTTP-date forms', () => {
  const seconds = AT.getTime() / 1000;
  assert.deepEqual(
    parseEventsField(`protocol="prep", status=200, expires=@${seconds}`)?.expiresAt,
    AT,
  );
  assert.equal(parseEventsField('protocol="prep", status=200, expires="60"')?.expires, 60);
  for (const date of [
    'Thursday, 07-Nov-24 15:13:48 GMT', // rfc850-date
    'Thu Nov  7 15:13:48 2024', // asctime-date
    'Thu, 7 November 2024 15:13:48 GMT', // like the draft's own "Sat, 1 April 2023 10:11:12 GMT"
  ]) {
    assert.deepEqual(
      parseEventsField(`protocol="prep", status=200, expires="${date}"`)?.expiresAt,
      AT,
      date,
    );
  }
});

test('HDR-3 an expires that is neither seconds nor a date is left out, the field still read', () => {
  for (const bad of ['"soon"', '"Thu, 31 Feb 2024 15:13:48 GMT"', '-5', '?1', '("x")', 'tok']) {
    assert.deepEqual(
      parseEventsField(`protocol="prep", status=200, expires=${bad}`),
      { protocol: 'prep', status: 200 },
      bad,
    );
  }
});

test('HDR-7 vary lists the honoured event fields: vary="accept", a token, a list, a string of names', () => {
  const vary = (value: string) =>
    parseEventsField(`protocol="prep", status=200, vary=${value}`)?.vary;
  assert.deepEqual(vary('"accept"'), ['accept']);
  assert.deepEqual(vary('accept-encoding'), ['accept-encoding']);
  assert.deepEqual(vary('("accept" last-event-id)'), ['accept', 'last-event-id']);
  assert.deepEqual(vary('"Accept, Last-Event-ID"'), ['accept', 'last-event-id']);
  assert.equal(vary('""'), undefined);
  assert.equal(vary('5'), undefined);
});

test('HDR-3 draft -00 protocol=PREP, status=200, vary=accept-encoding (tokens) reads as prep', () => {
  assert.deepEqual(parseEventsField('protocol=PREP, status=200, vary=accept-encoding'), {
    protocol: 'prep',
    status: 200,
    vary: ['accept-encoding'],
  });
});

test('HDR-3 other members are kept in extra, in order', () => {
  const events = parseEventsField('protocol="prep", status=200, duration=600, x;y=1');
  assert.deepEqual(
    events?.extra,
    new Map<string, Member>([
      ['duration', [600, new Map()]],
      ['x', [true, new Map([['y', 1]])]],
    ]),
  );
});

test('HDR-3 HDR-6 Events without a readable protocol or status, or not a Dictionary, is not understood', () => {
  for (const bad of [
    'status=200',
    'protocol="prep"',
    'protocol="prep", status="200"',
    'protocol="prep", status=42',
    'protocol="prep", status=1000',
    'protocol=("prep"), status=200',
    'protocol=1, status=200',
    '"prep"',
    'protocol="prep", status=200,',
    'protocol="prep" status=200',
  ]) {
    assert.equal(parseEventsField(bad), undefined, bad);
  }
  assert.equal(parseEventsField(null), undefined);
  assert.equal(parseEventsField(undefined), undefined);
});

test('HDR-3 several field lines are one Dictionary', () => {
  assert.deepEqual(parseEventsField(['protocol="prep"', 'status=200, expires=10']), {
    protocol: 'prep',
    status: 200,
    expires: 10,
  });
});

// --- strict serialization -----------------------------------------------------------------

test('RSP-1 HDR-3 Events is sent as protocol="prep", status=200, expires=<integer seconds>', () => {
  const value = serializeEventsField({ protocol: 'prep', status: 200, expires: 3600 });
  assert.equal(value, 'protocol="prep", status=200, expires=3600');
  // What stock RFC 9651 parsers read too: no extension needed for Events.
  const stock = stockParseDictionary(value);
  assert.equal(stock.get('protocol')?.[0], 'prep');
  assert.equal(stock.get('expires')?.[0], 3600);
});

test('HDR-7 vary="accept" for one honoured field, an inner list of strings for several', () => {
  assert.equal(
    serializeEventsField({ protocol: 'prep', status: 200, expires: 60, vary: ['accept'] }),
    'protocol="prep", status=200, expires=60, vary="accept"',
  );
  assert.equal(
    serializeEventsField({ protocol: 'prep', status: 200, vary: ['accept', 'last-event-id'] }),
    'protocol="prep", status=200, vary=("accept" "last-event-id")',
  );
  assert.equal(
    serializeEventsField({ protocol: 'prep', status: 200, vary: [] }),
    'protocol="prep", status=200',
  );
});

test('HDR-3 serialization lowercases the protocol and appends extra members', () => {
  assert.equal(
    serializeEventsField({
      protocol: 'PREP',
      status: 200,
      extra: new Map<string, Member>([
        ['x', [new Token('y'), new Map()]],
        ['l', [[['a', new Map()]], new Map([['p', 1]])]],
      ]),
    }),
    'protocol="prep", status=200, x=y, l=("a");p=1',
  );
});

test('RSP-1 an expiresAt is sent as seconds after the response Date, never as a date', () => {
  assert.equal(
    serializeEventsField(
      { protocol: 'prep', status: 200, expiresAt: AT },
      { date: new Date(AT.getTime() - 7_200_000) },
    ),
    'protocol="prep", status=200, expires=7200',
  );
  // expires wins when both are given.
  assert.equal(
    serializeEventsField({ protocol: 'prep', status: 200, expires: 5, expiresAt: AT }),
    'protocol="prep", status=200, expires=5',
  );
});

test('HDR-3 RSP-1 serialization refuses a bad status, expires or extra member', () => {
  const refuses = (events: EventsField, options?: { date?: Date }) =>
    assert.throws(
      () => serializeEventsField(events, options),
      (e) => isPrepError(e, 'EVENTS_VALUE'),
      JSON.stringify(events),
    );
  refuses({ protocol: 'prep', status: 99 });
  refuses({ protocol: 'prep', status: 600 });
  refuses({ protocol: 'prep', status: 200.5 });
  refuses({ protocol: 'prep', status: 200, expires: -1 });
  refuses({ protocol: 'prep', status: 200, expires: 1.5 });
  refuses({ protocol: 'prep', status: 200, expiresAt: AT });
  refuses({ protocol: 'prep', status: 200, extra: new Map([['status', [1, new Map()]]]) });
});

test('HDR-3 round trip: parseEventsField(serializeEventsField(events)) equals events', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
  const events = fc
    .record(
      {
        protocol: fc.stringMatching(/^[a-z][a-z0-9 ._-]{0,8}$/),
        status: fc.integer({ min: 100, max: 599 }),
        expires: fc.integer({ min: 0, max: 999_999_999 }),
        vary: fc.array(name, { minLength: 1, maxLength: 4 }),
      },
      { requiredKeys: ['protocol', 'status'] },
    )
    .map((e): EventsField => ({ ...e }));
  fc.assert(
    fc.property(events, (e) => {
      assert.deepEqual(parseEventsField(serializeEventsField(e)), e);
    }),
    { numRuns: 300 },
  );
});

// --- client checks ------------------------------------------------------------------------------

test('HDR-5 a response without Events means the server ignored Accept-Events', () => {
  assert.deepEqual(checkEventsResponse({ requestedPrep: true, eventsHeader: null }), {
    ok: false,
    reason: 'absent',
  });
  assert.deepEqual(checkEventsResponse({ requestedPrep: false, eventsHeader: null }), {
    ok: false,
    reason: 'absent',
  });
});

test('HDR-6 Events on a response to a request without Accept-Events makes it invalid', () => {
  assert.deepEqual(
    checkEventsResponse({ requestedPrep: false, eventsHeader: 'protocol="prep", status=200' }),
    { ok: false, reason: 'unsolicited', events: { protocol: 'prep', status: 200 } },
  );
  assert.deepEqual(checkEventsResponse({ requestedPrep: false, eventsHeader: '?!' }), {
    ok: false,
    reason: 'unsolicited',
  });
});

test('HDR-6 an Events the client cannot parse is not processed', () => {
  for (const header of ['', 'protocol=', 'status=200', 'protocol="prep", status="ok"']) {
    assert.deepEqual(
      checkEventsResponse({ requestedPrep: true, eventsHeader: header }),
      { ok: false, reason: 'unparsable' },
      header,
    );
  }
});

test('HDR-6 an Events with a protocol the client does not know is not processed', () => {
  assert.deepEqual(
    checkEventsResponse({ requestedPrep: true, eventsHeader: 'protocol="braid", status=200' }),
    { ok: false, reason: 'unknown-protocol', events: { protocol: 'braid', status: 200 } },
  );
  assert.deepEqual(checkEventsResponse({ requestedPrep: true, eventsHeader: 'protocol=other' }), {
    ok: false,
    reason: 'unknown-protocol',
  });
});

test('ERR-3 a notifications status other than 200 is reported with that status', () => {
  for (const status of [406, 403, 429, 503, 500, 412]) {
    const eventsHeader = serializeEventsField({ protocol: 'prep', status });
    assert.deepEqual(checkEventsResponse({ requestedPrep: true, eventsHeader }), {
      ok: false,
      reason: 'status',
      status,
      events: { protocol: 'prep', status },
    });
  }
});

test('HDR-6 a PREP response with status 200 is processed, NSS HTTP-date expires included', () => {
  assert.deepEqual(
    checkEventsResponse({
      requestedPrep: true,
      eventsHeader: NSS_EXPIRES,
      responseDate: 'Thu, 07 Nov 2024 15:13:18 GMT',
    }),
    { ok: true, events: { protocol: 'prep', status: 200, expiresAt: AT, expires: 30 } },
  );
  assert.deepEqual(
    checkEventsResponse({
      requestedPrep: true,
      eventsHeader: 'protocol="prep", status=200, vary="accept"',
    }),
    { ok: true, events: { protocol: 'prep', status: 200, vary: ['accept'] } },
  );
});
