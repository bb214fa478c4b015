/**
 * The `fetch` group's fetch handler on Deno: `Deno.serve` with `prepFetch` around the
 * examples' documents app.
 *
 *   deno run --allow-all --sloppy-imports bench/servers/fetch-deno.ts   (a child of bench/run.ts)
 */
import { docsHandler } from '../../examples/shared/docs-handler.js';
import { prepFetch } from '../../src/server/index.js';
import { serveBenchIpc } from './child.js';
import { benchPrep, hubStats } from './embed.js';

const prep = benchPrep();
Deno.serve(
  {
    port: 0,
    hostname: '127.0.0.1',
    onListen: ({ port }) =>
      serveBenchIpc({ url: `http://127.0.0.1:${port}`, extra: hubStats(prep) }),
  },
  prepFetch(prep, docsHandler(prep)),
);
