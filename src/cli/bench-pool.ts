/**
 * The coordinator's side of the load generator of `prep bench`: a pool of subscriber
 * processes (bench-worker.ts), each holding part of the subscriptions. It opens
 * subscriptions on any server by URL, keeps count of the deliveries each process must see
 * after every write, waits for them, and gathers CPU, correctness and latency figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  CheckReply,
  ConnectReply,
  MarkReply,
  UntilReply,
  WorkerReply,
  WorkerRequest,
} from './bench-protocol.js';
import { nowMs } from './bench-writer.js';

/**
 * Subscriptions per local source address. A client socket bound to a source address and
 * port 0 (`localAddress`) gets its port from the kernel's bind search, which, for a socket
 * with SO_REUSEADDR (libuv sets it), scans one parity of the lower half of the ephemeral
 * range first: a quarter of it (7058 ports with the default 32768-60999). Beyond that each
 * bind scans that whole quarter before trying the rest, and opening a connection went from
 * ~60 µs to 1.5-2 ms of kernel time here (perf: `inet_bhash2_conflict` under `__sys_bind`),
 * which capped the load generator near 7k subscriptions per address. So each address takes
 * at most 80 % of that quarter; subscriptions are spread over 127.0.0.2, 127.0.0.3, ... (all
 * of 127/8 is loopback on Linux), and each session takes fresh ones (a port stays taken
 * while its connection lingers in TIME_WAIT).
 */
export const PER_ADDRESS = perAddress();

function perAddress(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && high !== undefined && high > low)
      return Math.max(500, Math.floor(((high - low + 1) / 4) * 0.8));
  } catch {
    // Not Linux: its own rules; the Linux default below is a safe guess.
  }
  return 5000;
}

let nextAddress = 2; // 127.0.0.2 onwards: 127.0.0.1 is where servers usually listen

/** `count` loopback addresses never handed out before in this process. */
function takeAddresses(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    // Skip .0 and .255 in the last byte.
    while (nextAddress % 256 === 0 || nextAddress % 256 === 255) nextAddress++;
    const n = nextAddress++;
    out.push(`127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
  }
  return out;
}

const workers = new Set<ChildProcess>();
// However this process ends, no subscriber process outlives it.
process.once('exit', () => {
  for (const c of workers) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * Starts one subscriber process: this module's sibling bench-worker (`.ts` through tsx in a
 * checkout, `.js` when built), under bash with the descriptor limit raised where allowed
 * (one subscription is one socket, and a soft limit of 1024 would cap a run long before
 * CPU or memory do).
 */
function spawnWorker(): ChildProcess {
  const source = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./bench-worker.${source ? 'ts' : 'js'}`, import.meta.url));
  const node = [process.execPath, ...(source ? ['--import', 'tsx'] : []), file];
  const options = {
    // tsx resolves from the repository root.
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[],
    serialization: 'advanced' as const,
  };
  const script =
    'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"';
  const child = existsSync('/bin/bash')
    ? spawn('/bin/bash', ['-c', script, 'bash', ...node], options)
    : spawn(node[0]!, node.slice(1), options);
  workers.add(child);
  child.once('exit', () => workers.delete(child));
  return child;
}

/** Distributive Omit, so each request keeps its own fields. */
type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

class WorkerProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (m: WorkerReply) => void>();
  #nextId = 1;
  /** Ready subscriptions of this process, per path. */
  readonly ready = new Map<string, number>();
  /** Notifications this process must have parsed once the writes so far are delivered. */
  expected = 0;

  constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (raw) => {
      const m = raw as WorkerReply;
      const done = this.#waiting.get(m.id);
      if (done) {
        this.#waiting.delete(m.id);
        done(m);
      }
    });
    child.once('exit', () => {
      for (const [id, done] of this.#waiting) done({ type: 'closed', id });
      this.#waiting.clear();
    });
  }

  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  ask<T extends WorkerReply>(m: Request, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.alive || !this.#child.connected) {
        reject(new Error('load worker is not running'));
        return;
      }
      const id = this.#nextId++;
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`load worker did not answer ${m.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.type === 'closed' && m.type !== 'close') reject(new Error('load worker exited'));
        else resolve(reply as T);
      });
      const message: WorkerRequest = { ...m, id };
      this.#child.send(message);
    });
  }

  kill(): void {
    if (this.alive) this.#child.kill('SIGKILL');
  }
}

/** The outcome of opening subscriptions. */
export interface ConnectResult {
  requested: number;
  ready: number;
  failed: number;
  errors: string[];
  ms: number;
}

/** CPU and counters of the load generator at one moment. */
export interface LoadMark {
  at: number;
  /** User + system CPU of all subscriber processes, µs. */
  cpuMicros: number;
  deliveries: number;
  rss: number;
}

/**
 * The correctness and latency of what the subscribers received: the workers' replies summed,
 * `latencies` (ms from each write's response to each notification of it) merged and sorted.
 */
export type LoadCheck = Omit<CheckReply, 'type' | 'id'>;

/**
 * A pool of subscriber processes.
 *
 * @example
 * ```ts
 * const pool = await LoadPool.start(2);
 * await pool.connect({ url: 'http://127.0.0.1:8080', paths: ['/a'], count: 1000 });
 * // ... make writes, calling pool.noteWrite('/a') for each
 * await pool.until(10_000);
 * await pool.close();
 * pool.stop();
 * ```
 */
export class LoadPool {
  readonly #workers: WorkerProcess[];
  /** Subscriptions opened so far (spreads paths round-robin across calls). */
  #opened = 0;

  private constructor(workers: WorkerProcess[]) {
    this.#workers = workers;
  }

  /** Starts `size` subscriber processes. */
  static async start(size: number): Promise<LoadPool> {
    const workers = await Promise.all(
      Array.from({ length: size }, async () => {
        const child = spawnWorker();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('load worker did not start')), 30_000);
          child.once('message', () => {
            clearTimeout(timer);
            resolve();
          });
          child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`load worker exited (${code})`));
          });
        });
        return new WorkerProcess(child);
      }),
    );
    return new LoadPool(workers);
  }

  get size(): number {
    return this.#workers.length;
  }

  /**
   * Opens `count` subscriptions (GET with `Accept-Events`) spread over the processes and
   * over fresh local addresses; the i-th new one watches `paths[(opened + i) % paths.length]`.
   * `writesSoFar` gives, per path, how many writes were made since the run began (0 for a
   * fresh resource).
   */
  async connect(options: {
    url: string;
    paths: string[];
    count: number;
    /** Bind subscriptions to fresh 127.x.y.z source addresses (IPv4 loopback only). Default true. */
    spreadAddresses?: boolean;
    writesSoFar?: Record<string, number>;
    concurrency?: number;
    timeoutMs?: number;
    acceptEvents?: string;
    headers?: Record<string, string>;
  }): Promise<ConnectResult> {
    const started = nowMs();
    const n = this.#workers.length;
    // Bounded, but generous: a loaded 2-core machine accepts a few hundred connections a second.
    const timeoutMs = options.timeoutMs ?? 120_000 + options.count * 10;
    const replies = await Promise.all(
      this.#workers.map((w, k) => {
        const count = Math.floor(options.count / n) + (k < options.count % n ? 1 : 0);
        const offset = this.#opened;
        this.#opened += count;
        return w.ask<ConnectReply>(
          {
            type: 'connect',
            url: options.url,
            paths: options.paths,
            offset,
            count,
            writesSoFar: options.paths.map((p) => options.writesSoFar?.[p] ?? 0),
            localAddresses:
              options.spreadAddresses === false
                ? []
                : takeAddresses(Math.max(1, Math.ceil(count / PER_ADDRESS))),
            perAddress: PER_ADDRESS,
            concurrency: options.concurrency ?? 128,
            timeoutMs,
            ...(options.acceptEvents ? { acceptEvents: options.acceptEvents } : {}),
            ...(options.headers ? { headers: options.headers } : {}),
          },
          timeoutMs + 10_000,
        );
      }),
    );
    let ready = 0;
    let failed = 0;
    const errors: string[] = [];
    replies.forEach((r, k) => {
      const w = this.#workers[k]!;
      options.paths.forEach((p, i) => w.ready.set(p, r.readyByPath[i] ?? 0));
      ready += r.ready;
      failed += r.failed;
      for (const e of r.errors) if (errors.length < 5 && !errors.includes(e)) errors.push(e);
    });
    return { requested: options.count, ready, failed, errors, ms: nowMs() - started };
  }

  /** Ready subscriptions in all. */
  get ready(): number {
    let n = 0;
    for (const w of this.#workers) for (const v of w.ready.values()) n += v;
    return n;
  }

  /** Records one write to `path`: every ready subscriber of it must get one more notification. */
  noteWrite(path: string): void {
    for (const w of this.#workers) w.expected += w.ready.get(path) ?? 0;
  }

  /** Deliveries expected so far, in all. */
  get expected(): number {
    return this.#workers.reduce((s, w) => s + w.expected, 0);
  }

  /** Waits until every process has parsed what it is expected to; false on timeout. */
  async until(timeoutMs: number): Promise<boolean> {
    const replies = await Promise.all(
      this.#workers.map((w) =>
        w.ask<UntilReply>({ type: 'until', target: w.expected, timeoutMs }, timeoutMs + 10_000),
      ),
    );
    return replies.every((r) => r.ok);
  }

  /** CPU and counters now; `resetSamples` starts a new latency phase. */
  async mark(resetSamples = false): Promise<LoadMark> {
    const replies = await Promise.all(
      this.#workers.map((w) => w.ask<MarkReply>({ type: 'mark', resetSamples }, 30_000)),
    );
    return {
      at: nowMs(),
      cpuMicros: replies.reduce((s, r) => s + r.cpu.user + r.cpu.system, 0),
      deliveries: replies.reduce((s, r) => s + r.deliveries, 0),
      rss: replies.reduce((s, r) => s + r.rss, 0),
    };
  }

  /** Checks all subscriptions against the writes made; latencies of the current phase. */
  async check(
    writes: Record<string, number>,
    writeTimes?: Record<string, Float64Array>,
  ): Promise<LoadCheck> {
    const replies = await Promise.all(
      this.#workers.map((w) =>
        w.ask<CheckReply>({ type: 'check', writes, ...(writeTimes ? { writeTimes } : {}) }, 60_000),
      ),
    );
    const total = replies.reduce((s, r) => s + r.latencies.length, 0);
    const latencies = new Float64Array(total);
    let o = 0;
    for (const r of replies) {
      latencies.set(r.latencies, o);
      o += r.latencies.length;
    }
    latencies.sort();
    const sum = (f: (r: CheckReply) => number) => replies.reduce((s, r) => s + f(r), 0);
    return {
      deliveries: sum((r) => r.deliveries),
      lost: sum((r) => r.lost),
      duplicated: sum((r) => r.duplicated),
      unexpected: sum((r) => r.unexpected),
      closedEarly: sum((r) => r.closedEarly),
      latencies,
      dropped: sum((r) => r.dropped),
    };
  }

  /** Closes every subscription and forgets all state (the processes stay, for reuse). */
  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map((w) => (w.alive ? w.ask({ type: 'close' }, 30_000) : Promise.resolve())),
    );
    for (const w of this.#workers) {
      w.ready.clear();
      w.expected = 0;
    }
    this.#opened = 0;
  }

  /** Ends the processes. */
  stop(): void {
    for (const w of this.#workers) w.kill();
  }
}
