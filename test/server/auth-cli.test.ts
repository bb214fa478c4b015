/**
 * `prep serve --auth FILE` as a child process (SEC-1, SEC-2): a broken policy file stops the
 * start in one line; a good one guards every request and is re-read on SIGHUP.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mock, test, type TestContext } from 'node:test';
import { replicate } from '../../src/cli/replicate.js';
import { TokenPolicy } from '../../src/server/auth/index.js';
import { spawnNode, type Child } from '../helpers/child.js';
import { tempDir } from '../helpers/cleanup.js';
import { withServer } from '../helpers/server.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'prep.js');
/** Generous: the first start compiles the TypeScript sources through tsx. */
const START_MS = 30_000;

function run(t: TestContext, args: string[]): Child {
  const env = { ...process.env };
  for (const name of ['PORT', 'HOST', 'PREP_DATA', 'PREP_DATABASE_URL', 'PREP_AUTH_FILE'])
    delete env[name];
  return spawnNode(t, [bin, ...args], { cwd: root, env, waitMs: START_MS });
}

test('SEC-1 prep serve --auth with a broken file exits with status 2 and one line naming the field, before opening the database', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'auth.json');
  writeFileSync(
    file,
    JSON.stringify({ tokens: [{ name: 'a', token: 't', rules: [{ prefix: '/', read: 'yes' }] }] }),
  );
  const data = join(dir, 'prep.db');
  const cli = run(t, ['serve', '--port', '0', '--data', data, '--auth', file]);
  const { code } = await cli.exit();
  assert.equal(code, 2);
  const lines = cli.stderr().trimEnd().split('\n');
  assert.equal(lines.length, 1, cli.stderr());
  assert.match(lines[0]!, /^prep serve: --auth .*auth\.json: tokens\[0\]\.rules\[0\]\.read: /);
  assert.equal(existsSync(data), false);
});

test('SEC-1 SEC-2 prep serve --auth guards requests and re-reads the file on SIGHUP; --help lists the new limits', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'auth.json');
  const rules = [{ prefix: '/', read: true, write: true }];
  writeFileSync(file, JSON.stringify({ tokens: [{ name: 'a', token: 'tok', rules }] }));
  const cli = run(t, [
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data',
    join(dir, 'prep.db'),
    '--auth',
    file,
    '--quiet',
  ]);
  const url = (await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const get = (headers: Record<string, string> = {}) => fetch(`${url}/x`, { headers });
  const anonymous = await get();
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer /);
  assert.equal((await get({ Authorization: 'Bearer tok' })).status, 404);
  // The token is revoked; SIGHUP makes the server read the file now.
  writeFileSync(file, JSON.stringify({ tokens: [{ name: 'b', token: 'other', rules }] }));
  cli.child.kill('SIGHUP');
  // A hang guard, not a timing check.
  for (const deadline = Date.now() + START_MS; ;) {
    const r = await get({ Authorization: 'Bearer tok' });
    if (r.status === 401) break;
    assert.equal(r.status, 404);
    assert.ok(Date.now() < deadline, 'the policy was never reloaded');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.match(cli.stderr(), /auth: reloaded/);
  assert.equal((await get({ Authorization: 'Bearer other' })).status, 404);

  const help = run(t, ['serve', '--help']);
  assert.equal((await help.exit()).code, 0);
  for (const flag of [
    '--auth FILE',
    '--max-subscriptions-per-token N',
    '--max-identical-subscriptions N',
    '--write-rate N',
    '--write-burst N',
  ])
    assert.ok(help.stdout().includes(flag), flag);
});

test('SEC-1 prep replicate --header sends the token: refused without it, mirrored with it', async (t) => {
  const access = new TokenPolicy({
    tokens: [{ name: 'r', token: 'rtok', rules: [{ prefix: '/', read: true, write: true }] }],
  });
  await withServer({ access }, async (srv) => {
    const auth = { Authorization: 'Bearer rtok' };
    assert.equal((await srv.put('/notes/a', { v: 1 }, { headers: auth })).status, 201);
    const said: string[] = [];
    const quiet = (chunk: string | Uint8Array) => said.push(String(chunk)) > 0;
    const stderr = mock.method(process.stderr, 'write', quiet);
    const stdout = mock.method(process.stdout, 'write', quiet);
    try {
      const denied = tempDir(t);
      assert.equal(await replicate([`${srv.url}/notes/`, denied, '--once']), 1);
      assert.equal(existsSync(join(denied, 'a')), false);
      const dir = tempDir(t);
      const args = [`${srv.url}/notes/`, dir, '--once', '--header', 'Authorization: Bearer rtok'];
      assert.equal(await replicate(args), 0, said.join(''));
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'a'), 'utf8')), { v: 1 });
      assert.equal(await replicate([`${srv.url}/notes/`, dir, '--header', 'no colon']), 2);
    } finally {
      stderr.mock.restore();
      stdout.mock.restore();
    }
  });
});
