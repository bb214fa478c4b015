/**
 * A subscriber process of the load generator: holds many PREP subscriptions on raw
 * `node:net` sockets (one shared read buffer, no `data` events), finds the Event-ID of every
 * notification (stream-parser.ts), checks that each subscriber gets every event of its
 * resource exactly once and in the same order as the others, and timestamps each one.
 *
 * Ordering check without knowing the server's Event-ID format: per resource, the first
 * subscriber (in this process) to see an Event-ID gives it the next ordinal; every
 * subscriber must then see ordinals n, n+1, n+2, ... with no gap or repeat. Since the
 * writes to one resource are made one after the other, ordinal k is the k-th write, whose
 * response time the coordinator knows: that gives the latency.
 *
 * Started by bench-pool.ts as a child process with an IPC channel (`prep bench`, and the
 * benchmarks of bench/ in a checkout).
 */
import net from 'node:net';
import { ResponseScanner } from './bench-parser.js';
import type { CheckReply, ConnectRequest, WorkerReply, WorkerRequest } from './bench-protocol.js';
import { nowMs } from './bench-writer.js';

const SAMPLE_CAP = 3_000_000;
const ORD_SPAN = 2 ** 24;

interface PathState {
  name: string;
  ids: Map<string, number>;
  /** Ordinal of the first Event-ID this process saw for the path (writes made before). */
  base: number;
}

enum SubState {
  Connecting,
  Ready,
  Failed,
  Closed,
}

interface Sub {
  socket: net.Socket;
  scanner: ResponseScanner;
  path: PathState;
  pathIndex: number;
  state: SubState;
  /** The ordinal this subscriber must see next. */
  next: number;
}

let paths: PathState[] = [];
let pathIndex = new Map<string, number>();
let subs: Sub[] = [];
let deliveries = 0;
let lost = 0;
let duplicated = 0;
let closedEarly = 0;
let ready = 0;
let closing = false;
let keys = new Float64Array(1 << 16);
let times = new Float64Array(1 << 16);
let samples = 0;
let dropped = 0;
const waiters = new Set<{ target: number; done: (ok: boolean) => void }>();
let minTarget = Infinity;

const SHARED = Buffer.allocUnsafe(256 * 1024);
const found: string[] = [];

function send(m: WorkerReply): void {
  process.send?.(m);
}

function record(pathIdx: number, ord: number, at: number): void {
  if (samples >= SAMPLE_CAP) {
    dropped++;
    return;
  }
  if (samples === keys.length) {
    const k = new Float64Array(keys.length * 2);
    k.set(keys);
    keys = k;
    const t = new Float64Array(times.length * 2);
    t.set(times);
    times = t;
  }
  keys[samples] = pathIdx * ORD_SPAN + ord;
  times[samples] = at;
  samples++;
}

function onRead(sub: Sub, bytes: Buffer): void {
  const scanner = sub.scanner;
  const wasConnecting = sub.state === SubState.Connecting;
  scanner.push(bytes, found);
  if (wasConnecting && scanner.status !== 0) settle(sub);
  if (found.length > 0) {
    const at = nowMs();
    const p = sub.path;
    for (const id of found) {
      let ord = p.ids.get(id);
      if (ord === undefined) {
        ord = p.base + p.ids.size;
        p.ids.set(id, ord);
      }
      if (ord === sub.next) sub.next++;
      else if (ord > sub.next) {
        lost += ord - sub.next;
        sub.next = ord + 1;
      } else duplicated++;
      deliveries++;
      record(sub.pathIndex, ord, at);
    }
    found.length = 0;
    if (deliveries >= minTarget) wake();
  }
  if (scanner.error !== undefined && sub.state !== SubState.Failed) {
    if (sub.state === SubState.Ready) {
      ready--;
      closedEarly++;
    }
    sub.state = SubState.Closed;
    sub.socket.destroy();
  }
}

function wake(): void {
  minTarget = Infinity;
  for (const w of waiters) {
    if (deliveries >= w.target) {
      waiters.delete(w);
      w.done(true);
    } else minTarget = Math.min(minTarget, w.target);
  }
}

// Connection phase bookkeeping.
let phase: {
  remaining: number;
  inflight: number;
  failed: number;
  errors: string[];
  launch: () => void;
  finish: () => void;
} | null = null;

function settle(sub: Sub): void {
  if (sub.scanner.status === 200) {
    sub.state = SubState.Ready;
    ready++;
  } else {
    sub.state = SubState.Failed;
    if (phase && phase.errors.length < 5)
      phase.errors.push(`status ${sub.scanner.status}: ${sub.scanner.head.split('\r\n')[0] ?? ''}`);
    if (phase) phase.failed++;
    sub.socket.destroy();
  }
  if (phase) {
    phase.inflight--;
    phase.remaining--;
    phase.launch();
  }
}

function connect(m: ConnectRequest): void {
  const started = nowMs();
  const u = new URL(m.url);
  // An IPv6 literal comes bracketed: net.connect wants it bare, Host keeps the brackets.
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || 80);
  let extra = '';
  for (const [k, v] of Object.entries(m.headers ?? {})) extra += `${k}: ${v}\r\n`;
  const pathIdx = m.paths.map((name, i) => {
    let idx = pathIndex.get(name);
    if (idx === undefined) {
      idx = paths.length;
      paths.push({ name, ids: new Map(), base: m.writesSoFar[i] ?? 0 });
      pathIndex.set(name, idx);
    }
    return idx;
  });
  let launched = 0;
  let finished = false;
  const timer = setTimeout(() => {
    // Whatever is still connecting when time is up counts as failed.
    for (const s of subs)
      if (s.state === SubState.Connecting) {
        s.state = SubState.Failed;
        s.socket.destroy();
        if (p.errors.length < 5) p.errors.push(`no response within ${m.timeoutMs} ms`);
        p.failed++;
        p.remaining--;
      }
    p.finish();
  }, m.timeoutMs);
  const p = {
    remaining: m.count,
    inflight: 0,
    failed: 0,
    errors: [] as string[],
    launch() {
      while (p.inflight < m.concurrency && launched < m.count) open(launched++);
      if (p.remaining === 0) p.finish();
    },
    finish() {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      phase = null;
      const readyByPath = pathIdx.map(() => 0);
      const slotOf = new Map(pathIdx.map((idx, k) => [idx, k]));
      for (const s of subs) {
        const k = slotOf.get(s.pathIndex);
        if (k !== undefined && s.state === SubState.Ready) readyByPath[k]!++;
      }
      send({
        type: 'connected',
        id: m.id,
        ready,
        readyByPath,
        failed: p.failed,
        errors: p.errors,
        ms: nowMs() - started,
      });
    },
  };
  phase = p;
  const open = (i: number) => {
    const k = (m.offset + i) % m.paths.length;
    const idx = pathIdx[k]!;
    const path = paths[idx]!;
    const slot = Math.floor(i / m.perAddress);
    const localAddress = m.localAddresses[slot % Math.max(1, m.localAddresses.length)];
    const sub: Sub = {
      socket: undefined as unknown as net.Socket,
      scanner: new ResponseScanner(),
      path,
      pathIndex: idx,
      state: SubState.Connecting,
      next: m.writesSoFar[k] ?? 0,
    };
    p.inflight++;
    const socket = net.connect({
      host,
      port,
      ...(localAddress ? { localAddress } : {}),
      onread: {
        buffer: SHARED,
        callback(n: number, buf: Uint8Array) {
          onRead(sub, (buf as Buffer).subarray(0, n));
          return true;
        },
      },
    });
    sub.socket = socket;
    subs.push(sub);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      socket.write(
        `GET ${path.name} HTTP/1.1\r\nHost: ${u.host}\r\nAccept-Events: ${m.acceptEvents ?? '"prep"'}\r\n${extra}\r\n`,
      );
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (sub.state === SubState.Connecting && phase === p && p.errors.length < 5)
        p.errors.push(err.code ?? err.message);
    });
    socket.once('close', () => {
      if (sub.state === SubState.Connecting) {
        sub.state = SubState.Failed;
        if (phase === p) {
          p.failed++;
          p.inflight--;
          p.remaining--;
          p.launch();
        }
      } else if (sub.state === SubState.Ready) {
        sub.state = SubState.Closed;
        ready--;
        if (!closing) closedEarly++;
      }
    });
  };
  if (m.count === 0) p.finish();
  else p.launch();
}

function check(m: Extract<WorkerRequest, { type: 'check' }>): CheckReply {
  let tail = 0;
  for (const s of subs) {
    if (s.state !== SubState.Ready && s.state !== SubState.Closed) continue;
    const expected = m.writes[s.path.name] ?? 0;
    if (s.next < expected) tail += expected - s.next;
  }
  let unexpected = 0;
  for (const p of paths) {
    const seen = p.base + p.ids.size;
    const expected = m.writes[p.name] ?? 0;
    if (seen > expected) unexpected += seen - expected;
  }
  let latencies = new Float64Array(m.writeTimes ? samples : 0);
  if (m.writeTimes) {
    const byIndex = paths.map((p) => m.writeTimes?.[p.name]);
    let n = 0;
    for (let i = 0; i < samples; i++) {
      const key = keys[i]!;
      const idx = Math.floor(key / ORD_SPAN);
      const ord = key - idx * ORD_SPAN;
      const t0 = byIndex[idx]?.[ord];
      if (t0 !== undefined && !Number.isNaN(t0)) latencies[n++] = times[i]! - t0;
    }
    latencies = latencies.slice(0, n);
  }
  return {
    type: 'checked',
    id: m.id,
    deliveries,
    lost: lost + tail,
    duplicated,
    unexpected,
    closedEarly,
    latencies,
    dropped,
  };
}

function closeAll(): Promise<void> {
  closing = true;
  for (const w of waiters) w.done(false);
  waiters.clear();
  minTarget = Infinity;
  const all = subs;
  subs = [];
  let left = all.length;
  return new Promise<void>((resolve) => {
    if (left === 0) return resolve();
    const timer = setTimeout(resolve, 5000);
    for (const s of all) {
      if (s.socket.destroyed) {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
        continue;
      }
      s.socket.once('close', () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      s.socket.destroy();
    }
  }).then(() => {
    paths = [];
    pathIndex = new Map();
    deliveries = lost = duplicated = closedEarly = ready = samples = dropped = 0;
    closing = false;
  });
}

process.on('message', (raw: unknown) => {
  const m = raw as WorkerRequest;
  switch (m.type) {
    case 'connect':
      connect(m);
      return;
    case 'until': {
      if (deliveries >= m.target) {
        send({ type: 'reached', id: m.id, ok: true, deliveries });
        return;
      }
      const w = {
        target: m.target,
        done: (ok: boolean) => {
          clearTimeout(timer);
          send({ type: 'reached', id: m.id, ok, deliveries });
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(w);
        w.done(false);
      }, m.timeoutMs);
      waiters.add(w);
      minTarget = Math.min(minTarget, m.target);
      return;
    }
    case 'mark':
      if (m.resetSamples) {
        samples = 0;
        dropped = 0;
      }
      send({
        type: 'marked',
        id: m.id,
        deliveries,
        ready,
        closedEarly,
        cpu: process.cpuUsage(),
        rss: process.memoryUsage.rss(),
        at: nowMs(),
      });
      return;
    case 'check':
      send(check(m));
      return;
    case 'close':
      void closeAll().then(() => send({ type: 'closed', id: m.id }));
      return;
    case 'exit':
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'hello' });
