/**
 * The `prep` command as a person meets it (bin/prep.js, child processes): `--version`, a
 * mistyped flag or command answered in one line with the closest known one, usage errors in
 * one line that point to `--help`, unknown types refused with the known ones, and a server
 * that cannot be reached named with the reason. The same for watch, replicate, bench and serve.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { spawnNode, type Child } from '../helpers/child.js';
import { unusedPort, WAIT_MS } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const PREP = join(root, 'bin', 'prep.js');

function prep(t: TestContext, args: string[], cwd = root): Child {
  const env = { ...process.env };
  delete env.PORT;
  delete env.PREP_DATA;
  delete env.PREP_DATABASE_URL;
  return spawnNode(t, [PREP, ...args], { cwd, env, waitMs: WAIT_MS });
}

/** Runs every case in parallel (each start of the CLI compiles through tsx), then checks it. */
async function expectRuns(
  t: TestContext,
  cases: Array<{ args: string[]; code: number; stderr?: RegExp | string; stdout?: string }>,
  cwd?: string,
): Promise<void> {
  const runs = cases.map((c) => ({ ...c, run: prep(t, c.args, cwd) }));
  for (const { args, code, stderr, stdout, run } of runs) {
    const what = `prep ${args.join(' ')}`;
    assert.deepEqual(await run.exit(), { code, signal: null }, `${what}: ${run.stderr()}`);
    assert.equal(run.stdout(), stdout ?? '', `${what}: stdout`);
    if (stderr === undefined) assert.equal(run.stderr(), '', `${what}: stderr`);
    else {
      assert.match(run.stderr(), /^[^\n]+\n$/, `${what}: one line on stderr`);
      if (typeof stderr === 'string') assert.equal(run.stderr(), `${stderr}\n`, what);
      else assert.match(run.stderr(), stderr, what);
    }
  }
}

test('prep --version and prep -v print the version from package.json', async (t) => {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  assert.match(version, /^\d+\.\d+\.\d+/);
  await expectRuns(t, [
    { args: ['--version'], code: 0, stdout: `prep-live ${version}\n` },
    { args: ['-v'], code: 0, stdout: `prep-live ${version}\n` },
  ]);
});

test('a mistyped flag or command is one line naming it and the closest known one, exit 2, for every command', async (t) => {
  await expectRuns(t, [
    {
      args: ['watch', 'http://127.0.0.1:8080/a', '--dleta', 'text/plain'],
      code: 2,
      stderr: 'prep watch: unknown option --dleta (did you mean --delta?)',
    },
    {
      args: ['replicate', 'http://127.0.0.1:8080/c/', 'dir', '--intreval', '5'],
      code: 2,
      stderr: 'prep replicate: unknown option --intreval (did you mean --interval?)',
    },
    {
      args: ['bench', 'http://127.0.0.1:8080/r', '--subscriber', '5'],
      code: 2,
      stderr: 'prep bench: unknown option --subscriber (did you mean --subscribers?)',
    },
    {
      args: ['serve', '--prot', '8080'],
      code: 2,
      stderr: 'prep serve: unknown option --prot (did you mean --port?)',
    },
    {
      args: ['watch', 'http://127.0.0.1:8080/a', '--frobnicate'],
      code: 2,
      stderr: 'prep watch: unknown option --frobnicate (see prep watch --help)',
    },
    {
      args: ['wathc'],
      code: 2,
      stderr: "prep: unknown command 'wathc' (did you mean prep watch?)",
    },
    { args: ['--bogus'], code: 2, stderr: 'prep: unknown option --bogus (see prep --help)' },
  ]);
});

test('usage errors are one line that points to the command help, never the whole help, exit 2', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'prep-usage-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  await expectRuns(
    t,
    [
      {
        args: ['watch'],
        code: 2,
        stderr: 'prep watch: expected the URL of a resource (see prep watch --help)',
      },
      {
        args: ['watch', 'http://127.0.0.1:8080/a', '--delta'],
        code: 2,
        stderr: 'prep watch: --delta expects a value (see prep watch --help)',
      },
      {
        args: ['replicate', 'http://127.0.0.1:8080/c/'],
        code: 2,
        stderr: 'prep replicate: expected URL and DIR (see prep replicate --help)',
      },
      {
        args: ['replicate', 'http://127.0.0.1:8080/c', 'dir'],
        code: 2,
        stderr:
          'prep replicate: a collection URL ends with "/" (did you mean http://127.0.0.1:8080/c/?)',
      },
      { args: ['bench'], code: 2, stderr: 'prep bench: expects one URL (see prep bench --help)' },
      {
        args: ['serve', '--port', 'eighty'],
        code: 2,
        stderr:
          'prep serve: --port expects a non-negative integer up to 65535, got "eighty" (see prep serve --help)',
      },
      {
        args: ['serve', 'now'],
        code: 2,
        stderr: 'prep serve: unexpected argument "now" (see prep serve --help)',
      },
    ],
    cwd,
  );
  assert.deepEqual(readdirSync(cwd), [], 'a usage error creates nothing (no database, no DIR)');
});

test('an unknown delta or media type is refused with the list of known ones', async (t) => {
  const url = 'http://127.0.0.1:8080/a';
  await expectRuns(t, [
    {
      args: ['watch', url, '--delta', 'application/json'],
      code: 2,
      stderr:
        'prep watch: --delta: unknown type "application/json"; known: application/json-patch+json, application/merge-patch+json, text/plain, text/x-diff, auto',
    },
    {
      args: ['watch', url, '--live', '--delta', 'text/plain'],
      code: 2,
      stderr:
        'prep watch: --live --delta: unknown type "text/plain"; known: application/json-patch+json, application/merge-patch+json, auto',
    },
    {
      args: ['watch', url, '--accept', 'rfc822'],
      code: 2,
      stderr:
        'prep watch: --accept expects a media type such as message/rfc822, got "rfc822" (see prep watch --help)',
    },
  ]);
});

test('a server that cannot be reached is named with the reason (ECONNREFUSED address:port), exit 1', async (t) => {
  const port = await unusedPort();
  const base = `http://127.0.0.1:${port}`;
  const reason = `ECONNREFUSED 127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'prep-unreachable-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await expectRuns(t, [
    {
      args: ['replicate', `${base}/c/`, join(dir, 'copy'), '--once'],
      code: 1,
      stderr: `prep replicate: cannot reach ${base}/c/: ${reason}`,
    },
    {
      args: ['watch', `${base}/a`],
      code: 1,
      stderr: `prep watch: cannot reach ${base}/a: ${reason}`,
    },
    {
      args: ['bench', `${base}/r`, '--subscribers', '1', '--writes', '1', '--processes', '1'],
      code: 1,
      stderr: `prep bench: cannot reach ${base}/r: ${reason}`,
    },
  ]);
});

test('every command parses its flags with the shared helper (src/cli/args.ts), not parseArgs directly', () => {
  const dir = join(root, 'src', 'cli');
  const direct = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'args.ts')
    .filter((f) => /\bparseArgs\b/.test(readFileSync(join(dir, f), 'utf8')));
  assert.deepEqual(direct, []);
  for (const command of ['serve.ts', 'watch.ts', 'replicate.ts', 'bench.ts'])
    assert.match(readFileSync(join(dir, command), 'utf8'), /parseCommandLine\(/, command);
});
