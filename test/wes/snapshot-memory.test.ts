/**
 * WES snapshots are held in memory, so their total is bounded (issue 15, item 3; SEC-2):
 * `snapshotMemoryBytes` counts every kept snapshot and every one being made, the least
 * recently used go first, and a snapshot that cannot fit is refused with a problem+json.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileScope } from '../helpers/cleanup.js';
import { MemoryStore } from '../../src/store/index.js';
import { put } from './workload.js';
import {
  startWesServer,
  type WesServerOptions,
  type WesTestServer as TestServer,
} from './wes-server.js';

const file = fileScope();

const KIB = 1024;

async function serve(
  options: WesServerOptions = {},
): Promise<{ srv: TestServer; store: MemoryStore }> {
  const store = new MemoryStore();
  await store.open();
  const srv = await startWesServer(file, store, options);
  return { srv, store };
}

/** Fills `container` with `n` members of about `size` bytes each. */
async function fill(srv: TestServer, container: string, n: number, size: number): Promise<void> {
  for (let i = 0; i < n; i++)
    assert.equal(await put(srv.url, `${container}m${i}`, { pad: 'x'.repeat(size) }), 201);
}

async function snapshotOf(srv: TestServer, container: string): Promise<Response> {
  return fetch(`${srv.url}/.well-known/wes/snapshot${container}`);
}

test('SEC-2 WES-1 snapshots of many containers stay within snapshotMemoryBytes: the least recently used are dropped', async () => {
  const bound = 600 * KIB;
  const { srv } = await serve({ snapshotMemoryBytes: bound });
  try {
    // Ten containers of 200 KiB each: 2 MB of snapshots without the bound.
    const containers = Array.from({ length: 10 }, (_, i) => `/c${i}/`);
    for (const c of containers) await fill(srv, c, 2, 100 * KIB);
    const parts: string[] = [];
    for (const c of containers) {
      const r = await snapshotOf(srv, c);
      assert.equal(r.status, 200, c);
      const uris = ((await r.json()) as { uris: string[] }).uris;
      parts.push(new URL(uris[0]!, srv.url).href);
      const held = srv.publisher.snapshotBytes();
      assert.ok(held <= bound, `${held} bytes held after ${c}, over ${bound}`);
      assert.ok(held > 0);
    }
    // The newest is still kept; the oldest was dropped to make room (ask for a new one).
    assert.equal((await fetch(parts.at(-1)!)).status, 200);
    const dropped = await fetch(parts[0]!);
    assert.equal(dropped.status, 404);
    assert.equal(dropped.headers.get('content-type'), 'application/problem+json');
    // A dropped container's snapshot is made again on demand.
    assert.equal((await snapshotOf(srv, containers[0]!)).status, 200);
    assert.ok(srv.publisher.snapshotBytes() <= bound);
  } finally {
    await srv.close();
  }
});

test('SEC-2 WES-1 a container larger than snapshotMemoryBytes gets 507 SNAPSHOT_TOO_LARGE; nothing stays held', async () => {
  const { srv } = await serve({ snapshotMemoryBytes: 300 * KIB });
  try {
    await fill(srv, '/big/', 4, 100 * KIB);
    await fill(srv, '/small/', 1, KIB);
    const r = await snapshotOf(srv, '/big/');
    assert.equal(r.status, 507);
    assert.equal(r.headers.get('content-type'), 'application/problem+json');
    const problem = (await r.json()) as { code: string; detail: string };
    assert.equal(problem.code, 'SNAPSHOT_TOO_LARGE');
    assert.match(problem.detail, /307200 bytes/);
    assert.equal(srv.publisher.snapshotBytes(), 0);
    assert.equal((await snapshotOf(srv, '/small/')).status, 200);
  } finally {
    await srv.close();
  }
});

test('SEC-2 WES-1 snapshots being made count too: one that would not fit beside them gets 503 SNAPSHOT_BUSY with Retry-After', async () => {
  // The generation of /a/ pauses after its first member until released.
  let release: (() => void) | undefined;
  const paused = new Promise<void>((resolve) => (release = resolve));
  let holding = false;
  let calls = 0;
  const { srv } = await serve({
    snapshotMemoryBytes: 300 * KIB,
    snapshotYieldEvery: 1,
    // Called before each member is read: the second call of /a/'s holds its first member.
    snapshotThrottle: async () => {
      if (holding && ++calls >= 2) await paused;
    },
  });
  try {
    await fill(srv, '/a/', 2, 100 * KIB);
    await fill(srv, '/b/', 2, 100 * KIB);
    holding = true;
    const first = snapshotOf(srv, '/a/');
    // /a/ holds its first member; /b/ needs 200 KiB beside it.
    while (calls < 2) await new Promise((r) => setTimeout(r, 5));
    holding = false;
    const second = await snapshotOf(srv, '/b/');
    assert.equal(second.status, 503);
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    assert.equal(((await second.json()) as { code: string }).code, 'SNAPSHOT_BUSY');
    release!();
    assert.equal((await first).status, 200);
    assert.equal((await snapshotOf(srv, '/b/')).status, 200, 'once memory is free again');
  } finally {
    release?.();
    await srv.close();
  }
});
