/**
 * The `prep serve` command as a child process on a temporary database, port 0, loopback.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http2 from 'node:http2';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { subscribe } from '../../packages/client/src/client/index.js';
import { spawnNode, type Child } from '../helpers/child.js';
import { serveFlags } from '../../src/cli/serve-settings.js';
import { settingList } from '../../src/server/settings.js';
import { defer, tempDir } from '../helpers/cleanup.js';
import { put } from '../helpers/http-checks.js';
import { boundaryOf } from '../helpers/prep-body.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'prep.js');
/** Generous: the first start compiles the TypeScript sources through tsx. */
const START_MS = 30_000;

type Cli = Child;

function run(t: TestContext, args: string[]): Cli {
  // The flags alone decide: none of the environment's defaults leak in.
  const env = { ...process.env };
  delete env.PORT;
  delete env.HOST;
  delete env.PREP_DATA;
  return spawnNode(t, [bin, ...args], { cwd: root, env, waitMs: START_MS });
}

/** Starts `prep serve --port 0` on a fresh database; resolves with its URL. */
async function serve(
  t: TestContext,
  extra: string[] = [],
): Promise<{ cli: Cli; url: string; data: string }> {
  const data = join(tempDir(t), 'prep.db');
  const cli = run(t, ['serve', '--host', '127.0.0.1', '--port', '0', '--data', data, ...extra]);
  const m = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:(\d+))/);
  assert.ok(Number(m[2]) > 0, 'port 0 picks a free port and prints it');
  return { cli, url: m[1]!, data };
}

async function exitOf(
  cli: Cli,
  ms = START_MS,
): Promise<{ code: number | null; signal: string | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([cli.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

test('prep serve starts on port 0, prints its URL first, serves a PUT and a GET, logs them, survives an oversized upload', async (t) => {
  const { cli, url, data } = await serve(t, ['--max-body', '1024']);
  assert.match(cli.stdout().split('\n')[0]!, /listening on http:\/\/127\.0\.0\.1:\d+/);
  const written = await put(`${url}/hello`, '{"hello":"world"}');
  assert.equal(written.status, 201);
  const got = await fetch(`${url}/hello`);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get('etag'), written.headers.get('etag'));
  assert.deepEqual(await got.json(), { hello: 'world' });
  await cli.waitFor(/ PUT \/hello 201 /);
  await cli.waitFor(/ GET \/hello 200 /);
  assert.ok(existsSync(data), 'the database file was created');

  // The request log used to read req.socket after the socket was gone, and crash the process.
  const big = new Uint8Array(200 * 1024);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < big.length; i += 8192) c.enqueue(big.subarray(i, i + 8192));
      c.close();
    },
  });
  // Far over the limit: the client may see the 413 or a closed connection.
  await fetch(`${url}/big`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/octet-stream' },
    body,
    duplex: 'half',
  } as RequestInit).then(
    (r) => r.arrayBuffer(),
    () => undefined,
  );
  await cli.waitFor(/ PUT \/big 413 /);
  const still = await fetch(`${url}/hello`);
  assert.equal(still.status, 200, 'still serving');
  await still.arrayBuffer();
  assert.equal(cli.child.exitCode, null);

  cli.child.kill('SIGTERM');
  assert.deepEqual(await exitOf(cli), { code: 0, signal: null });
});

test('N822-8 prep serve --max-delta-bytes: a small document gets a delta, one past the cap none (the client re-fetches)', async (t) => {
  const { cli, url } = await serve(t, ['--max-delta-bytes', '64']);
  assert.equal((await put(`${url}/d`, '{"n":1}')).status, 201);
  const stop = new AbortController();
  const items = subscribe(`${url}/d`, {
    delta: 'application/merge-patch+json',
    signal: stop.signal,
  })[Symbol.asyncIterator]();
  assert.equal((await items.next()).value?.kind, 'representation');
  await put(`${url}/d`, '{"n":2}');
  const small = (await items.next()).value;
  assert.ok(small?.kind === 'notification' && small.delta);
  assert.equal(new TextDecoder().decode(small.delta.body), '{"n":2}');
  await put(`${url}/d`, JSON.stringify({ n: 'x'.repeat(100) }));
  const big = (await items.next()).value;
  assert.ok(big?.kind === 'notification' && big.method === 'PUT');
  assert.equal(big.delta, undefined, 'past the cap: no delta');
  stop.abort();
  cli.child.kill('SIGTERM');
  assert.deepEqual(await exitOf(cli), { code: 0, signal: null });
});

test('SEC-4 prep serve --h2c answers plain HTTP/1.1 (fetch, curl) and HTTP/2 by prior knowledge on one port', async (t) => {
  const { cli, url } = await serve(t, ['--h2c']);
  const written = await put(`${url}/h`, '{"via":"http/1.1"}');
  assert.equal(written.status, 201);
  await cli.waitFor(/ PUT \/h 201 /);
  const session = http2.connect(url);
  defer(t, () => session.close());
  const got = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const stream = session.request({ ':path': '/h' });
    let body = '';
    let status = 0;
    stream.setEncoding('utf8');
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (c: string) => (body += c));
    stream.on('end', () => resolve({ status, body }));
    stream.on('error', reject);
  });
  assert.deepEqual(got, { status: 200, body: '{"via":"http/1.1"}' });
  await cli.waitFor(/ GET \/h 200 .* HTTP\/2\.0 /);
  cli.child.kill('SIGTERM');
  assert.deepEqual(await exitOf(cli), { code: 0, signal: null });
});

test('prep serve --help documents every setting of the table, --config and --help, and exits 0', async (t) => {
  const cli = run(t, ['serve', '--help']);
  const short = run(t, ['serve', '-h']);
  assert.deepEqual(await exitOf(cli), { code: 0, signal: null });
  const help = cli.stdout();
  assert.match(help, /^Usage: prep serve \[options\]/);
  // The parser's flags come from the settings table, so a new setting cannot go undocumented.
  const flags = Object.keys(serveFlags());
  for (const name of ['port', 'host', 'data', 'max-body', 'cors', 'quiet', 'config', 'help'])
    assert.ok(flags.includes(name), `--${name} is a flag`);
  for (const name of flags)
    assert.match(help, new RegExp(`--${name}\\b`), `--help documents --${name}`);
  for (const s of settingList()) assert.ok(help.includes(s.env), `--help names ${s.env}`);
  assert.match(help, /-h, --help/);
  assert.equal(cli.stderr(), '');
  assert.equal((await exitOf(short)).code, 0);
  assert.equal(short.stdout(), help);
});

test('prep serve exits 2 with a message on a bad flag, and opens nothing', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'never.db');
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /bogus/],
    [['--port', 'abc'], /--port expects/],
    [['--port', '70000'], /--port expects/],
    [['--headers-timeout', '5000', '--request-timeout', '1000'], /--headers-timeout/],
  ];
  // In parallel: each start of the CLI takes a while.
  const unknown = run(t, ['frobnicate']);
  const runs = cases.map(([args, message]) => ({
    args,
    message,
    cli: run(t, ['serve', '--data', data, ...args]),
  }));
  for (const { args, message, cli } of runs) {
    const { code } = await exitOf(cli);
    assert.equal(code, 2, `${args.join(' ')}: ${cli.stderr()}`);
    assert.match(cli.stderr(), message, args.join(' '));
    assert.match(cli.stderr(), /^prep serve: /);
    assert.equal(cli.stdout(), '', 'no output on stdout');
  }
  assert.equal(existsSync(data), false, 'no database was created');
  assert.equal((await exitOf(unknown)).code, 2);
  assert.match(unknown.stderr(), /unknown command 'frobnicate'/);
});

test('RSP-7 on SIGTERM prep serve closes open streams with both close delimiters, then exits 0', async (t) => {
  const { cli, url } = await serve(t, ['--quiet']);
  assert.equal((await put(`${url}/watched`, '{"n":1}')).status, 201);
  const controller = new AbortController();
  defer(t, () => controller.abort());
  const res = await fetch(`${url}/watched`, {
    headers: { 'Accept-Events': '"prep"' },
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  const mixed = boundaryOf(res.headers.get('content-type'));
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  // Read up to the digest's opening delimiter: the subscription is set up.
  for (;;) {
    const m = /Content-Type: multipart\/digest; boundary="?([^"\r\n]+)"?\r\n\r\n--\1/.exec(text);
    if (m) break;
    const { value, done } = await reader.read();
    assert.equal(done, false, `the stream ended early: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  const digest = boundaryOf(/Content-Type: (multipart\/digest;[^\r\n]+)/.exec(text)![1]);

  cli.child.kill('SIGTERM');
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  assert.match(
    text,
    new RegExp(`\\r\\n--${digest}--\\r\\n--${mixed}--(\\r\\n)?$`),
    'the digest closes, then the mixed part closes, and the response ends',
  );
  assert.deepEqual(await exitOf(cli), { code: 0, signal: null });
  assert.match(cli.stdout(), /SIGTERM, closing streams and the database/);
});
