import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';

/**
 * Options of {@link PostgresListener}.
 *
 * @example
 * ```ts
 * const options: PostgresListenerOptions = {
 *   url: 'postgres://prep@127.0.0.1/prep',
 *   channel: 'prep_commit',
 *   onNotify: () => console.log('a commit'),
 *   onResume: () => console.log('listening again: commits may have been missed'),
 * };
 * ```
 */
export interface PostgresListenerOptions {
  url: string;
  channel: string;
  /** Called for each notification on the channel, with its payload. */
  onNotify: (payload: string) => void;
  /** Called after LISTEN is back in place following a lost connection. */
  onResume: () => void;
  /** Connect timeout, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** The longest wait between attempts to LISTEN again, in ms. Default 1000. */
  maxReconnectDelayMs?: number;
}

/**
 * postgres.js's `backoff`: the seconds before the next connection attempt after a failed one,
 * 50 ms doubling up to `maxDelayMs`, with jitter so that nodes do not reconnect in step.
 *
 * @example
 * ```ts
 * const sql = postgres(url, { backoff: reconnectBackoff(1000) });
 * ```
 */
export function reconnectBackoff(maxDelayMs: number): (attempt: number) => number {
  return (attempt) => Math.min(0.05 * 2 ** attempt, maxDelayMs / 1000) * (0.5 + Math.random() / 2);
}

/**
 * LISTEN on one channel over a connection of its own, kept in place across lost connections.
 *
 * postgres.js has `sql.listen`, which re-LISTENs after a reconnect, but under repeated
 * connection loss it can end up connected without LISTENing, for good (seen with postgres.js
 * 3.4.9 when backends are terminated while it reconnects). Here every close of the connection
 * starts a loop that LISTENs again until that succeeds on a connection that has not closed
 * since, with a bounded wait between attempts.
 *
 * @example
 * ```ts
 * const listener = new PostgresListener({ url, channel: 'prep_commit', onNotify, onResume });
 * await listener.start();
 * await listener.close();
 * ```
 */
export class PostgresListener {
  readonly #options: PostgresListenerOptions;
  readonly #sql: postgres.Sql;
  /** Incremented on every close of the connection. */
  #epoch = 0;
  #relistening = false;
  #closed = false;
  /** Aborted by `close()`, to end the waits of the LISTEN loop. */
  readonly #stop = new AbortController();

  constructor(options: PostgresListenerOptions) {
    this.#options = options;
    const driverOptions: postgres.Options<Record<string, never>> & {
      onnotify: (channel: string, payload: string) => void;
    } = {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      connect_timeout: (options.connectTimeoutMs ?? 10_000) / 1000,
      backoff: reconnectBackoff(options.maxReconnectDelayMs ?? 1000),
      onnotice: () => {},
      onnotify: (channel, payload) => {
        if (channel === options.channel && !this.#closed) options.onNotify(payload);
      },
      onclose: () => {
        this.#epoch++;
        if (!this.#closed && !this.#relistening) void this.#relisten();
      },
      connection: { application_name: 'prep-live' },
    };
    this.#sql = postgres(options.url, driverOptions);
  }

  /** LISTENs; rejects with the driver's error if that fails (the listener is then closed). */
  async start(): Promise<void> {
    try {
      await this.#listen();
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** UNLISTENs by closing the connection. Calling it twice is harmless. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    await this.#sql.end({ timeout: 0 });
  }

  #listen(): Promise<unknown> {
    return this.#sql.unsafe(`LISTEN "${this.#options.channel.replace(/"/g, '""')}"`);
  }

  async #relisten(): Promise<void> {
    this.#relistening = true;
    const maxDelay = this.#options.maxReconnectDelayMs ?? 1000;
    const attemptTimeout = (this.#options.connectTimeoutMs ?? 10_000) + 5000;
    let delay = 50;
    try {
      while (!this.#closed) {
        const epoch = this.#epoch;
        let ok = false;
        try {
          // A bound on each attempt, in case the driver never settles one; a late LISTEN is
          // harmless (LISTEN twice is LISTEN once).
          const timeout = new AbortController();
          await Promise.race([
            this.#listen(),
            sleep(attemptTimeout, undefined, { signal: timeout.signal }).then(() => {
              throw new Error('LISTEN timed out');
            }),
          ]).finally(() => timeout.abort());
          ok = true;
        } catch {
          // retried below
        }
        if (this.#closed) return;
        // Only a LISTEN on a connection that has not closed since is in place.
        if (ok && epoch === this.#epoch) {
          this.#options.onResume();
          return;
        }
        if (!ok) {
          await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => {});
          delay = Math.min(delay * 2, maxDelay);
        }
      }
    } finally {
      this.#relistening = false;
    }
  }
}
