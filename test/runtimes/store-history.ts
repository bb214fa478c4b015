/**
 * Our stores under the fetch handler inside Bun or Deno: `createPrep` with
 * `new StoreHistory(store)` over a `MemoryStore`, and over a `PostgresStore` when
 * `PREP_TEST_PG_URL` names a database (runtimes.test.ts starts a throwaway cluster). The app
 * writes through the store and notifies with the write's result; a subscription is read
 * from the `Response` the handler returns, without a socket. (`SqliteStore` does not open in
 * either runtime: better-sqlite3 is a nan addon, which Bun and Deno do not load.) Not a
 * `*.test.ts`: runtimes.test.ts runs it with `bun test` and `deno test`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPrep, prepFetch, StoreHistory } from '../../src/server/index.js';
import { MemoryStore, PostgresStore, type Store } from '../../src/store/index.js';
import { readPrepBody, type PrepBody } from '../helpers/prep-body.js';

const runtime = 'Bun' in globalThis ? 'Bun' : 'Deno' in globalThis ? 'Deno' : 'node';
const pgUrl = process.env.PREP_TEST_PG_URL;

/** A one-resource app over `store`: GET reads it, PUT writes it and notifies. */
function storeApp(store: Store, notify: (result: Awaited<ReturnType<Store['write']>>) => void) {
  return async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (request.method === 'GET') {
      const r = await store.get(path);
      if (!r) return new Response(null, { status: 404 });
      return new Response(r.body as Uint8Array<ArrayBuffer>, {
        headers: { 'Content-Type': r.contentType, ETag: r.etag },
      });
    }
    const body = new Uint8Array(await request.arrayBuffer());
    const result = await store.write({
      path,
      apply: (current) => ({
        op: 'put',
        path,
        contentType: 'application/json',
        body,
        event: { method: 'PUT', status: current ? 204 : 201 },
      }),
    });
    notify(result);
    return new Response(null, { status: result.before ? 204 : 201 });
  };
}

/** A stream body read as it comes: `until` reads on until its content is enough. */
function bodyReader(stream: Response): {
  until(done: (body: PrepBody) => boolean): Promise<PrepBody>;
  cancel(): Promise<void>;
} {
  const mixed = /boundary="([^"]+)"/.exec(stream.headers.get('content-type') ?? '')![1]!;
  const reader = stream.body!.getReader();
  let bytes = Buffer.alloc(0);
  return {
    async until(done) {
      for (;;) {
        const body = readPrepBody(bytes, mixed);
        if (done(body)) return body;
        const next = await reader.read();
        assert.equal(next.done, false, 'the stream ended early');
        bytes = Buffer.concat([bytes, next.value]);
      }
    },
    cancel: () => reader.cancel(),
  };
}

async function check(store: Store): Promise<void> {
  await store.open();
  const history = new StoreHistory(store);
  const prep = createPrep({ history });
  const fetch = prepFetch(
    prep,
    storeApp(store, (result) => prep.notify(result)),
  );
  try {
    const url = 'http://127.0.0.1/docs/a';
    assert.equal((await fetch(new Request(url, { method: 'PUT', body: '{"v":1}' }))).status, 201);
    const stream = await fetch(new Request(url, { headers: { 'Accept-Events': '"prep"' } }));
    assert.equal(stream.status, 200);
    const reader = bodyReader(stream);
    const opened = await reader.until((b) => b.digest !== undefined);
    assert.equal(opened.part1!.body.toString(), '{"v":1}');
    const put = await fetch(new Request(url, { method: 'PUT', body: '{"v":2}' }));
    assert.equal(put.status, 204);
    const body = await reader.until((b) => b.notifications.length >= 1);
    const [n] = body.notifications;
    assert.equal(n!.method, 'PUT');
    // Event-IDs come from the store's log: the write's own seq.
    const events = await store.events({ path: '/docs/a' });
    assert.equal(n!.eventId, history.eventId(events.at(-1)!.seq));
    await reader.cancel();
  } finally {
    await prep.close();
    await store.close();
  }
}

describe(`StoreHistory under the fetch handler in ${runtime}`, () => {
  test('over a MemoryStore', () => check(new MemoryStore()));
  test(
    'over a PostgresStore (followed: LISTEN)',
    { skip: pgUrl ? false : 'PREP_TEST_PG_URL is not set' },
    () => check(new PostgresStore({ url: pgUrl! })),
  );
});
