/**
 * Helpers of the wire-level PREP tests (`test/server/prep-*.test.ts`): a server on port 0
 * over a fresh store, a raw TCP client that records the exact bytes and the chunk
 * boundaries of what it receives, a strict reader of a PREP body over those bytes, and a
 * fetch-based subscriber built on our own `parseMultipart`.
 *
 * Everything a helper opens is closed by `TestServer.stop()`; `withServer` stops in a
 * `finally`, so a failing test leaves no socket, server, store or temp directory behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventsField, type EventsField } from '../../packages/client/src/core/events/index.js';
import { parseMediaType } from '../../packages/client/src/core/media-type.js';
import {
  parseMultipart,
  type MultipartPartIterator,
} from '../../packages/client/src/core/multipart/index.js';
import {
  parseNotification,
  type Notification,
} from '../../packages/client/src/core/notification.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { MemoryStore, SqliteStore, type Store } from '../../src/store/index.js';

/** How long a helper waits for something before failing the test (never a timing assertion). */
export const WAIT_MS = 10_000;

// ---------------------------------------------------------------------------------------
// Waiting

/** Resolves `promise`, or rejects after `ms` saying what was awaited (a hang guard only). */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  // The loser must not become an unhandled rejection once the test has moved on.
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every few milliseconds until it returns a value other than undefined/false. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets `n` turns of the event loop pass (timers excluded). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

// ---------------------------------------------------------------------------------------
// Servers

/** A fresh directory under the OS temp dir; remove it with `rmSync(dir, { recursive: true })`. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'prep-wire-'));
}

export interface TestServerOptions extends Omit<ServerOptions, 'store' | 'port'> {
  /** `memory` (default), `sqlite` (a file in a fresh temp dir, or `filename`), or a store. */
  store?: 'memory' | 'sqlite' | Store;
  /** The SQLite file; it is kept by `stop()` (for restarts). Default: in a fresh temp dir. */
  filename?: string;
}

/** A running server on 127.0.0.1:0 with the clients opened through it. */
export interface TestServer {
  readonly running: RunningServer;
  readonly app: RunningServer['app'];
  readonly store: Store;
  readonly url: string;
  readonly port: number;
  /** Opens a raw TCP connection (closed by `stop`). */
  connect(): Promise<RawClient>;
  /** Sends one request on a fresh raw connection and waits for its complete response. */
  rawRequest(request: RawRequest): Promise<RawResponse>;
  /** A plain request through fetch; the body is read completely. */
  request(path: string, init?: RequestInit): Promise<FetchedResponse>;
  /** PUT of a JSON value (or of `body` with `type`). */
  put(
    path: string,
    body: unknown,
    options?: { type?: string; headers?: Record<string, string> },
  ): Promise<FetchedResponse>;
  /** Opens a notifications stream through fetch (aborted by `stop`). */
  subscribe(path: string, options?: SubscribeOptions): Promise<Subscriber>;
  /**
   * Closes clients, then the server (streams get their close delimiters), then the store
   * unless it was passed in; removes the temp directory it made.
   */
  stop(): Promise<void>;
}

/** Starts the server on port 0 over a fresh store. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { store: kind = 'memory', filename, ...rest } = options;
  let ownDir: string | undefined;
  let store: Store;
  const ownStore = typeof kind === 'string';
  if (kind === 'memory') store = new MemoryStore();
  else if (kind === 'sqlite') {
    let file = filename;
    if (file === undefined) {
      ownDir = tempDir();
      file = join(ownDir, 'prep.db');
    }
    store = new SqliteStore({ filename: file });
  } else store = kind;
  await store.open();
  const running = await startServer({ ...rest, store, port: 0, host: '127.0.0.1' });
  const raws = new Set<RawClient>();
  const subscribers = new Set<Subscriber>();
  const url = running.url;
  let stopped = false;

  const request = async (path: string, init: RequestInit = {}): Promise<FetchedResponse> => {
    const res = await fetch(url + path, init);
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
  };

  const srv: TestServer = {
    running,
    app: running.app,
    store,
    url,
    port: running.port,
    async connect() {
      const c = await RawClient.connect(running.port);
      raws.add(c);
      return c;
    },
    async rawRequest(r) {
      const c = await srv.connect();
      c.send(r);
      const res = await c.response(0);
      c.close();
      return res;
    },
    request,
    put(path, body, opts = {}) {
      const type = opts.type ?? 'application/json';
      const bytes =
        typeof body === 'string'
          ? body
          : body instanceof Uint8Array
            ? Buffer.from(body)
            : JSON.stringify(body);
      return request(path, {
        method: 'PUT',
        headers: { 'Content-Type': type, ...opts.headers },
        body: bytes,
      });
    },
    async subscribe(path, opts = {}) {
      const s = await Subscriber.open(url + path, opts);
      subscribers.add(s);
      return s;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const s of subscribers) s.close();
      for (const c of raws) c.close();
      await running.close();
      if (ownStore) await store.close();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
  return srv;
}

/** Runs `fn` with a fresh server and always stops it. */
export async function withServer<T>(
  options: TestServerOptions,
  fn: (srv: TestServer) => Promise<T>,
): Promise<T> {
  const srv = await startTestServer(options);
  try {
    return await fn(srv);
  } finally {
    await srv.stop();
  }
}

export interface FetchedResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
}

// ---------------------------------------------------------------------------------------
// Raw TCP client

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
  srv: TestServer,
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

// ---------------------------------------------------------------------------------------
// A strict reader of a PREP body (our own, independent of the decoder under test)

/** One digest part as read off the wire. */
export interface WirePart {
  /** The part's header block (empty for the default `message/rfc822`). */
  headers: string;
  /** The part body: the notification message (empty for a keep-alive part). */
  message: Buffer;
  /** The parsed notification, or undefined for an empty (keep-alive) part. */
  notification: Notification | undefined;
}

/** What a PREP body holds so far. */
export interface PrepBody {
  mixed: string;
  part1: { headers: string; body: Buffer } | undefined;
  digest: string | undefined;
  /** Complete digest parts (each ended by its `--D`), keep-alives included. */
  parts: WirePart[];
  /** Just the notifications. */
  notifications: Notification[];
  /** Both close delimiters arrived (`--D--` CRLF `--M--` CRLF) and nothing follows. */
  closed: boolean;
}

/** The `boundary` parameter of a media type. */
export function boundaryOf(contentType: string | undefined | null): string {
  if (!contentType) throw new Error('no Content-Type');
  const b = parseMediaType(contentType).parameters.get('boundary');
  if (!b) throw new Error(`no boundary in ${contentType}`);
  return b;
}

/**
 * Reads a PREP body strictly in the layout of draft -03 as we send it (digest note §3):
 * `--M CRLF <part 1> CRLF --M CRLF Content-Type: multipart/digest; boundary="D" CRLF CRLF
 * --D`, then digest parts `CRLF <headers> CRLF <message> CRLF --D`, then `-- CRLF --M--
 * CRLF`. Throws on anything else; a body still arriving yields what is complete.
 */
export function readPrepBody(body: Buffer, mixed: string): PrepBody {
  const s = body.toString('latin1');
  const out: PrepBody = {
    mixed,
    part1: undefined,
    digest: undefined,
    parts: [],
    notifications: [],
    closed: false,
  };
  const open = `--${mixed}\r\n`;
  if (s.length < open.length) return out;
  if (!s.startsWith(open)) throw new Error(`the body does not start with ${open}`);
  const end1 = s.indexOf(`\r\n--${mixed}\r\n`, open.length - 2);
  if (end1 < 0) return out;
  const part1 = s.slice(open.length, end1);
  const split = part1.startsWith('\r\n') ? 0 : part1.indexOf('\r\n\r\n');
  if (split < 0) throw new Error('part 1 has no end of its header block');
  out.part1 = {
    headers: split === 0 ? '' : part1.slice(0, split),
    body: body.subarray(open.length + split + (split === 0 ? 2 : 4), end1),
  };
  let at = end1 + 4 + mixed.length + 2;
  const headEnd = s.indexOf('\r\n\r\n', at);
  if (headEnd < 0) return out;
  const part2Head = s.slice(at, headEnd);
  const m = /^Content-Type: multipart\/digest; boundary="([^"]+)"$/.exec(part2Head);
  if (!m) throw new Error(`part 2's header block is ${JSON.stringify(part2Head)}`);
  const digest = m[1]!;
  out.digest = digest;
  at = headEnd + 4;
  const first = `--${digest}`;
  if (s.length < at + first.length) return out;
  if (s.slice(at, at + first.length) !== first)
    throw new Error('part 2 does not start with the digest delimiter');
  at += first.length;
  const delimiter = `\r\n--${digest}`;
  for (;;) {
    if (s.length < at + 2) return out;
    const next = s.slice(at, at + 2);
    if (next === '--') {
      const close = `--\r\n--${mixed}--\r\n`;
      if (s.length < at + close.length) return out;
      if (s.slice(at) !== close)
        throw new Error(`the body does not end with the close delimiters: ${s.slice(at)}`);
      out.closed = true;
      return out;
    }
    if (next !== '\r\n') throw new Error(`a digest delimiter is followed by ${next}`);
    const end = s.indexOf(delimiter, at + 2);
    if (end < 0) return out;
    const part = body.subarray(at + 2, end);
    const text = part.toString('latin1');
    const hsplit = text.startsWith('\r\n') ? 0 : text.indexOf('\r\n\r\n');
    if (hsplit < 0) throw new Error('a digest part has no end of its header block');
    const message = part.subarray(hsplit === 0 ? 2 : hsplit + 4);
    const notification = message.length === 0 ? undefined : parseNotification(message);
    out.parts.push({ headers: hsplit === 0 ? '' : text.slice(0, hsplit), message, notification });
    if (notification) out.notifications.push(notification);
    at = end + delimiter.length;
  }
}

/** `readPrepBody` over a raw response, with the boundary from its Content-Type. */
export function prepOf(r: RawResponse): PrepBody {
  return readPrepBody(r.body, boundaryOf(r.get('content-type')));
}

/**
 * RSP-6: every delimiter (`--B` after a line break, or at the very start) ends a chunk, and
 * the next chunk starts with its CRLF or the closing `--`.
 */
export function assertDelimitersEndChunks(r: RawResponse, boundaries: readonly string[]): void {
  const body = r.body.toString('latin1');
  const ends = new Set(r.chunkEnds);
  let count = 0;
  for (const b of boundaries) {
    const dash = `--${b}`;
    for (let at = body.indexOf(dash); at >= 0; at = body.indexOf(dash, at + 1)) {
      if (at !== 0 && body.slice(at - 2, at) !== '\r\n') continue;
      count++;
      const end = at + dash.length;
      assert.ok(ends.has(end), `the delimiter ${dash} at ${at} does not end a chunk`);
      if (end === body.length && !r.complete) continue; // the stream goes on
      const next = r.chunks[r.chunkEnds.indexOf(end) + 1]?.toString('latin1') ?? '';
      assert.ok(
        next.startsWith('\r\n') || next.startsWith('--'),
        `the chunk after ${dash} at ${at} starts with ${JSON.stringify(next.slice(0, 8))}`,
      );
    }
  }
  assert.ok(count > 0, 'no delimiter found');
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
  srv: TestServer,
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

// ---------------------------------------------------------------------------------------
// Fetch-based subscriber over our parseMultipart

export interface SubscribeOptions {
  /** Request headers; `Accept-Events: "prep"` unless given. */
  headers?: Record<string, string>;
}

/** One digest part as the subscriber received it. */
export interface ReceivedPart {
  headers: Headers;
  bytes: Uint8Array;
  /** Undefined for an empty (keep-alive) part. */
  notification: Notification | undefined;
}

/** Thrown by `Subscriber.open` when the response is not a notifications stream. */
export class NotAStream extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
  ) {
    super(`not a notifications stream: ${status} Events: ${headers.get('events')}`);
  }
}

/**
 * A PREP subscriber over fetch: validates the response (status 200, `Events` status 200,
 * multipart/mixed), reads part 1, then yields digest parts as they arrive.
 */
export class Subscriber {
  readonly received: ReceivedPart[] = [];
  ended = false;
  readonly #controller: AbortController;
  readonly #parts: MultipartPartIterator;
  readonly #digest: MultipartPartIterator;

  private constructor(
    readonly response: Response,
    readonly events: EventsField,
    readonly part1: { headers: Headers; body: Uint8Array },
    parts: MultipartPartIterator,
    digest: MultipartPartIterator,
    readonly digestHeaders: Headers,
    controller: AbortController,
  ) {
    this.#parts = parts;
    this.#digest = digest;
    this.#controller = controller;
  }

  static async open(url: string, options: SubscribeOptions = {}): Promise<Subscriber> {
    const controller = new AbortController();
    const headers = options.headers ?? { 'Accept-Events': '"prep"' };
    const res = await within(fetch(url, { headers, signal: controller.signal }), `GET ${url}`);
    const events = parseEventsField(res.headers.get('events'), res.headers.get('date'));
    if (res.status !== 200 || events?.status !== 200) {
      const body = await res.text();
      throw new NotAStream(res.status, res.headers, body);
    }
    const mixed = boundaryOf(res.headers.get('content-type'));
    const parts = parseMultipart(res.body!, mixed);
    try {
      const first = await within(parts.next(), 'part 1');
      if (first.done) throw new Error('the stream has no part 1');
      const part1 = { headers: first.value.headers, body: await first.value.bytes() };
      const second = await within(parts.next(), 'part 2');
      if (second.done) throw new Error('the stream has no part 2');
      const type = second.value.headers.get('content-type');
      if (parseMediaType(type ?? '').essence !== 'multipart/digest')
        throw new Error(`part 2 is ${type}`);
      const digest = parseMultipart(second.value.body, boundaryOf(type));
      return new Subscriber(res, events, part1, parts, digest, second.value.headers, controller);
    } catch (err) {
      controller.abort();
      throw err;
    }
  }

  /** The next digest part (keep-alives included), or undefined once the stream ended. */
  async next(ms = WAIT_MS): Promise<ReceivedPart | undefined> {
    const step = await within(this.#digest.next(), 'the next digest part', ms);
    if (step.done) {
      // The digest is closed: the mixed body must close right after it (RSP-7).
      const after = await within(this.#parts.next(), 'the end of the multipart/mixed body', ms);
      if (!after.done) throw new Error('a third part follows the digest');
      this.ended = true;
      return undefined;
    }
    const bytes = await within(step.value.bytes(), 'a digest part body', ms);
    const part: ReceivedPart = {
      headers: step.value.headers,
      bytes,
      notification: bytes.length === 0 ? undefined : parseNotification(bytes),
    };
    this.received.push(part);
    return part;
  }

  /** The next notification, skipping keep-alives; throws if the stream ends first. */
  async notification(ms = WAIT_MS): Promise<Notification> {
    for (;;) {
      const part = await this.next(ms);
      if (!part) throw new Error('the stream ended before a notification');
      if (part.notification) return part.notification;
    }
  }

  /** The next `n` notifications. */
  async notifications(n: number, ms = WAIT_MS): Promise<Notification[]> {
    const out: Notification[] = [];
    while (out.length < n) out.push(await this.notification(ms));
    return out;
  }

  /** Every notification until the server ends the stream. */
  async rest(ms = WAIT_MS): Promise<Notification[]> {
    const out: Notification[] = [];
    for (;;) {
      const part = await this.next(ms);
      if (!part) return out;
      if (part.notification) out.push(part.notification);
    }
  }

  /** Goes away (RSP-8: the server must notice). */
  close(): void {
    this.#controller.abort();
  }
}

// ---------------------------------------------------------------------------------------
// Small things

export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** A JSON document of `n` keys, big enough for a one-key delta to be smaller than it. */
export function bigDoc(n = 40, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) doc[`key${i}`] = `value number ${i}`;
  return { ...doc, ...extra };
}
