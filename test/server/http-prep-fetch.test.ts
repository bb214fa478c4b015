/**
 * Interop: `prep-fetch` (npm, by the PREP draft's author) reads our notifications streams,
 * over a real node:http listener. prep-fetch checks the status, `Events` (protocol "prep",
 * status 200) and the two-part layout, and parses each digest part as a message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { parseMediaType } from '../../packages/client/src/core/media-type.js';
import { defer } from '../helpers/cleanup.js';
import { put, utf8 } from '../helpers/http-checks.js';
import { startTestServer } from '../helpers/server.js';

/** The parts of prep-fetch 0.1 we use (it ships no types). */
interface PrepNotification extends Response {
  message(): Promise<Response>;
}
interface PrepNotifications extends Response {
  subtype: string;
  notifications(): AsyncGenerator<PrepNotification>;
}
interface PrepResponse extends Response {
  subtype: string;
  /** The parsed `Events` dictionary (structured-headers 1.x: name → [value, parameters]). */
  readonly events: Map<string, [unknown, Map<string, unknown>]>;
  getRepresentation(): Promise<Response>;
  getNotifications(): Promise<PrepNotifications>;
}
type PrepFetch = (response: Response) => PrepResponse;

// A non-literal specifier: TypeScript does not look for types prep-fetch does not have.
const specifier: string = 'prep-fetch';
const { default: prepFetch } = (await import(specifier)) as { default: PrepFetch };

/** The headers of the next notification, read whole (as prep-fetch requires). */
async function nextMessage(
  it: AsyncGenerator<PrepNotification>,
): Promise<{ headers: Headers; body: string } | undefined> {
  const r = await it.next();
  if (r.done) return undefined;
  const message = await r.value.message();
  return { headers: message.headers, body: await message.text() };
}

test('RSP-4 N822-4 RSP-7 prep-fetch reads our stream: representation, then PUT, PATCH and DELETE notifications, then the end', async (t) => {
  const { url } = await startTestServer(t);
  const created = await put(`${url}/notes/n1`, '{"title":"first"}');
  assert.equal(created.status, 201);

  const controller = new AbortController();
  defer(t, () => controller.abort());
  const response = await fetch(`${url}/notes/n1`, {
    headers: { 'Accept-Events': '"prep"' },
    signal: controller.signal,
  });
  const prep = prepFetch(response);
  assert.equal(prep.subtype, 'mixed');
  assert.equal(prep.events.get('protocol')?.[0], 'prep');
  assert.equal(Number(prep.events.get('status')?.[0]), 200);
  assert.ok(Number(prep.events.get('expires')?.[0]) > 0, 'expires: integer seconds');

  // Part 1: the base representation, read whole before the notifications.
  const representation = await prep.getRepresentation();
  assert.equal(representation.headers.get('content-type'), 'application/json');
  assert.equal(representation.headers.get('etag'), created.headers.get('etag'));
  assert.deepEqual(JSON.parse(await representation.text()), { title: 'first' });

  // Part 2: the digest.
  const notifications = await prep.getNotifications();
  assert.equal(notifications.subtype, 'digest');
  const it = notifications.notifications();

  const replaced = await put(`${url}/notes/n1`, '{"title":"second"}');
  assert.equal(replaced.status, 204);
  const n1 = await nextMessage(it);
  assert.ok(n1, 'a notification for the PUT');
  assert.equal(n1.headers.get('method'), 'PUT');
  assert.equal(n1.headers.get('etag'), replaced.headers.get('etag'));
  assert.ok(n1.headers.get('event-id'));
  assert.ok(!Number.isNaN(Date.parse(n1.headers.get('date') ?? '')), 'Date is an HTTP-date');
  assert.equal(n1.body, '', 'N822-7: no body unless a delta was asked for');

  const patched = await fetch(`${url}/notes/n1`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json-patch+json' },
    body: '[{"op":"add","path":"/done","value":true}]',
  });
  assert.equal(patched.status, 204);
  const n2 = await nextMessage(it);
  assert.ok(n2, 'a notification for the PATCH');
  assert.equal(n2.headers.get('method'), 'PATCH');
  assert.equal(n2.headers.get('etag'), patched.headers.get('etag'));
  assert.ok(n2.headers.get('event-id'));
  assert.notEqual(n2.headers.get('event-id'), n1.headers.get('event-id'), 'Event-IDs are unique');

  const deleted = await fetch(`${url}/notes/n1`, { method: 'DELETE' });
  assert.equal(deleted.status, 204);
  const n3 = await nextMessage(it);
  assert.ok(n3, 'a notification for the DELETE');
  assert.equal(n3.headers.get('method'), 'DELETE');
  assert.equal(n3.headers.get('etag'), null, 'no ETag: there is no representation left');
  assert.ok(n3.headers.get('event-id'));
  assert.ok(n3.headers.get('date'));
  const ids = new Set([n1, n2, n3].map((n) => n.headers.get('event-id')));
  assert.equal(ids.size, 3);

  // RSP-7: the stream ends right after the DELETE's notification.
  assert.equal(await nextMessage(it), undefined, 'the digest ends');
});

test('RSP-4 N822-6 prep-fetch reads a container stream: a POST announces the new member', async (t) => {
  const { url } = await startTestServer(t);
  assert.equal((await fetch(`${url}/inbox/`, { method: 'PUT' })).status, 201);
  const controller = new AbortController();
  defer(t, () => controller.abort());
  const prep = prepFetch(
    await fetch(`${url}/inbox/`, {
      headers: { 'Accept-Events': '"prep"' },
      signal: controller.signal,
    }),
  );
  const listing = await prep.getRepresentation();
  assert.deepEqual(JSON.parse(await listing.text()), { path: '/inbox/', members: [] });
  const it = (await prep.getNotifications()).notifications();

  const posted = await fetch(`${url}/inbox/`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Slug: 'hello' },
    body: 'hi',
  });
  assert.equal(posted.status, 201);
  const n = await nextMessage(it);
  assert.ok(n);
  assert.equal(n.headers.get('method'), 'POST');
  assert.equal(n.headers.get('content-location'), posted.headers.get('location'));
  assert.ok(n.headers.get('event-id'));
  controller.abort();
});

test('DSC-1 HDR-2 RSP-3 N822-8 prep-fetch reads our streams whose heads advertise delta types, and their deltas: JSON and text', async (t) => {
  const { url } = await startTestServer(t);
  const cases = [
    {
      path: '/d/json',
      type: 'application/json',
      before: '{"title":"first"}',
      after: '{"title":"second"}',
      delta: 'application/merge-patch+json',
      advert:
        '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json" "text/plain"))',
    },
    {
      path: '/d/text',
      type: 'text/plain; charset=utf-8',
      before: 'one\n',
      after: 'one\ntwo\n',
      delta: 'text/plain',
      advert: '"prep";accept=("message/rfc822";delta="text/plain")',
    },
  ];
  for (const c of cases) {
    assert.equal((await put(`${url}${c.path}`, c.before, c.type)).status, 201);
    const controller = new AbortController();
    defer(t, () => controller.abort());
    const response = await fetch(`${url}${c.path}`, {
      headers: { 'Accept-Events': `"prep";accept=("message/rfc822";delta="${c.delta}")` },
      signal: controller.signal,
    });
    assert.equal(response.headers.get('accept-events'), c.advert, c.path);
    const prep = prepFetch(response);
    assert.equal(Number(prep.events.get('status')?.[0]), 200);
    assert.equal(await (await prep.getRepresentation()).text(), c.before);
    const it = (await prep.getNotifications()).notifications();
    assert.equal((await put(`${url}${c.path}`, c.after, c.type)).status, 204);
    const n = await nextMessage(it);
    assert.ok(n, `a notification on ${c.path}`);
    assert.equal(n.headers.get('method'), 'PUT');
    assert.equal(parseMediaType(n.headers.get('content-type') ?? '').essence, c.delta);
    const next = applyDelta(c.delta, new TextEncoder().encode(c.before), utf8(n.body));
    assert.equal(new TextDecoder().decode(next), c.after);
    controller.abort();
  }
});
