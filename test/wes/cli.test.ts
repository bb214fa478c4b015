import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, mock, test } from 'node:test';
import { createReplicator, type ReplicaState } from '../../packages/client/src/client/wes/index.js';
import { replicate } from '../../src/cli/replicate.js';
import { DirectoryStorage, STATE_FILE } from '../../src/cli/replicate-storage.js';
import { MemoryStore } from '../../src/store/index.js';
import { patch, put, replicaDiff, sleep } from './workload.js';
import {
  startWesServer,
  type WesServerOptions,
  type WesTestServer as TestServer,
} from './wes-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
const scope = { after: (fn: () => unknown) => void cleanups.push(async () => void (await fn())) };
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'replicate-main.ts');

/**
 * The binary: src/cli/replicate-main.ts bundled once with esbuild, so each run starts as fast
 * as plain node (`node --import tsx` compiles on every start, seconds on a busy machine).
 */
let binary: Promise<string> | undefined;
function bundle(): Promise<string> {
  binary ??= (async () => {
    const { build } = await import('esbuild');
    const outfile = join(tempDir(), 'replicate.mjs');
    await build({
      entryPoints: [MAIN],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
      // The workspace packages from their sources, as the tests run them.
      conditions: ['prep-live-source'],
    });
    return outfile;
  })();
  return binary;
}

let built: string | undefined;
before(async () => {
  built = await bundle();
});

/** `prep replicate ...` as a separate process (what `prep replicate` will run). */
function run(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
} {
  if (!built) throw new Error('bundle first');
  const child = spawn(process.execPath, [built, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, done };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wes-cli-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(options: WesServerOptions = {}): Promise<TestServer> {
  const store = new MemoryStore();
  await store.open();
  const srv = await startWesServer(scope, store, options);
  return srv;
}

async function mirrorDiff(srv: TestServer, dir: string): Promise<string[]> {
  const storage = new DirectoryStorage(dir, '/notes/');
  const state = (await storage.load()) as ReplicaState;
  assert.ok(state, 'a state file');
  return replicaDiff(srv.store, '/notes/', state.entities, (p) => storage.read(p));
}

function readState(dir: string): ReplicaState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as ReplicaState;
  } catch {
    return undefined;
  }
}

test('prep replicate --verify checks the copy against the paged listing: missing, stale and extra members, exit 1', async () => {
  const srv = await serve({ pageSize: 5 });
  for (let i = 0; i < 3; i++) await put(srv.url, `/notes/v${i}`, { i });
  const dir = tempDir();
  const first = await run([`${srv.url}/notes/`, dir, '--once', '--verify']).done;
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /3 members in step with the listing/);

  // The copy's state says another tag for v1 and holds a member the server never had.
  const state = readState(dir)!;
  state.entities['/notes/v1']!.etag = '"not-the-tag"';
  state.entities['/notes/ghost'] = { etag: '"g"', contentType: 'application/json', synced: true };
  writeFileSync(join(dir, STATE_FILE), JSON.stringify(state));
  await put(srv.url, '/notes/v3', { i: 3 }); // caught up by the run: not a difference
  const second = await run([`${srv.url}/notes/`, dir, '--once', '--verify']).done;
  assert.equal(second.code, 1, second.stderr);
  assert.match(
    second.stderr,
    /differs from the listing: 1 stale \(\/notes\/v1\); 1 extra \(\/notes\/ghost\)/,
  );
});

test('WES-8 prep replicate URL DIR --once mirrors the collection into DIR and prints a summary', async () => {
  const srv = await serve({ pageSize: 5 });
  for (let i = 0; i < 12; i++) await put(srv.url, `/notes/e${i}`, { i, list: [] });
  await put(srv.url, '/notes/.wes-state.json', { tricky: 'a member named like the state file' });
  const dir = tempDir();
  const { code, stdout, stderr } = await run([`${srv.url}/notes/`, dir, '--once']).done;
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^prep replicate: .*: 13 entities \(from a snapshot\), \d+ feed entries, \d+ GETs, .* s\n$/,
  );
  assert.deepEqual(await mirrorDiff(srv, dir), []);
  assert.equal(readFileSync(join(dir, 'e3'), 'utf8'), '{"i":3,"list":[]}');
  assert.ok(existsSync(join(dir, '%2Ewes-state.json')), 'the member does not overwrite the state');
  // Usage errors exit 2 (checked in-process: they happen before anything else).
  const said: string[] = [];
  const stub = mock.method(process.stderr, 'write', (chunk: string) => said.push(chunk) > 0);
  try {
    assert.equal(await replicate([`${srv.url}/notes`, dir]), 2);
    assert.equal(await replicate([]), 2);
    assert.equal(await replicate([`${srv.url}/notes/`, dir, '--interval', 'soon']), 2);
  } finally {
    stub.mock.restore();
  }
  assert.match(said.join(''), /a collection URL ends with "\/"/);
});

test('WES-8 prep replicate killed mid-catch-up resumes from its last Content-ID and converges', async () => {
  // Archive pages come slowly, so a run is still catching up when it is killed.
  const srv = await serve({
    pageSize: 5,
    delay: (req) => (req.url?.startsWith('/.well-known/wes/archive/') ? 30 : 0),
  });
  for (let i = 0; i < 10; i++) await put(srv.url, `/notes/k${i}`, { i, list: [] });
  const dir = tempDir();
  // The first catch-up in-process (the library the binary runs, on the same directory).
  await createReplicator({
    url: `${srv.url}/notes/`,
    storage: new DirectoryStorage(dir, '/notes/'),
  }).sync();
  const remembered = readState(dir)?.lastId;
  assert.ok(remembered);
  // 150 more entries (30 pages), non-idempotent patches among them; one writer per entity.
  await Promise.all(
    Array.from({ length: 10 }, async (_, w) => {
      for (let i = 0; i < 15; i++) {
        if (i % 3 === 0) await put(srv.url, `/notes/k${w}`, { i, list: [] });
        else
          await patch(srv.url, `/notes/k${w}`, 'application/json-patch+json', [
            { op: 'add', path: '/list/-', value: i },
          ]);
      }
    }),
  );
  const second = run([`${srv.url}/notes/`, dir, '--once']);
  // Kill it once it has moved on, but long before the end.
  const end = Date.now() + 40_000;
  for (;;) {
    const s = readState(dir);
    if (s?.lastId && s.lastId !== remembered) break;
    assert.ok(Date.now() < end, 'the second run made progress');
    await sleep(10);
  }
  second.child.kill('SIGKILL');
  const killed = await second.done;
  assert.equal(killed.signal, 'SIGKILL');
  const midway = readState(dir)?.lastId as string;
  const lastSeq = (await srv.store.events({ parent: '/notes/' })).at(-1)!.seq;
  assert.ok(Number(midway.split('.')[0]) < lastSeq, 'killed before the end');
  assert.notDeepEqual(await mirrorDiff(srv, dir), []);

  const mark = srv.log.length;
  const third = await run([`${srv.url}/notes/`, dir, '--once']).done;
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stdout, /\(resumed\)/);
  assert.ok(!srv.log.slice(mark).some((l) => l.includes('/snapshot')), 'no new snapshot');
  assert.deepEqual(await mirrorDiff(srv, dir), []);

  // Local disaster: DIR is gone. The next run starts over from a snapshot.
  rmSync(dir, { recursive: true, force: true });
  const fourth = await run([`${srv.url}/notes/`, dir, '--once']).done;
  assert.equal(fourth.code, 0, fourth.stderr);
  assert.match(fourth.stdout, /\(from a snapshot\)/);
  assert.deepEqual(await mirrorDiff(srv, dir), []);
});

test('WES-8 prep replicate follows live after catching up, and stops cleanly on SIGTERM', async () => {
  const srv = await serve({ pageSize: 5 });
  await put(srv.url, '/notes/l0', { v: 0 });
  const dir = tempDir();
  const live = run([`${srv.url}/notes/`, dir, '--interval', '100']);
  const end = Date.now() + 40_000;
  while (!readState(dir)?.lastId) {
    assert.ok(Date.now() < end, 'caught up');
    await sleep(20);
  }
  await put(srv.url, '/notes/l1', { v: 1 });
  await patch(srv.url, '/notes/l0', 'application/merge-patch+json', { v: 2 });
  for (;;) {
    if ((await mirrorDiff(srv, dir)).length === 0) break;
    assert.ok(Date.now() < end, 'live updates reached DIR');
    await sleep(20);
  }
  assert.equal(await readFile(join(dir, 'l0'), 'utf8'), '{"v":2}');
  live.child.kill('SIGTERM');
  const { code, stdout } = await live.done;
  assert.equal(code, 0);
  assert.match(stdout, /2 entities .*\(stopped\)\n$/);
});
