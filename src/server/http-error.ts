import type { IncomingMessage, ServerResponse } from 'node:http';
import { isPrepError } from '../core/errors.js';

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
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
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
    instance: req.url,
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
 * Reads a request body up to `limit` bytes; larger bodies get 413 without being read whole.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit)
    throw new HttpError(
      413,
      'BODY_TOO_LARGE',
      `The body is larger than the limit of ${limit} bytes.`,
      {
        Connection: 'close',
      },
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new HttpError(
        413,
        'BODY_TOO_LARGE',
        `The body is larger than the limit of ${limit} bytes.`,
        {
          Connection: 'close',
        },
      );
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
