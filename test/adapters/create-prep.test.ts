/**
 * The public API for apps that keep their own data (`createPrep`, `MemoryHistory`), below
 * the adapters: histories and their bounds, what `notify` takes and refuses, N822-3 holding,
 * `serve` with an explicit base, our own event log (`StoreHistory`), and the base size bound.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isPrepError } from '../../packages/client/src/core/index.js';
import {
  createPrep,
  MemoryHistory,
  prepListener,
  StoreHistory,
  type AccessPolicy,
  type Prep,
} from '../../src/server/index.js';
import { type WriterResponse } from '../../src/server/log/announcer.js';
import { MemoryStore, type WriteResult } from '../../src/store/index.js';
import { prepOf as rawPrepOf } from '../helpers/prep-body.js';
import { RawClient, waitForNotifications } from '../helpers/raw-client.js';
import { eventually, turns } from '../helpers/wait.js';

/** A node:http server on port 0 running `handler`; closed after `fn`. */
async function withHttp(
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
  fn: (port: number, clients: Set<RawClient>) => Promise<void>,
): Promise<void> {
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clients = new Set<RawClient>();
  try {
    await fn((server.address() as AddressInfo).port, clients);
  } finally {
    for (const c of clients) c.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

async function connect(port: number, clients: Set<RawClient>): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.add(c);
  return c;
}

/** Opens a stream on a raw connection and waits for its opening. */
async function rawStream(
  port: number,
  clients: Set<RawClient>,
  path: string,
  headers: Record<string, string>,
) {
  const client = await connect(port, clients);
  client.send({ method: 'GET', path, headers });
  const response = await client.waitFor(() => {
    const r = client.responses[0];
    return r &&
      r.status !== 0 &&
      r.get('events')?.includes('status=200') &&
      rawPrepOf(r).digest !== undefined
      ? r
      : undefined;
  }, `the stream on ${path}`);
  return { client, response };
}

/** A writer's response the test finishes by hand. */
class FakeResponse extends EventEmitter implements WriterResponse {
  writableFinished = false;
  destroy(): void {
    this.emit('close');
  }
  finish(): void {
    this.writableFinished = true;
    this.emit('finish');
  }
}

test('MemoryHistory: Event-IDs are <seq>.<tag>, foreign ones unknown; containers hold their members’ events', async () => {
  const h = new MemoryHistory();
  const e1 = h.record({ method: 'PUT', path: '/a', etag: '"1"' });
  const e2 = h.record({ method: 'POST', path: '/c/', contentLocation: '/c/x', etag: '"c1"' });
  assert.match(e1.id, /^1\.m[0-9a-f]{10}$/);
  assert.equal(h.seqOf(e1.id), 1);
  assert.equal(h.seqOf(e2.id), 2);
  assert.equal(new MemoryHistory().seqOf(e1.id), undefined, 'another instance: foreign');
  assert.equal(h.seqOf('3' + e1.id.slice(1)), undefined, 'not issued yet');
  assert.equal(await h.lastSeq(), 2);
  // N822-6: the member is the changed resource, the container is told of it.
  assert.deepEqual(
    { path: e2.path, parent: e2.parent, etag: e2.etag, parentEtag: e2.parentEtag },
    { path: '/c/x', parent: '/c/', etag: null, parentEtag: '"c1"' },
  );
  assert.equal(await h.latestEventId('/c/', true), e2.id);
  assert.equal(await h.latestEventId('/c/x', false), e2.id);
  assert.deepEqual(await h.eventsAfter('/a', false, 0, true), [e1]);
  assert.deepEqual(await h.eventsAfter('/c/', true, 1, true), [e2]);
  assert.deepEqual(await h.eventsAfter('/never', false, 0, true), []);
});

test('SEC-2 MemoryHistory bounds: beyond maxEvents or maxBytes the oldest go, and a resume from before them is refused', async () => {
  const h = new MemoryHistory({ maxEvents: 3 });
  h.record({ method: 'PUT', path: '/once', etag: '"0"' }); // seq 1
  for (let i = 2; i <= 5; i++)
    h.record({ method: 'PUT', path: i % 2 ? '/odd' : '/even', etag: `"${i}"` });
  assert.equal(h.size, 3);
  // Held: 3 (/odd), 4 (/even), 5 (/odd); gone: 1 (/once), 2 (/even).
  assert.deepEqual(
    (await h.eventsAfter('/odd', false, 0, false))?.map((e) => e.seq),
    [3, 5],
    'no /odd event was dropped',
  );
  assert.deepEqual(
    (await h.eventsAfter('/even', false, 2, false))?.map((e) => e.seq),
    [4],
  );
  assert.equal(await h.eventsAfter('/even', false, 1, false), undefined, 'seq 2 is gone');
  // A path whose every event went: unknown (not "none"), as is any path before that point.
  assert.equal(await h.latestEventId('/once'), undefined);
  assert.equal(await h.eventsAfter('/once', false, 0, false), undefined);
  assert.equal(await h.eventsAfter('/never', false, 0, false), undefined);
  assert.deepEqual(await h.eventsAfter('/never', false, 1, false), []);

  const bytes = new MemoryHistory({ maxBytes: 10_000 });
  const big = { contentType: 'text/plain', body: 'x'.repeat(4000) };
  bytes.record({ method: 'PUT', path: '/a', before: big, after: big });
  bytes.record({ method: 'PUT', path: '/a', before: big, after: big });
  assert.equal(bytes.size, 1);
  assert.equal(await bytes.eventsAfter('/a', false, 0, true), undefined);
  assert.equal((await bytes.eventsAfter('/a', false, 1, true))?.length, 1);
});

test('N822-4 N822-5 N822-6 notify refuses what cannot be a notification header, and records nothing then', async () => {
  const prep = createPrep();
  const bad = [
    { method: 'P UT', path: '/a' },
    { method: 'PUT', path: '/a', etag: 'no-quotes' },
    { method: 'PUT', path: '/a', etag: '"a"\r\nX-Injected: 1' },
    { method: 'POST', path: '/c/', contentLocation: '/c/x y' },
  ];
  for (const change of bad)
    assert.throws(
      () => prep.notify(change),
      (err: unknown) => isPrepError(err) && err.code === 'NOTIFICATION_HEADER',
      JSON.stringify(change),
    );
  assert.throws(() => prep.notify({ method: 'PUT', path: 'relative' }), TypeError);
  assert.equal(await prep.history.lastSeq(), 0);
  await prep.close();
});

test('N822-6 a POST to a container: its subscribers get Content-Location and its ETag; the member’s own too', async () => {
  const prep = createPrep();
  const listing = { '/c/': '[]', '/c/x': '{}' } as Record<string, string>;
  await withHttp(
    (req, res) =>
      prep.serve(req, res, {
        base: { headers: { 'Content-Type': 'application/json' }, body: listing[req.url!] ?? '' },
      }),
    async (port, clients) => {
      const container = await rawStream(port, clients, '/c/', { 'Accept-Events': '"prep"' });
      const member = await rawStream(port, clients, '/c/x', { 'Accept-Events': '"prep"' });
      prep.notify({ method: 'POST', path: '/c/', contentLocation: '/c/x', etag: '"c2"' });
      const [n] = (await waitForNotifications(container.client, 1)).notifications;
      assert.equal(n!.contentLocation, '/c/x');
      assert.equal(n!.etag, '"c2"');
      const [own] = (await waitForNotifications(member.client, 1)).notifications;
      assert.equal(own!.method, 'POST');
      assert.equal(own!.contentLocation, undefined);
      assert.equal(own!.eventId, n!.eventId);
    },
  );
  await prep.close();
});

test('SEC-1 createPrep({ access }): the subscribe right and a container’s members are the principal’s', async () => {
  // Bearer "alice" may subscribe anywhere but not hear of /c/secret; anonymous may not subscribe.
  const access: AccessPolicy = {
    identify: (headers) => {
      const auth = headers.authorization;
      if (auth === undefined) return null;
      if (auth === 'Bearer alice') return 'alice';
      throw new Error('unknown token');
    },
    allows: (principal, right, path) =>
      principal === 'alice' && !(right === 'read' && path.startsWith('/c/secret')),
  };
  const prep = createPrep({ access });
  await withHttp(
    (req, res) =>
      prep.serve(req, res, {
        base: { headers: { 'Content-Type': 'application/json' }, body: '[]' },
      }),
    async (port, clients) => {
      const c = await connect(port, clients);
      c.send(
        { method: 'GET', path: '/c/', headers: { 'Accept-Events': '"prep"' } },
        {
          method: 'GET',
          path: '/c/',
          headers: { 'Accept-Events': '"prep"', Authorization: 'Bearer mallory' },
        },
      );
      // The app served the base; the stream is refused to anonymous and unknown credentials.
      for (const i of [0, 1]) {
        const r = await c.response(i);
        assert.equal(r.status, 200);
        assert.equal(r.get('events'), 'protocol="prep", status=403');
      }
      const alice = await rawStream(port, clients, '/c/', {
        'Accept-Events': '"prep"',
        Authorization: 'Bearer alice',
      });
      prep.notify({ method: 'POST', path: '/c/', contentLocation: '/c/secret', etag: '"c1"' });
      prep.notify({ method: 'POST', path: '/c/', contentLocation: '/c/open', etag: '"c2"' });
      const [n] = (await waitForNotifications(alice.client, 1)).notifications;
      assert.equal(n!.contentLocation, '/c/open');
      assert.equal(prep.engine.hub.stats.subscriptions, 1);
    },
  );
  await prep.close();
});

test('DSC-1 DSC-2 ERR-1 serve(): a base function read after the history position; outcomes; unwatched paths are plain', async () => {
  const prep = createPrep({ watch: (path) => path !== '/private' });
  const outcomes: string[] = [];
  let reads = 0;
  await withHttp(
    async (req, res) => {
      outcomes.push(
        await prep.serve(req, res, {
          base: () => {
            reads++;
            return {
              headers: [
                ['Content-Type', 'text/plain'],
                ['ETag', '"1"'],
                ['X-App', 'yes'],
              ],
              body: 'hello',
            };
          },
        }),
      );
    },
    async (port, clients) => {
      const c = await connect(port, clients);
      c.send(
        { method: 'GET', path: '/a' },
        { method: 'HEAD', path: '/a' },
        { method: 'GET', path: '/private', headers: { 'Accept-Events': '"prep"' } },
        { method: 'GET', path: '/a', headers: { 'Accept-Events': '"prep";accept="text/turtle"' } },
      );
      const [plain, head, priv, refused] = [
        await c.response(0),
        await c.response(1),
        await c.response(2),
        await c.response(3),
      ];
      assert.equal(plain.body.toString(), 'hello');
      // DSC-1, HDR-2: from the base's Content-Type, text/plain: the unified diff.
      assert.equal(
        plain.get('accept-events'),
        '"prep";accept=("message/rfc822";delta="text/plain")',
      );
      assert.equal(plain.get('vary'), 'Accept-Events');
      assert.equal(plain.get('x-app'), 'yes');
      assert.equal(head.get('content-length'), '5');
      assert.equal(head.body.length, 0);
      assert.equal(priv.get('accept-events'), undefined, 'DSC-2');
      assert.equal(priv.get('events'), undefined, 'ERR-1 HDR-5');
      assert.equal(refused.get('events'), 'protocol="prep", status=406');
      const { response } = await rawStream(port, clients, '/a', { 'Accept-Events': '"prep"' });
      const body = rawPrepOf(response);
      // Representation fields go in part 1, the others on the response.
      assert.equal(body.part1!.headers, 'Content-Type: text/plain\r\nETag: "1"');
      assert.equal(response.get('x-app'), 'yes');
      assert.equal(response.get('etag'), undefined);
    },
  );
  assert.deepEqual(outcomes, ['plain', 'plain', 'plain', 'refused', 'stream']);
  assert.equal(reads, 5);
  await prep.close();
});

test('N822-3 EXT-1 a change still waiting for its writer is not replayed to a resuming client; it goes out live once sent', async () => {
  const prep = createPrep();
  const body = { v: 0 };
  const delta = {
    'Accept-Events': '"prep";accept=("message/rfc822";delta="application/merge-patch+json")',
  };
  const json = (v: unknown) => ({ contentType: 'application/json', body: JSON.stringify(v) });
  await withHttp(
    (req, res) =>
      prep.serve(req, res, {
        base: { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) },
      }),
    async (port, clients) => {
      const first = prep.notify({
        method: 'PUT',
        path: '/a',
        etag: '"1"',
        before: json({ v: 0 }),
        after: json({ v: 1 }),
      });
      const id1 = first[0]!.id;
      const replayed = prep.notify({
        method: 'PUT',
        path: '/a',
        etag: '"2"',
        before: json({ v: 1 }),
        after: json({ v: 2 }),
      });
      const writer = new FakeResponse();
      const held = prep.notifyAfter(writer, {
        method: 'PUT',
        path: '/a',
        etag: '"3"',
        before: json({ v: 2 }),
        after: json({ v: 3 }),
      });
      await turns(3);
      const { client } = await rawStream(port, clients, '/a', { ...delta, 'Last-Event-ID': id1 });
      const got = await waitForNotifications(client, 1);
      await turns(5);
      assert.deepEqual(
        rawPrepOf(client.responses[0]!).notifications.map((n) => n.eventId),
        [replayed[0]!.id],
      );
      assert.equal(got.part1!.body.length, 0, 'EXT-1: no body');
      writer.finish();
      const all = await waitForNotifications(client, 2);
      assert.deepEqual(
        all.notifications.map((n) => n.eventId),
        [replayed[0]!.id, held[0]!.id],
      );
    },
  );
  await prep.close();
});

test('N822-2 a change whose writer went away before its response was sent is still notified', async () => {
  const prep = createPrep();
  let writerRes: ServerResponse | undefined;
  await withHttp(
    prepListener(prep, (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'PUT') {
        prep.notify({ method: 'PUT', path: '/a', etag: '"2"' });
        writerRes = res; // never answered
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain', ETag: '"1"' }).end('a');
    }),
    async (port, clients) => {
      const { client } = await rawStream(port, clients, '/a', { 'Accept-Events': '"prep"' });
      const writer = await connect(port, clients);
      writer.send({ method: 'PUT', path: '/a', body: 'x' });
      await eventually(() => writerRes !== undefined, 'the PUT to arrive');
      await turns(5);
      assert.equal(rawPrepOf(client.responses[0]!).notifications.length, 0);
      writer.close();
      const [n] = (await waitForNotifications(client, 1)).notifications;
      assert.equal(n!.etag, '"2"');
    },
  );
  await prep.close();
});

test('StoreHistory: notify(writeResult) announces a write to our store with its Event-ID; a ResourceChange is refused', async () => {
  const store = new MemoryStore();
  await store.open();
  const history = new StoreHistory(store);
  const prep: Prep<WriteResult> = createPrep({ history });
  try {
    await withHttp(
      async (req, res) => {
        const r = await store.get('/doc');
        await prep.serve(req, res, {
          base: { headers: { 'Content-Type': r!.contentType, ETag: r!.etag }, body: r!.body },
        });
      },
      async (port, clients) => {
        const put = (v: number) =>
          store.write({
            path: '/doc',
            apply: () => ({
              op: 'put',
              path: '/doc',
              contentType: 'application/json',
              body: Buffer.from(JSON.stringify({ v })),
              event: { method: 'PUT', status: 204 },
            }),
          });
        await put(0);
        const { client } = await rawStream(port, clients, '/doc', { 'Accept-Events': '"prep"' });
        const result = await put(1);
        const events = prep.notify(result);
        const [n] = (await waitForNotifications(client, 1)).notifications;
        assert.equal(n!.eventId, history.eventId(result.events.at(-1)!.seq));
        assert.equal(n!.eventId, events.at(-1)!.id);
        assert.equal(n!.etag, result.after!.etag);
        assert.throws(
          () => prep.notify({ method: 'PUT', path: '/doc' } as unknown as WriteResult),
          TypeError,
        );
      },
    );
  } finally {
    await prep.close();
    await store.close();
  }
});

test('SEC-2 ERR-3 a base larger than maxBaseBytes goes out as the app sent it, with Events status=503', async () => {
  const prep = createPrep({ maxBaseBytes: 1000 });
  const chunk = 'y'.repeat(400);
  await withHttp(
    prepListener(prep, (_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('Content-Type', 'text/plain');
      for (let i = 0; i < 5; i++) res.write(chunk);
      res.end();
    }),
    async (port, clients) => {
      const c = await connect(port, clients);
      c.send({ method: 'GET', path: '/big', headers: { 'Accept-Events': '"prep"' } });
      const r = await c.response(0);
      assert.equal(r.status, 200);
      assert.equal(r.get('events'), 'protocol="prep", status=503');
      assert.equal(r.body.toString(), chunk.repeat(5));
      assert.equal(prep.engine.hub.stats.subscriptions, 0);
    },
  );
  await prep.close();
});

test('DSC-1 HDR-2 RSP-3 N822-8 createPrep advertises and offers the delta types of the base’s Content-Type, through serve() and intercept()', async () => {
  const prep = createPrep();
  const types: Record<string, string | undefined> = {
    '/doc': 'application/json',
    '/text': 'text/markdown',
    '/png': 'image/png',
    '/untyped': undefined,
  };
  const ALL =
    '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json" "text/plain"))';
  const expected: Record<string, string> = {
    '/doc': ALL,
    '/text': '"prep";accept=("message/rfc822";delta="text/plain")',
    '/png': '"prep";accept="message/rfc822"',
    // No Content-Type: the type is not known, so every delta type (createDelta decides).
    '/untyped': ALL,
  };
  await withHttp(
    prepListener(prep, (req: IncomingMessage, res: ServerResponse) => {
      const type = types[req.url ?? ''];
      if (type !== undefined) res.setHeader('Content-Type', type);
      res.end('x');
    }),
    async (port, clients) => {
      for (const path of Object.keys(types)) {
        for (const method of ['HEAD', 'GET']) {
          const c = await connect(port, clients);
          c.send({ method, path });
          const r = await c.response(0);
          assert.equal(r.get('accept-events'), expected[path], `${method} ${path}`);
        }
        // RSP-3: the stream's head says the same; a delta the type cannot have is not taken.
        const { response } = await rawStream(port, clients, path, {
          'Accept-Events': '"prep";accept=("message/rfc822";delta="text/plain")',
        });
        assert.equal(response.get('accept-events'), expected[path], `stream of ${path}`);
      }
    },
  );
  // serve() with an explicit base: its Content-Type.
  await withHttp(
    (req, res) =>
      prep.serve(req, res, {
        base: { headers: { 'Content-Type': 'application/octet-stream' }, body: 'x' },
      }),
    async (port, clients) => {
      const c = await connect(port, clients);
      c.send({ method: 'HEAD', path: '/bin' });
      assert.equal((await c.response(0)).get('accept-events'), '"prep";accept="message/rfc822"');
    },
  );
  await prep.close();
});
