// Graceful drain on SIGTERM, as an operator sees it: /readyz turns 503 at once, the write in
// flight finishes and is announced, every stream closes with both close delimiters (RSP-7),
// the process exits 0 within --drain-timeout, and the client resumes on a second server with
// Last-Event-ID (two prep serve on one SQLite file follow each other). A second signal exits
// at once. With --workers, the primary's admin listener shows each worker and drains them all.
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { subscribe, type SubscriptionItem } from '../../packages/client/src/client/index.js';
import { settingList } from '../../src/server/settings.js';
import { spawnNode, type Child } from '../helpers/child.js';
import { tempDir } from '../helpers/cleanup.js';
import { eventually } from '../helpers/wait.js';
import { parseScrape } from './prometheus.js';

const root = join(import.meta.dirname, '..', '..');
/** Generous: a start compiles the TypeScript sources through tsx (each worker too). */
const START_MS = 60_000;

function serve(t: TestContext, args: string[]): Child {
  const env = { ...process.env };
  for (const s of settingList()) delete env[s.env];
  delete env.PREP_CONFIG;
  return spawnNode(t, [join(root, 'bin', 'prep.js'), 'serve', '--port', '0', ...args], {
    cwd: root,
    env,
    waitMs: START_MS,
  });
}

async function urlsOf(cli: Child): Promise<{ url: string; admin: string | undefined }> {
  const url = (await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const admin = /admin: (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.stdout())?.[1];
  return { url, admin };
}

const put = (url: string, body: unknown) =>
  fetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

/**
 * A PUT whose body is sent in two halves: resolves once the server has taken its head (it
 * answered `100 Continue`), and `finish()` sends the rest and resolves with the status.
 */
async function slowPut(url: string, body: unknown) {
  const bytes = Buffer.from(JSON.stringify(body));
  const req = http.request(url, {
    method: 'PUT',
    headers: {
      'Content-Type': 'application/json',
      'Content-Length': bytes.length,
      Expect: '100-continue',
    },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
  });
  await new Promise<void>((resolve) => req.once('continue', () => resolve()));
  req.write(bytes.subarray(0, 4));
  return {
    status,
    finish() {
      req.end(bytes.subarray(4));
      return status;
    },
  };
}

async function readiness(
  admin: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${admin}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const seqOf = (id: string) => Number(id.split('.')[0]);

test('RSP-7 EXT-1 SIGTERM drains: /readyz turns 503, the write in flight finishes and is announced, the stream closes with both delimiters, the process exits 0, and the client resumes on a second server', async (t) => {
  const data = join(tempDir(t), 'prep.db');
  const a = serve(t, ['--data', data, '--admin-port', '0', '--drain-timeout', '30']);
  const b = serve(t, ['--data', data, '--quiet']);
  const [A, B] = await Promise.all([urlsOf(a), urlsOf(b)]);
  assert.ok(A.admin, `an admin URL on stdout: ${a.stdout()}`);
  assert.equal((await readiness(A.admin)).status, 200);
  assert.equal((await put(`${A.url}/doc`, { n: 0 })).status, 201);

  // A load balancer in front of both: it sends requests to A until A's /readyz says 503.
  let target = A.url;
  const balancer = (input: string | URL, init?: RequestInit) =>
    fetch(String(input).replace(A.url, target), init);
  const controller = new AbortController();
  const items: SubscriptionItem[] = [];
  /** Every response the client accepted: whether it skipped the body (a resume). */
  const connects: boolean[] = [];
  const done = (async () => {
    for await (const item of subscribe(`${A.url}/doc`, {
      delta: 'application/json-patch+json',
      fetch: balancer,
      signal: controller.signal,
      reconnect: { retries: 100, minDelayMs: 50, maxDelayMs: 200 },
      onConnect: (r) => connects.push(r.omitted),
    }))
      items.push(item);
  })().catch(() => undefined);
  t.after(async () => {
    controller.abort();
    await done;
  });
  const notifications = () =>
    items.flatMap((i) => (i.kind === 'notification' && i.eventId ? [i.eventId] : []));
  await eventually(() => items.some((i) => i.kind === 'representation'), 'the stream to open');
  assert.equal((await put(`${A.url}/doc`, { n: 1 })).status, 204);
  await eventually(() => notifications().length === 1, 'the first notification');

  const write = await slowPut(`${A.url}/doc`, { n: 2 });
  a.child.kill('SIGTERM');
  const draining = await eventually(async () => {
    const r = await readiness(A.admin!);
    return r.status === 503 ? r : undefined;
  }, '/readyz to turn 503');
  assert.equal(draining.body.draining, true);
  assert.equal((await fetch(`${A.admin}/healthz`)).status, 200, 'still answering');
  assert.equal(a.child.exitCode, null, 'the drain waits for the write in flight');
  target = B.url;

  assert.equal(await write.finish(), 204, 'the write in flight is answered');
  assert.deepEqual(await a.exit(), { code: 0, signal: null });
  await eventually(() => notifications().length === 2, 'the drained write, announced');
  // On B, with the last Event-ID it had: nothing missed, so no body (RSP-5).
  await eventually(() => connects.length === 2, 'the client to resume on B');
  assert.deepEqual(connects, [false, true]);
  assert.equal((await put(`${B.url}/doc`, { n: 3 })).status, 204);
  await eventually(() => notifications().length === 3, 'a write on B');

  const reconnects = items.filter((i) => i.kind === 'reconnect');
  assert.ok(reconnects.length >= 1);
  assert.equal(reconnects[0]!.reason, 'expired', 'A ended the stream with both close delimiters');
  const seqs = notifications().map(seqOf);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, 'once each, in order');
  assert.match(a.stdout(), /SIGTERM, closing streams and the database \(draining for up to 30 s\)/);
  assert.match(
    a.stdout(),
    / GET \/doc 200 [\d.]+ms \d+B stream /,
    'the stream is logged when it ends',
  );
  assert.match(a.stdout(), / PUT \/doc 204 /);
});

test('a second SIGTERM during a drain exits at once', async (t) => {
  const a = serve(t, ['--data', join(tempDir(t), 'prep.db'), '--drain-timeout', '60', '--quiet']);
  const { url } = await urlsOf(a);
  const write = await slowPut(`${url}/doc`, { n: 1 });
  write.status.catch(() => undefined);
  a.child.kill('SIGTERM');
  await a.waitFor(/draining for up to 60 s/);
  a.child.kill('SIGTERM');
  assert.deepEqual(await a.exit(10_000), { code: 1, signal: null });
  assert.match(a.stderr(), /SIGTERM again: exiting now/);
});

test('prep serve --workers 2 --admin-port: metrics of each worker, readiness of all; SIGTERM drains them all', async (t) => {
  const cli = serve(t, [
    '--workers',
    '2',
    '--data',
    join(tempDir(t), 'prep.db'),
    '--admin-port',
    '0',
    '--write-rate',
    'off',
    '--quiet',
  ]);
  const { url, admin } = await urlsOf(cli);
  assert.ok(admin, `an admin URL on stdout: ${cli.stdout()}`);
  // Both workers listen once the primary has seen both.
  await eventually(
    async () =>
      parseScrape(await (await fetch(`${admin}/metrics`)).text()).value('prep_cluster_workers') ===
      2,
    'two workers',
    START_MS,
  );
  for (let n = 0; n < 6; n++)
    assert.equal(
      (
        await fetch(`${url}/doc`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json', Connection: 'close' },
          body: JSON.stringify({ n }),
        })
      ).status,
      n === 0 ? 201 : 204,
    );
  const scrape = parseScrape(await (await fetch(`${admin}/metrics`)).text());
  const perWorker = ['1', '2'].map(
    (worker) =>
      scrape.count('prep_writes_total', { method: 'PUT', status: '201', worker }) +
      scrape.count('prep_writes_total', { method: 'PUT', status: '204', worker }),
  );
  assert.equal(
    perWorker[0]! + perWorker[1]!,
    6,
    `every write counted once, by its worker: ${perWorker.join(', ')}`,
  );
  assert.ok(
    perWorker.every((n) => n > 0),
    `connections dealt to both workers: ${perWorker.join(', ')}`,
  );
  assert.equal(scrape.value('prep_draining', { worker: '1' }), 0);
  assert.equal(scrape.value('prep_cluster_workers_unanswered'), 0);
  const ready = await readiness(admin);
  assert.equal(ready.status, 200);
  assert.deepEqual(
    (ready.body.workers as Array<{ worker: number; ready: boolean }>).map((w) => [
      w.worker,
      w.ready,
    ]),
    [
      [1, true],
      [2, true],
    ],
  );

  const write = await slowPut(`${url}/doc`, { n: 99 });
  cli.child.kill('SIGTERM');
  await eventually(async () => (await readiness(admin)).status === 503, '/readyz to turn 503');
  assert.equal(await write.finish(), 204, 'the write in flight is answered');
  assert.deepEqual(await cli.exit(), { code: 0, signal: null });
});
