/**
 * The PREP behaviour suite (test/adapters/behaviour.ts) inside Bun or Deno, on the
 * runtime's own server (`Bun.serve`, `Deno.serve`) with `prepFetch` around the examples'
 * fetch app. Not a `*.test.ts`: node does not run it; `runtimes.test.ts` runs it with
 *
 *   bun test ./test/runtimes/fetch-behaviour.ts
 *   deno test --allow-all --sloppy-imports test/runtimes/fetch-behaviour.ts
 */
import { docsHandler } from '../../examples/shared/docs-handler.js';
import { createPrep, prepFetch, type Prep } from '../../src/server/index.js';
import { prepBehaviour, type Start } from '../adapters/behaviour.js';
import type { WriterHold } from '../adapters/hold.js';

/** The runtime this runs in. */
const runtime = 'Bun' in globalThis ? 'Bun' : 'Deno' in globalThis ? 'Deno' : undefined;

/** The app, with the test's writer hold between it and PREP. */
function handler(
  prep: Prep,
  hold: WriterHold,
): (request: Request, ...rest: unknown[]) => Promise<Response> {
  const app = docsHandler(prep);
  return prepFetch(prep, (request: Request) => hold.fetch(request, app(request)));
}

const start: Start = async ({ prep: options, hold }) => {
  const prep = createPrep(options);
  const fetch = handler(prep, hold);
  if (runtime === 'Bun') {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', idleTimeout: 0, fetch });
    return {
      url: server.url.origin,
      kind: 'http1',
      prep,
      async close() {
        await prep.close();
        await server.stop(true);
      },
    };
  }
  let server: Deno.HttpServer | undefined;
  const port = await new Promise<number>((resolve) => {
    server = Deno.serve(
      { port: 0, hostname: '127.0.0.1', onListen: (address) => resolve(address.port) },
      fetch,
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    kind: 'http1',
    prep,
    async close() {
      await prep.close();
      await server?.shutdown();
    },
  };
};

prepBehaviour(`fetch handler in ${runtime ?? 'an unknown runtime'}`, start, {
  skip: runtime === undefined ? 'run me with bun test or deno test' : false,
});
