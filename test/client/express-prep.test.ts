// Our client against express-prep 0.6.4, the draft author's server middleware, wired as its
// code expects (the README's sample passes `configure` a string and calls `res.setHeaders`
// with a Headers object; the middleware destructures `{ config }`, so we go through
// express-negotiate-events' `res.sendEvents`, as its README shows).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import express, { type Request, type Response } from 'express';
import acceptEvents from 'express-accept-events';
import negotiateEvents from 'express-negotiate-events';
import prep from 'express-prep';
import eventID from 'express-prep/event-id';
import { live, subscribe, type SubscriptionItem } from '../../packages/client/src/client/index.js';
import { eventually, plain } from './helpers.js';
import { recordingFetch, request } from './server.js';

const TEXT = { 'content-type': 'text/plain' };

/** What the middlewares add to the response. */
interface PrepResponse extends Response {
  sendEvents(args: {
    body: string;
    headers: Record<string, string>;
    config: { prep: string };
  }): unknown;
  setEventID(): string;
  events: { prep: { trigger(args?: { path?: string; lastEvent?: boolean }): void } };
}

async function withExpressPrep(run: (url: string) => Promise<void>): Promise<void> {
  let state: unknown = { n: 0 };
  const app = express();
  app.use(acceptEvents, negotiateEvents, eventID, prep);
  app.get('/foo', (_req: Request, res: Response) => {
    const body = JSON.stringify(state);
    const headers = { 'Content-Type': 'application/json' };
    // undefined: notifications are being sent; else serve the plain response.
    const failed = (res as PrepResponse).sendEvents({ body, headers, config: { prep: '' } });
    if (failed === undefined) return;
    res.set(headers).send(body);
  });
  /** A write: answer first, then (next handler) trigger the notification. */
  const mutation =
    (status: number, change: (req: Request, res: Response) => void) =>
    (req: Request, res: Response, next: () => void) => {
      change(req, res);
      res.status(status);
      res.setHeader('Event-ID', (res as PrepResponse).setEventID());
      res.end();
      next();
    };
  const trigger = (_req: Request, res: Response) => (res as PrepResponse).events.prep.trigger();
  const text = express.text({ type: '*/*' });
  app.put(
    '/foo',
    text,
    mutation(204, (req) => (state = JSON.parse(req.body as string) as unknown)),
    trigger,
  );
  app.post(
    '/foo',
    text,
    mutation(201, (_req, res) => res.setHeader('Location', '/foo/1')),
    trigger,
  );
  app.delete(
    '/foo',
    mutation(204, () => (state = undefined)),
    trigger,
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  try {
    await run(`http://127.0.0.1:${port}/foo`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

test('HDR-3 RSP-4 N822-6 RSP-7 reads express-prep: expires as an HTTP-date string, Location, DELETE ends it', async () => {
  await withExpressPrep(async (url) => {
    const { fetch, requests } = recordingFetch();
    const sub = subscribe(url, { fetch, reconnect: { minDelayMs: 1 } });
    const items: SubscriptionItem[] = [];
    const done = (async () => {
      for await (const item of sub) items.push(item);
    })();
    await eventually(() => items.length === 1, 5000, 'the representation');
    const rep = items[0]!;
    assert.equal(rep.kind, 'representation');
    if (rep.kind !== 'representation') return;
    assert.equal(new TextDecoder().decode(rep.body), '{"n":0}');
    assert.equal(rep.headers.get('content-type'), 'application/json');
    // expires="<HTTP-date>": read as an instant, about an hour on.
    assert.ok(rep.events.expiresAt instanceof Date);
    assert.ok(Math.abs(rep.events.expiresAt.getTime() - Date.now() - 3600_000) < 60_000);

    assert.equal((await request('PUT', url, '{"n":1}', TEXT)).status, 204);
    assert.equal((await request('POST', url, 'x', TEXT)).status, 201);
    assert.equal((await request('DELETE', url)).status, 204);
    await done;
    const rest = items.slice(1).map(plain);
    assert.deepEqual(
      rest.map((i) => [i.kind, i.method ?? i.reason, i.contentLocation]),
      [
        ['notification', 'PUT', undefined],
        ['notification', 'POST', '/foo/1'],
        ['notification', 'DELETE', undefined],
        ['end', 'deleted', undefined],
      ],
    );
    for (const n of rest.slice(0, 3)) assert.match(String(n.eventId), /^[A-Za-z0-9]{6}$/);
    assert.equal(requests.length, 1, 'no reconnect after the DELETE');
    assert.match(requests[0]!.headers.get('accept-events')!, /^"prep";accept="message\/rfc822"$/);
  });
});

test('N822-7 live() follows express-prep by re-fetching (no deltas, no ETags in its notifications)', async () => {
  await withExpressPrep(async (url) => {
    const doc = live<{ n: number }>(url, { delta: false, reconnect: { minDelayMs: 1 } });
    await doc.ready;
    assert.deepEqual(doc.value, { n: 0 });
    for (let n = 1; n <= 3; n++) {
      assert.equal((await request('PUT', url, JSON.stringify({ n }), TEXT)).status, 204);
      await eventually(() => doc.value?.n === n, 5000, `n = ${n}`);
    }
    await request('DELETE', url);
    assert.equal(await doc.ended, 'deleted');
    assert.equal(doc.value, undefined);
  });
});

test('DSC-1 DSC-3 delta auto against express-prep: it advertises no delta types, so none is asked for, and the stream reads as before', async () => {
  await withExpressPrep(async (url) => {
    const { fetch, requests } = recordingFetch();
    const sub = subscribe(url, { delta: 'auto', fetch, reconnect: false });
    const it = sub[Symbol.asyncIterator]();
    const rep = await it.next();
    assert.equal(rep.value?.kind, 'representation');
    assert.equal(sub.delta, undefined);
    assert.deepEqual(
      requests.map((r) => r.method),
      ['HEAD', 'GET'],
    );
    assert.match(requests[1]!.headers.get('accept-events')!, /^"prep";accept="message\/rfc822"$/);
    assert.equal((await request('PUT', url, '{"n":1}', TEXT)).status, 204);
    const n = plain((await it.next()).value!);
    assert.equal(n.kind, 'notification');
    assert.equal(n.method, 'PUT');
    assert.equal(n.delta, undefined);
    sub.close();
  });
});
