// subscribe() against our server on port 0: order, resume after cut connections and after
// expiry, and when not to reconnect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  PrepSubscribeError,
  subscribe,
  type NotificationItem,
  type SubscriptionItem,
} from '../../packages/client/src/client/index.js';
import { eventually } from './helpers.js';
import { putJson, recordingFetch, request, withServer } from './server.js';

const DELTA = 'application/json-patch+json';

/** Runs the subscription in the background, collecting its items. */
function follow(items: AsyncIterable<SubscriptionItem>): {
  items: SubscriptionItem[];
  notifications: () => NotificationItem[];
  done: Promise<unknown>;
} {
  const seen: SubscriptionItem[] = [];
  const done = (async () => {
    for await (const item of items) seen.push(item);
  })().catch((e: unknown) => e);
  return {
    items: seen,
    notifications: () => seen.filter((i): i is NotificationItem => i.kind === 'notification'),
    done,
  };
}

/** A write that changes /doc: a PUT or a JSON Patch, by turns; returns the new ETag. */
async function write(url: string, i: number): Promise<{ method: string; etag: string }> {
  const answer =
    i % 2 === 0
      ? await putJson(url, { i, text: `version ${i}` })
      : await request('PATCH', url, JSON.stringify([{ op: 'replace', path: '/i', value: i }]), {
          'content-type': 'application/json-patch+json',
        });
  assert.ok(
    answer.status === 204 || answer.status === 201,
    `write ${i}: ${answer.status} ${answer.body}`,
  );
  return { method: i % 2 === 0 ? 'PUT' : 'PATCH', etag: String(answer.headers.etag) };
}

test('N822-2 N822-4 N822-5 RSP-6 notifications arrive in order, one per write, as the writes happen', async () => {
  await withServer({}, async ({ url }) => {
    const doc = `${url}/doc`;
    await putJson(doc, { i: -1 });
    const sub = subscribe(doc, { delta: DELTA });
    const run = follow(sub);
    await eventually(() => run.items.length === 1, 5000, 'the representation');
    const writes: { method: string; etag: string }[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(await write(doc, i));
      // Each notification is readable as soon as its write is done (RSP-6: no waiting for the next).
      await eventually(() => run.notifications().length === i + 1, 5000, `notification ${i}`);
    }
    const got = run.notifications();
    assert.deepEqual(
      got.map((n) => [n.method, n.etag]),
      writes.map((w) => [w.method, w.etag]),
    );
    assert.equal(new Set(got.map((n) => n.eventId)).size, got.length, 'Event-IDs are unique');
    // PATCH notifications carry the patch as their delta (N822-8).
    assert.ok(got.filter((n) => n.method === 'PATCH').every((n) => n.delta?.type === DELTA));
    sub.close();
    await run.done;
    assert.deepEqual(run.items.at(-1), { kind: 'end', reason: 'closed' });
  });
});

test('RSP-4 keep-alives (empty digest parts) on an idle stream yield nothing', async () => {
  await withServer({ keepAliveMs: 250 }, async ({ url }) => {
    const doc = `${url}/doc`;
    await putJson(doc, { a: 1 });
    const sub = subscribe(doc);
    const run = follow(sub);
    await new Promise((r) => setTimeout(r, 1300));
    assert.deepEqual(
      run.items.map((i) => i.kind),
      ['representation'],
    );
    await putJson(doc, { a: 2 });
    await eventually(() => run.notifications().length === 1);
    sub.close();
    await run.done;
  });
});

test('REQ-2 EXT-1 reconnect after cut connections resumes with no event lost or repeated', async () => {
  await withServer({}, async (running) => {
    const doc = `${running.url}/doc`;
    await putJson(doc, { i: -1 });
    const sub = subscribe(doc, { delta: DELTA, reconnect: { minDelayMs: 1, maxDelayMs: 20 } });
    const run = follow(sub);
    await eventually(() => run.items.length === 1, 5000, 'the representation');
    const writes: { method: string; etag: string }[] = [];
    for (let i = 0; i < 60; i++) {
      writes.push(await write(doc, i));
      // Cut every connection now and then, once an event has been seen (a resume needs one).
      if (i % 7 === 3) {
        await eventually(() => run.notifications().length > 0);
        running.server.closeAllConnections();
      }
    }
    await eventually(() => run.notifications().length >= writes.length, 10_000, 'every event');
    await new Promise((r) => setTimeout(r, 50)); // a duplicate would show up now
    assert.deepEqual(
      run.notifications().map((n) => n.etag),
      writes.map((w) => w.etag),
    );
    const reconnects = run.items.filter((i) => i.kind === 'reconnect');
    assert.ok(reconnects.length >= 5, `${reconnects.length} reconnects`);
    assert.ok(reconnects.every((r) => r.reason === 'dropped' && r.lastEventId !== undefined));
    // Each resume skipped the body and replayed what was missed (EXT-1): one representation only.
    assert.equal(run.items.filter((i) => i.kind === 'representation').length, 1);
    sub.close();
    await run.done;
  });
});

test('RSP-7 REQ-2 streams that expire (expires=1) are resumed with no event lost or repeated', async () => {
  await withServer({ expires: 1, keepAliveMs: 500 }, async ({ url }) => {
    const doc = `${url}/doc`;
    await putJson(doc, { i: -1 });
    const sub = subscribe(doc, { delta: DELTA, reconnect: { minDelayMs: 1, maxDelayMs: 50 } });
    const run = follow(sub);
    await eventually(() => run.items.length === 1, 5000, 'the representation');
    const writes: { method: string; etag: string }[] = [];
    const until = Date.now() + 3200;
    for (let i = 0; Date.now() < until; i++) {
      writes.push(await write(doc, i));
      await new Promise((r) => setTimeout(r, 40));
    }
    await eventually(() => run.notifications().length >= writes.length, 10_000, 'every event');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      run.notifications().map((n) => n.etag),
      writes.map((w) => w.etag),
    );
    const reconnects = run.items.filter((i) => i.kind === 'reconnect');
    assert.ok(reconnects.length >= 2, `${reconnects.length} reconnects`);
    assert.ok(reconnects.every((r) => r.reason === 'expired' && r.attempt === 1));
    sub.close();
    await run.done;
  });
});

test('RSP-7 after a DELETE of the resource the stream ends and is not reconnected', async () => {
  await withServer({}, async ({ url }) => {
    const doc = `${url}/doc`;
    await putJson(doc, { a: 1 });
    const { fetch, requests } = recordingFetch();
    const run = follow(subscribe(doc, { fetch, reconnect: { minDelayMs: 1 } }));
    await eventually(() => run.items.length === 1);
    await putJson(doc, { a: 2 });
    assert.equal((await request('DELETE', doc)).status, 204);
    assert.equal(await run.done, undefined);
    assert.deepEqual(
      run.items.map((i) => (i.kind === 'notification' ? i.method : i.kind)),
      ['representation', 'PUT', 'DELETE', 'end'],
    );
    assert.deepEqual(run.items.at(-1), { kind: 'end', reason: 'deleted' });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(requests.length, 1);
  });
});

test('ERR-2 a resource that does not exist: HTTP_STATUS 404 (Events status 412), not retried', async () => {
  await withServer({}, async ({ url }) => {
    const { fetch, requests } = recordingFetch();
    const run = follow(subscribe(`${url}/missing`, { fetch, reconnect: { minDelayMs: 1 } }));
    const error = await run.done;
    assert.ok(error instanceof PrepSubscribeError);
    assert.equal(error.code, 'HTTP_STATUS');
    assert.equal(error.status, 404);
    assert.equal(requests.length, 1);
  });
});
