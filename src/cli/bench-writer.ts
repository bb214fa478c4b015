/**
 * The writes of `prep bench` (and of bench/ in a checkout): a minimal HTTP/1.1 keep-alive
 * client over a raw `node:net` socket, one request at a time, the response read by
 * Content-Length or chunked framing. Cheaper and more predictable than fetch, and it records
 * when each response was complete.
 */
import net from 'node:net';

/**
 * Milliseconds on CLOCK_MONOTONIC (`process.hrtime`): one clock for every process on the
 * machine, so a time taken by the writer and one taken by a subscriber process compare
 * directly (same machine only).
 *
 * @example
 * ```ts
 * const t0 = nowMs();
 * ```
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The outcome of one request. */
export interface WriteResult {
  status: number;
  /** When the whole response had arrived ({@link nowMs}). */
  at: number;
  /** When the request was sent. */
  sentAt: number;
  head: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n');
/** Reuse a kept-alive connection only if it was idle for less than this. */
const IDLE_REUSE_MS = 1000;

/**
 * One keep-alive connection for writes.
 *
 * @example
 * ```ts
 * const w = new HttpWriter('http://127.0.0.1:8080');
 * const r = await w.request('PUT', '/a', '{"seq":1}', { 'Content-Type': 'application/json' });
 * w.close();
 * ```
 */
export class HttpWriter {
  readonly #host: string;
  /** The `Host` field: host and port as in the URL. */
  readonly #authority: string;
  readonly #port: number;
  readonly #localAddress: string | undefined;
  readonly #timeoutMs: number;
  #socket: net.Socket | undefined;
  #busy = false;
  /** When the connection last finished a response ({@link nowMs}). */
  #idleSince = 0;

  constructor(baseUrl: string, options: { localAddress?: string; timeoutMs?: number } = {}) {
    const u = new URL(baseUrl);
    this.#host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    this.#authority = u.host;
    this.#port = Number(u.port || 80);
    this.#localAddress = options.localAddress;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Sends one request and waits for its whole response (rejects after the timeout). */
  async request(
    method: string,
    path: string,
    body: string | Buffer = '',
    headers: Record<string, string> = {},
  ): Promise<WriteResult> {
    if (this.#busy) throw new Error('HttpWriter: one request at a time');
    this.#busy = true;
    try {
      const socket = await this.#connect();
      const payload = typeof body === 'string' ? Buffer.from(body) : body;
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.#authority}\r\nContent-Length: ${payload.length}\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      return await new Promise<WriteResult>((resolve, reject) => {
        let buf: Buffer = Buffer.alloc(0);
        const cleanup = () => {
          clearTimeout(timer);
          socket.off('data', onData);
          socket.off('close', onClose);
        };
        const timer = setTimeout(() => {
          cleanup();
          socket.destroy();
          reject(new Error(`${method} ${path}: no response within ${this.#timeoutMs} ms`));
        }, this.#timeoutMs);
        const onClose = () => {
          cleanup();
          this.#socket = undefined;
          reject(new Error(`${method} ${path}: connection closed before the response`));
        };
        const onData = (data: Buffer) => {
          buf = buf.length === 0 ? data : Buffer.concat([buf, data]);
          const end = buf.indexOf(HEAD_END);
          if (end < 0) return;
          const text = buf.toString('latin1', 0, end);
          const status = Number(text.slice(9, 12));
          const lower = text.toLowerCase();
          const length = /\r\ncontent-length:\s*(\d+)/.exec(lower)?.[1];
          const bodyStart = end + 4;
          let complete: boolean;
          if (
            status === 204 ||
            status === 304 ||
            (status >= 100 && status < 200) ||
            method === 'HEAD'
          )
            complete = true;
          else if (length !== undefined) complete = buf.length >= bodyStart + Number(length);
          else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower))
            complete =
              buf.indexOf(LAST_CHUNK, bodyStart - 2) >= 0 ||
              buf.subarray(bodyStart, bodyStart + 5).equals(Buffer.from('0\r\n\r\n'));
          else return; // read until close: handled by onClose for such servers
          if (!complete) return;
          const at = nowMs();
          this.#idleSince = at;
          cleanup();
          if (/\r\nconnection:\s*close/.test(lower)) {
            socket.destroy();
            this.#socket = undefined;
          }
          resolve({ status, at, sentAt, head: text });
        };
        socket.on('data', onData);
        socket.on('close', onClose);
        const sentAt = nowMs();
        socket.write(Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), payload]));
      });
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Opens the connection now (or keeps the one open), so that a burst's requests do not wait
   * for connection set-up and reach the server together.
   */
  async ready(): Promise<void> {
    if (this.#busy) return;
    await this.#connect();
  }

  #connect(): Promise<net.Socket> {
    // A connection idle for a while may be closing on the server's keep-alive timeout (Node's
    // default is 5 s) just as the request goes out: start a fresh one instead of racing it.
    if (this.#socket && !this.#socket.destroyed && nowMs() - this.#idleSince < IDLE_REUSE_MS)
      return Promise.resolve(this.#socket);
    this.#socket?.destroy();
    this.#socket = undefined;
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: this.#host,
        port: this.#port,
        ...(this.#localAddress ? { localAddress: this.#localAddress } : {}),
      });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        this.#socket = socket;
        this.#idleSince = nowMs();
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}
