/**
 * Clients of the adapter behaviour suite, one interface over two transports:
 * - `http1`: the raw TCP client of the wire tests (`RawClient`), which parses chunked
 *   encoding itself and records every chunk;
 * - `h2`: a `node:http2` client session (fetch in Node 20 does not speak HTTP/2), on which
 *   each 'data' event of a stream is one DATA frame's payload (node hands each frame's data
 *   over as it is received, never two frames as one), so frame boundaries are recorded.
 * A stream's `pieces` are those chunks or frames: RSP-6 is checked on them.
 */
import assert from 'node:assert/strict';
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { RawClient, type RawResponse } from '../helpers/raw-client.js';
import { WAIT_MS, within } from '../helpers/wait.js';

export type ClientKind = 'http1' | 'h2';

/** A complete response to a plain request. */
export interface Reply {
  status: number;
  /** Lower-case names; repeated fields joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
}

/** An open response read as it arrives (a notifications stream, or any response). */
export interface OpenResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The names of the response's header fields as received (lower case). */
  readonly fieldNames: string[];
  /** The body so far. */
  readonly body: Buffer;
  /** The chunks (HTTP/1.1) or DATA frames (HTTP/2) of the body, in order. */
  readonly pieces: Buffer[];
  /** The response ended normally (terminating chunk, END_STREAM). */
  readonly complete: boolean;
  /** Waits until `check` returns a value; re-checked on every piece and at the end. */
  waitFor<T>(check: () => T | undefined | false, what: string, ms?: number): Promise<T>;
  /** Goes away (RSP-8). */
  close(): void;
}

export interface RequestInit {
  headers?: Record<string, string>;
  body?: string;
}

/** A client of one server; `close()` ends every connection it opened. */
export interface TestClient {
  readonly kind: ClientKind;
  request(method: string, path: string, init?: RequestInit): Promise<Reply>;
  /** Sends a GET (or `method`) and resolves once the response head has arrived. */
  open(path: string, headers: Record<string, string>, method?: string): Promise<OpenResponse>;
  close(): void;
}

/** A client for a server at `url`, speaking `kind`; `ca` trusts a self-signed certificate. */
export function createClient(url: string, kind: ClientKind, ca?: Buffer): TestClient {
  return kind === 'h2' ? new H2Client(url, ca) : new Http1Client(url);
}

// ---------------------------------------------------------------------------------------
// HTTP/1.1

class Http1Client implements TestClient {
  readonly kind = 'http1' as const;
  readonly #port: number;
  readonly #raws = new Set<RawClient>();

  constructor(url: string) {
    const u = new URL(url);
    assert.equal(u.protocol, 'http:', 'the HTTP/1.1 test client speaks plain http');
    this.#port = Number(u.port);
  }

  async #connect(): Promise<RawClient> {
    const c = await RawClient.connect(this.#port);
    this.#raws.add(c);
    return c;
  }

  async request(method: string, path: string, init: RequestInit = {}): Promise<Reply> {
    const c = await this.#connect();
    try {
      c.send({
        method,
        path,
        headers: init.headers ?? {},
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      const r = await c.response(0);
      return { status: r.status, headers: fieldsOf(r), body: r.body };
    } finally {
      c.close();
      this.#raws.delete(c);
    }
  }

  async open(path: string, headers: Record<string, string>, method = 'GET'): Promise<OpenResponse> {
    const c = await this.#connect();
    c.send({ method, path, headers });
    const r = await c.head(0);
    return {
      status: r.status,
      headers: fieldsOf(r),
      fieldNames: r.headers.map(([n]) => n.toLowerCase()),
      get body() {
        return r.body;
      },
      // A response without chunked encoding has no chunks: its whole body is one piece.
      get pieces() {
        return r.chunked ? r.chunks : [r.body];
      },
      get complete() {
        return r.complete;
      },
      waitFor: (check, what, ms) => c.waitFor(check, what, ms),
      close: () => c.close(),
    };
  }

  close(): void {
    for (const c of this.#raws) c.close();
    this.#raws.clear();
  }
}

function fieldsOf(r: RawResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, v] of r.headers) {
    const k = n.toLowerCase();
    out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// HTTP/2

class H2Client implements TestClient {
  readonly kind = 'h2' as const;
  readonly #session: ClientHttp2Session;
  readonly #streams = new Set<ClientHttp2Stream>();

  constructor(url: string, ca?: Buffer) {
    this.#session = http2.connect(url, ca ? { ca } : {});
    // A server that goes away first must not fail the test process.
    this.#session.on('error', () => undefined);
  }

  #stream(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): ClientHttp2Stream {
    const fields: Record<string, string> = { ':method': method, ':path': path };
    for (const [n, v] of Object.entries(headers)) fields[n.toLowerCase()] = v;
    const s = this.#session.request(fields, { endStream: body === undefined });
    s.on('error', () => undefined);
    this.#streams.add(s);
    s.once('close', () => this.#streams.delete(s));
    if (body !== undefined) s.end(body);
    return s;
  }

  async request(method: string, path: string, init: RequestInit = {}): Promise<Reply> {
    const s = this.#stream(method, path, init.headers ?? {}, init.body);
    return within(
      new Promise<Reply>((resolve, reject) => {
        let head: Record<string, string> = {};
        let status = 0;
        const chunks: Buffer[] = [];
        s.once('response', (h) => {
          status = Number(h[':status']);
          head = h2Fields(h);
        });
        s.on('data', (d: Buffer) => chunks.push(d));
        s.once('end', () => resolve({ status, headers: head, body: Buffer.concat(chunks) }));
        s.once('close', () => {
          if (status === 0)
            reject(new Error(`the stream of ${method} ${path} closed without a response`));
        });
      }),
      `${method} ${path} over HTTP/2`,
    );
  }

  async open(path: string, headers: Record<string, string>, method = 'GET'): Promise<OpenResponse> {
    const s = this.#stream(method, path, headers);
    const pieces: Buffer[] = [];
    let body = Buffer.alloc(0);
    let complete = false;
    let closed = false;
    const listeners = new Set<() => void>();
    const notify = (): void => {
      for (const l of [...listeners]) l();
    };
    s.on('data', (d: Buffer) => {
      pieces.push(Buffer.from(d));
      body = Buffer.concat([body, d]);
      notify();
    });
    s.once('end', () => {
      complete = true;
      notify();
    });
    s.once('close', () => {
      closed = true;
      notify();
    });
    const head = await within(
      new Promise<Record<string, string | string[] | number | undefined>>((resolve, reject) => {
        s.once('response', (h) => resolve(h));
        s.once('close', () =>
          reject(new Error(`the stream of GET ${path} closed without a response`)),
        );
      }),
      `the head of GET ${path} over HTTP/2`,
    );
    return {
      status: Number(head[':status']),
      headers: h2Fields(head),
      fieldNames: Object.keys(head).filter((n) => !n.startsWith(':')),
      get body() {
        return body;
      },
      pieces,
      get complete() {
        return complete;
      },
      waitFor<T>(check: () => T | undefined | false, what: string, ms = WAIT_MS): Promise<T> {
        return within(
          new Promise<T>((resolve, reject) => {
            const run = (): void => {
              let value: T | undefined | false;
              try {
                value = check();
              } catch (err) {
                listeners.delete(run);
                reject(err instanceof Error ? err : new Error(String(err)));
                return;
              }
              if (value !== undefined && value !== false) {
                listeners.delete(run);
                resolve(value);
              } else if (closed) {
                listeners.delete(run);
                reject(new Error(`the stream closed before ${what}`));
              }
            };
            listeners.add(run);
            run();
          }),
          what,
          ms,
        );
      },
      close: () => s.close(http2.constants.NGHTTP2_CANCEL),
    };
  }

  close(): void {
    for (const s of this.#streams) s.close(http2.constants.NGHTTP2_CANCEL);
    this.#session.destroy();
  }
}

function h2Fields(
  h: Record<string, string | string[] | number | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, v] of Object.entries(h)) {
    if (n.startsWith(':') || v === undefined) continue;
    out[n] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}
