/**
 * The README's fetch-handler samples ("Fetch handlers: Bun, Deno, Hono, Workers"), run as
 * written: the app (`<!-- sample: file: app.ts -->`) and the blocks the docs test leaves to this
 * one (`<!-- sample: skip: run in its runtime by test/adapters/readme-runtimes.test.ts (FILE) -->`)
 * are written to a scratch folder
 * in the repository (so their packages resolve), `prep-live/server` pointed at the sources,
 * and each server sample is started in its runtime on a free port; a subscriber hears of a
 * PUT and the DELETE that ends its stream, every delimiter ending a chunk (RSP-6).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { assertDelimitersEndPieces, prepOf, waitNotifications } from './behaviour.js';
import { createClient } from './clients.js';
import { runtimeCommand, startListening, type Runtime } from './runtimes.js';

const root = join(import.meta.dirname, '..', '..');

/** The marked samples of the README, by file name. */
function samples(): Map<string, string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const found = new Map<string, string>();
  const marker =
    /<!-- sample: (?:file: (app\.ts)|skip: run in its runtime by test\/adapters\/readme-runtimes\.test\.ts \((\S+)\)) -->\n\n?```ts\n([\s\S]*?)\n```/g;
  for (const m of readme.matchAll(marker)) found.set((m[1] ?? m[2])!, m[3]!);
  return found;
}

const files = samples();
const dir = mkdtempSync(join(root, '.readme-samples-'));
after(() => rmSync(dir, { recursive: true, force: true }));
for (const [name, code] of files)
  writeFileSync(join(dir, name), code.replaceAll("'prep-live/server'", "'../src/server/index.ts'"));

const SERVERS: Array<[file: string, runtime: Runtime]> = [
  ['bun.ts', 'bun'],
  ['deno.ts', 'deno'],
  ['node.ts', 'node'],
  ['hono.ts', 'node'],
];

test('the README marks the app and a server sample for each runtime', () => {
  assert.deepEqual([...files.keys()].sort(), ['app.ts', ...SERVERS.map(([f]) => f)].sort());
});

for (const [file, runtime] of SERVERS) {
  test(`N822-2 RSP-6 RSP-7 README sample ${file} (${runtime}): a subscriber hears of a PUT and the DELETE that ends its stream`, async (t) => {
    const command = runtimeCommand(runtime, join(dir, file));
    if (command.skip) {
      t.skip(command.skip);
      return;
    }
    const { child, url, output } = await startListening(command);
    try {
      const { port } = new URL(url);
      const client = createClient(`http://127.0.0.1:${port}`, 'http1');
      try {
        const json = { 'Content-Type': 'application/json' };
        const created = await client.request('PUT', '/todos/1', {
          headers: json,
          body: '{"done":false}',
        });
        assert.equal(created.status, 201, output());
        const s = await client.open('/todos/1', { 'Accept-Events': '"prep"' });
        assert.equal(s.status, 200, output());
        await s.waitFor(() => prepOf(s).digest !== undefined, 'the opening of the stream');
        assert.equal(prepOf(s).part1!.body.toString(), '{"done":false}');
        const updated = await client.request('PUT', '/todos/1', {
          headers: json,
          body: '{"done":true}',
        });
        assert.equal(updated.status, 204);
        const [n] = await waitNotifications(s, 1);
        assert.equal(n!.method, 'PUT');
        assert.match(n!.etag ?? '', /^"[^"]+"$/); // N822-5
        assert.equal((await client.request('DELETE', '/todos/1')).status, 204);
        await s.waitFor(() => s.complete && prepOf(s).closed, 'the end of the stream on DELETE');
        assert.deepEqual(
          prepOf(s).notifications.map((x) => x.method),
          ['PUT', 'DELETE'],
        );
        assertDelimitersEndPieces(s, [prepOf(s).mixed, prepOf(s).digest!]);
      } finally {
        client.close();
      }
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await exited;
    }
  });
}
