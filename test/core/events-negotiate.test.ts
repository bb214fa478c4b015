import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  negotiateNotifications,
  parseAcceptEvents,
  parseAcceptValue,
  readNotificationAccept,
  selectProtocol,
  serializeEventsField,
} from '../../packages/client/src/core/events/index.js';
import type { MediaRange, NotificationOffer } from '../../packages/client/src/core/events/index.js';

const range = (
  type: string,
  subtype: string,
  q = 1,
  params: [string, string][] = [],
): MediaRange => ({ type, subtype, params: new Map(params), q });

/** The `accept` ranges of the `prep` entry of an Accept-Events value. */
function acceptOf(header: string): MediaRange[] | undefined {
  const prep = selectProtocol(parseAcceptEvents(header) ?? [], ['prep']);
  assert.ok(prep, `no prep in ${header}`);
  return readNotificationAccept(prep.fields);
}

/** What NSS offers (digest §4.7), with JSON Patch deltas for rfc822. */
const NSS: NotificationOffer[] = [
  { type: 'message/rfc822', deltas: ['application/json-patch+json', 'text/plain'] },
  { type: 'application/ld+json' },
  { type: 'text/turtle' },
];

// --- reading accept -------------------------------------------------------------------------

test('REQ-1 HDR-7 no accept event field reads as undefined (the default format)', () => {
  assert.equal(acceptOf('"prep"'), undefined);
  assert.equal(acceptOf('"prep";duration=60'), undefined);
});

test('REQ-1 accept as an sf-string: "prep"; accept="message/rfc822"', () => {
  assert.deepEqual(acceptOf('"prep"; accept="message/rfc822"'), [range('message', 'rfc822')]);
});

test('HDR-7 accept as a token is a Retrofit media type: NSS accept=application/ld+json, -00 PREP; accept=message/rfc822', () => {
  assert.deepEqual(acceptOf('"prep";accept=application/ld+json'), [
    range('application', 'ld+json'),
  ]);
  assert.deepEqual(acceptOf('PREP; accept=message/rfc822'), [range('message', 'rfc822')]);
  assert.deepEqual(acceptOf('"prep";accept=(message/rfc822)'), [range('message', 'rfc822')]);
});

test('HDR-2 N822-1 accept as a list: each item with its delta and q', () => {
  assert.deepEqual(
    acceptOf(
      '"prep";accept=("message/rfc822";delta="application/json-patch+json" "text/turtle";q=0.5)',
    ),
    [
      range('message', 'rfc822', 1, [['delta', 'application/json-patch+json']]),
      range('text', 'turtle', 0.5),
    ],
  );
  assert.deepEqual(
    acceptOf('"prep";accept=("message/rfc822" "application/ld+json" "text/turtle")'),
    [range('message', 'rfc822'), range('application', 'ld+json'), range('text', 'turtle')],
  );
  assert.deepEqual(acceptOf('"prep"; accept=("message/rfc822";delta="text/plain")'), [
    range('message', 'rfc822', 1, [['delta', 'text/plain']]),
  ]);
});

test('HDR-7 accept as a string holding an Accept-style value, parameters and all', () => {
  assert.deepEqual(
    acceptOf('"prep";accept="text/turtle;q=0.5, Message/RFC822;delta=\\"text/plain\\""'),
    [range('text', 'turtle', 0.5), range('message', 'rfc822', 1, [['delta', 'text/plain']])],
  );
  // An item's sf-parameters win over those inside its string.
  assert.deepEqual(acceptOf('"prep";accept=("text/turtle;q=0.2";q=0.7)'), [
    range('text', 'turtle', 0.7),
  ]);
});

test('REQ-3 accept: what is not a media range is dropped; an accept with none is ignored', () => {
  assert.deepEqual(acceptOf('"prep";accept=("nonsense" "*/turtle" 5 "text/turtle" ?1)'), [
    range('text', 'turtle'),
  ]);
  assert.deepEqual(acceptOf('"prep";accept=("text/plain";q=2 "text/turtle";q="x" "text/html")'), [
    range('text', 'html'),
  ]);
  for (const header of ['"prep";accept=5', '"prep";accept="nonsense"', '"prep";accept=()']) {
    assert.equal(acceptOf(header), undefined, header);
  }
});

test('parseAcceptValue reads HTTP Accept values, quoted commas and semicolons included', () => {
  assert.deepEqual(parseAcceptValue('text/*;q=0.5, */*;q=0.1, message/rfc822;delta="a,b;c"'), [
    range('text', '*', 0.5),
    range('*', '*', 0.1),
    range('message', 'rfc822', 1, [['delta', 'a,b;c']]),
  ]);
  assert.deepEqual(parseAcceptValue(['text/html', 'text/plain;level=1 ; q=0']), [
    range('text', 'html'),
    range('text', 'plain', 0, [['level', '1']]),
  ]);
  assert.deepEqual(parseAcceptValue(', ,text/html;q=1.5, text/x;q=.5'), [range('text', 'x', 0.5)]);
});

// --- negotiation --------------------------------------------------------------------------

test('HDR-7 without accept the default message/rfc822 is used, and vary will not list accept', () => {
  assert.deepEqual(negotiateNotifications(undefined, NSS), {
    type: 'message/rfc822',
    varyAccept: false,
  });
  // A default not listed first is still the default.
  assert.deepEqual(negotiateNotifications(undefined, [{ type: 'text/turtle' }, ...NSS]), {
    type: 'message/rfc822',
    varyAccept: false,
  });
  // A server that cannot send the default sends its own first choice (RSP-4: with Content-Type).
  assert.deepEqual(negotiateNotifications(undefined, [{ type: 'text/turtle' }]), {
    type: 'text/turtle',
    varyAccept: false,
  });
  assert.equal(negotiateNotifications(undefined, []), undefined);
});

test('REQ-4 HDR-7 a requested type is matched, and vary lists accept', () => {
  assert.deepEqual(negotiateNotifications(acceptOf('"prep";accept=application/ld+json'), NSS), {
    type: 'application/ld+json',
    varyAccept: true,
  });
  assert.deepEqual(negotiateNotifications([range('message', 'rfc822')], NSS), {
    type: 'message/rfc822',
    varyAccept: true,
  });
});

test('N822-1 delta selects a delta type the offer supports; otherwise the type without delta', () => {
  assert.deepEqual(
    negotiateNotifications(
      acceptOf('"prep";accept=("message/rfc822";delta="application/json-patch+json")'),
      NSS,
    ),
    { type: 'message/rfc822', delta: 'application/json-patch+json', varyAccept: true },
  );
  assert.deepEqual(
    negotiateNotifications(
      acceptOf('"prep";accept=("message/rfc822";delta="application/merge-patch+json")'),
      NSS,
    ),
    { type: 'message/rfc822', varyAccept: true },
  );
  // Media types compare case-insensitively; the server's spelling is returned.
  assert.deepEqual(
    negotiateNotifications([range('message', 'rfc822', 1, [['delta', 'Text/Plain']])], NSS),
    { type: 'message/rfc822', delta: 'text/plain', varyAccept: true },
  );
  assert.deepEqual(
    negotiateNotifications([range('text', 'turtle', 1, [['delta', 'text/plain']])], NSS),
    { type: 'text/turtle', varyAccept: true },
  );
});

test('N822-8 REQ-4 a delta the offer lacks leaves the choice to the next range for that type (by q, then order), never to another type', () => {
  const text: NotificationOffer[] = [
    { type: 'message/rfc822', deltas: ['text/plain'] },
    { type: 'text/turtle' },
  ];
  // JSON Patch first, the unified diff second (even at a lower q): the diff.
  assert.deepEqual(
    negotiateNotifications(
      acceptOf(
        '"prep";accept=("message/rfc822";delta="application/json-patch+json" "message/rfc822";delta="text/plain";q=0.5)',
      ),
      text,
    ),
    { type: 'message/rfc822', delta: 'text/plain', varyAccept: true },
  );
  // Both offered: q decides, then the client's order.
  const json: NotificationOffer[] = [
    { type: 'message/rfc822', deltas: ['application/json-patch+json', 'text/plain'] },
  ];
  assert.equal(
    negotiateNotifications(
      acceptOf(
        '"prep";accept=("message/rfc822";delta="text/plain";q=0.4 "message/rfc822";delta="application/json-patch+json";q=0.9)',
      ),
      json,
    )?.delta,
    'application/json-patch+json',
  );
  assert.equal(
    negotiateNotifications(
      acceptOf(
        '"prep";accept=("message/rfc822";delta="text/plain" "message/rfc822";delta="application/json-patch+json")',
      ),
      json,
    )?.delta,
    'text/plain',
  );
  // A q=0 range never picks its delta.
  assert.deepEqual(
    negotiateNotifications(
      acceptOf('"prep";accept=("message/rfc822" "message/rfc822";delta="text/plain";q=0)'),
      text,
    ),
    { type: 'message/rfc822', varyAccept: true },
  );
  // The format is chosen first, as Accept matches: an rfc822 preferred over text/turtle stays
  // rfc822, without a delta, rather than turtle.
  assert.deepEqual(
    negotiateNotifications(
      acceptOf(
        '"prep";accept=("message/rfc822";delta="application/json-patch+json" "text/turtle";q=0.5)',
      ),
      text,
    ),
    { type: 'message/rfc822', varyAccept: true },
  );
});

test('REQ-3 unknown parameters in accept and unknown event fields are ignored', () => {
  assert.deepEqual(
    negotiateNotifications(
      acceptOf(
        '"prep";foo=?1;accept=("message/rfc822";profile="x";delta="text/plain";charset=utf-8);bar=("y")',
      ),
      NSS,
    ),
    { type: 'message/rfc822', delta: 'text/plain', varyAccept: true },
  );
});

test('REQ-4 the highest q wins; at equal q the client order, then the server order', () => {
  assert.equal(
    negotiateNotifications(
      acceptOf('"prep";accept=("text/turtle";q=0.5 "application/ld+json")'),
      NSS,
    )?.type,
    'application/ld+json',
  );
  assert.equal(
    negotiateNotifications(acceptOf('"prep";accept=("text/turtle" "application/ld+json")'), NSS)
      ?.type,
    'text/turtle',
  );
  // One wildcard range matches several offers: the server's order decides.
  assert.equal(negotiateNotifications([range('*', '*')], NSS)?.type, 'message/rfc822');
  assert.equal(
    negotiateNotifications([range('*', '*')], [{ type: 'text/turtle' }, ...NSS])?.type,
    'text/turtle',
  );
});

test('REQ-4 wildcards: type/* and */* match, and the most specific range sets the q', () => {
  assert.equal(
    negotiateNotifications(parseAcceptValue('text/*;q=0.8, */*;q=0.1'), NSS)?.type,
    'text/turtle',
  );
  // text/turtle;q=0 is more specific than */*: turtle is excluded, */* picks the next offer.
  assert.equal(
    negotiateNotifications(parseAcceptValue('*/*, text/turtle;q=0'), [
      { type: 'text/turtle' },
      { type: 'message/rfc822' },
    ])?.type,
    'message/rfc822',
  );
  // text/turtle (q=1) overrides text/*;q=0.
  assert.equal(
    negotiateNotifications(parseAcceptValue('text/*;q=0, text/turtle'), NSS)?.type,
    'text/turtle',
  );
  // type/* overrides */*: ld+json gets 0.9 from application/*, rfc822 0.5 from */*.
  assert.equal(
    negotiateNotifications(parseAcceptValue('*/*;q=0.5, application/*;q=0.9'), NSS)?.type,
    'application/ld+json',
  );
});

test('REQ-4 ERR-3 q=0 excludes; nothing acceptable gives undefined, sent as Events status=406', () => {
  assert.equal(
    negotiateNotifications(acceptOf('"prep";accept="application/json"'), NSS),
    undefined,
  );
  assert.equal(
    negotiateNotifications(acceptOf('"prep";accept=("message/rfc822";q=0)'), [
      { type: 'message/rfc822' },
    ]),
    undefined,
  );
  assert.equal(negotiateNotifications([], NSS), undefined);
  assert.equal(negotiateNotifications([range('*', '*')], []), undefined);
  // ERR-3: the base response goes out with the reason in Events.
  const choice = negotiateNotifications(acceptOf('"prep";accept="application/json"'), NSS);
  assert.equal(
    serializeEventsField({ protocol: 'prep', status: choice ? 200 : 406 }),
    'protocol="prep", status=406',
  );
});
