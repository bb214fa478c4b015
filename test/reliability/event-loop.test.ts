/**
 * No single request within the limits holds the server's event loop (issue 15; SEC-2): the
 * largest body, the longest patch and the one that moves the most, the oldest `Last-Event-ID`
 * the replay budget takes, a snapshot of the largest container. The server runs every bound
 * at its default in a child process (loop-server.ts) and measures its own loop with
 * `perf_hooks.monitorEventLoopDelay`, and the same delay less the time its thread waited for a
 * CPU (the kernel's run-queue figure: see loop-server.ts), which is what this server's own
 * work held the loop. Each request must hold it under 100 ms, a wide bound (a few tens of ms
 * measured here, on 2 shared cores) that the run-queue correction keeps meaningful on a
 * loaded machine. Both figures are printed (`t.diagnostic`), not asserted beyond that bound. The test runner
 * runs this file after the others, alone (scripts/run-tests.mjs, ALONE): the bound is
 * the server's, not the other test files'.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { DEFAULTS } from '../../src/server/settings.js';
import { Subscriber } from '../helpers/subscriber.js';
import { turns, within } from '../helpers/wait.js';
import { startChild, type ChildServer } from './helpers.js';

const LOOP_SERVER = join(import.meta.dirname, 'loop-server.ts');
const BOUND_MS = 100;
const MAX_BODY = DEFAULTS.maxBody;

/** A JSON document of just under `bytes` bytes: an array of small objects under `a`. */
function documentOf(bytes: number, tag = ''): { a: Array<{ i: number; s: string }> } {
  const item = (i: number) => ({ i, s: `${tag}item ${i}` });
  const one = JSON.stringify(item(100_000)).length + 1;
  const n = Math.floor((bytes - 64) / one);
  return { a: Array.from({ length: n }, (_, i) => item(i)) };
}

interface Measured {
  child: ChildServer;
  url: string;
  /** Runs `fn`, lets what it set off settle, and returns the largest loop delay meanwhile. */
  measure(fn: () => Promise<unknown>): Promise<{ maxMs: number; heldMs: number }>;
}

async function startMeasured(t: TestContext): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'prep-loop-'));
  const child = await startChild(LOOP_SERVER, [join(dir, 'prep.db'), '{}'], { ipc: true });
  t.after(async () => {
    await child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  let next = 0;
  const ask = <T>(type: string): Promise<T> => {
    const id = ++next;
    const reply = new Promise<T>((resolve) => {
      const on = (m: { id?: number } & T) => {
        if (m.id !== id) return;
        child.child.off('message', on);
        resolve(m);
      };
      child.child.on('message', on);
    });
    child.child.send({ id, type });
    return within(reply, `the server's answer to ${type}`);
  };
  return {
    child,
    url: child.url,
    async measure(fn) {
      await ask('reset');
      await fn();
      // Announcements and broadcasts run in later turns: let them.
      await new Promise((r) => setTimeout(r, 300));
      const { maxMs, heldMs } = await ask<{ maxMs: number; heldMs: number }>('delay');
      return { maxMs, heldMs };
    },
  };
}

async function send(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res;
}

const json = (method: string, body: unknown, type = 'application/json'): RequestInit => ({
  method,
  headers: { 'Content-Type': type },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** A stream of `url` with deltas of `delta`, read in the background until the test ends. */
async function watch(t: TestContext, url: string, delta: string, lastEventId?: string) {
  const sub = await Subscriber.open(url, {
    headers: {
      'Accept-Events': `"prep";accept=("message/rfc822";delta="${delta}")`,
      ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
    },
  });
  t.after(() => sub.close());
  void sub.rest(24 * 3600_000).catch(() => undefined);
  return sub;
}

const DELTAS = ['application/json-patch+json', 'application/merge-patch+json', 'text/plain'];
const jsonPatch = (ops: unknown) => json('PATCH', ops, 'application/json-patch+json');

test('SEC-2 no single request within the limits blocks the event loop for more than 100 ms', async (t) => {
  const server = await startMeasured(t);
  const { url } = server;
  const figures: Array<[string, { maxMs: number; heldMs: number }]> = [];
  const check = async (what: string, fn: () => Promise<unknown>) => {
    const ms = await server.measure(fn);
    figures.push([what, ms]);
    t.diagnostic(`${what}: held ${ms.heldMs.toFixed(1)} ms (loop delay ${ms.maxMs.toFixed(1)} ms)`);
  };

  // The largest body, as a new resource and as a replacement.
  const big = JSON.stringify(documentOf(MAX_BODY));
  assert.ok(big.length <= MAX_BODY);
  await check('PUT of the largest body (1 MiB of JSON)', async () => {
    assert.equal((await send(`${url}/big`, json('PUT', big))).status, 201);
  });
  await check('GET of it', () => send(`${url}/big`, {}));

  // Subscribers that ask for every kind of delta: the largest body is past the delta bound
  // (its notifications go without one), the largest diffed document is not.
  for (const delta of DELTAS) await watch(t, `${url}/big`, delta);
  await check('PUT of the largest body, with a subscriber per delta type', async () => {
    const replaced = JSON.stringify(documentOf(MAX_BODY, 'v2 '));
    assert.equal((await send(`${url}/big`, json('PUT', replaced))).status, 204);
  });
  const diffed = DEFAULTS.maxDeltaBytes;
  assert.equal((await send(`${url}/mid`, json('PUT', documentOf(diffed)))).status, 201);
  const deltaSubs = [];
  for (const delta of DELTAS) deltaSubs.push(await watch(t, `${url}/mid`, delta));
  await check('PUT of the largest diffed document, with a subscriber per delta type', async () => {
    const r = await send(`${url}/mid`, json('PUT', documentOf(diffed, 'v2 ')));
    assert.equal(r.status, 204);
  });
  await check(
    'JSON Patch of the largest diffed document, a subscriber per delta type',
    async () => {
      const r = await send(`${url}/mid`, jsonPatch([{ op: 'add', path: '/b', value: 1 }]));
      assert.equal(r.status, 204);
    },
  );
  // The deltas are made (bounds that left every notification bare would pass trivially).
  await within(
    (async () => {
      while (!deltaSubs.some((s) => s.received.some((p) => p.notification?.delta))) await turns(1);
    })(),
    'a notification with a delta',
  );

  // The longest patch: as many operations as allowed, on the largest document.
  const ops = Array.from({ length: DEFAULTS.maxPatchOperations }, (_, i) => ({
    op: 'replace',
    path: `/a/${i}/i`,
    value: -i,
  }));
  assert.ok(JSON.stringify(ops).length <= MAX_BODY);
  await check(`JSON Patch of ${ops.length} operations on the largest document`, async () => {
    assert.equal((await send(`${url}/big`, jsonPatch(ops))).status, 204);
  });
  await check('merge patch of the largest document', async () => {
    const r = await send(
      `${url}/big`,
      json('PATCH', { b: 'x'.repeat(1000) }, 'application/merge-patch+json'),
    );
    assert.equal(r.status, 204);
  });

  // The patch that moves the most: inserts at the front of the longest array allowed, up to
  // the bound on bytes moved; and one past it, refused.
  const numbers = Array.from({ length: Math.floor(MAX_BODY / 8) }, (_, i) => i % 10);
  assert.equal((await send(`${url}/arr`, json('PUT', { a: numbers }))).status, 201);
  const fit = Math.floor(DEFAULTS.maxPatchTouchedBytes / (8 * (numbers.length + 64)));
  const front = (n: number) =>
    Array.from({ length: n }, () => ({ op: 'add', path: '/a/0', value: 1 }));
  await check(
    `JSON Patch of ${fit} inserts at the front of ${numbers.length} elements`,
    async () => {
      assert.equal((await send(`${url}/arr`, jsonPatch(front(fit)))).status, 204);
    },
  );
  await check('JSON Patch of 28,000 inserts at the front (refused)', async () => {
    assert.equal((await send(`${url}/arr`, jsonPatch(front(28_000)))).status, 422);
  });
  await check('JSON Patch copying the document into itself (refused)', async () => {
    const copies = Array.from({ length: 14 }, (_, i) => ({ op: 'copy', from: '', path: `/c${i}` }));
    const r = await send(`${url}/arr`, jsonPatch(copies));
    assert.ok(r.status === 413 || r.status === 422, String(r.status));
  });

  // Last-Event-IDs on the largest diffed document, up to past what the replay budget takes
  // (its bytes: about maxBytes / the document's size events).
  const recorder = await Subscriber.open(`${url}/mid`);
  t.after(() => recorder.close());
  const edits = Math.ceil(DEFAULTS.replayMaxBytes / diffed) + 8;
  for (let i = 0; i < edits; i++) {
    const r = await send(
      `${url}/mid`,
      jsonPatch([{ op: 'replace', path: `/a/${i}/s`, value: `e${i}` }]),
    );
    assert.equal(r.status, 204);
  }
  const ids = (await recorder.notifications(edits)).map((n) => n.eventId);
  for (const back of [1, 8, Math.floor(edits / 2), edits - 12, edits - 1]) {
    await check(`a Last-Event-ID ${back} events back on the largest diffed document`, () =>
      watch(t, `${url}/mid`, 'application/merge-patch+json', ids.at(-1 - back)),
    );
  }

  // A snapshot of the largest container the snapshot memory holds (made, then read).
  const members = Math.floor((DEFAULTS.wesSnapshotMemory * 0.9) / MAX_BODY);
  for (let i = 0; i < members; i++)
    assert.equal((await send(`${url}/box/m${i}`, json('PUT', big))).status, 201);
  await check(`a WES snapshot of a container of ${members} × 1 MiB, every part read`, async () => {
    const index = await fetch(`${url}/.well-known/wes/snapshot/box/`);
    assert.equal(index.status, 200);
    const { uris } = (await index.json()) as { uris: string[] };
    for (const u of uris) assert.equal((await send(new URL(u, url).href, {})).status, 200);
  });

  t.diagnostic(
    `event loop held per request, ms (loop delay in brackets), load average ${loadavg()[0]!.toFixed(1)}: ` +
      figures.map(([w, ms]) => `${w}: ${ms.heldMs.toFixed(1)} (${ms.maxMs.toFixed(1)})`).join('; '),
  );
  for (const [what, ms] of figures)
    assert.ok(
      ms.heldMs < BOUND_MS,
      `${what}: held the loop ${ms.heldMs.toFixed(1)} ms (loop delay ${ms.maxMs.toFixed(1)} ms)`,
    );
});
