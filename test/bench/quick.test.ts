// The benchmark harness stays runnable: `bench/run.ts --quick fanout` in a child process,
// with every server, must finish and report every scenario × server row with each
// notification delivered exactly once; so must `--quick workers` (prep serve --workers) for
// every --workers count. Timings are not asserted (the machine is shared).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DeliveryCheck, ServerRow } from '../../bench/scenarios/types.js';
import type { WorkersPlan, WorkersRow } from '../../bench/scenarios/workers.js';
import { SERVERS } from '../../bench/servers/spawn.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Runs `bench/run.ts <args> --json <file>`; resolves with the JSON it wrote. */
async function runBench(args: string[], dir: string): Promise<unknown> {
  const out = join(dir, 'out.json');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/run.ts', ...args, '--json', out],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, output);
  assert.ok(existsSync(out));
  return JSON.parse(readFileSync(out, 'utf8'));
}

/** Every notification due was delivered once, nothing refused or closed early. */
function assertClean(c: DeliveryCheck | undefined, what: string): void {
  assert.ok(c, `${what}: no check`);
  assert.ok(c.expected > 0, `${what}: nothing was due`);
  assert.deepEqual(
    {
      deliveries: c.deliveries,
      lost: c.lost,
      duplicated: c.duplicated,
      unexpected: c.unexpected,
      closedEarly: c.closedEarly,
      connectFailed: c.connectFailed,
    },
    {
      deliveries: c.expected,
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      closedEarly: 0,
      connectFailed: 0,
    },
    what,
  );
}

test(
  'bench: --quick fanout runs every server and loses no notification',
  { timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prep-bench-test-'));
    try {
      const result = (await runBench(['--quick', 'fanout'], dir)) as {
        machine: { cores: number; node: string };
        servers: ServerRow[];
      };
      assert.equal(result.machine.node, process.version);
      const scenarios = [...new Set(result.servers.map((r) => r.scenario))];
      assert.deepEqual(scenarios.sort(), ['burst of 5', 'one-at-a-time']);
      for (const scenario of scenarios)
        for (const server of SERVERS) {
          const rows = result.servers.filter((r) => r.scenario === scenario && r.server === server);
          assert.equal(rows.length, 1, `${scenario} × ${server}`);
          const row = rows[0]!;
          assertClean(row.check, `${scenario} × ${server} (${row.note ?? ''})`);
          assert.ok(row.ok, `${scenario} × ${server}: ${row.note ?? ''}`);
          assert.ok(row.metrics.cpuUs! > 0, `${scenario} × ${server}: server CPU was measured`);
        }
      assert.match(readFileSync(join(dir, 'fanout.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'bench: --quick workers runs prep serve --workers 1 and 2 side by side and loses no notification',
  { timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prep-bench-test-'));
    try {
      const result = (await runBench(['--quick', 'workers'], dir)) as {
        parameters: { workers: WorkersPlan };
        workers: WorkersRow[];
      };
      const plan = result.parameters.workers;
      const rows = result.workers;
      const scenarios = [...new Set(rows.map((r) => r.scenario))];
      assert.equal(scenarios.length, 4, scenarios.join(', '));
      for (const scenario of scenarios.filter((s) => !s.startsWith('capacity'))) {
        const counts = rows.filter((r) => r.scenario === scenario).map((r) => r.workers);
        const expected = scenario.startsWith('writes') ? plan.writes.workers : plan.latency.workers;
        assert.deepEqual(counts, expected, scenario);
      }
      for (const row of rows) {
        const what = `${row.scenario} × ${row.column}`;
        assert.ok(row.ok, `${what}: ${row.note ?? ''}`);
        if (row.scenario.startsWith('writes')) {
          assert.ok(row.metrics.writes! >= plan.writes.writes, what);
          assert.ok(row.metrics.writesPerSec! > 0, what);
        } else {
          assertClean(row.check, what);
          assert.ok(row.metrics.p99Ms! >= 0, `${what}: latency was measured`);
        }
      }
      const capacity = rows.find((r) => r.scenario.startsWith('capacity'))!;
      assert.equal(capacity.workers, plan.capacity.workers);
      assert.equal(capacity.metrics.held, plan.capacity.subscribers);
      // node:cluster spread the subscriptions: no worker holds them all (read from /proc).
      assert.ok(capacity.metrics.maxDescriptors! > 0, 'descriptors were read from /proc');
      assert.ok(
        capacity.metrics.maxDescriptors! < plan.capacity.subscribers,
        'spread over workers',
      );
      assert.ok(capacity.metrics.rssMB! > 0, 'RSS was read from /proc');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
