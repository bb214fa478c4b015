/**
 * SEC-2 inside Bun or Deno: a subscriber that stops reading is closed by the hub's bound
 * (`maxQueueBytes`), as on node: the runtime reads a stream's body only as fast as it sends
 * it, so the parts wait in its `ReadableStreamSink`, which the hub counts. Not a
 * `*.test.ts`: runtimes.test.ts runs it with `bun test` and `deno test`.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { docsHandler } from '../../examples/shared/docs-handler.js';
import { createPrep, prepFetch } from '../../src/server/index.js';

const runtime = 'Bun' in globalThis ? 'Bun' : 'Deno' in globalThis ? 'Deno' : undefined;

/** Serves `fetch` on 127.0.0.1 in this runtime; resolves with its port and a stop. */
async function listen(
  fetch: (request: Request, ...rest: unknown[]) => Promise<Response>,
): Promise<{ port: number; stop(): Promise<void> }> {
  if (runtime === 'Bun') {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', idleTimeout: 0, fetch });
    return { port: Number(server.url.port), stop: () => server.stop(true) };
  }
  let server: Deno.HttpServer | undefined;
  const port = await new Promise<number>((resolve) => {
    server = Deno.serve(
      { port: 0, hostname: '127.0.0.1', onListen: (a) => resolve(a.port) },
      fetch,
    );
  });
  return { port, stop: async () => server?.shutdown() };
}

test(
  `SEC-2 in ${runtime ?? 'an unknown runtime'} a subscriber that stops reading is closed by maxQueueBytes`,
  { skip: runtime ? false : 'run me with bun test or deno test' },
  async () => {
    const prep = createPrep({ maxQueueBytes: 64 * 1024, slowGraceMs: 1000 });
    const server = await listen(prepFetch(prep, docsHandler(prep)));
    const base = `http://127.0.0.1:${server.port}/docs/d`;
    const stuck = net.connect(server.port, '127.0.0.1');
    try {
      assert.equal((await fetch(base, { method: 'PUT', body: '{}' })).status, 201);
      let received = '';
      stuck.on('data', (d: Buffer) => (received += d.toString('latin1')));
      stuck.write(
        'GET /docs/d HTTP/1.1\r\nHost: x\r\nAccept-Events: "prep";accept=("message/rfc822";delta="application/merge-patch+json")\r\n\r\n',
      );
      for (let i = 0; i < 200 && !received.includes('multipart/digest'); i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.match(received, /multipart\/digest/, 'the stream opened');
      stuck.pause();
      // Big notifications (each PATCH is its own delta) until the paused one is closed; the
      // kernel holds some MiB for a paused loopback reader, so write well beyond that.
      const filler = 'x'.repeat(900 * 1024);
      let writes = 0;
      while (prep.engine.hub.stats.slowClosed < 1) {
        assert.ok(writes < 40, 'the paused subscriber was never closed');
        const r = await fetch(base, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/merge-patch+json' },
          body: JSON.stringify({ big: `${writes}${filler}` }),
        });
        assert.equal(r.status, 204);
        await r.arrayBuffer();
        writes++;
      }
      assert.equal(prep.engine.hub.stats.subscriptions, 0);
    } finally {
      stuck.destroy();
      await prep.close();
      await server.stop();
    }
  },
);
