import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { NodeRequest, NodeResponse } from './transport.js';

/**
 * What one request came to, once its response has closed: the request log's line or JSON
 * object, and the request metrics. Never a credential: the principal is the access policy's
 * id for it (a token's `name`), not the token.
 */
export interface RequestRecord {
  /** When the response closed (ISO 8601): a stream's record is written when it ends. */
  time: string;
  /** The client's `X-Request-Id` when it sent a sane one, else one made here. */
  id: string;
  method: string;
  /** The request target as sent (path and query). */
  path: string;
  /** `1.1`, `2`, ... */
  httpVersion: string;
  status: number;
  /** From arrival to the response's close, in milliseconds (a stream: its whole life). */
  durationMs: number;
  /**
   * Bytes sent for this response: HTTP/1.x, what went to the connection while it was open
   * (head, body, framing); HTTP/2, the body.
   */
  bytes: number;
  /** A notifications stream (its life is in `durationMs`). */
  stream: boolean;
  /** The access policy's id of the client, when it authenticated. */
  principal?: string;
  /** The problem code of an error answer (docs/errors.md). */
  problem?: string;
  remote: string;
}

/** The principal, problem code and stream-ness of a request, noted by whoever learns them. */
const principals = new WeakMap<object, string>();
const problems = new WeakMap<object, string>();
const streams = new WeakSet<object>();
const watched = new WeakSet<object>();

/** Notes that `res` became a notifications stream (its transport opened it). */
export function noteStream(res: object): void {
  streams.add(res);
}

/** Notes who made `req` (the access policy's id), for its record. */
export function notePrincipal(req: object, principal: string | null | undefined): void {
  if (principal !== null && principal !== undefined) principals.set(req, principal);
}

/** Notes the problem code `res` answers with, for its record. */
export function noteProblem(res: object, code: string): void {
  problems.set(res, code);
}

/**
 * A per-process prefix, so that ids made by two processes or two runs differ. Made on first
 * use: Workers (workerd) refuse random values at module scope.
 */
let prefix: string | undefined;
let counter = 0;
const nextId = (): string => `${(prefix ??= randomBytes(4).toString('hex'))}-${++counter}`;
const SANE_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * Calls `done` once with the record of this request when its response closes (a response
 * already watched is left as it is). Costs a listener and a few numbers per request; nothing
 * per notification.
 *
 * @example
 * ```ts
 * http.createServer((req, res) => {
 *   watchResponse(req, res, (record) => logger.info(record, 'request'));
 *   app.handle(req, res);
 * });
 * ```
 */
export function watchResponse(
  req: NodeRequest,
  res: NodeResponse,
  done: (record: RequestRecord) => void,
): void {
  if (watched.has(res)) return;
  watched.add(res);
  const started = performance.now();
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SANE_ID.test(given) ? given : nextId();
  // Read now: by 'close' the socket may be gone (req.socket is then null).
  const remote = req.socket?.remoteAddress ?? '-';
  const h2 = 'stream' in res && res.stream !== undefined;
  const socket: Socket | null = h2 ? null : req.socket;
  const before = socket?.bytesWritten ?? 0;
  const body = h2 ? countBody(res) : undefined;
  res.once('close', () => {
    const record: RequestRecord = {
      time: new Date().toISOString(),
      id,
      method: req.method ?? '-',
      path: req.url ?? '/',
      httpVersion: req.httpVersion,
      status: res.statusCode,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      bytes: body ? body.bytes : (socket?.bytesWritten ?? before) - before,
      stream: streams.has(res),
      remote,
    };
    const principal = principals.get(req);
    if (principal !== undefined) record.principal = principal;
    const problem = problems.get(res);
    if (problem !== undefined) record.problem = problem;
    done(record);
  });
}

/**
 * HTTP/2 has no per-stream byte count: the body's bytes are counted as they are written
 * (each write's length; no allocation per write).
 */
function countBody(res: NodeResponse): { bytes: number } {
  const counted = { bytes: 0 };
  const target = res as unknown as {
    write: (this: unknown, chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;
    end: (this: unknown, chunk?: unknown, encoding?: unknown, cb?: unknown) => unknown;
  };
  const write = target.write;
  const end = target.end;
  target.write = function (chunk, encoding, cb) {
    counted.bytes += byteLength(chunk);
    return write.call(this, chunk, encoding, cb);
  };
  target.end = function (chunk, encoding, cb) {
    if (typeof chunk !== 'function') counted.bytes += byteLength(chunk);
    return end.call(this, chunk, encoding, cb);
  };
  return counted;
}

function byteLength(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk);
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

/** What a listener does with each request's record: a line of text, or a record as it is. */
export interface RequestObservers {
  /** One line per request (`formatRequestLine`). */
  log?: ((line: string) => void) | undefined;
  /** Each request's record (structured logs, metrics). */
  onRequest?: ((record: RequestRecord) => void) | undefined;
}

/**
 * The per-request hook of a listener that tells `observers` of every request, or undefined
 * when nobody listens (then requests cost nothing extra).
 */
export function requestWatcher(
  observers: RequestObservers,
): ((req: NodeRequest, res: NodeResponse) => void) | undefined {
  const { log, onRequest } = observers;
  if (!log && !onRequest) return undefined;
  return (req, res) =>
    watchResponse(req, res, (record) => {
      onRequest?.(record);
      log?.(formatRequestLine(record));
    });
}

/**
 * The record of a request refused before it could be parsed or before its head arrived
 * (431, 408, 400 from node:http's parser): no method or path is known.
 */
export function refusedRecord(remote: string, status: number, problem: string): RequestRecord {
  return {
    time: new Date().toISOString(),
    id: nextId(),
    method: '-',
    path: '-',
    httpVersion: '-',
    status,
    durationMs: 0,
    bytes: 0,
    stream: false,
    problem,
    remote,
  };
}

/**
 * A record as one line of the text request log:
 * `2026-01-01T00:00:00.000Z 127.0.0.1 PUT /a 201 3.1ms 250B id=3f2a19c0-7`, with
 * `stream` for a notifications stream (logged when it closes), `HTTP/2`, the principal and
 * the problem code when there are.
 */
export function formatRequestLine(r: RequestRecord): string {
  const extra = [
    ...(r.stream ? ['stream'] : []),
    ...(r.httpVersion.startsWith('1') || r.httpVersion === '-' ? [] : [`HTTP/${r.httpVersion}`]),
    ...(r.principal !== undefined ? [`principal=${r.principal}`] : []),
    ...(r.problem !== undefined ? [`problem=${r.problem}`] : []),
  ];
  return `${r.time} ${r.remote} ${r.method} ${r.path} ${r.status} ${r.durationMs}ms ${r.bytes}B ${[...extra, `id=${r.id}`].join(' ')}`;
}

/**
 * A record as the fields of a structured log entry: the logger stamps the time itself (the
 * same moment: when the response closed), and the id is `reqId`, as pino's ecosystem names it.
 *
 * @example
 * ```ts
 * watchResponse(req, res, (r) => logger.info(requestFields(r), 'request'));
 * ```
 */
export function requestFields(r: RequestRecord): Omit<RequestRecord, 'time' | 'id'> & {
  reqId: string;
} {
  const { time: _time, id, ...rest } = r;
  return { reqId: id, ...rest };
}
