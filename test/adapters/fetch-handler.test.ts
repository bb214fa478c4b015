/**
 * The fetch handler where the behaviour suite cannot reach: N822-3 when the runtime says
 * nothing about the writer's response (Bun, workerd: the gate is the response's return and
 * its body read to the end, and a writer that stalls others is cut), and a subscriber that
 * stops reading, closed by the hub's bound as on node (SEC-2), on `@hono/node-server`.
 */
import { serve } from '@hono/node-server';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { docsHandler } from '../../examples/shared/docs-handler.js';
import { createPrep, prepFetch, type Prep } from '../../src/server/index.js';
import { prepOf as rawPrepOf } from '../helpers/prep-body.js';
import { RawClient } from '../helpers/raw-client.js';
import { eventually, turns } from '../helpers/wait.js';
import { waitNotifications } from './behaviour.js';
import { createClient } from './clients.js';

/** Records the paths the hub publishes, in order. */
function published(prep: Prep): string[] {
  const log: string[] = [];
  const hub = prep.engine.hub;
  const publish = hub.publish.bind(hub);
  hub.publish = (events, only) => {
    for (const e of events) log.push(e.path);
    publish(events, only);
  };
  return log;
}

/** A response body the test hands out piece by piece. */
function heldBody(): { stream: ReadableStream<Uint8Array>; push(s: string): void; end(): void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    stream,
    push: (s) => controller.enqueue(new TextEncoder().encode(s)),
    end: () => controller.close(),
  };
}

const put = (path: string): Request => new Request(`http://127.0.0.1${path}`, { method: 'PUT' });

test("N822-3 with no word from the runtime, a change waits for the writer's Response: returned, and its body read to the end", async () => {
  const prep = createPrep();
  const log = published(prep);
  try {
    // A body-less response: held until the handler returns it.
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const bodyless = prepFetch(prep, async () => {
      prep.notify({ method: 'PUT', path: '/a', etag: '"a1"' });
      await answered;
      return new Response(null, { status: 204 });
    });
    // No runtime argument: what workerd and any runtime not known get.
    const pending = bodyless(put('/a'));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(log, []);
    answer();
    assert.equal((await pending).status, 204);
    await eventually(() => log.length === 1, 'the notification');
    assert.deepEqual(log, ['/a']);

    // A response with a body: held until the runtime has read all of it.
    const body = heldBody();
    const withBody = prepFetch(prep, () => {
      prep.notify({ method: 'PUT', path: '/b', etag: '"b1"' });
      return new Response(body.stream, { status: 200 });
    });
    const response = await withBody(put('/b'));
    const reader = response.body!.getReader();
    body.push('{"ok":');
    assert.equal(new TextDecoder().decode((await reader.read()).value), '{"ok":');
    body.push('true}');
    await reader.read();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(log, ['/a'], 'published before the body was read to its end');
    body.end();
    assert.equal((await reader.read()).done, true);
    await eventually(() => log.length === 2, 'the notification');
    assert.deepEqual(log, ['/a', '/b']);
  } finally {
    await prep.close();
  }
});

test('N822-3 a writer that does not read its Response is cut after writerStallMs; the changes behind it go out in order', async () => {
  const prep = createPrep({ writerStallMs: 100 });
  const log = published(prep);
  try {
    const body = heldBody();
    const stuck = prepFetch(prep, () => {
      prep.notify({ method: 'PUT', path: '/c', etag: '"c1"' });
      return new Response(body.stream);
    });
    const response = await stuck(put('/c'));
    // A later change to the same resource, outside any request: held behind it (commit order).
    prep.notify({ method: 'PUT', path: '/c', etag: '"c2"' });
    await turns(3);
    assert.deepEqual(log, []);
    await eventually(() => log.length === 2, 'both notifications after the stall');
    assert.deepEqual(log, ['/c', '/c']);
    await assert.rejects(response.body!.getReader().read(), /did not take its response/);
  } finally {
    await prep.close();
  }
});

test('SEC-2 on @hono/node-server a subscriber that stops reading is closed by the hub (maxQueueBytes) while a reading one gets everything', async () => {
  const prep = createPrep({ maxQueueBytes: 64 * 1024, slowGraceMs: 5000 });
  const app = prepFetch(prep, docsHandler(prep));
  const server = serve({ fetch: app, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const client = createClient(`http://127.0.0.1:${port}`, 'http1');
  const stuck = await RawClient.connect(port);
  try {
    const json = { 'Content-Type': 'application/json' };
    assert.equal(
      (await client.request('PUT', '/docs/d', { headers: json, body: '{}' })).status,
      201,
    );
    const ask = {
      'Accept-Events': '"prep";accept=("message/rfc822";delta="application/merge-patch+json")',
    };
    const reading = await client.open('/docs/d', ask);
    stuck.send({ method: 'GET', path: '/docs/d', headers: ask });
    await stuck.waitFor(() => stuck.responses[0]?.status === 200, 'the paused stream to open');
    stuck.pause();
    // Big notifications (each PATCH is its own delta) until the paused one is closed; the
    // kernel holds some MiB for a paused loopback reader, so write well beyond that.
    const filler = 'x'.repeat(900 * 1024);
    const stats = prep.engine.hub.stats;
    let writes = 0;
    while (stats.slowClosed < 1) {
      assert.ok(writes < 40, 'the paused subscriber was never closed');
      const r = await client.request('PATCH', '/docs/d', {
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: JSON.stringify({ big: `${writes}${filler}` }),
      });
      assert.equal(r.status, 204);
      writes++;
    }
    assert.equal(stats.subscriptions, 1);
    const got = await waitNotifications(reading, writes);
    assert.equal(got.length, writes);
    // Read again: what was queued, then both close delimiters.
    stuck.resume();
    const done = await stuck.response(0);
    assert.ok(rawPrepOf(done).closed, done.body.subarray(-200).toString('latin1'));
    assert.ok(rawPrepOf(done).notifications.length < writes);
  } finally {
    client.close();
    stuck.close();
    await prep.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
});
