/**
 * The crash test of issue #10, for any database `prep serve` runs on (crash.test.ts: SQLite,
 * crash-postgres.test.ts: PostgreSQL).
 *
 * Each cycle starts `prep serve` on the same database, puts it under load (several writers,
 * each over its own keep-alive connection, doing PUT, PATCH, DELETE and POST as fast as the
 * server answers) and SIGKILLs it at a random point, 200 to 600 ms after every writer has had a
 * first write acknowledged. With the server dead, the test
 * reads the database itself and checks the cycle; the next cycle restarts on the same
 * database, resumes the subscriber with `Last-Event-ID` and checks what it is sent.
 *
 * ## Why the checks are exact
 *
 * Every resource has exactly one writer, and a writer sends its next request only once the
 * previous one was answered. So the writes to one resource are strictly sequential, and at the
 * kill at most one of a writer's writes is unanswered: its last, which may or may not have
 * committed (the server may die before, during or after the commit, or after committing but
 * before its response left). A write is acknowledged when its 2xx status line arrived: the
 * server answers only after the commit (better-sqlite3 commits synchronously; PostgreSQL
 * before the response is written), so an acknowledged write is durable (SQLite's WAL with
 * synchronous=NORMAL survives the process being killed; PostgreSQL survives its client).
 *
 * Every write carries a unique tag (in its PUT/POST body, in its PATCH document, as the POST's
 * Slug and so its member's name). Every write appends exactly one event in its own transaction
 * (the containers exist before the first cycle, so none is created on the way). Hence, for each
 * writer, the events the cycle appended about its resources, in seq order, must be exactly its
 * acknowledged writes in the order it sent them, optionally followed by one event for its
 * unanswered last write, matched by method, path, tag, status and (when the response had one)
 * ETag. No other event may exist: the cycle's seqs are contiguous, and every one is matched.
 * That is "every acknowledged write is present" and "every event is a committed write" at
 * once. Then the state: replaying exactly the matched writes on the state the previous cycle
 * left gives, for every resource, the body and ETag the database holds (the last acknowledged
 * write's, or the later unacknowledged one's when its event exists); POST members are exactly
 * the committed POSTs. The restarted server must then serve that same state over HTTP.
 *
 * ## The subscriber
 *
 * One resource, `/hot`, has a writer of its own (PUT and PATCH only, so its streams are never
 * ended by a DELETE, RSP-7) and a subscriber asking for JSON Patch deltas. What the subscriber
 * received before a kill must be a prefix of the log's events about `/hot` after the point it
 * started from: in order, none twice, none missing (N822-3: only committed events are
 * announced, and those of one resource in commit order). After the restart it resumes with
 * the `Last-Event-ID` of the last notification it got (EXT-1): the base body is omitted, and
 * every later committed event is replayed, in order, exactly once, before live ones; the run
 * checks it against the log. Between cycles the test also writes `/hot` directly in the
 * database, so every resume has at least one event to replay. The subscriber keeps a local
 * copy by applying the deltas; it must equal the state of its last event.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import type { Notification } from '../../packages/client/src/core/notification.js';
import { StoreHistory } from '../../src/server/log/store-history.js';
import type { Store, StoredEvent } from '../../src/store/index.js';
import { prepOf } from '../helpers/prep-body.js';
import { RawClient, type RawResponse } from '../helpers/raw-client.js';
import { eventually, within } from '../helpers/wait.js';
import { random, startServe, type ChildServer } from './helpers.js';

/** How `prep serve` reaches the database, and how the test reads it. */
export interface CrashBackend {
  /** `prep serve` flags naming the database. */
  args: string[];
  /** Opens the database in the test process (only while no server runs on it). */
  openStore(): Promise<Store>;
  /** Waits until a killed server's sessions are gone from the database (PostgreSQL). */
  settle?(): Promise<void>;
}

export interface CrashOptions {
  cycles: number;
  seed: number;
  /** Writers besides the `/hot` one; each owns RESOURCES resources and a POST container. */
  writers?: number;
}

/** What a run did, for the test's diagnostics and its "the run was not vacuous" checks. */
export interface CrashSummary {
  writes: number;
  acknowledged: number;
  /** Unanswered writes found committed after the kill. */
  committedUnacknowledged: number;
  unanswered: number;
  notifications: number;
  replayed: number;
  loadMs: number;
}

const RESOURCES = 5;
const HOT = '/hot';
const JSON_PATCH = 'application/json-patch+json';
const WITH_DELTA = `"prep";accept=("message/rfc822";delta="${JSON_PATCH}")`;

interface Doc {
  tag: string;
  w: number;
  n: number;
  pad: string;
}

interface State {
  doc: Doc | undefined;
  etag: string | undefined;
}

interface Op {
  method: 'PUT' | 'PATCH' | 'DELETE' | 'POST';
  /** The request target. */
  url: string;
  /** The resource the event is about (a POST's new member). */
  path: string;
  tag: string;
  body?: string;
  contentType?: string;
  /** The resource's state after the write. */
  result: Doc | undefined;
  status: number;
  outcome: 'pending' | 'acknowledged' | 'unanswered' | 'refused';
  got?: { status: number; etag?: string; location?: string };
}

interface Writer {
  id: number;
  /** The resources it PUTs, PATCHes and DELETEs. */
  paths: string[];
  /** Its POST container (none for the `/hot` writer). */
  posts: string | undefined;
  /** The verified state at the start of the cycle. */
  state: Map<string, State>;
  /** Every POST member committed so far. */
  members: Set<string>;
  ops: Op[];
  n: number;
}

/** Runs the cycles; throws (an AssertionError) at the first inconsistency. */
export async function runCrashCycles(
  t: TestContext,
  backend: CrashBackend,
  options: CrashOptions,
): Promise<CrashSummary> {
  const rand = random(options.seed);
  const writers: Writer[] = [
    { id: 0, paths: [HOT], posts: undefined, state: new Map(), members: new Set(), ops: [], n: 0 },
  ];
  for (let i = 1; i <= (options.writers ?? 6); i++) {
    writers.push({
      id: i,
      paths: Array.from({ length: RESOURCES }, (_, j) => `/w${i}/k${j}`),
      posts: `/w${i}/posts/`,
      state: new Map(),
      members: new Set(),
      ops: [],
      n: 0,
    });
  }
  const summary: CrashSummary = {
    writes: 0,
    acknowledged: 0,
    committedUnacknowledged: 0,
    unanswered: 0,
    notifications: 0,
    replayed: 0,
    loadMs: 0,
  };

  // The containers and `/hot`, written before any server runs.
  let store = await backend.openStore();
  let storeId: string;
  /** The Event-ID of a seq: `<seq>.<store>`, the store part derived from the database's id. */
  let idOf: (seq: number) => string;
  let lastSeq: number;
  /** Every event about `/hot`, and the state it left `/hot` in. */
  const hotLog: Array<{ event: StoredEvent; doc: Doc }> = [];
  try {
    storeId = store.storeId;
    const suffix = new StoreHistory(store).eventId(1).slice(1);
    idOf = (seq) => `${seq}${suffix}`;
    for (const w of writers) {
      if (w.posts) await putDirect(store, w.posts, undefined);
      for (const p of w.paths) w.state.set(p, { doc: undefined, etag: undefined });
    }
    await offlineHotWrite(store, writers[0]!, hotLog, 'setup');
    lastSeq = await store.lastSeq();
  } finally {
    await store.close();
  }

  /** The subscriber of `/hot`: the last Event-ID it got, and its local copy. */
  let lastId: string | undefined;
  let local: Doc | undefined;

  for (let cycle = 1; cycle <= options.cycles + 1; cycle++) {
    const load = cycle <= options.cycles;
    const startSeq = lastSeq;
    for (const w of writers) w.ops = [];
    // The load is one client far over the default write rate (SEC-2), on purpose.
    const node = await startServe([...backend.args, '--write-rate', 'off']);
    let sub: RawClient | undefined;
    let stream: RawResponse | undefined;
    /** The subscriber's events start after this seq. */
    let from: number;
    let replay: number;
    try {
      // 1. The subscriber: resumes after its last notification, or starts afresh.
      sub = await RawClient.connect(node.port);
      sub.send({
        method: 'GET',
        path: HOT,
        headers: lastId
          ? { 'Accept-Events': WITH_DELTA, 'Last-Event-ID': lastId }
          : { 'Accept-Events': WITH_DELTA },
      });
      from = lastId ? seqOf(lastId, idOf) : startSeq;
      replay = hotLog.filter((h) => h.event.seq > from).length;
      const opened = sub;
      stream = await opened.waitFor(() => {
        const r = opened.responses[0];
        if (!r || r.status === 0) return undefined;
        const body = prepOf(r);
        return body.digest !== undefined && body.notifications.length >= replay ? r : undefined;
      }, `cycle ${cycle}: the stream on ${HOT} and its replay of ${replay} events`);
      assert.equal(stream.status, 200, `cycle ${cycle}: the stream's status`);
      assert.match(stream.get('events') ?? '', /status=200/, `cycle ${cycle}: Events`);
      const part1 = prepOf(stream).part1!;
      if (lastId) {
        // EXT-1: resumed, so the base body is omitted (part 1 keeps its headers, RSP-5).
        assert.equal(part1.body.length, 0, `cycle ${cycle}: a resumed stream sends no body`);
      } else {
        local = JSON.parse(part1.body.toString('utf8')) as Doc;
        assert.deepEqual(local, writers[0]!.state.get(HOT)!.doc, `cycle ${cycle}: the base`);
      }
      summary.replayed += replay;

      // 2. The restarted server serves the state the database holds (after the last kill).
      await checkServedState(node, writers, cycle);

      // 3. Load, then SIGKILL at a random point of it.
      if (load) {
        const killed = { value: false };
        const unexpected: string[] = [];
        const started = performance.now();
        const running = writers.map((w) =>
          runWriter(w, node.port, rand, cycle, killed, unexpected),
        );
        // Every writer under way first (a loaded machine may take a while to answer the first
        // writes), so that each cycle kills the server in the middle of every writer's work.
        await eventually(
          () =>
            unexpected.length > 0 ||
            writers.every((w) => w.ops.some((o) => o.outcome === 'acknowledged')),
          `cycle ${cycle}: a first write acknowledged for every writer`,
          30_000,
        );
        await sleep(200 + Math.floor(rand() * 400));
        killed.value = true;
        await node.kill();
        summary.loadMs += performance.now() - started;
        await within(Promise.all(running), `cycle ${cycle}: the writers to stop`, 30_000);
        assert.deepEqual(unexpected, [], `cycle ${cycle}: failures while the server was up`);
      }
    } finally {
      sub?.close();
      await node.kill();
    }

    // 4. With the server dead: the database against what the writers saw.
    await backend.settle?.();
    store = await backend.openStore();
    try {
      assert.equal(store.storeId, storeId, 'the database keeps its id');
      lastSeq = await store.lastSeq();
      const events = await store.events({ afterSeq: startSeq });
      assert.deepEqual(
        events.map((e) => e.seq),
        Array.from({ length: lastSeq - startSeq }, (_, i) => startSeq + 1 + i),
        `cycle ${cycle}: the log's seqs after ${startSeq} are contiguous up to lastSeq`,
      );
      let matched = 0;
      for (const w of writers) matched += await checkWriter(store, w, events, cycle, summary);
      assert.equal(matched, events.length, `cycle ${cycle}: every event is one of the writes`);
      for (const e of events)
        if (e.path === HOT) {
          const op = writers[0]!.ops.find((o) => hotEventMatches(o, e))!;
          hotLog.push({ event: e, doc: op.result! });
        }

      // 5. The subscriber: a prefix of the log's `/hot` events after `from`.
      const got = prepOf(stream).notifications;
      const expected = hotLog.filter((h) => h.event.seq > from);
      assert.ok(got.length >= replay, `cycle ${cycle}: the replay arrived`);
      assert.ok(got.length <= expected.length, `cycle ${cycle}: more notifications than events`);
      got.forEach((n, k) => {
        const e = expected[k]!.event;
        assert.deepEqual(
          { id: n.eventId, method: n.method, etag: n.etag },
          { id: idOf(e.seq), method: e.method, etag: e.etag ?? undefined },
          `cycle ${cycle}: notification ${k} of the stream after seq ${from}`,
        );
        // N822-8: a PATCH's delta SHOULD be sent (its own patch is); a PUT's MAY (the server
        // sends one whenever it holds both states; a replay without them leaves it out, and
        // the client re-reads).
        if (e.method === 'PATCH') assert.ok(n.delta, `cycle ${cycle}: ${n.eventId} has a delta`);
        local = n.delta ? applyNotification(local, n) : expected[k]!.doc;
        assert.deepEqual(
          local,
          expected[k]!.doc,
          `cycle ${cycle}: the local copy after ${n.eventId}`,
        );
      });
      if (got.length > 0) lastId = got.at(-1)!.eventId;
      summary.notifications += got.length;

      // 6. A write while no server runs: the next resume has something to replay.
      if (load) {
        await offlineHotWrite(store, writers[0]!, hotLog, `offline${cycle}`);
        lastSeq = await store.lastSeq();
      }
    } finally {
      await store.close();
    }
    t.diagnostic(
      `cycle ${cycle}: seq ${startSeq} -> ${lastSeq}, stream from ${from} got ` +
        `${prepOf(stream).notifications.length} (replay ${replay})`,
    );
  }
  return summary;
}

/** One writer's loop: its next write, until the server is killed (or answers wrongly). */
async function runWriter(
  w: Writer,
  port: number,
  rand: () => number,
  cycle: number,
  killed: { value: boolean },
  unexpected: string[],
): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const live = new Map([...w.state].map(([p, s]) => [p, s.doc]));
  try {
    while (!killed.value) {
      const op = nextOp(w, live, rand, cycle);
      w.ops.push(op);
      try {
        op.got = await send(agent, port, op);
      } catch (e) {
        op.outcome = 'unanswered';
        if (!killed.value) unexpected.push(`${op.method} ${op.url}: ${(e as Error).message}`);
        return;
      }
      if (op.got.status !== op.status) {
        op.outcome = 'refused';
        unexpected.push(`${op.method} ${op.url}: ${op.got.status}, expected ${op.status}`);
        return;
      }
      op.outcome = 'acknowledged';
      live.set(op.path, op.result);
    }
  } finally {
    agent.destroy();
  }
}

/** The writer's next write, valid for the state its acknowledged writes left. */
function nextOp(w: Writer, live: Map<string, Doc | undefined>, rand: () => number, cycle: number) {
  const n = ++w.n;
  const tag = `w${w.id}c${cycle}n${n}`;
  const doc: Doc = { tag, w: w.id, n, pad: 'x'.repeat(Math.floor(rand() * 64)) };
  const json = (method: 'PUT' | 'POST', url: string, path: string, status: number): Op => ({
    method,
    url,
    path,
    tag,
    body: JSON.stringify(doc),
    contentType: 'application/json',
    result: doc,
    status,
    outcome: 'pending',
  });
  if (w.posts && rand() < 0.15) return json('POST', w.posts, `${w.posts}${tag}`, 201);
  const path = w.paths[Math.floor(rand() * w.paths.length)]!;
  const current = live.get(path);
  if (!current) return json('PUT', path, path, 201);
  const r = rand();
  if (r < 0.4 || (w.id === 0 && r < 0.5)) return json('PUT', path, path, 204);
  if (r < 0.8 || w.id === 0) {
    const patch = [
      { op: 'replace', path: '/tag', value: tag },
      { op: 'replace', path: '/n', value: n },
    ];
    return {
      method: 'PATCH',
      url: path,
      path,
      tag,
      body: JSON.stringify(patch),
      contentType: JSON_PATCH,
      result: { ...current, tag, n },
      status: 204,
      outcome: 'pending',
    } satisfies Op;
  }
  return {
    method: 'DELETE',
    url: path,
    path,
    tag,
    result: undefined,
    status: 204,
    outcome: 'pending',
  } satisfies Op;
}

/** Sends one write; resolves once its status line arrived (the write is then committed). */
function send(agent: http.Agent, port: number, op: Op): Promise<NonNullable<Op['got']>> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (op.body !== undefined) headers['Content-Type'] = op.contentType!;
    if (op.method === 'POST') headers.Slug = op.tag;
    const req = http.request(
      { host: '127.0.0.1', port, method: op.method, path: op.url, agent, headers },
      (res) => {
        res.resume();
        res.on('error', () => undefined);
        resolve({
          status: res.statusCode ?? 0,
          ...(typeof res.headers.etag === 'string' ? { etag: res.headers.etag } : {}),
          ...(typeof res.headers.location === 'string' ? { location: res.headers.location } : {}),
        });
      },
    );
    req.once('error', reject);
    req.end(op.body);
  });
}

/**
 * Checks one writer's cycle against the log and the state (see the file comment); returns how
 * many of the cycle's events are its writes, and moves its verified state forward.
 */
async function checkWriter(
  store: Store,
  w: Writer,
  events: readonly StoredEvent[],
  cycle: number,
  summary: CrashSummary,
): Promise<number> {
  const mine = events.filter((e) => ownerOf(e.path) === w.id);
  const where = `cycle ${cycle}, writer ${w.id}`;
  const acknowledged = w.ops.filter((o) => o.outcome === 'acknowledged');
  const rest = w.ops.slice(acknowledged.length);
  // Acknowledged writes first, then at most the one left unanswered by the kill.
  assert.ok(
    w.ops.slice(0, acknowledged.length).every((o) => o.outcome === 'acknowledged') &&
      rest.length <= 1 &&
      rest.every((o) => o.outcome === 'unanswered'),
    `${where}: writes ${w.ops.map((o) => o.outcome).join(', ')}`,
  );
  assert.ok(
    mine.length === acknowledged.length || (mine.length === w.ops.length && rest.length === 1),
    `${where}: ${mine.length} events for ${acknowledged.length} acknowledged writes ` +
      `and ${rest.length} unanswered (${mine.map((e) => `${e.seq} ${e.method} ${e.path}`).join('; ')})`,
  );
  summary.writes += w.ops.length;
  summary.acknowledged += acknowledged.length;
  summary.unanswered += rest.length;
  if (mine.length > acknowledged.length) summary.committedUnacknowledged++;

  const committed = w.ops.slice(0, mine.length);
  committed.forEach((op, k) => {
    const e = mine[k]!;
    const what = `${where}: event ${e.seq} for ${op.method} ${op.path} (${op.tag}, ${op.outcome})`;
    assert.deepEqual(
      { method: e.method, path: e.path, status: e.status },
      { method: op.method, path: op.path, status: op.status },
      what,
    );
    if (op.method === 'PATCH') assert.equal(text(e.body), op.body, `${what}: the patch`);
    else if (op.method === 'DELETE') assert.equal(e.body, null, `${what}: no body`);
    else assert.deepEqual(JSON.parse(text(e.body)), op.result, `${what}: the body`);
    if (op.got?.etag !== undefined) assert.equal(op.got.etag, e.etag, `${what}: the ETag`);
    if (op.method === 'POST' && op.got)
      assert.equal(op.got.location, op.path, `${what}: the POST's Location`);
    if (op.method === 'POST') w.members.add(op.path);
    else w.state.set(op.path, { doc: op.result, etag: e.etag ?? undefined });
  });
  for (const op of w.ops.slice(mine.length))
    if (op.method === 'POST')
      assert.equal(await store.get(op.path), undefined, `${where}: ${op.path}`);

  // The database holds exactly what the committed writes left.
  for (const [path, s] of w.state) {
    const r = await store.get(path);
    assert.deepEqual(
      r && { doc: JSON.parse(text(r.body)) as Doc, etag: r.etag },
      s.doc && { doc: s.doc, etag: s.etag },
      `${where}: the state of ${path}`,
    );
  }
  if (w.posts) {
    const members = (await store.members(w.posts))?.map((m) => m.path);
    assert.deepEqual(members, [...w.members].sort(), `${where}: the members of ${w.posts}`);
  }
  return mine.length;
}

/** The restarted server answers every GET with the state the database held after the kill. */
async function checkServedState(node: ChildServer, writers: readonly Writer[], cycle: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    const paths = writers.flatMap((w) => [...w.state.keys()].map((p) => [w, p] as const));
    await Promise.all(
      paths.map(async ([w, path]) => {
        const res = await get(agent, node.port, path);
        const s = w.state.get(path)!;
        const where = `cycle ${cycle}: GET ${path} after the restart`;
        if (!s.doc) assert.equal(res.status, 404, where);
        else {
          assert.equal(res.status, 200, where);
          assert.deepEqual(JSON.parse(res.body), s.doc, where);
          assert.equal(res.etag, s.etag, where);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
}

function get(
  agent: http.Agent,
  port: number,
  path: string,
): Promise<{ status: number; body: string; etag: string | undefined }> {
  return within(
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.once('end', () =>
            resolve({ status: res.statusCode ?? 0, body, etag: res.headers.etag }),
          );
          res.once('error', reject);
        })
        .once('error', reject);
    }),
    `GET ${path}`,
  );
}

/** A PUT made in the database itself (no server runs): the setup, and a write between cycles. */
async function offlineHotWrite(
  store: Store,
  w: Writer,
  hotLog: Array<{ event: StoredEvent; doc: Doc }>,
  tag: string,
): Promise<void> {
  const doc: Doc = { tag, w: 0, n: ++w.n, pad: '' };
  const result = await putDirect(store, HOT, doc);
  const e = result.events.at(-1)!;
  hotLog.push({ event: e, doc });
  w.state.set(HOT, { doc, etag: e.etag ?? undefined });
}

function putDirect(store: Store, path: string, doc: Doc | undefined) {
  const container = path.endsWith('/');
  return store.write({
    path,
    apply: (current) => ({
      op: 'put',
      path,
      contentType: 'application/json',
      body: container ? new Uint8Array(0) : Buffer.from(JSON.stringify(doc)),
      event: { method: 'PUT', status: current ? 204 : 201 },
    }),
  });
}

/** Whose resource a path is: 0 for `/hot`, i for `/w<i>/...`, -1 for anything else. */
function ownerOf(path: string): number {
  if (path === HOT) return 0;
  const m = /^\/w(\d+)\//.exec(path);
  return m ? Number(m[1]) : -1;
}

function hotEventMatches(op: Op, e: StoredEvent): boolean {
  if (op.method !== e.method || op.path !== e.path) return false;
  return op.method === 'PATCH'
    ? text(e.body) === op.body
    : (JSON.parse(text(e.body)) as Doc).tag === op.tag;
}

/** The subscriber's local copy after a notification: its JSON Patch delta applied. */
function applyNotification(local: Doc | undefined, n: Notification): Doc {
  assert.equal(n.delta?.contentType, JSON_PATCH);
  const before = Buffer.from(JSON.stringify(local ?? null));
  return JSON.parse(text(applyDelta(JSON_PATCH, before, n.delta.body))) as Doc;
}

/** The seq of one of our Event-IDs (`<seq>.<store>`), checking that it names this database. */
function seqOf(eventId: string, idOf: (seq: number) => string): number {
  const seq = Number(/^(\d+)\./.exec(eventId)?.[1]);
  assert.equal(eventId, idOf(seq), `Event-ID ${eventId} is <seq>.<store> of this database`);
  return seq;
}

function text(body: Uint8Array | null): string {
  return body === null ? '' : Buffer.from(body).toString('utf8');
}
