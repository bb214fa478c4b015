/**
 * The page's browser modules that need no DOM, run in Node against a live server:
 * `watchResource` (one stream for the value and the notification list) and the paths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiveChange, LiveEndReason, NotificationItem } from '../../src/client/index.js';
import { formatDelta, formatJson, formatTime, parseJsonInput } from '../../src/web/format.js';
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
