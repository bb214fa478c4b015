import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPrepError } from '@prep-live/client/core';
import { noteProblem } from './engine/request-record.js';

/**
 * An error that is an HTTP answer: a 4xx or 5xx with an `application/problem+json` body
 * (RFC 9457) that says what was wrong. Only the server layer turns errors into responses
 * (STYLE.md 5); everything below throws `PrepError`s with a code and a status.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/** The problem+json document for an error. */
export function problemOf(err: unknown): {
  status: number;
  code: string;
  detail: string;
  headers: Record<string, string>;
} {
  if (err instanceof HttpError)
    return { status: err.status, code: err.code, detail: err.message, headers: err.headers };
  if (isPrepError(err) && err.status !== undefined && err.status >= 400 && err.status < 600)
    return { status: err.status, code: err.code, detail: err.message, headers: {} };
  return {
    status: 500,
    code: 'INTERNAL',
    detail: 'The server failed to handle the request.',
    headers: {},
  };
}

/**
 * Answers with `application/problem+json`. A HEAD gets the headers only.
 *
 * @example
 * ```ts
 * sendProblem(req, res, new HttpError(404, 'NOT_FOUND', 'No resource at /a'));
 * ```
 */
export function sendProblem(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  extraHeaders: ReadonlyArray<readonly [string, string]> = [],
): void {
  const p = problemOf(err);
  noteProblem(res, p.code);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    type: 'about:blank',
    title: TITLES[p.status] ?? 'Error',
    status: p.status,
    code: p.code,
    detail: p.detail,
    // A target too long to accept is not echoed back.
    instance: p.status === 414 ? undefined : req.url,
  });
  res.statusCode = p.status;
  for (const [n, v] of extraHeaders) res.setHeader(n, v);
  for (const [n, v] of Object.entries(p.headers)) res.setHeader(n, v);
  res.setHeader('Content-Type', 'application/problem+json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Reads a request body up to `limit` bytes; a larger body gets 413 (with `Connection: close`).
 *
 * The excess is read and dropped up to a bound (a lingering close): closing a connection with
 * unread bytes in its receive buffer makes TCP reset it, and a reset may reach the client
 * before it has read the 413. A body beyond the bound is refused without reading on, and so
 * is a declared one when the client waits for `100 Continue` (which the server did not send).
 *
 * @example
 * ```ts
 * const body = await readBody(req, 1024 * 1024);
 * ```
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const drainBound = Math.min(Math.max(limit, 64 * 1024), 1024 * 1024);
  const tooLarge = () =>
    new HttpError(413, 'BODY_TOO_LARGE', `The body is larger than the limit of ${limit} bytes.`, {
      Connection: 'close',
    });
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    const waiting = /100-continue/i.test(req.headers.expect ?? '');
    if (!waiting && Number(declared) <= limit + drainBound) await collect(req, 0, drainBound);
    throw tooLarge();
  }
  const { chunks, size, complete } = await collect(req, limit, limit + drainBound);
  if (!complete || size > limit) throw tooLarge();
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * Reads `req` to its end, keeping the first `keep` bytes; stops early once more than `bound`
 * bytes have arrived (`complete: false`). Rejects when the client goes away mid-body.
 */
function collect(
  req: IncomingMessage,
  keep: number,
  bound: number,
): Promise<{ chunks: Buffer[]; size: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= keep) chunks.push(chunk);
      if (size > bound) {
        done();
        // Keep the rest flowing into nothing until the connection closes.
        req.resume();
        resolve({ chunks, size, complete: false });
      }
    };
    const onEnd = () => {
      done();
      resolve({ chunks, size, complete: true });
    };
    const onError = (err: Error) => {
      done();
      reject(new HttpError(400, 'BODY_INCOMPLETE', `The body was cut off: ${err.message}`));
    };
    const onClose = () => {
      done();
      reject(new HttpError(400, 'BODY_INCOMPLETE', 'The connection closed before the body ended.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
