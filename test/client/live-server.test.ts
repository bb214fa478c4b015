// live() against our server: after a random sequence of writes (PUT, JSON Patch, merge
// patch, DELETE and re-create) the live copy equals what a fresh GET returns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyJsonPatch, applyMergePatch } from '../../packages/client/src/core/delta/index.js';
import {
  live,
  type LiveDeltaType,
  type LiveResource,
} from '../../packages/client/src/client/index.js';
import { eventually, prng } from './helpers.js';
import { keepAlive, recordingFetch, request, withServer } from './server.js';

type Doc = Record<string, unknown>;
const KEYS = ['a', 'b', 'c', 'd', 'list'];

/** One random write that the server accepts, given what the resource holds now. */
function randomWrite(
  random: () => number,
  current: Doc | undefined,
): { method: string; body?: string; type?: string; next: Doc | undefined } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const value = (): unknown =>
    pick([
      () => Math.floor(random() * 100),
      () => `s${Math.floor(random() * 1000)}`,
      () => random() < 0.5,
      () => ({ x: Math.floor(random() * 10) }),
      () => [Math.floor(random() * 10)],
    ])();
  if (current === undefined) {
    const doc: Doc = { a: value(), list: [] };
    return { method: 'PUT', body: JSON.stringify(doc), type: 'application/json', next: doc };
  }
  const roll = random();
  if (roll < 0.08) return { method: 'DELETE', next: undefined };
  if (roll < 0.3) {
    const doc: Doc = {};
    for (const k of KEYS) if (random() < 0.5) doc[k] = value();
    return { method: 'PUT', body: JSON.stringify(doc), type: 'application/json', next: doc };
  }
  if (roll < 0.65) {
    const ops: unknown[] = [];
    const keys = new Set(Object.keys(current));
    for (let i = 1 + Math.floor(random() * 3); i > 0; i--) {
      const key = pick(KEYS);
      const r = random();
      if (keys.has(key) && r < 0.3) {
        ops.push({ op: 'remove', path: `/${key}` });
        keys.delete(key);
      } else if (keys.has(key) && r < 0.5)
        ops.push({ op: 'replace', path: `/${key}`, value: value() });
      else {
        ops.push({ op: 'add', path: `/${key}`, value: value() });
        keys.add(key);
      }
    }
    return {
      method: 'PATCH',
      body: JSON.stringify(ops),
      type: 'application/json-patch+json',
      next: applyJsonPatch(current, ops) as Doc,
    };
  }
  const patch: Doc = {};
  for (let i = 1 + Math.floor(random() * 3); i > 0; i--)
    patch[pick(KEYS)] = random() < 0.25 ? null : value();
  return {
    method: 'PATCH',
    body: JSON.stringify(patch),
    type: 'application/merge-patch+json',
    next: applyMergePatch(current, patch) as Doc,
  };
}

async function randomRun(
  delta: LiveDeltaType | false,
  seed: number,
  writes: number,
): Promise<void> {
  await withServer({}, async ({ url }) => {
    const target = `${url}/doc`;
    const random = prng(seed);
    const { fetch, requests } = recordingFetch();
    let current: Doc | undefined = { start: true };
    assert.equal(
      (
        await request('PUT', target, JSON.stringify(current), {
          'content-type': 'application/json',
        })
      ).status,
      201,
    );
    const doc: LiveResource<Doc> = live<Doc>(target, {
      fetch,
      delta,
      whenDeleted: 'watch',
      reconnect: { minDelayMs: 2, maxDelayMs: 20 },
    });
    const causes = new Map<string, number>();
    doc.onChange((c) => causes.set(c.cause, (causes.get(c.cause) ?? 0) + 1));
    await doc.ready;
    for (let i = 0; i < writes; i++) {
      const w = randomWrite(random, current);
      const headers: Record<string, string> = w.type ? { 'content-type': w.type } : {};
      const answer = await request(w.method, target, w.body, headers, keepAlive);
      assert.ok(
        answer.status >= 200 && answer.status < 300,
        `seed ${seed} write ${i}: ${w.method} ${answer.status} ${answer.body}`,
      );
      current = w.next;
    }
    // The live copy catches up with the server's state.
    const fresh = await request('GET', target);
    if (fresh.status === 200) {
      await eventually(
        () => doc.etag === fresh.headers.etag,
        10_000,
        `seed ${seed}: live ETag ${doc.etag} = ${fresh.headers.etag}`,
      );
      assert.deepEqual(doc.value, JSON.parse(fresh.body), `seed ${seed}`);
      assert.deepEqual(doc.value, current, `seed ${seed}`);
      assert.equal(doc.deleted, false);
    } else {
      assert.equal(fresh.status, 404);
      await eventually(() => doc.deleted, 10_000, `seed ${seed}: live sees the deletion`);
      assert.equal(doc.value, undefined);
      assert.equal(doc.etag, undefined);
      assert.equal(current, undefined);
    }
    assert.equal(doc.endReason, undefined, `seed ${seed}: still following (${String(doc.error)})`);
    doc.close();
    assert.equal(await doc.ended, 'closed');
    // MTH-3: only GETs; notifications requests carry Accept-Events, re-fetches do not.
    assert.ok(requests.every((r) => r.method === 'GET'));
    const refetches = requests.filter((r) => !r.headers.has('accept-events'));
    if (delta === false) assert.ok(refetches.length > 0);
    if (delta !== false)
      assert.ok((causes.get('delta') ?? 0) > 0, `seed ${seed}: deltas were applied`);
  });
}

const seed = (): number => Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));

test('N822-5 N822-8 RSP-7 live() equals the server after 200 random writes (JSON Patch deltas)', async () => {
  await randomRun('application/json-patch+json', seed(), 200);
});

test('N822-5 N822-8 RSP-7 live() equals the server after 200 random writes (merge patch deltas)', async () => {
  await randomRun('application/merge-patch+json', seed(), 200);
});

test('N822-7 live() equals the server after 200 random writes without deltas (re-fetches only)', async () => {
  await randomRun(false, seed(), 200);
});

test('N822-5 live() stays right over several random runs', async () => {
  for (let i = 0; i < 5; i++) await randomRun('application/json-patch+json', seed(), 60);
});

test('N822-8 live(url, { as: "text" }) equals the server byte for byte after 100 random text writes (unified diff deltas), and lists each notification', async () => {
  await withServer({}, async ({ url }) => {
    const target = `${url}/notes.txt`;
    const random = prng(seed());
    const lines = ['alpha', 'beta', 'gamma', 'délta ✓', '', '  indented'];
    const text = () =>
      Array.from(
        { length: Math.floor(random() * 12) },
        () => lines[Math.floor(random() * lines.length)]! + (random() < 0.2 ? '\r\n' : '\n'),
      ).join('') + (random() < 0.3 ? 'no newline at the end' : '');
    const type = { 'content-type': 'text/plain; charset=utf-8' };
    assert.equal((await request('PUT', target, 'first\n', type)).status, 201);
    const { fetch, requests } = recordingFetch();
    const doc = live<string>(target, { as: 'text', fetch });
    const causes: string[] = [];
    doc.onChange((c) => causes.push(c.cause));
    let notified = 0;
    doc.addEventListener('notification', () => notified++);
    await doc.ready;
    assert.equal(doc.value, 'first\n');
    assert.equal(doc.contentType, 'text/plain; charset=utf-8');
    let last = 'first\n';
    for (let i = 0; i < 100; i++) {
      const next = text();
      const answer = await request('PUT', target, next, type, keepAlive);
      assert.ok(answer.status === 204, `${answer.status} ${answer.body}`);
      if (next !== last) last = next;
    }
    const fresh = await request('GET', target);
    await eventually(() => doc.etag === fresh.headers.etag, 10_000, 'the last version');
    assert.equal(doc.value, fresh.body);
    assert.equal(doc.value, last);
    assert.ok(notified >= 1 && notified <= 100, `${notified} notifications`);
    assert.ok(causes.includes('delta'), 'unified diffs were applied');
    assert.equal(causes.filter((c) => c === 'refetch').length, 0, 'every change came as a delta');
    assert.match(requests[0]!.headers.get('accept-events') ?? '', /delta="text\/plain"/);
    doc.close();
  });
});

test('N822-7 live(url, { as: "bytes" }) re-fetches binary representations on each change and asks for no delta', async () => {
  await withServer({}, async ({ url }) => {
    const target = `${url}/blob`;
    const type = { 'content-type': 'application/octet-stream' };
    const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) % 256);
    const put = async (b: Uint8Array<ArrayBuffer>) =>
      (await fetch(target, { method: 'PUT', headers: type, body: b })).status;
    assert.equal(await put(bytes(10)), 201);
    const { fetch: recorded, requests } = recordingFetch();
    const doc = live<Uint8Array>(target, { as: 'bytes', fetch: recorded });
    await doc.ready;
    assert.deepEqual(doc.value, bytes(10));
    assert.equal(await put(bytes(300)), 204);
    await eventually(() => doc.value?.length === 300, 10_000, 'the new bytes');
    assert.deepEqual(doc.value, bytes(300));
    assert.equal(doc.contentType, 'application/octet-stream');
    assert.doesNotMatch(requests[0]!.headers.get('accept-events') ?? '', /delta/);
    doc.close();
  });
});
