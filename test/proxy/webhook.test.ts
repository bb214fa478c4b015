/**
 * The notify webhook of `prep proxy` (`POST /.well-known/prep/notify`): the upstream, a job
 * or a database trigger announces a change it made around the proxy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { Subscriber } from '../helpers/subscriber.js';
import { MERGE_PATCH_EVENTS, send, startJsonServer, startTestProxy } from './helpers.js';

const SECRET = 'a-webhook-secret-of-some-length';
const NOTIFY = '/.well-known/prep/notify';

test('N822-4 N822-5 N822-8 the webhook announces a change made around the proxy: read once for its ETag and delta, Event-IDs answered', async (t) => {
  const api = await startJsonServer(t);
  const proxy = await startTestProxy(t, { upstream: api.url, notifySecret: SECRET });
  const sub = await Subscriber.open(`${proxy.url}/posts/1`, {
    headers: { 'Accept-Events': MERGE_PATCH_EVENTS },
  });
  t.after(() => sub.close());
  const list = await Subscriber.open(`${proxy.url}/posts`);
  t.after(() => list.close());
  await send(`${api.url}/posts/1`, 'PATCH', { title: 'changed by a job' });
  const hook = await send(
    `${proxy.url}${NOTIFY}`,
    'POST',
    { path: '/posts/1', method: 'PATCH' },
    { Authorization: `Bearer ${SECRET}` },
  );
  assert.equal(hook.status, 200);
  const { eventIds } = JSON.parse(hook.text) as { eventIds: string[] };
  assert.equal(eventIds.length, 1);
  const n = await sub.notification();
  assert.equal(n.method, 'PATCH');
  assert.equal(n.eventId, eventIds[0]);
  const now = await fetch(`${api.url}/posts/1`);
  assert.equal(n.etag, now.headers.get('etag'));
  assert.ok(n.delta);
  assert.deepEqual(
    JSON.parse(
      Buffer.from(applyDelta(n.delta.contentType, sub.part1.body, n.delta.body)).toString(),
    ),
    await now.json(),
  );
  assert.equal((await list.notification()).contentLocation, '/posts/1');

  // A POST made around the proxy, with the member it created (N822-6).
  const created = await send(`${api.url}/posts`, 'POST', { title: 'by the job' });
  const id = (JSON.parse(created.text) as { id: number }).id;
  const again = await send(
    `${proxy.url}${NOTIFY}`,
    'POST',
    { path: '/posts', method: 'POST', location: `/posts/${id}` },
    { Authorization: `Bearer ${SECRET}` },
  );
  assert.equal(again.status, 200);
  const m = await list.notification();
  assert.equal(m.method, 'POST');
  assert.equal(m.contentLocation, `/posts/${id}`);
});

test('the webhook refuses what is not its own: a wrong or missing secret (401), malformed notices (400, 415), other methods (405); off without a secret (404)', async (t) => {
  const api = await startJsonServer(t);
  const proxy = await startTestProxy(t, { upstream: api.url, notifySecret: SECRET });
  const url = `${proxy.url}${NOTIFY}`;
  const auth = { Authorization: `Bearer ${SECRET}` };
  const problem = (
    r: { status: number; headers: Headers; text: string },
    status: number,
    code: string,
  ): void => {
    assert.equal(r.status, status, r.text);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    assert.equal((JSON.parse(r.text) as { code: string }).code, code);
  };
  const notice = { path: '/posts/1', method: 'PATCH' };
  const unauthorized = await send(url, 'POST', notice);
  problem(unauthorized, 401, 'NOTIFY_UNAUTHORIZED');
  assert.match(unauthorized.headers.get('www-authenticate') ?? '', /^Bearer/);
  problem(
    await send(url, 'POST', notice, { Authorization: 'Bearer not-the-secret' }),
    401,
    'NOTIFY_UNAUTHORIZED',
  );
  for (const bad of [
    { path: 'posts/1', method: 'PATCH' },
    { path: '/posts/1?x=1', method: 'PATCH' },
    { path: '/posts/1', method: 'GET' },
    { path: '/posts/1' },
    { path: '/posts/1', method: 'PATCH', location: '/posts/2' },
    ['/posts/1'],
  ])
    problem(await send(url, 'POST', bad, auth), 400, 'NOTIFY_MALFORMED');
  problem(
    await send(url, 'POST', undefined, { ...auth, 'Content-Type': 'text/plain' }),
    415,
    'NOTIFY_MALFORMED',
  );
  problem(await send(url, 'GET', undefined, auth), 405, 'METHOD_NOT_ALLOWED');
  // Nothing was recorded by any of them.
  assert.equal(await proxy.store.lastSeq(), 0);

  const off = await startTestProxy(t, { upstream: api.url });
  problem(await send(`${off.url}${NOTIFY}`, 'POST', notice, auth), 404, 'NOT_FOUND');
});
