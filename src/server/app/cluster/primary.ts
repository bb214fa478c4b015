import cluster, { type Worker } from 'node:cluster';
import { LocalAdmission, type StreamKeys } from '../../engine/admission.js';
import {
  isPrepMessage,
  type PrimaryMessage,
  type WorkerMessage,
  type WorkerReport,
} from './messages.js';

/** The environment variable that gives a worker its number (1..N; kept across restarts). */
export const WORKER_SLOT_ENV = 'PREP_WORKER_SLOT';

/** A worker's answer to `probe`, or none (`report` absent) if it did not answer in time. */
export interface WorkerProbe {
  /** Its number, 1..N (`PREP_WORKER_SLOT`). */
  slot: number;
  report?: WorkerReport;
}

/** Options of {@link ClusterPrimary}. */
export interface ClusterPrimaryOptions {
  /** How many worker processes serve. */
  workers: number;
  /** One line per event worth an operator's eye (a worker died, restarts, stops). */
  log: (line: string) => void;
  /** The first restart of a worker that died waits this long, doubling up to 10 s. Default 100 ms. */
  restartDelayMs?: number;
  /** How long workers get to close their streams when stopping; then they are killed. Default 10 s. */
  drainTimeoutMs?: number;
}

/** A worker that lived this long before dying restarts without delay growth. */
const HEALTHY_MS = 10_000;
const MAX_RESTART_DELAY_MS = 10_000;

/**
 * The primary of `prep serve --workers N` (node:cluster): it forks the workers, which share
 * the listening port (the primary hands each connection to one of them), relays their
 * wake-ups and marks to the others (so that every worker follows the shared log at once, and
 * N822-3 holds across them), counts their streams against the subscription limits (SEC-2:
 * the bounds hold across workers), restarts a worker that dies (with a growing delay,
 * logged), and on `stop` has every worker close its streams with both close delimiters
 * (RSP-7) so that clients resume elsewhere with `Last-Event-ID`.
 *
 * @example
 * ```ts
 * const primary = new ClusterPrimary({ workers: 4, log: console.log });
 * const url = await primary.start();
 * process.on('SIGTERM', () => void primary.stop().then(() => process.exit(0)));
 * ```
 */
export class ClusterPrimary {
  readonly #options: ClusterPrimaryOptions;
  readonly #admission = new LocalAdmission();
  /** Per worker, the streams it has counted in (released if it dies). */
  readonly #held = new Map<number, Map<string, { keys: StreamKeys; n: number }>>();
  #stopping = false;
  #restartDelay: number;
  #listening: ((url: string) => void) | undefined;
  /** Each worker's number (1..N), by cluster id; a restarted worker takes its number again. */
  readonly #slots = new Map<number, number>();
  /** Workers that listen (a probe asks them only). */
  readonly #serving = new Set<number>();
  readonly #probes = new Map<number, (workerId: number, report: WorkerReport) => void>();
  #nextProbe = 1;
  /** Workers restarted after dying. */
  restarts = 0;

  constructor(options: ClusterPrimaryOptions) {
    this.#options = options;
    this.#restartDelay = options.restartDelayMs ?? 100;
  }

  /** Streams counted in across all workers. */
  get streams(): number {
    return this.#admission.total;
  }

  /** Workers that are up and listening. */
  get serving(): number {
    return this.#serving.size;
  }

  /** Whether `stop` was called. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /**
   * Forks the workers; resolves with the URL once every one listens (the primary hands
   * connections only to workers that listen: before then, some would get them all).
   */
  start(): Promise<string> {
    let waiting = this.#options.workers;
    const url = new Promise<string>((resolve) => {
      this.#listening = (at) => {
        if (--waiting === 0) resolve(at);
      };
    });
    for (let i = 1; i <= this.#options.workers; i++) this.#fork(i);
    return url;
  }

  /**
   * Asks every listening worker for its report (metrics, readiness); resolves after all have
   * answered or `timeoutMs`, with one entry per worker asked (no `report`: it did not answer).
   */
  probe(timeoutMs = 2000): Promise<WorkerProbe[]> {
    const id = this.#nextProbe++;
    const asked = new Map<number, WorkerProbe>();
    for (const w of Object.values(cluster.workers ?? {}))
      if (w && this.#serving.has(w.id) && !w.isDead())
        asked.set(w.id, { slot: this.#slots.get(w.id) ?? 0 });
    return new Promise((resolve) => {
      let left = asked.size;
      const finish = () => {
        clearTimeout(timer);
        this.#probes.delete(id);
        resolve([...asked.values()].sort((a, b) => a.slot - b.slot));
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#probes.set(id, (workerId, report) => {
        const entry = asked.get(workerId);
        if (!entry || entry.report) return;
        entry.report = report;
        if (--left === 0) finish();
      });
      if (left === 0) return finish();
      for (const w of Object.values(cluster.workers ?? {}))
        if (w && asked.has(w.id)) send(w, { t: 'prep:probe', id });
    });
  }

  /** Stops every worker (each closes its streams cleanly), killing those that take too long. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const exits = workers.map(
      (w) =>
        new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))),
    );
    for (const w of workers) if (!w.isDead()) w.process.kill(signal);
    const timeout = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, this.#options.drainTimeoutMs ?? 10_000);
    await Promise.all(exits);
    clearTimeout(timeout);
  }

  #fork(slot: number): void {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    const started = Date.now();
    this.#slots.set(worker.id, slot);
    this.#held.set(worker.id, new Map());
    worker.on('message', (m: unknown) => this.#receive(worker, m));
    worker.once('exit', (code, signal) => {
      this.#releaseAll(worker.id);
      this.#slots.delete(worker.id);
      this.#serving.delete(worker.id);
      if (this.#stopping) return;
      this.restarts++;
      const lived = Date.now() - started;
      if (lived > HEALTHY_MS) this.#restartDelay = this.#options.restartDelayMs ?? 100;
      const delay = this.#restartDelay;
      this.#restartDelay = Math.min(MAX_RESTART_DELAY_MS, delay * 2);
      this.#options.log(
        `worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another in ${delay} ms`,
      );
      setTimeout(() => {
        if (!this.#stopping) this.#fork(slot);
      }, delay).unref();
    });
  }

  #receive(from: Worker, raw: unknown): void {
    if (!isPrepMessage(raw)) return;
    const m = raw as WorkerMessage;
    switch (m.t) {
      case 'prep:committed':
        return this.#broadcast(from, { t: 'prep:wake' });
      case 'prep:mark':
        return this.#broadcast(from, { t: 'prep:mark', origin: m.origin, seq: m.seq });
      case 'prep:acquire': {
        const refused = this.#admission.acquire(m.keys, m.limits);
        if (refused === undefined) this.#count(from.id, m.keys, 1);
        send(
          from,
          refused === undefined
            ? { t: 'prep:admitted', id: m.id }
            : { t: 'prep:admitted', id: m.id, refused },
        );
        return;
      }
      case 'prep:release':
        if (this.#count(from.id, m.keys, -1)) this.#admission.release(m.keys);
        return;
      case 'prep:listening':
        this.#serving.add(from.id);
        this.#listening?.(m.url);
        return;
      case 'prep:probed':
        this.#probes.get(m.id)?.(from.id, m.report);
        return;
    }
  }

  #broadcast(from: Worker, message: PrimaryMessage): void {
    for (const w of Object.values(cluster.workers ?? {}))
      if (w && w !== from && !w.isDead()) send(w, message);
  }

  /** Keeps a worker's own tally, so that a release counts only what it acquired. */
  #count(workerId: number, keys: StreamKeys, delta: number): boolean {
    const held = this.#held.get(workerId);
    if (!held) return false;
    const key = JSON.stringify(keys);
    const entry = held.get(key);
    if (delta > 0) {
      if (entry) entry.n++;
      else held.set(key, { keys, n: 1 });
      return true;
    }
    if (!entry) return false;
    if (--entry.n === 0) held.delete(key);
    return true;
  }

  /** A worker died: every stream it held is gone. */
  #releaseAll(workerId: number): void {
    const held = this.#held.get(workerId);
    this.#held.delete(workerId);
    for (const { keys, n } of held?.values() ?? [])
      for (let i = 0; i < n; i++) this.#admission.release(keys);
  }
}

function send(worker: Worker, message: PrimaryMessage): void {
  try {
    worker.send(message);
  } catch {
    // It is exiting; its 'exit' handler cleans up.
  }
}
