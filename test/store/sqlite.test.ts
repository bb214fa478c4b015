import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SqliteStore, type Store, type StoredEvent } from '../../src/store/index.js';
import { storeContract } from './contract.js';

const root = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed when the file's tests end. */
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'prep-sqlite-'));
  dirs.push(d);
  return d;
}

async function openStore(filename: string): Promise<SqliteStore> {
  const store = new SqliteStore({ filename });
  await store.open();
  return store;
}

storeContract('sqlite', () => openStore(join(tempDir(), 'nested', 'dir', 'prep.db')), {
  // A new instance on the same file, as after a restart.
  reopen: async (store: Store) => {
    await store.close();
    return openStore((store as SqliteStore).filename);
  },
  twin: (store: Store) => openStore((store as SqliteStore).filename),
});

test('sqlite: :memory: gives a working store that lives as long as its connection', async () => {
  const store = await openStore(':memory:');
  try {
    const { events } = await store.write({
      path: '/m/x',
      apply: () => ({
        op: 'put',
        path: '/m/x',
        contentType: 'text/plain',
        body: new Uint8Array([1, 2]),
        event: { method: 'PUT', status: 201 },
      }),
    });
    assert.deepEqual(
      events.map((e) => e.path),
      ['/m/', '/m/x'],
    );
    assert.deepEqual((await store.get('/m/x'))?.body, new Uint8Array([1, 2]));
  } finally {
    await store.close();
  }
  await store.open();
  try {
    assert.equal(await store.get('/m/x'), undefined, 'a new connection is a new database');
  } finally {
    await store.close();
  }
});

test('sqlite: the file is created with its directories, in WAL mode', async () => {
  const file = join(tempDir(), 'a', 'b', 'prep.db');
  const store = await openStore(file);
  try {
    await store.write({
      path: '/x',
      apply: () => ({
        op: 'put',
        path: '/x',
        contentType: 'text/plain',
        body: new Uint8Array([1]),
        event: { method: 'PUT', status: 201 },
      }),
    });
    assert.ok(existsSync(file));
    assert.ok(existsSync(`${file}-wal`), 'commits go to the write-ahead log');
  } finally {
    await store.close();
  }
});

interface ChildRun {
  acks: Map<number, number>;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the crash writer; with `killAfter`, SIGKILLs it once that many writes are acknowledged. */
function runWriter(
  file: string,
  count: number,
  mode: string,
  killAfter?: number,
  dir = 'crash',
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/store/fixtures/crash-writer.ts', file, String(count), mode, dir],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const acks = new Map<number, number>();
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ack (\d+) (\d+)$/.exec(line);
        if (m) acks.set(Number(m[1]), Number(m[2]));
      }
      if (killAfter !== undefined && acks.size >= killAfter) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ acks, code, signal }));
  });
}

async function assertAllAcknowledgedPresent(file: string, acks: Map<number, number>) {
  const store = await openStore(file);
  try {
    for (const [i, seq] of acks) {
      const r = await store.get(`/crash/${i}`);
      assert.ok(r, `/crash/${i} was acknowledged, so it survives`);
      assert.equal(new TextDecoder().decode(r.body), `crash ${i}`);
      const e = await store.eventBySeq(seq);
      assert.equal(e?.path, `/crash/${i}`, `its event ${seq} survives too`);
    }
    const last = Math.max(...acks.values());
    assert.ok((await store.lastSeq()) >= last);
    // Whatever was committed is announced: every resource present has its event.
    for (const m of (await store.members('/crash/')) ?? []) {
      assert.ok(await store.lastEvent(m.path), `${m.path} has its event`);
    }
    const { events } = await store.write({
      path: '/after-crash',
      apply: () => ({
        op: 'put',
        path: '/after-crash',
        contentType: 'text/plain',
        body: new Uint8Array(0),
        event: { method: 'PUT', status: 201 },
      }),
    });
    assert.ok((events[0]?.seq ?? 0) > last, 'seq continues after the crash');
  } finally {
    await store.close();
  }
}

for (const mode of ['exit', 'kill'] as const) {
  test(`sqlite: a process that ${mode === 'exit' ? 'exits' : 'is SIGKILLed'} without closing loses no acknowledged write`, async () => {
    const file = join(tempDir(), 'crash.db');
    const run = await runWriter(file, 50, mode);
    if (mode === 'exit') assert.equal(run.code, 0);
    else assert.equal(run.signal, 'SIGKILL');
    assert.equal(run.acks.size, 50);
    await assertAllAcknowledgedPresent(file, run.acks);
  });
}

test('sqlite: a writer SIGKILLed mid-stream loses no acknowledged write', async () => {
  const file = join(tempDir(), 'crash.db');
  const run = await runWriter(file, 0, 'run', 100);
  assert.equal(run.signal, 'SIGKILL');
  assert.ok(run.acks.size >= 100);
  await assertAllAcknowledgedPresent(file, run.acks);
});

test('sqlite: two processes writing one file get one log with distinct, increasing seqs', async () => {
  const file = join(tempDir(), 'shared.db');
  // Create the database first so the two writers do not race to create it.
  await (await openStore(file)).close();
  const n = 1000; // enough for the two to overlap and contend for the write lock
  const [a, b] = await Promise.all([
    runWriter(file, n, 'exit', undefined, 'a'),
    runWriter(file, n, 'exit', undefined, 'b'),
  ]);
  assert.equal(a.acks.size, n);
  assert.equal(b.acks.size, n);
  const store = await openStore(file);
  try {
    const events = await store.events();
    assert.equal(events.length, 2 * n + 2, 'every write and both container creations');
    for (let i = 1; i < events.length; i++) {
      assert.ok((events[i] as StoredEvent).seq > (events[i - 1] as StoredEvent).seq);
    }
    for (const [dir, run] of [
      ['a', a],
      ['b', b],
    ] as const) {
      for (const [i, seq] of run.acks) {
        assert.equal((await store.eventBySeq(seq))?.path, `/${dir}/${i}`);
      }
    }
  } finally {
    await store.close();
  }
});
