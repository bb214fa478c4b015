/**
 * The command-line helpers every `prep` command uses (src/cli/args.ts, network-error.ts), in
 * process: typo suggestions, one-line usage errors, and the reason behind `fetch failed`.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { closestFlag, oneOf, parseCommandLine, USAGE_EXIT } from '../../src/cli/args.js';
import { cannotReach, isNetworkError, networkReason } from '../../src/cli/network-error.js';
import { unusedPort } from './helpers.js';

const FLAGS = ['delta', 'accept', 'header', 'last-event-id', 'no-reconnect', 'json', 'live'];

test('closestFlag suggests the flag a typo was meant to be: a swap, a missing, extra or wrong letter, a unique prefix', () => {
  const cases: Array<[string, string]> = [
    ['dleta', 'delta'],
    ['deta', 'delta'],
    ['deltaa', 'delta'],
    ['delte', 'delta'],
    ['acept', 'accept'],
    ['hedaer', 'header'],
    ['last-event', 'last-event-id'],
    ['no-reconect', 'no-reconnect'],
    ['jsno', 'json'],
  ];
  for (const [typed, meant] of cases) assert.equal(closestFlag(typed, FLAGS), meant, typed);
});

test('closestFlag suggests nothing for a name that is not near any flag', () => {
  for (const typed of ['zzz', 'verbose', 'x', 'jq', 'port', 'reconnect-always'])
    assert.equal(closestFlag(typed, FLAGS), undefined, typed);
});

/** Runs `fn` with stdout and stderr captured. */
function captured<T>(fn: () => T): { result: T; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const out = mock.method(process.stdout, 'write', (s: string) => (stdout += s).length > 0);
  const err = mock.method(process.stderr, 'write', (s: string) => (stderr += s).length > 0);
  try {
    return { result: fn(), stdout, stderr };
  } finally {
    out.mock.restore();
    err.mock.restore();
  }
}

const WATCH = {
  name: 'prep watch',
  positionals: true,
  help: 'Usage: prep watch URL [options]\n...\n',
  options: {
    delta: { type: 'string' },
    json: { type: 'boolean' },
    header: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
} as const;

test('parseCommandLine answers each kind of bad command line with one line on stderr and status 2', () => {
  const cases: Array<[string[], string]> = [
    [['--dleta', 'x'], 'prep watch: unknown option --dleta (did you mean --delta?)\n'],
    [['--zzz'], 'prep watch: unknown option --zzz (see prep watch --help)\n'],
    [['-q'], 'prep watch: unknown option -q (see prep watch --help)\n'],
    [['u', '--delta'], 'prep watch: --delta expects a value (see prep watch --help)\n'],
    [['u', '--delta', '--json'], 'prep watch: --delta expects a value (see prep watch --help)\n'],
    [['u', '--json=yes'], 'prep watch: --json takes no value (see prep watch --help)\n'],
  ];
  for (const [argv, line] of cases) {
    const { result, stdout, stderr } = captured(() => parseCommandLine(WATCH, argv));
    assert.equal(result, USAGE_EXIT, argv.join(' '));
    assert.equal(stderr, line, argv.join(' '));
    assert.equal(stdout, '');
  }
  const serve = { ...WATCH, name: 'prep serve', positionals: false };
  const stray = captured(() => parseCommandLine(serve, ['extra']));
  assert.equal(stray.result, USAGE_EXIT);
  assert.equal(stray.stderr, 'prep serve: unexpected argument "extra" (see prep serve --help)\n');
});

test('parseCommandLine prints the help for --help or -h (exit 0), and returns typed values otherwise', () => {
  for (const argv of [['--help'], ['-h'], ['u', '--bogus', '--help']]) {
    const { result, stdout, stderr } = captured(() => parseCommandLine(WATCH, argv));
    assert.equal(result, 0, argv.join(' '));
    assert.equal(stdout, WATCH.help);
    assert.equal(stderr, '');
  }
  const { result, stderr } = captured(() =>
    parseCommandLine(WATCH, ['u', '--delta=-x', '--json', '--header', 'A: 1', '--header', 'B: 2']),
  );
  assert.equal(stderr, '');
  assert.ok(typeof result === 'object');
  assert.deepEqual(result.positionals, ['u']);
  assert.deepEqual({ ...result.values }, { delta: '-x', json: true, header: ['A: 1', 'B: 2'] });
});

test('oneOf refuses an unknown type with the list of known ones, and takes a known one in any case, with parameters', () => {
  const known = ['application/json-patch+json', 'text/plain'];
  const bad = captured(() => oneOf('prep watch', '--delta', 'text/html', known));
  assert.equal(bad.result, USAGE_EXIT);
  assert.equal(
    bad.stderr,
    'prep watch: --delta: unknown type "text/html"; known: application/json-patch+json, text/plain\n',
  );
  for (const value of ['Text/Plain', 'text/plain; charset=utf-8']) {
    const good = captured(() => oneOf('prep watch', '--delta', value, known));
    assert.equal(good.result, value);
    assert.equal(good.stderr, '');
  }
});

test('networkReason digs the reason out of fetch failed: refused, unknown host, one per address tried', async () => {
  const port = await unusedPort();
  const refused = await fetch(`http://127.0.0.1:${port}/c/`).catch((e: unknown) => e);
  assert.ok(isNetworkError(refused));
  assert.equal((refused as Error).message, 'fetch failed', 'Node hides the reason in the cause');
  assert.equal(networkReason(refused), `ECONNREFUSED 127.0.0.1:${port}`);
  assert.equal(
    cannotReach(`http://127.0.0.1:${port}/c/`, refused),
    `cannot reach http://127.0.0.1:${port}/c/: ECONNREFUSED 127.0.0.1:${port}`,
  );

  const unknownHost = Object.assign(new Error('getaddrinfo ENOTFOUND nohost.invalid'), {
    code: 'ENOTFOUND',
    hostname: 'nohost.invalid',
  });
  const wrapped = new TypeError('fetch failed', { cause: unknownHost });
  assert.ok(isNetworkError(wrapped));
  assert.equal(networkReason(wrapped), 'ENOTFOUND nohost.invalid');

  const both = new TypeError('fetch failed', {
    cause: new AggregateError([
      Object.assign(new Error('connect ECONNREFUSED ::1:7'), {
        code: 'ECONNREFUSED',
        address: '::1',
        port: 7,
      }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7'), {
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 7,
      }),
    ]),
  });
  assert.equal(networkReason(both), 'ECONNREFUSED [::1]:7, ECONNREFUSED 127.0.0.1:7');

  // Port 9 is one of the Fetch standard's "bad ports": fetch refuses it without connecting.
  const blocked = await fetch('http://127.0.0.1:9/c/').catch((e: unknown) => e);
  assert.equal(
    cannotReach('http://127.0.0.1:9/c/', blocked),
    'cannot reach http://127.0.0.1:9/c/: fetch does not connect to port 9',
  );

  assert.equal(isNetworkError(new Error('PUT /x answered 500')), false);
  assert.equal(isNetworkError(new TypeError('x is not a function')), false);
});
