/**
 * PREP on Cloudflare Workers, in workerd through Miniflare (devDependency `miniflare`, whose
 * `workerd` binary comes in its npm package): examples/worker.ts, bundled with esbuild, a
 * Worker forwarding to one Durable Object that holds `prep` (fan-out needs one place), served
 * on 127.0.0.1; the documents app must behave as in every other runtime (live-docs.ts), and
 * the behaviour suite's wire checks hold there too.
 */
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { join } from 'node:path';
import { test } from 'node:test';
import { within } from '../helpers/wait.js';
import { prepOf } from './behaviour.js';
import { createClient } from './clients.js';
import { assertLiveDocs } from './live-docs.js';

const root = join(import.meta.dirname, '..', '..');

/** Miniflare, or why it cannot run here (never skipped in CI). */
async function loadMiniflare(): Promise<typeof import('miniflare') | string> {
  try {
    return await import('miniflare');
  } catch (e) {
    const why = `miniflare is not installed (npm install: devDependency miniflare): ${(e as Error).message}`;
    if (process.env.CI === 'true') throw new Error(`${why}; required in CI`, { cause: e });
    return why;
  }
}

test('N822-2 N822-8 RSP-1 RSP-6 RSP-7 Cloudflare Workers (workerd via Miniflare): a Durable Object serves the documents with prepFetch; PUT, delta, DELETE', async (t) => {
  const miniflare = await loadMiniflare();
  if (typeof miniflare === 'string') {
    t.skip(miniflare);
    return;
  }
  const bundle = await build({
    entryPoints: [join(root, 'examples/worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node', // node: built-ins stay imports; workerd's nodejs_compat provides them
    target: 'es2022',
    conditions: ['prep-live-source'], // the workspace packages from their sources
    write: false,
    logLevel: 'silent',
  });
  const mf = new miniflare.Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: '2026-07-01',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: { DOCS: 'Docs' },
    host: '127.0.0.1',
    port: 0,
  });
  try {
    const url = await within(mf.ready, 'workerd to listen', 60_000);
    const client = createClient(url.origin, 'http1');
    try {
      await assertLiveDocs(client, () => '');
      // RSP-1: Date on the stream's head, which workerd's local server does not add itself.
      const json = { 'Content-Type': 'application/json' };
      assert.equal(
        (await client.request('PUT', '/docs/x', { headers: json, body: '{}' })).status,
        201,
      );
      const s = await client.open('/docs/x', { 'Accept-Events': '"prep"' });
      await s.waitFor(() => prepOf(s).digest !== undefined, 'the opening of the stream');
      assert.match(s.headers.date ?? '', /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      assert.match(s.headers.events ?? '', /status=200/);
    } finally {
      client.close();
    }
  } finally {
    await mf.dispose();
  }
});
