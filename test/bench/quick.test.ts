// The benchmark harness stays runnable: `bench/run.ts --quick fanout` in a child process,
// with every server, must finish and report every scenario × server row with each
// notification delivered exactly once. Timings are not asserted (the machine is shared).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ServerRow } from '../../bench/scenarios/types.js';
import { SERVERS } from '../../bench/servers/spawn.js';

const ROOT = join(import.meta.dirname, '..', '..');

test(
  'bench: --quick fanout runs every server and loses no notification',
  { timeout: 180_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prep-bench-test-'));
    try {
      const out = join(dir, 'out.json');
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'bench/run.ts', '--quick', 'fanout', '--json', out],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
      assert.equal(code, 0, output);

      const result = JSON.parse(readFileSync(out, 'utf8')) as {
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
          const c = row.check;
          assert.ok(c, `${scenario} × ${server}: no check (${row.note ?? ''})`);
          assert.ok(c.expected > 0, `${scenario} × ${server}: nothing was due`);
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
            `${scenario} × ${server}`,
          );
          assert.ok(row.ok, `${scenario} × ${server}: ${row.note ?? ''}`);
          assert.ok(row.metrics.cpuUs! > 0, `${scenario} × ${server}: server CPU was measured`);
        }
      assert.match(readFileSync(join(dir, 'fanout.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
      assert.ok(existsSync(out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
