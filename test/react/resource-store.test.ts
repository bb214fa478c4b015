// The store behind useResource(), with a fake live(): one stream per resource however many
// components use it, closed when the last has gone; the states a UI shows; Suspense's wait.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  ResourceStore,
  type ResourceOptions,
  type ResourceStoreOptions,
} from '../../packages/react/src/react/index.js';
import { fakeLives } from './fake-live.js';

const BASE = 'http://localhost:8080/app/page';
const DOC = 'http://localhost:8080/docs/a';

function storeOf(t: TestContext, options: ResourceStoreOptions = {}) {
  // setTimeout is mocked: the delays pass only when a test ticks them.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const lives = fakeLives();
  const store = new ResourceStore({ baseUrl: BASE, live: lives.live, ...options });
  return { store, opened: lives.opened };
}

test('SEC-4 RSP-8 one stream per resource however many users; closed when the last one has gone', (t) => {
  const { store, opened } = storeOf(t);
  const stops = [
    store.subscribe(DOC, {}, () => undefined),
    // The same resource spelled otherwise: relative, defaults given, headers in other cases.
    store.subscribe('/docs/a', { delta: 'application/json-patch+json' }, () => undefined),
    store.subscribe(new URL(DOC), { whenDeleted: 'end', headers: {} }, () => undefined),
  ];
  assert.equal(opened.length, 1, 'one live copy for three users');
  assert.equal(store.size, 1);
  stops[0]!();
  stops[1]!();
  stops[1]!(); // a second call changes nothing
  t.mock.timers.tick(1000);
  assert.equal(opened[0]!.closed, false, 'still used by one');
  stops[2]!();
  assert.equal(opened[0]!.closed, false, 'closed only after releaseDelayMs (0: the next task)');
  t.mock.timers.tick(0);
  assert.equal(opened[0]!.closed, true, 'closed when the last user left');
  assert.equal(store.size, 0);
  // Used again: a new stream.
  const stop = store.subscribe(DOC, {}, () => undefined);
  assert.equal(opened.length, 2);
  assert.equal(opened[1]!.closed, false);
  stop();
  t.mock.timers.tick(0);
  assert.equal(opened[1]!.closed, true);
});

test('SEC-4 requests that differ in what the stream carries get streams of their own', (t) => {
  const fetch = (input: string | URL, init?: RequestInit) => globalThis.fetch(input, init);
  const { store, opened } = storeOf(t, { fetch });
  const variants = [
    {},
    { delta: 'application/merge-patch+json' as const },
    { delta: false as const },
    { whenDeleted: 'watch' as const },
    { headers: { Authorization: 'Bearer a' } },
    { headers: { authorization: 'Bearer b' } },
    { reconnect: false as const },
    { reconnect: { minDelayMs: 10, maxDelayMs: 1000 } },
    { maxHeaderBytes: 1024 },
  ];
  // What is not the live copy's (a hook's suspense, say) does not reach it.
  store.subscribe(DOC, { suspense: true } as ResourceOptions, () => undefined);
  for (const options of variants) store.subscribe(DOC, options, () => undefined);
  store.subscribe('/docs/b', {}, () => undefined);
  // Equal in every way that matters: shares.
  store.subscribe(DOC, { headers: [['AUTHORIZATION', 'Bearer a']] }, () => undefined);
  store.subscribe(DOC, { reconnect: { maxDelayMs: 1000, minDelayMs: 10 } }, () => undefined);
  assert.equal(opened.length, variants.length + 1);
  assert.deepEqual(
    opened.map((o) => o.url),
    [...variants.map(() => DOC), '/docs/b'],
  );
  // Each copy gets its options and the store's fetch.
  assert.deepEqual(opened[0]!.options, { fetch });
  assert.deepEqual(opened[1]!.options, { delta: 'application/merge-patch+json', fetch });
  assert.deepEqual(opened[4]!.options, { headers: { Authorization: 'Bearer a' }, fetch });
});

test('RSP-8 a user who comes within releaseDelayMs (StrictMode, a route change) takes the stream over', (t) => {
  const { store, opened } = storeOf(t, { releaseDelayMs: 500 });
  const first = store.subscribe(DOC, {}, () => undefined);
  first();
  t.mock.timers.tick(499);
  const second = store.subscribe(DOC, {}, () => undefined);
  t.mock.timers.tick(10_000);
  assert.equal(opened.length, 1);
  assert.equal(opened[0]!.closed, false, 'the release was cancelled');
  second();
  t.mock.timers.tick(499);
  assert.equal(opened[0]!.closed, false);
  t.mock.timers.tick(1);
  assert.equal(opened[0]!.closed, true);
});

test('the states a UI shows: loading, live, reconnecting, live again on connect, deleted, and how each copy ends', (t) => {
  const { store, opened } = storeOf(t);
  let notified = 0;
  const stop = store.subscribe(DOC, {}, () => notified++);
  const copy = opened[0]!;
  const snap = () => store.getSnapshot(DOC);
  assert.deepEqual(
    { ...snap() },
    { value: undefined, etag: undefined, status: 'loading', error: undefined },
  );
  copy.connect();
  assert.equal(snap().status, 'loading', 'connected, but no state yet');
  copy.change({ n: 1 }, '"1"');
  const first = snap();
  assert.deepEqual(
    { ...first },
    { value: { n: 1 }, etag: '"1"', status: 'live', error: undefined },
  );
  assert.ok(Object.isFrozen(first));
  assert.equal(snap(), first, 'the same object until something changes');
  copy.connect();
  assert.equal(snap(), first, 'a connect while live changes nothing');
  copy.reconnect();
  assert.deepEqual({ ...snap() }, { ...first, status: 'reconnecting' }, 'the value is kept');
  copy.connect();
  assert.deepEqual({ ...snap() }, { ...first, status: 'live' }, 'back when a response came');
  copy.change({ n: 2 }, '"2"');
  copy.change(undefined, undefined, true);
  assert.equal(snap().status, 'deleted');
  copy.reconnect();
  assert.equal(snap().status, 'deleted', "a failed poll of a watched deletion isn't news");
  copy.change({ n: 3 }, '"3"');
  assert.equal(snap().status, 'live', 'watched and created again');
  assert.equal(notified, 6, 'once per state: live, reconnecting, live, n=2, deleted, n=3');
  stop();

  // How copies end: deleted, expired (reconnecting off), failed.
  const ends = [
    ['deleted', undefined, 'deleted'],
    ['expired', undefined, 'closed'],
    ['error', new TypeError('boom'), 'error'],
  ] as const;
  for (const [i, [reason, error, status]] of ends.entries()) {
    const url = `/docs/end-${i}`;
    store.subscribe(url, {}, () => undefined);
    const c = opened.at(-1)!;
    c.change({ n: i }, `"${i}"`);
    c.end(reason, error);
    assert.deepEqual(
      { ...store.getSnapshot(url) },
      { value: { n: i }, etag: `"${i}"`, status, error },
    );
  }
});

test('getSnapshot opens nothing: a resource nobody subscribed to is loading', (t) => {
  const { store, opened } = storeOf(t);
  assert.equal(store.getSnapshot(DOC).status, 'loading');
  assert.equal(store.getSnapshot('/docs/x', { whenDeleted: 'watch' }).status, 'loading');
  assert.equal(opened.length, 0);
  assert.equal(store.size, 0);
});

test('Suspense: pending() opens the stream and resolves at the first state; unclaimed, it closes after claimTimeoutMs', async (t) => {
  const { store, opened } = storeOf(t, { claimTimeoutMs: 5000 });
  const pending = store.pending(DOC);
  assert.ok(pending instanceof Promise);
  assert.equal(store.pending(DOC), pending, 'the same promise for every render that waits');
  assert.equal(opened.length, 1);
  let resolved = false;
  void pending.then(() => (resolved = true));
  await Promise.resolve();
  assert.equal(resolved, false);
  t.mock.timers.tick(4000);
  opened[0]!.change({ n: 1 }, '"1"');
  await pending;
  assert.equal(store.pending(DOC), undefined, 'nothing to wait for once a state is known');
  // The claim time starts again at the first state: the render that waited has that long.
  t.mock.timers.tick(4999);
  assert.equal(opened[0]!.closed, false);
  t.mock.timers.tick(1);
  assert.equal(opened[0]!.closed, true, 'no component came for it');
  assert.equal(store.size, 0);

  // Claimed in time: it stays open as long as it is used.
  const again = store.pending(DOC);
  opened[1]!.change({ n: 1 }, '"1"');
  await again;
  const stop = store.subscribe(DOC, {}, () => undefined);
  t.mock.timers.tick(60_000);
  assert.equal(opened[1]!.closed, false);
  stop();
  t.mock.timers.tick(0);
  assert.equal(opened[1]!.closed, true);

  // A copy that fails before its first state ends the wait too (the state says error).
  const failing = store.pending('/docs/missing');
  opened[2]!.end('error', new Error('404'));
  await failing;
  assert.equal(store.getSnapshot('/docs/missing').status, 'error');
  assert.equal(store.pending('/docs/missing'), undefined);
});

test('close() ends every stream: users see closed with the last value; once they have gone, a new user opens anew', (t) => {
  const { store, opened } = storeOf(t);
  let notified = 0;
  const stop = store.subscribe(DOC, {}, () => notified++);
  opened[0]!.change({ n: 1 }, '"1"');
  store.close();
  assert.equal(opened[0]!.closed, true);
  assert.deepEqual(
    { ...store.getSnapshot(DOC) },
    {
      value: { n: 1 },
      etag: '"1"',
      status: 'closed',
      error: undefined,
    },
  );
  assert.equal(notified, 2);
  const late = store.subscribe(DOC, {}, () => undefined);
  assert.equal(opened.length, 1, 'still the closed one while it is used');
  stop();
  late();
  assert.equal(store.size, 0);
  store.subscribe(DOC, {}, () => undefined);
  assert.equal(opened.length, 2);
  assert.equal(store.getSnapshot(DOC).status, 'loading');
});

test('bad delays are refused', () => {
  assert.throws(() => new ResourceStore({ releaseDelayMs: -1 }), RangeError);
  assert.throws(() => new ResourceStore({ claimTimeoutMs: Number.NaN }), RangeError);
});
