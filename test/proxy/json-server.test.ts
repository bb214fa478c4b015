/**
 * `prep proxy` in front of json-server (npm, 0.17: an upstream nobody here wrote), the
 * walk-through of issue 19: subscribe through the proxy, write through it, around it, and
 * resume across a restart of the proxy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { Subscriber } from '../helpers/subscriber.js';
import { MERGE_PATCH_EVENTS, send, startJsonServer, startTestProxy, waitUntil } from './helpers.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

test('REQ-1 RSP-4 N822-4 N822-5 N822-8 json-server: a PATCH through the proxy is notified to /posts/1 with the ETag a GET now answers, and a merge-patch delta that rebuilds the new state', async (t) => {
  const api = await startJsonServer(t);
  const proxy = await startTestProxy(t, { upstream: api.url, watch: ['/posts/**'] });
  const sub = await Subscriber.open(`${proxy.url}/posts/1`, {
    headers: { 'Accept-Events': MERGE_PATCH_EVENTS },
  });
  t.after(() => sub.close());
  // Part 1 is json-server's own answer to the GET.
  const direct = await fetch(`${api.url}/posts/1`);
  const directBody = await direct.text();
  assert.equal(text(sub.part1.body), directBody);
  assert.equal(sub.part1.headers.get('etag'), direct.headers.get('etag'));
  assert.match(sub.part1.headers.get('content-type') ?? '', /^application\/json/);

  const patched = await send(`${proxy.url}/posts/1`, 'PATCH', { title: 'live!' });
  assert.equal(patched.status, 200);
  const n = await sub.notification();
  assert.equal(n.method, 'PATCH');
  assert.ok(n.eventId);
  const now = await fetch(`${api.url}/posts/1`);
  const nowBody = await now.text();
  assert.equal(n.etag, now.headers.get('etag'), 'N822-5: the ETag a GET answers now');
  assert.ok(n.delta, 'a delta was asked for');
  assert.equal(n.delta.contentType, 'application/merge-patch+json');
  const rebuilt = applyDelta(n.delta.contentType, sub.part1.body, n.delta.body);
  assert.deepEqual(JSON.parse(text(rebuilt)), JSON.parse(nowBody));
  assert.deepEqual(JSON.parse(nowBody), { id: 1, title: 'live!', author: 'typicode' });

  // A second change deltas from the state the first one left (not the stale base).
  await send(`${proxy.url}/posts/1`, 'PUT', { title: 'replaced', author: 'someone' });
  const m = await sub.notification();
  assert.equal(m.method, 'PUT');
  const after = (await (await fetch(`${api.url}/posts/1`)).json()) as unknown;
  assert.ok(m.delta);
  assert.deepEqual(JSON.parse(text(applyDelta(m.delta.contentType, rebuilt, m.delta.body))), after);
  assert.ok(BigInt(m.eventId.split('.')[0]!) > BigInt(n.eventId.split('.')[0]!));
});

test("N822-6 json-server: POST /posts through the proxy notifies /posts with Content-Location of the new member, and the event is the member's", async (t) => {
  const api = await startJsonServer(t);
  const proxy = await startTestProxy(t, { upstream: api.url, watch: ['/posts/**'] });
  const list = await Subscriber.open(`${proxy.url}/posts`);
  t.after(() => list.close());
  const created = await send(`${proxy.url}/posts`, 'POST', { title: 'new post', author: 'me' });
  assert.equal(created.status, 201);
  const id = (JSON.parse(created.text) as { id: number }).id;
  // json-server names the member with the Host it was asked by: the upstream's own.
  assert.equal(created.headers.get('location'), `${api.url}/posts/${id}`);
  const n = await list.notification();
  assert.equal(n.method, 'POST');
  assert.equal(n.contentLocation, `/posts/${id}`);
  // N822-5 on the collection: its subscribers' representation changed too.
  assert.equal(n.etag, (await fetch(`${api.url}/posts`)).headers.get('etag'));

  // The event is about the member: it is the member's latest, so a subscriber of it that
  // names it in Last-Event-ID gets part 1 without a body (RSP-5).
  const member = await Subscriber.open(`${proxy.url}/posts/${id}`, {
    headers: { 'Accept-Events': '"prep"', 'Last-Event-ID': n.eventId },
  });
  t.after(() => member.close());
  assert.equal(member.part1.body.length, 0);
  assert.equal(member.part1.headers.get('etag'), created.headers.get('etag'));
  // ... and the WES feed of /posts lists it as an entry about the member.
  const feed = await fetch(`${proxy.url}/.well-known/wes/feed/posts`);
  assert.equal(feed.status, 200);
  const entries = await feed.text();
  assert.match(entries, new RegExp(`Link: </posts/${id}>; rel="about"`));
  assert.match(entries, /Event-Type: http-equiv=POST/);
});

test("RSP-7 json-server: a DELETE through the proxy ends the member's streams with both close delimiters; the collection hears of it", async (t) => {
  const api = await startJsonServer(t);
  const proxy = await startTestProxy(t, { upstream: api.url });
  const a = await Subscriber.open(`${proxy.url}/posts/2`);
  const b = await Subscriber.open(`${proxy.url}/posts/2`, {
    headers: { 'Accept-Events': MERGE_PATCH_EVENTS },
  });
  const list = await Subscriber.open(`${proxy.url}/posts`);
  t.after(() => {
    for (const s of [a, b, list]) s.close();
  });
  assert.equal((await send(`${proxy.url}/posts/2`, 'DELETE')).status, 200);
  for (const s of [a, b]) {
    const rest = await s.rest();
    assert.deepEqual(
      rest.map((n) => [n.method, n.etag]),
      [['DELETE', undefined]],
    );
    assert.equal(s.ended, true, 'closed with --digest-- and --mixed--');
  }
  const n = await list.notification();
  assert.equal(n.method, 'DELETE');
  assert.equal(n.contentLocation, '/posts/2');
  assert.equal((await fetch(`${proxy.url}/posts/2`)).status, 404);
});

test('N822-5 N822-8 RSP-7 poll: changes made directly on json-server are noticed within one poll round (PUT with the new ETag and a delta; a DELETE ends the stream)', async (t) => {
  const api = await startJsonServer(t);
  const proxy = await startTestProxy(t, { upstream: api.url, pollIntervalMs: 200 });
  const poller = proxy.proxy.poller!;
  const sub = await Subscriber.open(`${proxy.url}/posts/1`, {
    headers: { 'Accept-Events': MERGE_PATCH_EVENTS },
  });
  t.after(() => sub.close());
  // Rounds in which nothing changed cost a 304 each and notify nothing.
  const quiet = poller.stats.rounds;
  await waitUntil(() => poller.stats.rounds >= quiet + 2, 'two quiet rounds');
  assert.equal(poller.stats.changes, 0);

  const before = poller.stats.rounds;
  await send(`${api.url}/posts/1`, 'PATCH', { title: 'changed behind the proxy' });
  const n = await sub.notification();
  // Found by the round under way when the change was made, or by the next one.
  assert.ok(poller.stats.rounds - before <= 1, `rounds: ${before} -> ${poller.stats.rounds}`);
  assert.equal(n.method, 'PUT');
  const now = await fetch(`${api.url}/posts/1`);
  const body = (await now.json()) as unknown;
  assert.equal(n.etag, now.headers.get('etag'));
  assert.ok(n.delta);
  assert.deepEqual(
    JSON.parse(text(applyDelta(n.delta.contentType, sub.part1.body, n.delta.body))),
    body,
  );
  assert.equal(poller.stats.changes, 1);

  await send(`${api.url}/posts/1`, 'DELETE');
  const rest = await sub.rest();
  assert.deepEqual(
    rest.map((x) => x.method),
    ['DELETE'],
  );
});

test('RSP-5 EXT-1 json-server: Last-Event-ID resumes across a restart of the proxy (same log): the latest id skips the body, an older one replays what was missed', async (t) => {
  const api = await startJsonServer(t);
  let proxy = await startTestProxy(t, { upstream: api.url });
  const first = await Subscriber.open(`${proxy.url}/posts/1`);
  await send(`${proxy.url}/posts/1`, 'PATCH', { title: 'one' });
  const e1 = await first.notification();
  // The proxy goes down (its streams end cleanly) and comes back on the same log.
  proxy = await proxy.restart();
  assert.deepEqual(await first.rest(), []);
  assert.equal(first.ended, true);

  // The latest Event-ID: part 1 without its body, and the stream goes on (RSP-5).
  const resumed = await Subscriber.open(`${proxy.url}/posts/1`, {
    headers: { 'Accept-Events': '"prep"', 'Last-Event-ID': e1.eventId },
  });
  t.after(() => resumed.close());
  assert.equal(resumed.part1.body.length, 0);
  await send(`${proxy.url}/posts/1`, 'PATCH', { title: 'two' });
  const e2 = await resumed.notification();
  assert.equal(e2.method, 'PATCH');
  assert.notEqual(e2.eventId, e1.eventId);
  resumed.close();

  // A change made while nobody listened, then a resume from e2 with deltas: the missed event
  // is replayed (EXT-1), with the ETag of the state it made.
  await send(`${proxy.url}/posts/1`, 'PATCH', { title: 'three' });
  const etag3 = (await fetch(`${api.url}/posts/1`)).headers.get('etag');
  const replay = await Subscriber.open(`${proxy.url}/posts/1`, {
    headers: { 'Accept-Events': MERGE_PATCH_EVENTS, 'Last-Event-ID': e2.eventId },
  });
  t.after(() => replay.close());
  assert.equal(replay.part1.body.length, 0, 'resumed: no base body');
  const e3 = await replay.notification();
  assert.equal(e3.method, 'PATCH');
  assert.equal(e3.etag, etag3);
  assert.notEqual(e3.eventId, e2.eventId);
});
