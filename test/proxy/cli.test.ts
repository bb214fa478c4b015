/**
 * `prep proxy` as a command: its help, its usage errors, and a run in front of json-server
 * that is stopped (streams end cleanly) and started again on the same log (Last-Event-ID).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { spawnNode, type Child } from '../helpers/child.js';
import { Subscriber } from '../helpers/subscriber.js';
import { WAIT_MS, root, send, startJsonServer, tempDir } from './helpers.js';

const PREP = join(root, 'bin', 'prep.js');

function run(t: TestContext, args: string[]): Child {
  return spawnNode(t, [PREP, 'proxy', ...args], {
    cwd: root,
    env: { ...process.env },
    waitMs: WAIT_MS,
  });
}

test('prep proxy --help lists every flag; usage errors exit 2 with one line', async (t) => {
  const help = run(t, ['--help']);
  assert.equal((await help.exit()).code, 0);
  for (const flag of [
    '--upstream URL',
    '--watch GLOB',
    '--collection GLOB',
    '--poll SECONDS',
    '--notify-secret-file FILE',
    '--data FILE',
    '--database URL',
    '--max-upstream-requests N',
    '--max-body BYTES',
    '--max-subscriptions N',
  ])
    assert.ok(help.stdout().includes(flag), flag);
  for (const [args, message] of [
    [[], /--upstream URL is required/],
    [['--upstream', 'ftp://x'], /--upstream expects an http/],
    [['--upstream', 'http://127.0.0.1:1', '--poll', '0'], /--poll expects/],
    [['--upstream', 'http://127.0.0.1:1', '--watch', 'posts/**'], /starts with \//],
    [['--upstream', 'http://127.0.0.1:1', '--notify-secret', 'short'], /16 characters/],
    [['--upstream', 'http://127.0.0.1:1', '--nope'], /unknown option --nope/],
  ] as const) {
    const child = run(t, [...args]);
    assert.equal((await child.exit()).code, 2, args.join(' '));
    assert.match(child.stderr(), message);
  }
});

test('RSP-7 RSP-5 prep proxy in front of json-server: a stream through it, closed cleanly on SIGTERM; started again on the same log, Last-Event-ID resumes', async (t) => {
  const api = await startJsonServer(t);
  const data = join(tempDir(t), 'log', 'proxy.db');
  const args = ['--upstream', api.url, '--port', '0', '--data', data, '--quiet'];
  const start = async (): Promise<{ child: Child; url: string }> => {
    const child = run(t, args);
    const [, url] = await child.waitFor(/listening on (http:\/\/\S+),/);
    return { child, url: url! };
  };
  let proxy = await start();
  const sub = await Subscriber.open(`${proxy.url}/posts/1`);
  t.after(() => sub.close());
  await send(`${proxy.url}/posts/1`, 'PATCH', { title: 'through the command' });
  const n = await sub.notification();
  assert.equal(n.method, 'PATCH');
  assert.equal(n.etag, (await fetch(`${api.url}/posts/1`)).headers.get('etag'));

  proxy.child.child.kill('SIGTERM');
  assert.deepEqual(await sub.rest(), []);
  assert.equal(sub.ended, true, 'both close delimiters');
  assert.equal((await proxy.child.exit()).code, 0);

  proxy = await start();
  const resumed = await Subscriber.open(`${proxy.url}/posts/1`, {
    headers: { 'Accept-Events': '"prep"', 'Last-Event-ID': n.eventId },
  });
  t.after(() => resumed.close());
  assert.equal(resumed.part1.body.length, 0, 'the latest Event-ID: no body (RSP-5)');
  await send(`${proxy.url}/posts/1`, 'DELETE');
  assert.deepEqual(
    (await resumed.rest()).map((x) => x.method),
    ['DELETE'],
  );
  proxy.child.child.kill('SIGTERM');
  assert.equal((await proxy.child.exit()).code, 0);
});
