// Many concurrent writes of one caller, some failing, some depending on earlier ones: what a
// store that commits them in groups (PostgreSQL's group commit) must still get right. Run by
// the store contract for every store; the reference is the same writes one at a time on a
// MemoryStore. Every store commits one caller's concurrent writes in call order (SQLite and
// memory run each write when called; PostgreSQL queues them and takes them in order), so the
// outcome of each write is known.
import assert from 'node:assert/strict';
import { containerEtag } from '../../src/store/etag.js';
import {
  MemoryStore,
  StoreError,
  type Change,
  type Resource,
  type Store,
  type StoredEvent,
  type WriteRequest,
} from '../../src/store/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b ?? undefined);

/** What a server's apply throws for a failed precondition. */
class PreconditionFailed extends Error {
  constructor(readonly index: number) {
    super(`precondition ${index}`);
  }
}

function putChange(
  path: string,
  body: string,
  status: number,
  opts: { createOnly?: boolean; method?: 'PUT' | 'POST' } = {},
): Change {
  const change: Change = {
    op: 'put',
    path,
    contentType: 'text/plain',
    body: enc(body),
    event: { method: opts.method ?? 'PUT', status },
  };
  if (opts.createOnly) change.createOnly = true;
  return change;
}

/** The writes of the burst, made afresh for each store; `seen` records what each apply got. */
function burst() {
  const seen: (string | null)[] = [];
  const thrown: (PreconditionFailed | undefined)[] = [];
  const requests: WriteRequest[] = [];
  const add = (path: string, apply: (current: Resource | undefined) => Change): void => {
    const i = requests.length;
    requests.push({
      path,
      apply: (current) => {
        seen[i] = current ? `${current.path} ${dec(current.body)}` : null;
        return apply(current);
      },
    });
  };
  const put = (path: string, body: string, createOnly = false): void =>
    add(path, (c) => putChange(path, body, c ? 200 : 201, { createOnly }));
  const del = (path: string): void =>
    add(path, () => ({ op: 'delete', path, event: { method: 'DELETE', status: 204 } }));
  // A POST: apply reads the container, the change creates a member (a path not read yet).
  const post = (container: string, member: string): void =>
    add(container, (c) => {
      if (!c) throw new StoreError('STORE_NOT_FOUND', `${container} missing`, { status: 404 });
      return putChange(`${container}${member}`, member, 201, { createOnly: true, method: 'POST' });
    });
  const fails = (path: string, i: number): void =>
    add(path, () => {
      const e = new PreconditionFailed(i);
      thrown[i] = e;
      throw e;
    });

  // [index] expected outcome
  put('/g/warm', 'w'); // [0] ok (on PostgreSQL: a transaction of its own, the rest queue)
  put('/g/same', 's1'); // [1] ok, 201
  put('/g/same', 's2'); // [2] ok, 200, before = s1
  put('/g/same', 's2'); // [3] ok, same tag
  fails('/g/same', 4); // [4] the apply's own error
  put('/g/exists', 'again', true); // [5] STORE_EXISTS (existed before)
  put('/g/new', 'n', true); // [6] ok
  put('/g/new', 'n2', true); // [7] STORE_EXISTS (created by [6])
  post('/g/p/', 'm1'); // [8] ok, POST
  post('/g/p/', 'm1'); // [9] STORE_EXISTS (created by [8])
  del('/g/c1/a'); // [10] ok
  del('/g/c1/b'); // [11] ok
  del('/g/c1/'); // [12] ok: emptied by [10] and [11]
  del('/g/c2/'); // [13] STORE_NOT_EMPTY (a member from before)
  put('/g/c3/x', 'x'); // [14] ok, creates /g/c3/
  del('/g/c3/'); // [15] STORE_NOT_EMPTY (member created by [14])
  del('/g/c3/x'); // [16] ok
  del('/g/c3/'); // [17] ok
  put('/g/keep/x', 'x'); // [18] STORE_CONFLICT (/g/keep is not a container)
  put('/g/keep/', ''); // [19] STORE_CONFLICT (/g/keep exists)
  del('/g/nope'); // [20] STORE_NOT_FOUND
  put('/g/c1/a', 'again'); // [21] ok: recreates /g/c1/ deleted by [12]
  put('/g/bad/', 'x'); // [22] STORE_INVALID: a body for a container
  del('/'); // [23] STORE_INVALID: the root
  post('/g/gone/', 'm'); // [24] the apply's own 404
  while (requests.length < 200) {
    const i = requests.length;
    if (i % 5 === 0) put(`/g/w/${i}`, `${i}`);
    else if (i % 5 === 1) put('/g/same', `v${i}`);
    else if (i % 5 === 2) fails(`/g/w/${i - 2}`, i);
    else if (i % 5 === 3) post('/g/p/', `m${i}`);
    else del(`/g/w/${i - 4}`);
  }
  return { requests, seen, thrown };
}

const EXPECTED_HEAD = [
  'ok',
  'ok',
  'ok',
  'ok',
  'PreconditionFailed',
  'STORE_EXISTS',
  'ok',
  'STORE_EXISTS',
  'ok',
  'STORE_EXISTS',
  'ok',
  'ok',
  'ok',
  'STORE_NOT_EMPTY',
  'ok',
  'STORE_NOT_EMPTY',
  'ok',
  'ok',
  'STORE_CONFLICT',
  'STORE_CONFLICT',
  'STORE_NOT_FOUND',
  'ok',
  'STORE_INVALID',
  'STORE_INVALID',
  'STORE_NOT_FOUND',
];

/** The state before the burst, written one at a time. */
async function setUp(store: Store): Promise<void> {
  for (const [path, body] of [
    ['/g/keep', 'k'],
    ['/g/exists', 'e'],
    ['/g/c1/a', 'a'],
    ['/g/c1/b', 'b'],
    ['/g/c2/a', 'a'],
    ['/g/p/', ''],
  ] as const) {
    await store.write({ path, apply: (c) => putChange(path, body, c ? 200 : 201) });
  }
}

/**
 * A store-independent picture: container tags (derived from the store id) become the seq they
 * were taken at; times are left out (checked separately).
 */
function normalizer(store: Store, lastSeq: number) {
  const containerTags = new Map<string, string>();
  for (let s = 0; s <= lastSeq; s++) containerTags.set(containerEtag(store.storeId, s), `c@${s}`);
  const tag = (t: string | null) => (t === null ? null : (containerTags.get(t) ?? t));
  const resource = (r: Resource | undefined) =>
    r && { path: r.path, type: r.contentType, body: dec(r.body), etag: tag(r.etag) };
  const event = (e: StoredEvent) => ({
    seq: e.seq,
    method: e.method,
    status: e.status,
    path: e.path,
    parent: e.parent,
    etag: tag(e.etag),
    parentEtag: tag(e.parentEtag),
    type: e.contentType,
    body: e.body === null ? null : dec(e.body),
  });
  return { tag, resource, event };
}

type Settled = PromiseSettledResult<Awaited<ReturnType<Store['write']>>>;

function outcomeName(s: Settled): string {
  if (s.status === 'fulfilled') return 'ok';
  const e = s.reason as { code?: unknown; name?: unknown };
  if (s.reason instanceof PreconditionFailed) return 'PreconditionFailed';
  return typeof e.code === 'string' ? e.code : String(e.name);
}

/**
 * Fires 200 writes at once (see `burst`) and checks each one's result or error against the
 * same writes made one at a time, the seqs (contiguous, in call order), the log and the final
 * state.
 */
export async function checkConcurrentBatch(store: Store): Promise<void> {
  await setUp(store);
  const base = await store.lastSeq();
  const { requests, seen, thrown } = burst();
  const settled = await Promise.allSettled(requests.map((r) => store.write(r)));

  // The reference: the same writes, one after another.
  const model = new MemoryStore();
  await model.open();
  await setUp(model);
  const ref = burst();
  const refSettled: Settled[] = [];
  for (const r of ref.requests) {
    refSettled.push(...(await Promise.allSettled([model.write(r)])));
  }

  const names = settled.map(outcomeName);
  assert.deepEqual(names.slice(0, EXPECTED_HEAD.length), EXPECTED_HEAD);
  assert.deepEqual(names, refSettled.map(outcomeName));
  assert.deepEqual(seen, ref.seen, 'each apply saw what the writes before it left');

  const last = await store.lastSeq();
  assert.equal(last, await model.lastSeq());
  const norm = normalizer(store, last);
  const refNorm = normalizer(model, last);
  for (const [i, s] of settled.entries()) {
    const r = refSettled[i] as Settled;
    if (s.status === 'rejected') {
      assert.equal(r.status, 'rejected');
      if (s.reason instanceof PreconditionFailed) {
        assert.equal(s.reason, thrown[i], `[${i}] apply's error comes out unchanged`);
      } else {
        const e = s.reason as StoreError;
        const want = r.reason as StoreError;
        assert.ok(e instanceof StoreError, `[${i}] ${String(e)}`);
        assert.equal(e.status, want.status, `[${i}] status`);
      }
      continue;
    }
    assert.equal(r.status, 'fulfilled');
    const got = s.value;
    const want = r.value;
    assert.deepEqual(got.events.map(norm.event), want.events.map(refNorm.event), `[${i}] events`);
    assert.deepEqual(norm.resource(got.before), refNorm.resource(want.before), `[${i}] before`);
    assert.deepEqual(norm.resource(got.after), refNorm.resource(want.after), `[${i}] after`);
  }

  // Seqs: contiguous from the first write on, in call order; failed writes took none.
  const appended = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value.events : []));
  assert.deepEqual(
    appended.map((e) => e.seq),
    Array.from({ length: last - base }, (_, k) => base + 1 + k),
  );
  const log = await store.events({ afterSeq: base });
  assert.deepEqual(log, appended, 'the log holds exactly the events returned, in order');
  for (let k = 1; k < log.length; k++) {
    assert.ok((log[k] as StoredEvent).time >= (log[k - 1] as StoredEvent).time, 'time goes on');
  }

  // The final state, resource by resource and container by container.
  const paths = new Set(['/', ...log.map((e) => e.path), ...requests.map((r) => r.path)]);
  for (const p of paths) {
    assert.deepEqual(norm.resource(await store.get(p)), refNorm.resource(await model.get(p)), p);
    assert.deepEqual(
      (await store.members(p))?.map((m) => [m.path, m.contentType, norm.tag(m.etag)]),
      (await model.members(p))?.map((m) => [m.path, m.contentType, refNorm.tag(m.etag)]),
      `${p} members`,
    );
  }
  assert.equal(dec((await store.get('/g/same'))?.body), 'v196');
  assert.equal(await store.get('/g/c3/'), undefined);
  assert.equal(dec((await store.get('/g/c1/a'))?.body), 'again');
  await model.close();
}
