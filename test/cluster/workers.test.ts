// `prep serve --workers N` as a user runs it (the CLI, port 0, loopback), on SQLite and on
// PostgreSQL: workers share the port and the log, so every write reaches every subscriber
// once, in order, whichever worker holds its stream; a worker killed mid-stream is replaced
// and its clients resume on another; the subscription limits hold across workers; SIGTERM
// closes every stream with both close delimiters. And two plain `prep serve` on one SQLite
// file (a second `npm start`) behave as two nodes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { subscribe, type SubscriptionItem } from '../../packages/client/src/client/index.js';
import { spawnNode, type Child } from '../helpers/child.js';
import { startPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/cleanup.js';
import { eventually, within } from '../helpers/wait.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'prep.js');
/** Generous: each worker compiles the TypeScript sources through tsx at start. */
const START_MS = 60_000;

const pg = await startPostgres();
after(() => ('skip' in pg ? undefined : pg.stop()));

type Kind = 'sqlite' | 'postgres';
const KINDS: Array<{ kind: Kind; skip: string | false }> = [
  { kind: 'sqlite', skip: false },
  { kind: 'postgres', skip: 'skip' in pg ? pg.skip : false },
];

function run(t: TestContext, args: string[]): Child {
  const env = { ...process.env };
  for (const name of ['PORT', 'HOST', 'PREP_DATA', 'PREP_DATABASE_URL', 'PREP_WORKERS'])
    delete env[name];
  return spawnNode(t, [bin, ...args], { cwd: root, env, waitMs: START_MS });
}

/** `prep serve --workers N --port 0` on a fresh database; resolves with its URL. */
async function serveWorkers(
  t: TestContext,
  kind: Kind,
  workers: number,
  extra: string[] = [],
): Promise<{ cli: Child; url: string }> {
  const db =
    kind === 'sqlite'
      ? ['--data', join(tempDir(t), 'prep.db')]
      : ['--database', await (pg as { createDatabase(): Promise<string> }).createDatabase()];
  const cli = run(t, [
    'serve',
    '--port',
    '0',
    '--workers',
    String(workers),
    '--quiet',
    '--write-rate',
    'off',
    ...db,
    ...extra,
  ]);
  const m = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { cli, url: m[1]! };
}

/** The pids of a process's children (the workers of a primary). */
function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

/** A subscriber through our client (it reconnects with Last-Event-ID by itself). */
function follow(url: string, path: string) {
  const controller = new AbortController();
  const items: SubscriptionItem[] = [];
  const done = (async () => {
    for await (const item of subscribe(url + path, {
      delta: 'application/json-patch+json',
      signal: controller.signal,
      reconnect: { retries: 50, minDelayMs: 50, maxDelayMs: 500 },
    }))
      items.push(item);
  })().catch(() => undefined);
  return {
    items,
    ids: () => items.flatMap((i) => (i.kind === 'notification' && i.eventId ? [i.eventId] : [])),
    reconnects: () => items.filter((i) => i.kind === 'reconnect').length,
    live: () => items.some((i) => i.kind === 'representation'),
    async close() {
      controller.abort();
      await done;
    },
  };
}

const put = (url: string, body: unknown) =>
  fetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Connection: 'close' },
    body: JSON.stringify(body),
  });

const seqOf = (id: string) => Number(id.split('.')[0]);

for (const { kind, skip } of KINDS) {
  test(
    `N822-3 N822-4 prep serve --workers 3 (${kind}): every write reaches every subscriber, whichever worker holds its stream, once, in order; a worker killed mid-stream is replaced and its clients resume on another`,
    { skip },
    async (t) => {
      const { cli, url } = await serveWorkers(t, kind, 3);
      const workers = childrenOf(cli.child.pid!);
      assert.equal(workers.length, 3);
      assert.equal((await put(`${url}/doc`, { n: 0 })).status, 201);
      // Twelve streams: the primary deals connections round-robin, so each worker holds some.
      const subs = Array.from({ length: 12 }, () => follow(url, '/doc'));
      t.after(() => Promise.all(subs.map((s) => s.close())));
      await eventually(() => subs.every((s) => s.live()), 'every stream to open', START_MS);
      for (let n = 1; n <= 10; n++) assert.equal((await put(`${url}/doc`, { n })).status, 204);
      await eventually(() => subs.every((s) => s.ids().length >= 10), 'ten notifications each');

      // One worker dies: its streams break, the clients come back on the others.
      process.kill(workers[1]!, 'SIGKILL');
      await eventually(
        () => /worker \d+ exited \(SIGKILL\); starting another/.test(cli.stderr()),
        'the primary to report the death on stderr',
        START_MS,
      );
      await eventually(
        () => {
          const now = childrenOf(cli.child.pid!);
          return now.length === 3 && !now.includes(workers[1]!);
        },
        'a new worker',
        START_MS,
      );
      for (let n = 11; n <= 20; n++) assert.equal((await put(`${url}/doc`, { n })).status, 204);
      await eventually(
        () => subs.every((s) => s.ids().length >= 20),
        'twenty notifications each',
        START_MS,
      );
      const cut = subs.filter((s) => s.reconnects() > 0).length;
      assert.ok(cut > 0 && cut < subs.length, `some streams were on the killed worker: ${cut}`);
      for (const s of subs) {
        const seqs = s.ids().map(seqOf);
        assert.equal(seqs.length, 20, 'each notification once');
        for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, 'in order');
      }
    },
  );

  test(
    `SEC-2 prep serve --workers 3 (${kind}): the per-client subscription limit holds across workers`,
    { skip },
    async (t) => {
      const { url } = await serveWorkers(t, kind, 3, ['--max-subscriptions-per-client', '5']);
      await put(`${url}/doc`, { n: 0 });
      const controllers: AbortController[] = [];
      t.after(() => controllers.forEach((c) => c.abort()));
      const statuses: string[] = [];
      for (let i = 0; i < 9; i++) {
        const c = new AbortController();
        controllers.push(c);
        const res = await fetch(`${url}/doc`, {
          headers: { 'Accept-Events': '"prep"' },
          signal: c.signal,
        });
        statuses.push(/status=(\d+)/.exec(res.headers.get('events') ?? '')?.[1] ?? 'none');
        if (!/status=200/.test(res.headers.get('events') ?? '')) await res.arrayBuffer();
      }
      assert.deepEqual(statuses, ['200', '200', '200', '200', '200', '429', '429', '429', '429']);
      // Closing one frees its place, on whichever worker the next one lands.
      controllers[0]!.abort();
      await eventually(async () => {
        const c = new AbortController();
        controllers.push(c);
        const res = await fetch(`${url}/doc`, {
          headers: { 'Accept-Events': '"prep"' },
          signal: c.signal,
        });
        const ok = /status=200/.test(res.headers.get('events') ?? '');
        if (!ok) await res.arrayBuffer();
        return ok;
      }, 'a place after one stream closed');
    },
  );

  test(
    `RSP-7 prep serve --workers 2 (${kind}): SIGTERM closes every stream with both close delimiters, then exits 0`,
    { skip },
    async (t) => {
      const { cli, url } = await serveWorkers(t, kind, 2);
      await put(`${url}/doc`, { n: 0 });
      const bodies = Array.from({ length: 4 }, async () => {
        const res = await fetch(`${url}/doc`, { headers: { 'Accept-Events': '"prep"' } });
        return { res, text: res.text() };
      });
      const opened = await Promise.all(bodies);
      cli.child.kill('SIGTERM');
      for (const { res, text } of opened) {
        const boundary = /boundary="?([^";]+)/.exec(res.headers.get('content-type')!)![1]!;
        const body = await within(text, 'the stream to end');
        assert.match(body, new RegExp(`--[^\\r\\n]+--\\r\\n--${boundary}--\\r?\\n?$`));
      }
      assert.deepEqual(await cli.exit(), { code: 0, signal: null });
    },
  );
}

test('N822-3 two prep serve on one SQLite file (a second npm start): a write through either reaches the subscribers of both, once', async (t) => {
  const data = join(tempDir(t), 'prep.db');
  const start = async () => {
    const cli = run(t, ['serve', '--port', '0', '--data', data, '--quiet']);
    return (await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  };
  const [a, b] = [await start(), await start()];
  await put(`${a}/doc`, { n: 0 });
  const subs = [follow(a, '/doc'), follow(b, '/doc')];
  t.after(() => Promise.all(subs.map((s) => s.close())));
  await eventually(() => subs.every((s) => s.live()), 'both streams');
  for (let n = 1; n <= 6; n++) await put(`${n % 2 ? a : b}/doc`, { n });
  await eventually(() => subs.every((s) => s.ids().length >= 6), 'six notifications each');
  await new Promise((r) => setTimeout(r, 200));
  const [x, y] = subs.map((s) => s.ids());
  assert.deepEqual(x, y, 'the same events, with the same Event-IDs, on both');
  assert.equal(x!.length, 6);
});
