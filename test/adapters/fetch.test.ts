/**
 * The PREP behaviour suite on the fetch handler, on node through `@hono/node-server`:
 * `prepFetch` around a plain fetch app (examples/shared/docs-handler.ts), and `prepHono`
 * in a Hono app (examples/hono.ts). The same suite runs in Bun and Deno from
 * `runtimes.test.ts`.
 */
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { Server } from 'node:http';
import { docsApp } from '../../examples/hono.js';
import { docsHandler } from '../../examples/shared/docs-handler.js';
import { createPrep, prepFetch } from '../../src/server/index.js';
import { listening, prepBehaviour } from './behaviour.js';

/** `@hono/node-server` on 127.0.0.1:0 serving `fetch`. */
type Bindings = HttpBindings | Http2Bindings;

function serveFetch(fetch: (request: Request, env: Bindings) => Promise<Response>): Server {
  return serve({ fetch, port: 0, hostname: '127.0.0.1' }) as Server;
}

prepBehaviour('fetch handler (prepFetch on @hono/node-server)', async ({ prep: options, hold }) => {
  const prep = createPrep(options);
  const app = prepFetch(prep, docsHandler(prep));
  const server = serveFetch((request, env) => {
    // N822-3: the writer's response, held back after the handler ran.
    hold.wrap(env.incoming, env.outgoing);
    return app(request, env);
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return listening(server, prep);
});

prepBehaviour('Hono (prepHono on @hono/node-server)', async ({ prep: options, hold }) => {
  const prep = createPrep(options);
  const app = new Hono<{ Bindings: Bindings }>();
  app.use(async (c, next) => {
    hold.wrap(c.env.incoming, c.env.outgoing);
    await next();
  });
  app.route('/', docsApp(prep));
  const server = serveFetch((request, env) => Promise.resolve(app.fetch(request, env)));
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return listening(server, prep);
});
