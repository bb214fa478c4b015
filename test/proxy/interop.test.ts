/**
 * Interop through `prep proxy` over json-server: prep-fetch (npm, by the PREP draft's
 * author) and our own client (`subscribe`, `live`) read the proxy's streams.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { live, subscribe, type SubscriptionItem } from '../../packages/client/src/client/index.js';
import { sampleDb, send, startJsonServer, startTestProxy, waitUntil } from './helpers.js';

/** The parts of prep-fetch 0.1 we use (it ships no types). */
interface PrepNotification extends Response {
  message(): Promise<Response>;
}
interface PrepResponse extends Response {
  subtype: string;
  readonly events: Map<string, [unknown, Map<string, unknown>]>;
  getRepresentation(): Promise<Response>;
  getNotifications(): Promise<{ notifications(): AsyncGenerator<PrepNotification> }>;
}
const specifier: string = 'prep-fetch';
const { default: prepFetch } = (await import(specifier)) as {
  default: (response: Response) => PrepResponse;
};

test("RSP-4 N822-4 RSP-7 prep-fetch reads the proxy's stream over json-server: json-server's representation, then PATCH and DELETE, then the end", async (t) => {
  const api = await startJsonServer(t);
  const proxy = await startTestProxy(t, { upstream: api.url });
  const controller = new AbortController();
  t.after(() => controller.abort());
  const prep = prepFetch(
    await fetch(`${proxy.url}/posts/1`, {
      headers: { 'Accept-Events': '"prep"' },
      signal: controller.signal,
    }),
  );
  assert.equal(prep.subtype, 'mixed');
  assert.equal(prep.events.get('protocol')?.[0], 'prep');
  assert.equal(Number(prep.events.get('status')?.[0]), 200);
  const representation = await prep.getRepresentation();
  const direct = await fetch(`${api.url}/posts/1`);
  assert.equal(representation.headers.get('etag'), direct.headers.get('etag'));
  assert.equal(await representation.text(), await direct.text());
  const it = (await prep.getNotifications()).notifications();
  // Each message is read whole, as prep-fetch requires before the next one.
  const next = async () => {
    const r = await it.next();
    if (r.done) return undefined;
    const message = await r.value.message();
    assert.equal(await message.text(), '', 'N822-7: no body unless a delta was asked for');
    return message.headers;
  };

  const patched = await send(`${proxy.url}/posts/1`, 'PATCH', { title: 'via prep-fetch' });
  const n1 = await next();
  assert.equal(n1?.get('method'), 'PATCH');
  assert.equal(n1?.get('etag'), patched.headers.get('etag'));
  assert.ok(n1?.get('event-id'));
  await send(`${proxy.url}/posts/1`, 'DELETE');
  const n2 = await next();
  assert.equal(n2?.get('method'), 'DELETE');
  assert.equal(n2?.get('etag'), null);
  assert.equal(await next(), undefined, 'the digest ends after the DELETE');
});

test("N822-6 our subscribe() reads the proxy's collection stream: a POST through it names the new member", async (t) => {
  const api = await startJsonServer(t);
  const proxy = await startTestProxy(t, { upstream: api.url, watch: ['/posts/**'] });
  const controller = new AbortController();
  t.after(() => controller.abort());
  const items: SubscriptionItem[] = [];
  const reading = (async () => {
    for await (const item of subscribe(`${proxy.url}/posts`, {
      signal: controller.signal,
      reconnect: false,
    }))
      items.push(item);
  })().catch(() => undefined);
  await waitUntil(() => items.some((i) => i.kind === 'representation'), 'the representation');
  const created = await send(`${proxy.url}/comments`, 'POST', { body: 'not watched' });
  assert.equal(created.status, 201);
  const post = await send(`${proxy.url}/posts`, 'POST', { title: 'from subscribe()' });
  const id = (JSON.parse(post.text) as { id: number }).id;
  await waitUntil(() => items.some((i) => i.kind === 'notification'), 'a notification');
  const notifications = items.filter((i) => i.kind === 'notification');
  assert.equal(notifications.length, 1, 'a POST to an unwatched collection is not told');
  const n = notifications[0]!;
  assert.equal(n.method, 'POST');
  assert.equal(n.contentLocation, `/posts/${id}`);
  controller.abort();
  await reading;
});

test('N822-5 N822-8 our live() keeps a copy of a json-server resource equal to it across random writes through the proxy and around it', async (t) => {
  // A post large enough that a delta is smaller than it (else the copy re-fetches).
  const long = 'A paragraph of text that a delta need not repeat. '.repeat(20);
  const db = sampleDb();
  (db.posts as Array<Record<string, unknown>>)[0]!.body = long;
  const api = await startJsonServer(t, db);
  const proxy = await startTestProxy(t, { upstream: api.url, pollIntervalMs: 100 });
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
  let state = seed;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const doc = live<Record<string, unknown>>(`${proxy.url}/posts/1`, {
    reconnect: { minDelayMs: 5, maxDelayMs: 50 },
  });
  t.after(() => doc.close());
  const causes = new Map<string, number>();
  doc.onChange((c) => causes.set(c.cause, (causes.get(c.cause) ?? 0) + 1));
  await doc.ready;
  for (let i = 0; i < 30; i++) {
    const field = ['title', 'author', 'tag'][Math.floor(random() * 3)]!;
    const value = `v${Math.floor(random() * 1000)}`;
    const around = random() < 0.2;
    const base = around ? api.url : proxy.url;
    const w =
      random() < 0.5
        ? await send(`${base}/posts/1`, 'PATCH', { [field]: value })
        : await send(`${base}/posts/1`, 'PUT', { title: value, n: i, body: long });
    assert.equal(w.status, 200, `seed ${seed} write ${i}`);
    // A change around the proxy is only seen by a poll: let it be seen before the next.
    if (around) {
      const etag = w.headers.get('etag');
      await waitUntil(() => doc.etag === etag, `seed ${seed}: the poll finds write ${i}`);
    }
  }
  const fresh = await fetch(`${api.url}/posts/1`);
  const etag = fresh.headers.get('etag');
  const value = (await fresh.json()) as unknown;
  await waitUntil(() => doc.etag === etag, `seed ${seed}: live ETag ${doc.etag} = ${etag}`);
  assert.deepEqual(doc.value, value, `seed ${seed}`);
  assert.ok((causes.get('delta') ?? 0) > 0, `seed ${seed}: deltas were applied`);
  assert.equal(doc.endReason, undefined, `seed ${seed}: ${String(doc.error)}`);
});
