/**
 * `prep bench URL`: against our server on port 0 (in this process), the CLI as a child
 * process opens the subscriptions, writes, and reports every notification delivered once;
 * a URL off this machine is refused with one line. Figures are not asserted (timing).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { UrlBenchResult } from '../../src/cli/bench-load.js';
import { PER_ADDRESS } from '../../src/cli/bench-pool.js';
import { spawnNode } from '../helpers/child.js';
import { startWatchServer } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const PREP = join(root, 'bin', 'prep.js');
const WAIT_MS = 120_000;

test('prep bench: 20 subscribers × 20 writes, one at a time and in bursts, each delivered exactly once', async (t) => {
  const running = await startWatchServer(t);
  const dir = mkdtempSync(join(tmpdir(), 'prep-bench-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'out.json');
  const run = spawnNode(
    t,
    [PREP, 'bench', `${running.url}/doc`, '--subscribers', '20', '--writes', '20', '--burst', '5'],
    { cwd: root, env: process.env, waitMs: WAIT_MS },
  );
  assert.equal((await run.exit()).code, 0, run.stderr());
  // Again with --json, and the resource named by flag.
  const again = spawnNode(
    t,
    [
      PREP,
      'bench',
      running.url,
      '--resource',
      '/bench/r',
      '--subscribers',
      '20',
      '--writes',
      '20',
      '--burst',
      '5',
      '--json',
      json,
    ],
    { cwd: root, env: process.env, waitMs: WAIT_MS },
  );
  assert.equal((await again.exit()).code, 0, again.stderr());
  for (const out of [run.stdout(), again.stdout()]) {
    assert.match(out, /one at a time/);
    assert.match(out, /bursts of 5/);
  }
  const result = JSON.parse(readFileSync(json, 'utf8')) as UrlBenchResult;
  assert.equal(result.ok, true);
  assert.equal(result.subscribers, 20);
  assert.equal(result.lost, 0);
  assert.equal(result.duplicated, 0);
  assert.deepEqual(
    result.phases.map((p) => [p.name, p.writes, p.deliveries, p.lost, p.duplicated, p.unexpected]),
    [
      ['one at a time', 20, 20 * 20, 0, 0, 0],
      ['bursts of 5', 20, 20 * 20, 0, 0, 0],
    ],
  );
  for (const p of result.phases) assert.equal(typeof p.p99Ms, 'number', `${p.name} latency`);
});

test('prep bench refuses a URL off this machine with one line, and a bad flag', async (t) => {
  for (const args of [
    ['http://10.1.2.3:8080/doc'],
    ['https://127.0.0.1:8080/doc'],
    ['http://127.0.0.1:8080/doc', '--subscribers', 'many'],
  ]) {
    const run = spawnNode(t, [PREP, 'bench', ...args], {
      cwd: root,
      env: process.env,
      waitMs: WAIT_MS,
    });
    const { code } = await run.exit();
    assert.equal(code, 2, args.join(' '));
    assert.equal(run.stdout(), '');
    const lines = run.stderr().trim().split('\n');
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0]!, /^prep bench: /);
  }
  const refused = spawnNode(t, [PREP, 'bench', 'http://10.1.2.3:8080/doc'], {
    cwd: root,
    env: process.env,
    waitMs: WAIT_MS,
  });
  await refused.exit();
  assert.match(refused.stderr(), /loopback/);
});

test('prep bench: a source address takes at most a quarter of the ephemeral ports (where bind stays cheap)', (t) => {
  let range: number[];
  try {
    range = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
  } catch {
    t.skip('no /proc/sys/net/ipv4/ip_local_port_range (not Linux)');
    return;
  }
  const [low, high] = range as [number, number];
  // Beyond (high - low + 1) / 4 ports on one address, each bind(port 0) scans them all first.
  assert.ok(PER_ADDRESS > 0);
  assert.ok(PER_ADDRESS <= (high - low + 1) / 4, `${PER_ADDRESS} per address`);
});
