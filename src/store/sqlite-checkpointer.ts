import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/**
 * The worker's code. A string run with `eval` rather than a file beside this one: the store
 * also runs from bundles (the reliability tests', an application's) where no such file would
 * sit next to the code. It opens its own connection to the database file and, each time it is
 * asked, copies what the WAL holds into the database (`PASSIVE`: it never waits for nor blocks
 * a reader or the writer).
 */
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { timeout: workerData.timeoutMs });
db.pragma('synchronous = ' + workerData.synchronous);
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or failed: the next commit asks again.
  }
  parentPort.postMessage('done');
});
`;

/** SQLite's own threshold (pages in the WAL) for the automatic checkpoint we switch off. */
const AUTO_CHECKPOINT_PAGES = 1000;

/**
 * Checkpoints a SQLite database in WAL mode from a worker thread (SEC-2: no request may hold
 * the event loop). SQLite's automatic checkpoint runs inside whichever commit takes the WAL
 * past 1000 pages: it copies about 4 MB into the database file and fsyncs it, 10–40 ms of the
 * event loop for the commit that happens to cross it (a 1 MiB PUT crosses it every other
 * write). Here the writer's connection has `wal_autocheckpoint = 0` and each commit asks the
 * worker, which has its own connection, to checkpoint; requests made while one runs are folded
 * into one more. If the worker cannot start or fails, the automatic checkpoint is switched
 * back on, so the WAL never grows without bound.
 *
 * @example
 * ```ts
 * declare const db: import('better-sqlite3').Database;
 * const checkpointer = SqliteCheckpointer.start(db, { filename: 'data/prep.db', driver: Database });
 * checkpointer?.committed(); // after each write transaction
 * await checkpointer?.close(); // before db.close()
 * ```
 */
export class SqliteCheckpointer {
  readonly #db: Database;
  readonly #worker: Worker;
  #state: 'idle' | 'running' | 'again' | 'closed' = 'idle';

  private constructor(db: Database, worker: Worker) {
    this.#db = db;
    this.#worker = worker;
    worker.on('message', () => {
      if (this.#state === 'again') {
        this.#state = 'running';
        worker.postMessage('checkpoint');
      } else if (this.#state === 'running') this.#state = 'idle';
    });
    worker.on('error', () => this.#fallBack());
    worker.on('exit', () => this.#fallBack());
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
  }

  /**
   * A checkpointer for `db` (an open connection to `filename` in WAL mode), or undefined when
   * the driver's file cannot be found (the automatic checkpoint then stays on).
   */
  static start(
    db: Database,
    options: { filename: string; driver: unknown; timeoutMs: number; synchronous: string },
  ): SqliteCheckpointer | undefined {
    const driver = driverFile(options.driver);
    if (driver === undefined) return undefined;
    let worker: Worker;
    try {
      worker = new Worker(WORKER_CODE, {
        eval: true,
        workerData: {
          driver,
          filename: options.filename,
          timeoutMs: options.timeoutMs,
          synchronous: options.synchronous,
        },
        // The worker needs none of the parent's flags (a TypeScript loader, say).
        execArgv: [],
      });
    } catch {
      return undefined;
    }
    db.pragma('wal_autocheckpoint = 0');
    return new SqliteCheckpointer(db, worker);
  }

  /** A write transaction committed: its pages are to be copied out of the WAL. */
  committed(): void {
    if (this.#state === 'idle') {
      this.#state = 'running';
      this.#worker.postMessage('checkpoint');
    } else if (this.#state === 'running') this.#state = 'again';
  }

  /** Stops the worker (after the checkpoint it may be running) and closes its connection. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    // Held open until it has closed its connection, however little else the process waits on.
    this.#worker.ref();
    this.#worker.postMessage('close');
    await exited;
  }

  #fallBack(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    try {
      if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    } catch {
      // The connection is closing: nothing is left to checkpoint from here.
    }
  }
}

/**
 * The file better-sqlite3 was loaded from, found by its exports in the CommonJS module cache:
 * exactly the module the store loaded, wherever it was resolved from (a bundle may have
 * rewritten the specifier to an absolute path).
 */
function driverFile(driver: unknown): string | undefined {
  const cache = createRequire(import.meta.url).cache;
  for (const [file, module] of Object.entries(cache)) if (module?.exports === driver) return file;
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return undefined;
  }
}
