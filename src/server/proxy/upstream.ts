import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { HttpError } from '../http-error.js';

/** Options of {@link Upstream}; every bound has a documented default. */
export interface UpstreamOptions {
  /** `http://host:port` or `https://...`, optionally with a path prefix (`http://h/api`). */
  url: string;
  /** Connections kept to the upstream at most (more requests wait for one). Default 256. */
  maxSockets?: number;
  /**
   * Requests to the upstream in flight at once, waiting ones included: beyond it a request
   * is answered 503 `UPSTREAM_BUSY` at once, so that a slow upstream cannot pile up an
   * unbounded queue in the proxy. Default 1024.
   */
  maxRequests?: number;
  /** Time the upstream has to send a response head. Default 30 000 ms; beyond it, 504. */
  headTimeoutMs?: number;
  /**
   * Fields the proxy's own requests carry (the polls, the reads for the webhook), e.g. a
   * service credential: `[['Authorization', 'Bearer ...']]`.
   */
  headers?: ReadonlyArray<readonly [string, string]>;
}

/** A response the proxy read whole for itself (a base, a follow-up, a poll). */
export interface UpstreamRead {
  status: number;
  statusMessage: string;
  /** The fields, flat as `rawHeaders`. */
  rawHeaders: string[];
  /** The fields by lower-case name. */
  headers: IncomingMessage['headers'];
  /** The body; absent when it was larger than the limit (`overflow` holds the rest). */
  body?: Buffer;
  /** Over the limit: what was read so far, and the response to read the rest from. */
  overflow?: { head: Buffer[]; rest: IncomingMessage };
}

/** What the upstream is busy with, for logs and benchmarks. */
export interface UpstreamStats {
  /** Requests sent. */
  requests: number;
  /** Requests in flight now. */
  inFlight: number;
  /** Requests refused for `maxRequests`. */
  busy: number;
  /** Requests that got no response (unreachable, reset, timed out). */
  failed: number;
  /** Answered requests, and the time they took from sent to response head, summed (µs). */
  answered: number;
  headUs: number;
}

/**
 * The API behind `prep proxy`: a node:http(s) client with a bounded pool and a bounded
 * number of requests in flight (SEC-2). node:http rather than `fetch`: a proxy must pass
 * bodies on byte for byte (fetch decodes `Content-Encoding` and leaves the header), keep the
 * fields' order and spelling (`rawHeaders`), never follow redirects, and stream a request
 * body with back-pressure, all of which node:http does as it is.
 *
 * @example
 * ```ts
 * const upstream = new Upstream({ url: 'http://127.0.0.1:3000' });
 * const r = await upstream.read('/posts/1', [], 1 << 20);
 * console.log(r.status, r.headers.etag);
 * ```
 */
export class Upstream {
  /** `http://host:port` */
  readonly origin: string;
  /** `host:port`, as `Host` names it. */
  readonly host: string;
  /** The path prefix every request target gets ('' for none). */
  readonly prefix: string;
  readonly stats: UpstreamStats = {
    requests: 0,
    inFlight: 0,
    busy: 0,
    failed: 0,
    answered: 0,
    headUs: 0,
  };
  readonly #url: URL;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #maxRequests: number;
  readonly #headTimeoutMs: number;
  readonly #own: string[];

  constructor(options: UpstreamOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`the upstream must be an http:// or https:// URL, got ${options.url}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`the upstream must be an http:// or https:// URL, got ${options.url}`);
    if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
      throw new TypeError('the upstream URL takes no query, fragment or credentials');
    this.#url = url;
    this.origin = url.origin;
    this.host = url.host;
    this.prefix = url.pathname.replace(/\/+$/, '');
    const secure = url.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256 };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = secure ? https.request : http.request;
    this.#maxRequests = options.maxRequests ?? 1024;
    this.#headTimeoutMs = options.headTimeoutMs ?? 30_000;
    this.#own = (options.headers ?? []).flatMap(([n, v]) => [n, v]);
  }

  /**
   * Sends a request: `target` is the proxy's request target (path and query), the upstream
   * gets it under its prefix. Write the body to `request` and end it; `response` resolves
   * with the head, or rejects with an `HttpError` (502 unreachable or failed, 504 no head in
   * time). Throws 503 `UPSTREAM_BUSY` when `maxRequests` are in flight.
   */
  open(
    method: string,
    target: string,
    headers: readonly string[],
  ): { request: ClientRequest; response: Promise<IncomingMessage> } {
    if (this.stats.inFlight >= this.#maxRequests) {
      this.stats.busy++;
      throw new HttpError(
        503,
        'UPSTREAM_BUSY',
        `The upstream has ${this.#maxRequests} requests in flight; retry shortly.`,
        { 'Retry-After': '1' },
      );
    }
    this.stats.requests++;
    this.stats.inFlight++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.stats.inFlight--;
    };
    const request = this.#request({
      protocol: this.#url.protocol,
      hostname: this.#url.hostname,
      port: this.#url.port,
      method,
      path: this.prefix + target,
      headers: [...headers] as unknown as http.OutgoingHttpHeaders,
      agent: this.#agent,
      // The client's own framing and fields go as they are.
      setHost: false,
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        request.destroy(new UpstreamTimeout());
      }, this.#headTimeoutMs);
      timer.unref();
      let answered = false;
      const sent = performance.now();
      request.once('response', (res) => {
        answered = true;
        this.stats.answered++;
        this.stats.headUs += Math.round((performance.now() - sent) * 1000);
        clearTimeout(timer);
        res.once('close', release);
        resolve(res);
      });
      request.once('error', (e) => {
        clearTimeout(timer);
        release();
        this.stats.failed++;
        reject(this.#problem(e));
      });
      request.once('close', () => {
        clearTimeout(timer);
        if (!answered) release();
      });
    });
    // A caller that stops waiting (the client went) must not leave an unhandled rejection.
    response.catch(() => undefined);
    return { request, response };
  }

  /**
   * A GET of the proxy's own, read whole up to `limit` bytes (beyond it, `overflow`): with
   * `Accept-Encoding: identity` (the proxy keeps representations as they are, for deltas),
   * the configured fields (`headers` option), then `extra` (a writer's credentials, a
   * conditional).
   */
  async read(
    target: string,
    extra: ReadonlyArray<readonly [string, string]>,
    limit: number,
    method: 'GET' | 'HEAD' = 'GET',
  ): Promise<UpstreamRead> {
    const fields = ['Host', this.host, 'Accept-Encoding', 'identity', ...this.#own];
    for (const [n, v] of extra) fields.push(n, v);
    const { request, response } = this.open(method, target, fields);
    request.end();
    return readWhole(await response, limit);
  }

  /**
   * The proxy's path for a `Location` or `Content-Location` the upstream sent in answer to a
   * request for `target`: a path under the upstream (its prefix taken off), or under
   * `clientHost` (an upstream that builds links with the name it was asked by); undefined for
   * anything else, or a URL with a query.
   */
  localPath(location: string, target: string, clientHost?: string): string | undefined {
    let url: URL;
    try {
      url = new URL(location, this.origin + this.prefix + target);
    } catch {
      return undefined;
    }
    if (url.search !== '') return undefined;
    if (url.origin === this.origin) {
      const path = url.pathname;
      if (this.prefix === '') return path;
      if (path === this.prefix) return '/';
      return path.startsWith(`${this.prefix}/`) ? path.slice(this.prefix.length) : undefined;
    }
    if (clientHost !== undefined && url.host === clientHost.toLowerCase()) return url.pathname;
    return undefined;
  }

  /** Closes the pooled connections. */
  close(): void {
    this.#agent.destroy();
  }

  #problem(e: unknown): HttpError {
    if (e instanceof UpstreamTimeout)
      return new HttpError(
        504,
        'UPSTREAM_TIMEOUT',
        `The upstream sent no response within ${this.#headTimeoutMs} ms.`,
      );
    const code = (e as NodeJS.ErrnoException).code;
    return new HttpError(
      502,
      'UPSTREAM_UNREACHABLE',
      `The upstream at ${this.origin} failed: ${code ?? (e as Error).message}.`,
    );
  }
}

class UpstreamTimeout extends Error {
  constructor() {
    super('upstream head timeout');
  }
}

/**
 * Reads a response whole, up to `limit` bytes; beyond it, hands back what it read and the
 * rest (paused: read it on, or destroy it).
 */
export function readWhole(res: IncomingMessage, limit: number): Promise<UpstreamRead> {
  const head = {
    status: res.statusCode ?? 502,
    statusMessage: res.statusMessage ?? '',
    rawHeaders: res.rawHeaders,
    headers: res.headers,
  };
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      res.off('data', onData);
      res.off('end', onEnd);
      res.off('error', onError);
      res.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= limit) return;
      done();
      res.pause();
      resolve({ ...head, overflow: { head: chunks, rest: res } });
    };
    const onEnd = (): void => {
      done();
      resolve({ ...head, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    };
    const onError = (e: Error): void => {
      done();
      reject(
        new HttpError(
          502,
          'UPSTREAM_UNREACHABLE',
          `The upstream's response broke off: ${e.message}.`,
        ),
      );
    };
    const onClose = (): void => {
      done();
      if (!res.complete)
        reject(new HttpError(502, 'UPSTREAM_UNREACHABLE', "The upstream's response broke off."));
    };
    res.on('data', onData);
    res.on('end', onEnd);
    res.on('error', onError);
    res.on('close', onClose);
  });
}
