/**
 * The page's browser modules that need no DOM, run in Node against a live server:
 * `watchResource` (one stream for the value and the notification list), `watchCreation`,
 * the paths, media kinds, member pages and formats.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  LiveChange,
  LiveEndReason,
  NotificationItem,
} from '../../packages/client/src/client/index.js';
import { watchCreation } from '../../src/web/creation-watch.js';
import {
  formatDelta,
  formatJson,
  formatSize,
  formatTime,
  parseJsonInput,
} from '../../src/web/format.js';
import { kindOf } from '../../src/web/media-kind.js';
import { memberPage } from '../../src/web/member-page.js';
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

test('member pages: a page at a time, filtered by displayed name, clamped', () => {
  const members = Array.from({ length: 250 }, (_, i) => `/c/m${String(i).padStart(3, '0')}`);
  assert.deepEqual(
    { ...memberPage(members, '', 0), items: undefined },
    { items: undefined, page: 0, pages: 3, matching: 250, from: 1, to: 100 },
  );
  const last = memberPage(members, '', 2);
  assert.deepEqual(
    [last.from, last.to, last.items.length, last.items[0]],
    [201, 250, 50, '/c/m200'],
  );
  assert.equal(memberPage(members, '', 99).page, 2, 'clamped to the last page');
  assert.equal(memberPage(members, '', -1).page, 0);
  const filtered = memberPage(members, ' M24 ', 5);
  assert.deepEqual([filtered.page, filtered.pages, filtered.matching], [0, 1, 10]);
  assert.deepEqual(memberPage(members, 'zzz', 0), {
    items: [],
    page: 0,
    pages: 1,
    matching: 0,
    from: 0,
    to: 0,
  });
  assert.deepEqual(memberPage(['/c/caf%C3%A9', '/c/tea'], 'café', 0).items, ['/c/caf%C3%A9']);
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
