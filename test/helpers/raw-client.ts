/**
 * A raw HTTP/1.1 client over node:net that records the exact bytes and the chunk boundaries
 * of what it receives (for what fetch hides: framing, pipelining, flushes, closes), and the
 * raw-socket clients built on it.
 */
import net from 'node:net';
import type { Store } from '../../src/store/index.js';
import { prepOf, type PrepBody } from './prep-body.js';
import { WAIT_MS, eventually, within } from './wait.js';

/** What the raw clients need of a server: a way to connect, and its store. */
export interface RawTarget {
  connect(): Promise<RawClient>;
  readonly store: Store;
}

/** One HTTP/1.1 request, written byte for byte as given (plus Host and Content-Length). */
export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string> | ReadonlyArray<readonly [string, string]>;
  body?: string | Uint8Array;
}

/** The bytes of a request: request line, Host, the headers, Content-Length when there is a body. */
export function formatRequest(r: RawRequest): Buffer {
  const lines = [`${r.method} ${r.path} HTTP/1.1`, 'Host: 127.0.0.1'];
  const headers = Array.isArray(r.headers)
    ? (r.headers as ReadonlyArray<readonly [string, string]>)
    : Object.entries(r.headers ?? {});
  for (const [n, v] of headers) lines.push(`${n}: ${v}`);
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  if (body) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

/**
 * A logical clock shared by every raw client: each 'data' event takes the next tick, so
 * tests can order what different connections received without reading the wall clock.
 */
let clock = 0;

/** A response as it arrives on a raw connection. */
export class RawResponse {
  /** The head exactly as received: status line, header lines, the blank line. */
  head = '';
  statusLine = '';
  status = 0;
  /** Header fields in order, as received. */
  headers: Array<[string, string]> = [];
  chunked = false;
  /** The data of each chunk, in order (the terminating zero-size chunk is not listed). */
  readonly chunks: Buffer[] = [];
  /** The clock tick at which each chunk arrived. */
  readonly chunkTicks: number[] = [];
  readonly #raw = new Bytes();
  readonly #body = new Bytes();
  /** The terminating chunk (or the whole Content-Length) arrived. */
  complete = false;
  /** The clock tick at which the response became complete. */
  completedAt = -1;

  constructor(readonly method: string) {}

  /** Every byte of the response as received (head, chunk framing, body). */
  get raw(): Buffer {
    return this.#raw.all();
  }

  /** The body so far, without framing. */
  get body(): Buffer {
    return this.#body.all();
  }

  /** @internal */
  addRaw(b: Buffer): void {
    this.#raw.push(b);
  }

  /** @internal */
  addBody(b: Buffer): void {
    this.#body.push(b);
  }

  /** A header's value (repeated fields joined with `, `), case-insensitive. */
  get(name: string): string | undefined {
    const values = this.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase());
    return values.length === 0 ? undefined : values.map(([, v]) => v).join(', ');
  }

  /** Body offsets where chunks end. */
  get chunkEnds(): number[] {
    let at = 0;
    return this.chunks.map((c) => (at += c.length));
  }
}

/** Bytes appended in pieces and joined only when read. */
class Bytes {
  #parts: Buffer[] = [];
  #length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.#parts.push(Buffer.from(b));
    this.#length += b.length;
  }

  all(): Buffer {
    if (this.#parts.length !== 1) this.#parts = [Buffer.concat(this.#parts, this.#length)];
    return this.#parts[0]!;
  }
}

type ParseState = 'head' | 'size' | 'data' | 'data-crlf' | 'trailer' | 'length' | 'close';

/**
 * A raw HTTP/1.1 client over node:net: sends requests as bytes (pipelining allowed) and
 * parses the responses itself, keeping the exact bytes and every chunk boundary.
 */
export class RawClient {
  readonly responses: RawResponse[] = [];
  readonly #received = new Bytes();
  /** The server closed the connection (or it failed). */
  ended = false;
  error: Error | undefined;
  /** Called synchronously after each 'data' event is parsed. */
  readonly listeners = new Set<() => void>();

  readonly #methods: string[] = [];
  #pending: Buffer = Buffer.alloc(0);
  #state: ParseState = 'head';
  #left = 0;
  #current: RawResponse | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (data: Buffer) => {
      const tick = ++clock;
      this.#received.push(data);
      this.#pending = this.#pending.length === 0 ? data : Buffer.concat([this.#pending, data]);
      this.#parse(tick);
      this.#notify();
    });
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      this.ended = true;
      if (this.#current && this.#state === 'close') this.#finish(++clock);
      this.#notify();
    });
  }

  /** Every byte received on the connection. */
  get received(): Buffer {
    return this.#received.all();
  }

  static connect(port: number): Promise<RawClient> {
    return within(
      new Promise<RawClient>((resolve, reject) => {
        const socket = net.connect({ port, host: '127.0.0.1' });
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(new RawClient(socket));
        });
        socket.once('error', reject);
      }),
      'a TCP connection',
    );
  }

  /** Writes the requests in one socket write (several make a pipeline). */
  send(...requests: RawRequest[]): void {
    for (const r of requests) this.#methods.push(r.method);
    this.socket.write(Buffer.concat(requests.map(formatRequest)));
  }

  /** Waits until `check` returns a value (re-checked after every data event and at close). */
  waitFor<T>(check: () => T | undefined | false, what: string, ms = WAIT_MS): Promise<T> {
    return within(
      new Promise<T>((resolve, reject) => {
        const run = (): boolean => {
          let value: T | undefined | false;
          try {
            value = check();
          } catch (err) {
            this.listeners.delete(listener);
            reject(err instanceof Error ? err : new Error(String(err)));
            return true;
          }
          if (value !== undefined && value !== false) {
            this.listeners.delete(listener);
            resolve(value);
            return true;
          }
          if (this.ended) {
            this.listeners.delete(listener);
            reject(new Error(`the connection closed before ${what}`));
            return true;
          }
          return false;
        };
        const listener = (): void => void run();
        if (!run()) this.listeners.add(listener);
      }),
      what,
      ms,
    );
  }

  /** Waits for the head of the `i`-th response. */
  head(i = 0): Promise<RawResponse> {
    return this.waitFor(() => {
      const r = this.responses[i];
      return r && r.status !== 0 ? r : undefined;
    }, `the head of response ${i}`);
  }

  /** Waits for the `i`-th response to be complete. */
  response(i = 0, ms = WAIT_MS): Promise<RawResponse> {
    return this.waitFor(
      () => {
        const r = this.responses[i];
        return r?.complete ? r : undefined;
      },
      `response ${i} to be complete`,
      ms,
    );
  }

  /** Waits until the server has closed the connection. */
  closed(ms = WAIT_MS): Promise<void> {
    if (this.ended) return Promise.resolve();
    return within(
      new Promise<void>((resolve) => this.socket.once('close', () => resolve())),
      'the server to close the connection',
      ms,
    );
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  #notify(): void {
    for (const l of [...this.listeners]) l();
  }

  #finish(tick: number): void {
    const r = this.#current!;
    r.complete = true;
    r.completedAt = tick;
    this.#current = undefined;
    this.#state = 'head';
  }

  #take(n: number): Buffer {
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    if (this.#current) this.#current.addRaw(out);
    return out;
  }

  #parse(tick: number): void {
    for (;;) {
      switch (this.#state) {
        case 'head': {
          const end = this.#pending.indexOf('\r\n\r\n');
          if (end < 0) return;
          const method = this.#methods.shift() ?? 'GET';
          const r = new RawResponse(method);
          this.responses.push(r);
          this.#current = r;
          r.head = this.#take(end + 4).toString('latin1');
          const lines = r.head.slice(0, -4).split('\r\n');
          r.statusLine = lines[0]!;
          r.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(r.statusLine)?.[1] ?? NaN);
          for (const line of lines.slice(1)) {
            const colon = line.indexOf(':');
            r.headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
          }
          const length = r.get('content-length');
          if (method === 'HEAD' || r.status === 204 || r.status === 304 || r.status < 200) {
            this.#finish(tick);
          } else if (r.get('transfer-encoding')?.toLowerCase() === 'chunked') {
            r.chunked = true;
            this.#state = 'size';
          } else if (length !== undefined) {
            this.#left = Number(length);
            this.#state = 'length';
            if (this.#left === 0) this.#finish(tick);
          } else this.#state = 'close';
          break;
        }
        case 'size': {
          const end = this.#pending.indexOf('\r\n');
          if (end < 0) return;
          const line = this.#take(end + 2).toString('latin1');
          const size = parseInt(line, 16);
          if (!Number.isInteger(size)) throw new Error(`bad chunk size line ${line}`);
          if (size === 0) this.#state = 'trailer';
          else {
            this.#left = size;
            this.#state = 'data';
          }
          break;
        }
        case 'data': {
          if (this.#pending.length < this.#left) return;
          const data = this.#take(this.#left);
          const r = this.#current!;
          r.chunks.push(Buffer.from(data));
          r.chunkTicks.push(tick);
          r.addBody(data);
          this.#state = 'data-crlf';
          break;
        }
        case 'data-crlf': {
          if (this.#pending.length < 2) return;
          const crlf = this.#take(2).toString('latin1');
          if (crlf !== '\r\n') throw new Error('a chunk does not end with CRLF');
          this.#state = 'size';
          break;
        }
        case 'trailer': {
          const end = this.#pending.indexOf('\r\n');
          if (end < 0) return;
          this.#take(end + 2);
          if (end === 0) this.#finish(tick);
          break;
        }
        case 'length': {
          if (this.#pending.length === 0) return;
          const n = Math.min(this.#left, this.#pending.length);
          const r = this.#current!;
          r.addBody(this.#take(n));
          this.#left -= n;
          if (this.#left === 0) this.#finish(tick);
          break;
        }
        case 'close': {
          if (this.#pending.length === 0) return;
          const r = this.#current!;
          r.addBody(this.#take(this.#pending.length));
          break;
        }
      }
    }
  }
}

/**
 * A writer whose response cannot be sent: it pipelines a PUT of `body` (JSON) at `path`
 * behind a GET of a large resource and does not read, so the GET's body (and, behind it,
 * the PUT's response) stays in the server's buffers. The PUT is committed at once; its
 * notification must wait.
 */
export async function stuckWriter(
  srv: RawTarget,
  path = '/doc',
  body = '{"v":1}',
): Promise<{ writer: RawClient; bigLength: number }> {
  const big = Buffer.alloc(12 * 1024 * 1024, 0x61); // ~3× what the kernel buffers
  await srv.store.write({
    path: '/big',
    apply: () => ({
      op: 'put',
      path: '/big',
      contentType: 'application/octet-stream',
      body: big,
      event: { method: 'PUT', status: 201 },
    }),
  });
  const writer = await srv.connect();
  writer.pause();
  const before = await srv.store.lastSeq();
  writer.send(
    { method: 'GET', path: '/big' },
    {
      method: 'PUT',
      path,
      headers: { 'Content-Type': 'application/json' },
      body,
    },
  );
  await eventually(async () => (await srv.store.lastSeq()) > before, 'the PUT to commit');
  return { writer, bigLength: big.length };
}

/** Waits until the stream on `client` (response `i`) holds `n` notifications. */
export function waitForNotifications(
  client: RawClient,
  n: number,
  i = 0,
  ms = WAIT_MS,
): Promise<PrepBody> {
  return client.waitFor(
    () => {
      const r = client.responses[i];
      if (!r || r.status === 0) return undefined;
      const body = prepOf(r);
      return body.notifications.length >= n ? body : undefined;
    },
    `${n} notifications`,
    ms,
  );
}

/** Opens a notifications stream on a raw connection and waits for part 1 and `--D`. */
export async function rawSubscribe(
  srv: RawTarget,
  path: string,
  headers: Record<string, string> = { 'Accept-Events': '"prep"' },
): Promise<{ client: RawClient; response: RawResponse }> {
  const client = await srv.connect();
  client.send({ method: 'GET', path, headers });
  const response = await client.waitFor(() => {
    const r = client.responses[0];
    return r && r.status !== 0 && prepOf(r).digest !== undefined ? r : undefined;
  }, `the opening of the stream on ${path}`);
  return { client, response };
}
