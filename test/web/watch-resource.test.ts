/**
 * The page's browser modules that need no DOM, run in Node against a live server:
 * `watchResource` (one stream for the value and the notification list), `watchCreation`,
 * the paths, media kinds, member pages and formats.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fetchMemberPage,
  parseMemberPage,
  type LiveChange,
  type LiveEndReason,
  type NotificationItem,
} from '../../packages/client/src/client/index.js';
import { watchCreation } from '../../src/web/creation-watch.js';
import {
  formatDelta,
  formatJson,
  formatSize,
  formatTime,
  formatWhen,
  parseJsonInput,
} from '../../src/web/format.js';
import { kindOf } from '../../src/web/media-kind.js';
import { MemberPager } from '../../src/web/member-pager.js';
import {
  displayPath,
  hashOf,
  isContainer,
  nameOf,
  parentOf,
  pathFromHash,
  trailOf,
} from '../../src/web/paths.js';
import { watchResource, type ConnectionState } from '../../src/web/watch-resource.js';
import { eventually, startPageServer } from './helpers.js';

/** Everything a watch reports, in order. */
function recorder() {
  const changes: LiveChange<unknown>[] = [];
  const notifications: NotificationItem[] = [];
  const states: ConnectionState[] = [];
  const ends: LiveEndReason[] = [];
  return {
    changes,
    notifications,
    states,
    ends,
    handlers: {
      change: (c: LiveChange<unknown>) => changes.push(c),
      notification: (n: NotificationItem) => notifications.push(n),
      state: (s: ConnectionState) => states.push(s),
      end: (reason: LiveEndReason) => ends.push(reason),
    },
  };
}

test('SEC-4 watchResource keeps the value and lists the notifications over one stream, until the DELETE', async (t) => {
  const srv = await startPageServer(t);
  await srv.send('PUT', '/doc', { a: 1 });
  const seen = recorder();
  const watch = watchResource(`${srv.url}/doc`, seen.handlers);
  t.after(() => watch.close());
  await eventually(() => seen.states.includes('live'), 'live');
  assert.equal(watch.state, 'live');
  assert.deepEqual(seen.changes[0]?.value, { a: 1 });
  assert.equal(srv.app.engine.hub.stats.subscriptions, 1, 'one stream');

  await srv.send(
    'PATCH',
    '/doc',
    '[{"op":"add","path":"/b","value":2}]',
    'application/json-patch+json',
  );
  await eventually(() => seen.notifications.length === 1, 'the PATCH notification');
  await eventually(() => seen.changes.length === 2, 'the patched value');
  assert.deepEqual(seen.changes[1]?.value, { a: 1, b: 2 });
  assert.equal(seen.changes[1]?.cause, 'delta', 'the delta was applied, not re-fetched');
  const patch = seen.notifications[0]!;
  assert.equal(patch.method, 'PATCH');
  assert.equal(patch.delta?.type, 'application/json-patch+json');
  assert.equal(formatDelta(patch.delta.body), '[{"op":"add","path":"/b","value":2}]');
  assert.equal(srv.app.engine.hub.stats.subscriptions, 1, 'still one stream');

  await srv.send('DELETE', '/doc');
  await eventually(() => seen.ends.length === 1, 'the end');
  assert.deepEqual(seen.ends, ['deleted']);
  assert.deepEqual(
    seen.notifications.map((n) => n.method),
    ['PATCH', 'DELETE'],
  );
  assert.equal(seen.changes.at(-1)?.deleted, true);
  assert.deepEqual(seen.states, ['live', 'closed']);
});

test('RSP-8 watchResource on a container sees new members; close() frees the stream on the server', async (t) => {
  const srv = await startPageServer(t);
  await srv.send('PUT', '/box/');
  const seen = recorder();
  const watch = watchResource(`${srv.url}/box/`, seen.handlers);
  await eventually(() => seen.states.includes('live'), 'live');
  assert.deepEqual(seen.changes[0]?.value, { path: '/box/', members: [] });
  await srv.send('PUT', '/box/one', { n: 1 });
  await eventually(
    () => (seen.changes.at(-1)?.value as { members?: string[] }).members?.length === 1,
    'the new member',
  );
  assert.equal(seen.notifications[0]?.contentLocation, '/box/one', 'N822-6');
  watch.close();
  await eventually(() => seen.ends.length === 1, 'the end');
  assert.deepEqual(seen.ends, ['closed']);
  assert.equal(watch.state, 'closed');
  await eventually(
    () => srv.app.engine.hub.stats.subscriptions === 0,
    'the server to notice the closed stream',
  );
});

test('watchResource on a missing resource ends with the 404', async (t) => {
  const srv = await startPageServer(t);
  let error: unknown;
  const ended = new Promise<LiveEndReason>((resolve) => {
    watchResource(`${srv.url}/missing`, {
      change: () => undefined,
      notification: () => undefined,
      state: () => undefined,
      end: (reason, e) => {
        error = e;
        resolve(reason);
      },
    });
  });
  assert.equal(await ended, 'error');
  assert.equal((error as { status?: number }).status, 404);
});

test('the page paths: hash routing, parents, names, breadcrumbs', () => {
  assert.equal(pathFromHash(''), '/');
  assert.equal(pathFromHash('#'), '/');
  assert.equal(pathFromHash('#/notes/a'), '/notes/a');
  assert.equal(pathFromHash('#/notes/a?x=1'), '/notes/a');
  assert.equal(pathFromHash('#notes'), '/');
  assert.equal(hashOf('/notes/'), '#/notes/');
  assert.equal(isContainer('/notes/'), true);
  assert.equal(isContainer('/notes/a'), false);
  assert.equal(parentOf('/'), undefined);
  assert.equal(parentOf('/notes/'), '/');
  assert.equal(parentOf('/notes/a'), '/notes/');
  assert.equal(parentOf('/notes/sub/'), '/notes/');
  assert.equal(nameOf('/'), '/');
  assert.equal(nameOf('/notes/sub/'), 'sub/');
  assert.equal(nameOf('/notes/a'), 'a');
  assert.deepEqual(trailOf('/notes/sub/a'), ['/', '/notes/', '/notes/sub/', '/notes/sub/a']);
  assert.equal(displayPath('/caf%C3%A9'), '/café');
  assert.equal(displayPath('/bad%E0'), '/bad%E0');
});

test('the page formats: JSON, times, deltas, input', () => {
  assert.equal(formatJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
  assert.equal(formatTime(new Date(2025, 0, 2, 3, 4, 5)), '03:04:05');
  const now = new Date(2025, 0, 2, 23, 0);
  assert.equal(formatWhen(new Date(2025, 0, 2, 3, 4, 5), now), '03:04:05', 'today: the time');
  assert.equal(formatWhen(new Date(2025, 0, 1, 3, 4, 5), now), '2025-01-01 03:04', 'else the day');
  assert.equal(formatWhen(new Date(2024, 0, 2, 3, 4, 5), now), '2024-01-02 03:04');
  assert.equal(formatDelta(new TextEncoder().encode('{ "a" : 1 }')), '{"a":1}');
  assert.equal(formatDelta(new TextEncoder().encode('@@ -1 +1 @@')), '@@ -1 +1 @@');
  assert.deepEqual(parseJsonInput('[1]'), { ok: true, value: [1] });
  const bad = parseJsonInput('{a:1}');
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.message, /^Not valid JSON: /);
});

test('N822-8 watchResource on a text resource applies unified diffs and lists them', async (t) => {
  const srv = await startPageServer(t);
  await srv.send('PUT', '/notes.txt', 'one\ntwo\n', 'text/plain; charset=utf-8');
  const seen = recorder();
  const watch = watchResource(`${srv.url}/notes.txt`, seen.handlers, { as: 'text' });
  t.after(() => watch.close());
  await eventually(() => seen.changes.length === 1, 'the text');
  assert.equal(seen.changes[0]?.value, 'one\ntwo\n');
  await srv.send('PUT', '/notes.txt', 'one\n2\n', 'text/plain; charset=utf-8');
  await eventually(() => seen.changes.length === 2, 'the new text');
  assert.equal(seen.changes[1]?.value, 'one\n2\n');
  assert.equal(seen.changes[1]?.cause, 'delta');
  assert.equal(seen.notifications[0]?.delta?.type, 'text/plain; charset=utf-8');
});

test('watchCreation waits on the nearest container that exists and reports the creation once', async (t) => {
  const srv = await startPageServer(t);
  const states: ConnectionState[] = [];
  let created = 0;
  const watch = watchCreation(`${srv.url}/a/b/doc`, {
    created: () => created++,
    state: (s) => states.push(s),
  });
  t.after(() => watch.close());
  await eventually(() => states.includes('live'), 'watching');
  assert.equal(watch.watching, '/', 'neither /a/ nor /a/b/ exists');
  await srv.send('PUT', '/a/other', { x: 1 });
  await eventually(() => watch.watching === '/a/', 'closer: /a/ was created');
  await srv.send('PUT', '/a/b/unrelated', { x: 1 });
  await eventually(() => watch.watching === '/a/b/', 'closer still');
  assert.equal(created, 0);
  await srv.send('PUT', '/a/b/doc', { here: true });
  await eventually(() => created === 1, 'the creation');
  await eventually(() => srv.app.engine.hub.stats.subscriptions === 0, 'its stream closed');

  // Created between the 404 and the stream: the first representation's HEAD sees it.
  await srv.send('PUT', '/early', { x: 1 });
  let early = 0;
  const again = watchCreation(`${srv.url}/early`, {
    created: () => early++,
    state: () => undefined,
  });
  t.after(() => again.close());
  await eventually(() => early === 1, 'found at once');
});

test('watchCreation: a container on the way down created while the watch moves is not missed', async (t) => {
  const srv = await startPageServer(t);
  await srv.send('PUT', '/m/other', { x: 1 });
  let created = 0;
  const states: ConnectionState[] = [];
  // The watch starts at /m/n/ (404) and moves to /m/; /m/n/ is created just before that
  // stream is opened, so no notification of it ever reaches the watch.
  const fetchWithGap = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const opens = new Headers(init?.headers).has('accept-events');
    if (opens && url.pathname === '/m/') await srv.send('PUT', '/m/n/between', { x: 1 });
    return fetch(input, init);
  };
  const watch = watchCreation(
    `${srv.url}/m/n/doc`,
    { created: () => created++, state: (s) => states.push(s) },
    { fetch: fetchWithGap },
  );
  t.after(() => watch.close());
  await eventually(() => watch.watching === '/m/n/' && states.at(-1) === 'live', 'moved back down');
  await srv.send('PUT', '/m/n/doc', { here: true });
  await eventually(() => created === 1, 'the creation');
});

test('the page sorts media types into JSON, text and binary', () => {
  const cases: [string | null, string][] = [
    ['application/json', 'json'],
    ['application/ld+json; charset=utf-8', 'json'],
    ['text/plain', 'text'],
    ['text/markdown; charset=UTF-8', 'text'],
    ['image/svg+xml', 'text'],
    ['application/javascript', 'text'],
    ['text/plain; charset=iso-8859-1', 'binary'],
    ['image/png', 'binary'],
    ['application/octet-stream', 'binary'],
    ['not a type', 'binary'],
    [null, 'binary'],
  ];
  for (const [type, kind] of cases) assert.equal(kindOf(type), kind, String(type));
});

test('MemberPager walks the server’s listing pages: next, previous, positions, a filter that starts again', async (t) => {
  const srv = await startPageServer(t);
  assert.equal(await srv.send('PUT', '/c/'), 201);
  for (let i = 0; i < 25; i += 5)
    await Promise.all(
      [0, 1, 2, 3, 4].map((k) => srv.send('PUT', `/c/m${String(i + k).padStart(2, '0')}`, { k })),
    );
  await srv.send('PUT', '/c/caf%C3%A9', { k: 'é' });
  const pager = new MemberPager(`${srv.url}/c/`, 10);
  assert.equal(pager.url, `${srv.url}/c/?limit=10`);
  assert.equal(pager.hasPrevious, false);
  /** Reads the pager's page as the page does, and records it. */
  const show = async (): Promise<string[]> => {
    const page = await fetchMemberPage(pager.url);
    assert.notEqual(page, 'not-modified');
    if (page === 'not-modified') return [];
    pager.shown(page.members.length, page.next);
    return page.members.map((m) => m.path);
  };
  const seen: string[] = [];
  const positions: string[] = [];
  for (;;) {
    const paths = await show();
    seen.push(...paths);
    const { from, to } = pager.position(paths.length);
    positions.push(`${from}-${to}${pager.hasNext ? '' : ' last'}`);
    if (pager.next() === undefined) break;
  }
  assert.deepEqual(positions, ['1-10', '11-20', '21-26 last']);
  assert.equal(seen.length, 26);
  assert.equal(new Set(seen).size, 26, 'each member once');
  assert.deepEqual(seen, [...seen].sort(), 'in path order');
  assert.equal(pager.next(), undefined, 'no page after the last');
  // Back a page: the URL is the one read before, the position counts the pages before it.
  assert.equal(pager.previous(), `${srv.url}/c/?limit=10&after=${encodeURIComponent(seen[9]!)}`);
  assert.deepEqual(await show(), seen.slice(10, 20));
  assert.deepEqual(pager.position(10), { from: 11, to: 20 });
  pager.previous();
  assert.equal(pager.previous(), undefined, 'nothing before the first');
  // A filter starts from the first page again, matching the decoded name on the server.
  assert.equal(pager.setFilter(' CAFÉ '), `${srv.url}/c/?limit=10&contains=CAF%C3%89`);
  assert.equal(pager.filter, 'CAFÉ');
  assert.deepEqual(await show(), ['/c/caf%C3%A9']);
  assert.equal(pager.hasNext, false);
  pager.setFilter('m1');
  assert.deepEqual(
    await show(),
    seen.filter((p) => p.startsWith('/c/m1')),
  );
});

test('a listing page watched as the page watches it: parseMemberPage reads each change; a new member reads the page again', async (t) => {
  const srv = await startPageServer(t);
  for (const n of ['a', 'b', 'c']) assert.equal(await srv.send('PUT', `/c/${n}`, { n }), 201);
  const pageUrl = `${srv.url}/c/?limit=2`;
  const r = recorder();
  const watch = watchResource(pageUrl, r.handlers);
  t.after(() => watch.close());
  await eventually(() => r.changes.length === 1, 'part 1: the page');
  const first = parseMemberPage(r.changes[0]!.value, pageUrl);
  assert.deepEqual(
    first.members.map((m) => [m.path, m.contentType]),
    [
      ['/c/a', 'application/json'],
      ['/c/b', 'application/json'],
    ],
  );
  assert.equal(first.next, `${srv.url}/c/?limit=2&after=%2Fc%2Fb`);
  assert.match(r.changes[0]!.etag ?? '', /^"page\./);
  // A member that sorts onto this page: the page is read again and names it.
  assert.equal(await srv.send('PUT', '/c/aa', { n: 'aa' }), 201);
  await eventually(() => r.changes.length >= 2, 'the page again');
  const again = parseMemberPage(r.changes.at(-1)!.value, pageUrl);
  assert.deepEqual(
    again.members.map((m) => m.path),
    ['/c/a', '/c/aa'],
  );
  assert.ok(
    r.notifications.some((n) => n.method === 'PUT'),
    'the notification is listed',
  );
  assert.throws(
    () => parseMemberPage({ path: '/c/', members: ['/c/a'] }, pageUrl),
    /not a paged container listing/,
  );
});

test('sizes for people', () => {
  assert.deepEqual([0, 1, 1023, 1024, 1536, 10 * 1024, 5 * 1024 * 1024].map(formatSize), [
    '0 bytes',
    '1 byte',
    '1023 bytes',
    '1.0 KiB',
    '1.5 KiB',
    '10 KiB',
    '5.0 MiB',
  ]);
});
