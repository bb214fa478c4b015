/**
 * PREP on Bun (`Bun.serve`): JSON documents at /docs/<name>, with GET, PUT, PATCH and
 * DELETE, and live notifications for every document. The app is a plain fetch handler;
 * PREP wraps it (`prepFetch`).
 *
 *   bun examples/bun.ts                                (PORT=8080 by default)
 *   curl -N -H 'Accept-Events: "prep"' http://127.0.0.1:8080/docs/a
 *   curl -X PUT -H 'Content-Type: application/json' -d '{"n":1}' http://127.0.0.1:8080/docs/a
 */
// In your app: import { createPrep, prepFetch } from 'prep-live/server';
import { createPrep, prepFetch } from '../src/server/index.js';
import { docsHandler } from './shared/docs-handler.js';

const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
const server = Bun.serve({
  port: Number(process.env.PORT ?? 8080),
  hostname: process.env.HOST ?? '127.0.0.1',
  // Bun ends an idle request after 10 s by default; a notifications stream idles for longer
  // (keep-alive parts every 30 s), so the timeout is off (0) for every request.
  idleTimeout: 0,
  fetch: prepFetch(prep, docsHandler(prep)),
});
console.log(`listening on ${server.url.origin}`);

const stop = async (): Promise<void> => {
  await prep.close(); // every stream ends with its close delimiters...
  await server.stop(); // ...which Bun sends before it stops
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
