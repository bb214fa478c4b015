/**
 * PREP on Deno (`Deno.serve`): JSON documents at /docs/<name>, with GET, PUT, PATCH and
 * DELETE, and live notifications for every document. The app is a plain fetch handler;
 * PREP wraps it (`prepFetch`).
 *
 *   deno run --allow-net --allow-env --sloppy-imports examples/deno.ts   (PORT=8080 by default)
 *   curl -N -H 'Accept-Events: "prep"' http://127.0.0.1:8080/docs/a
 *   curl -X PUT -H 'Content-Type: application/json' -d '{"n":1}' http://127.0.0.1:8080/docs/a
 *
 * (`--sloppy-imports` lets Deno take this repository's `.js` import specifiers for its `.ts`
 * files; an app that imports the published `prep-live/server` does not need it.)
 */
// In your app: import { createPrep, prepFetch } from 'prep-live/server';
import { createPrep, prepFetch } from '../src/server/index.js';
import { docsHandler } from './shared/docs-handler.js';

const prep = createPrep({ watch: (path) => path.startsWith('/docs/') });
const server = Deno.serve(
  {
    port: Number(Deno.env.get('PORT') ?? 8080),
    hostname: Deno.env.get('HOST') ?? '127.0.0.1',
    onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
  },
  prepFetch(prep, docsHandler(prep)),
);

const stop = async (): Promise<void> => {
  await prep.close(); // every stream ends with its close delimiters...
  await server.shutdown(); // ...which Deno sends before it stops
  Deno.exit(0);
};
Deno.addSignalListener('SIGINT', () => void stop());
Deno.addSignalListener('SIGTERM', () => void stop());
