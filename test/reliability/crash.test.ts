/**
 * Crash (issue #10), SQLite: `prep serve` on one SQLite file, under load from several writers,
 * SIGKILLed at a random point twenty times and restarted on the same file each time. See
 * crash-harness.ts for what is checked after every kill and why the checks are exact.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/store/index.js';
import { runCrashCycles } from './crash-harness.js';
import { seedOf } from './helpers.js';

test('N822-2 N822-3 EXT-1 RSP-5 crash (SQLite): 20 SIGKILLs under load lose no acknowledged write, log no uncommitted one, and resume every subscriber without a gap or a repeat', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'prep-crash-'));
  const filename = join(dir, 'prep.db');
  const seed = seedOf();
  t.diagnostic(`seed ${seed} (PREP_SEED=${seed} replays the kill points and the writes)`);
  try {
    const summary = await runCrashCycles(
      t,
      {
        args: ['--data', filename],
        async openStore() {
          const store = new SqliteStore({ filename });
          await store.open();
          return store;
        },
      },
      { cycles: 20, seed },
    );
    t.diagnostic(JSON.stringify(summary));
    // Not vacuous: the kills caught writes in flight (each cycle waits for every writer's
    // first acknowledged write), and every restart resumed the stream with a replay.
    assert.ok(
      summary.unanswered >= 20,
      `only ${summary.unanswered} writes were in flight at the kills`,
    );
    assert.ok(summary.notifications > 0 && summary.replayed >= 20, JSON.stringify(summary));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
