// subscribe(url, { delta: 'auto' }) and live(url, { delta: 'auto' }) against a stub server
// that advertises delta types (DSC-1, HDR-2), and prep-fetch reading such a stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { live, subscribe, type SubscriptionItem } from '../../packages/client/src/client/index.js';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { startAdvertisingServer } from './advertising-server.js';
import { collect } from './helpers.js';
import { recordingFetch, request, withServer } from './server.js';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const advertise = (...deltas: string[]) =>
  `"prep";accept=("message/rfc822";delta=(${deltas.map((d) => `"${d}"`).join(' ')}) "text/turtle")`;
const fast = { minDelayMs: 1, maxDelayMs: 1 };

/**
 * The items of a subscription over two streams (representation, notification, reconnect,
 * representation, notification), or over one with `reconnect: false`.
 */
async function run(url: string, options: Parameters<typeof subscribe>[1] = {}) {
  const sub = subscribe(url, { delta: 'auto', reconnect: fast, ...options });
  const items = await collect(sub, 5);
  sub.close();
  return { sub, items };
}

function deltasOf(items: SubscriptionItem[]): (string | undefined)[] {
  return items.flatMap((i) => (i.kind === 'notification' ? [i.delta?.type] : []));
}

test('DSC-1 HDR-2 N822-8 delta auto: a HEAD reads the advertisement, the GET asks for the first type the client applies', async (t) => {
  const srv = await startAdvertisingServer(t, [
    advertise('application/xml-patch+xml', MERGE_PATCH, JSON_PATCH),
  ]);
  const { sub, items } = await run(srv.url);
  assert.deepEqual(
    srv.requests.map((r) => [r.method, r.delta]),
    [
      ['HEAD', undefined],
      ['GET', MERGE_PATCH],
      ['GET', MERGE_PATCH],
    ],
  );
  assert.equal(srv.requests[0]!.acceptEvents, undefined, 'MTH-3: no Accept-Events on HEAD');
  assert.equal(sub.delta, MERGE_PATCH);
  assert.deepEqual(deltasOf(items), [MERGE_PATCH, MERGE_PATCH]);
  // The delta applies: {"n":1} becomes {"n":2}.
  const n = items.find((i) => i.kind === 'notification');
  assert.ok(n?.kind === 'notification' && n.delta);
  const next = applyDelta(n.delta.type, new TextEncoder().encode('{"n":1}'), n.delta.body);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(next)), { n: 2 });
});

test('DSC-1 delta auto: on reconnect the previous response’s Accept-Events decides, without another HEAD', async (t) => {
  const srv = await startAdvertisingServer(t, [
    advertise(JSON_PATCH, MERGE_PATCH),
    advertise(MERGE_PATCH), // the first stream's own advertisement
    advertise(MERGE_PATCH),
  ]);
  const { items } = await run(srv.url);
  assert.deepEqual(
    srv.requests.map((r) => [r.method, r.delta]),
    [
      ['HEAD', undefined],
      ['GET', JSON_PATCH],
      ['GET', MERGE_PATCH],
    ],
  );
  assert.deepEqual(deltasOf(items), [JSON_PATCH, MERGE_PATCH]);
});

test('DSC-1 delta auto falls back to none: nothing advertised (node-solid-server 5.8.8), no Accept-Events, a HEAD that fails', async (t) => {
  const nss = '"prep";accept=("message/rfc822" "application/ld+json" "text/turtle")';
  for (const [advertisements, options] of [
    [[nss], {}],
    [[undefined], {}],
    [[advertise(JSON_PATCH)], { headStatus: 405 }],
    [[advertise('application/xml-patch+xml')], {}],
  ] as const) {
    const srv = await startAdvertisingServer(t, advertisements, options);
    const { sub, items } = await run(srv.url, { reconnect: false });
    assert.deepEqual(
      srv.requests.map((r) => [r.method, r.delta]),
      [
        ['HEAD', undefined],
        ['GET', undefined],
      ],
      JSON.stringify([advertisements, options]),
    );
    assert.equal(sub.delta, undefined);
    assert.deepEqual(deltasOf(items), [undefined]);
  }
});

test('DSC-1 delta auto with deltaTypes: subscribe takes a unified diff, live() only JSON deltas', async (t) => {
  const srv = await startAdvertisingServer(t, [advertise('text/plain', JSON_PATCH)]);
  const { sub } = await run(srv.url, { reconnect: false });
  assert.equal(sub.delta, 'text/plain');

  const again = await startAdvertisingServer(t, [advertise('text/plain', JSON_PATCH)]);
  const doc = live(again.url, { delta: 'auto', reconnect: false });
  const causes: string[] = [];
  doc.onChange((c) => causes.push(c.cause));
  assert.equal(await doc.ended, 'expired');
  assert.deepEqual(doc.value, { n: 2 });
  assert.deepEqual(causes, ['representation', 'delta'], 'applied, no re-fetch');
  assert.deepEqual(
    again.requests.map((r) => [r.method, r.delta]),
    [
      ['HEAD', undefined],
      ['GET', JSON_PATCH],
    ],
  );
});

/** The parts of prep-fetch 0.1 we use (it ships no types). */
interface PrepFetchResponse extends Response {
  readonly events: Map<string, [unknown, Map<string, unknown>]>;
  getRepresentation(): Promise<Response>;
  getNotifications(): Promise<
    Response & { notifications(): AsyncGenerator<Response & { message(): Promise<Response> }> }
  >;
}
// A non-literal specifier: TypeScript does not look for types prep-fetch does not have.
const prepFetchModule: string = 'prep-fetch';
const { default: prepFetch } = (await import(prepFetchModule)) as {
  default: (response: Response) => PrepFetchResponse;
};

test('DSC-1 HDR-2 prep-fetch still reads a stream whose head advertises delta types', async (t) => {
  const advertisement = advertise(JSON_PATCH, MERGE_PATCH);
  const srv = await startAdvertisingServer(t, [advertisement]);
  const response = await fetch(srv.url, {
    headers: { 'Accept-Events': `"prep";accept=("message/rfc822";delta="${MERGE_PATCH}")` },
  });
  assert.equal(response.headers.get('accept-events'), advertisement);
  const prep = prepFetch(response);
  assert.equal(prep.events.get('protocol')?.[0], 'prep');
  assert.equal(await (await prep.getRepresentation()).text(), '{"n":1}');
  const it = (await prep.getNotifications()).notifications();
  const first = await it.next();
  assert.ok(!first.done);
  const message = await first.value.message();
  assert.equal(message.headers.get('method'), 'PUT');
  assert.equal(message.headers.get('content-type'), MERGE_PATCH);
  assert.equal(await message.text(), '{"n":2}');
  assert.equal((await it.next()).done, true, 'then the end');
});

test('DSC-1 HDR-2 N822-8 delta auto against prep serve: JSON picks JSON Patch, text the unified diff, binary none; each delta applies', async () => {
  await withServer({}, async ({ url }) => {
    const cases = [
      {
        path: '/j',
        type: 'application/json',
        before: '{"n":1}',
        after: '{"n":2}',
        delta: JSON_PATCH,
      },
      { path: '/t', type: 'text/plain', before: 'a\n', after: 'a\nb\n', delta: 'text/plain' },
      { path: '/b', type: 'image/png', before: '\x01\x02', after: '\x03', delta: undefined },
    ];
    for (const c of cases) {
      assert.equal(
        (await request('PUT', url + c.path, c.before, { 'content-type': c.type })).status,
        201,
      );
      const { fetch, requests } = recordingFetch();
      const sub = subscribe(url + c.path, { delta: 'auto', fetch, reconnect: false });
      const it = sub[Symbol.asyncIterator]();
      const first = await it.next();
      assert.equal(first.value?.kind, 'representation', c.path);
      assert.equal(sub.delta, c.delta, `${c.path}: the delta picked`);
      assert.deepEqual(
        requests.map((r) => r.method),
        ['HEAD', 'GET'],
      );
      assert.equal(
        (await request('PUT', url + c.path, c.after, { 'content-type': c.type })).status,
        204,
      );
      const n = (await it.next()).value as SubscriptionItem;
      assert.ok(n.kind === 'notification', c.path);
      if (c.delta === undefined) assert.equal(n.delta, undefined, `${c.path}: no delta`);
      else {
        assert.ok(n.delta, `${c.path}: a delta`);
        const next = applyDelta(n.delta.type, new TextEncoder().encode(c.before), n.delta.body);
        assert.equal(new TextDecoder().decode(next), c.after);
      }
      sub.close();
    }
  });
});
