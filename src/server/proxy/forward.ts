import type {
  ClientRequest,
  IncomingHttpHeaders,
  IncomingMessage,
  ServerResponse,
} from 'node:http';
import { pipeline } from 'node:stream';
import { HttpError } from '../http-error.js';
import {
  endToEndHeaders,
  forwardedRequestHeaders,
  type ForwardingOptions,
} from './forwarded-headers.js';
import type { Upstream } from './upstream.js';

/** What the upstream answered a forwarded request. */
export interface ForwardedResponse {
  status: number;
  /** The upstream's fields by lower-case name (ETag, Location, ...). */
  headers: IncomingHttpHeaders;
  /**
   * Resolves true once the upstream's whole response has been passed on to the client's
   * response, false if either side broke off first.
   */
  complete: Promise<boolean>;
}

/** Options of {@link forward}. */
export interface ForwardOptions {
  /** The request target (path and query) as the client sent it. */
  target: string;
  forwarding: ForwardingOptions;
  /** Largest request body passed on; beyond it, 413. 0: no bound. */
  maxBodyBytes: number;
  /** Fields added to the upstream's (flat), given its status. */
  extraHeaders?: (status: number) => string[];
  /**
   * Also hands the answer's body, up to `limit` bytes (undefined beyond), to `onBody` once it
   * has been passed on whole.
   */
  tap?: { limit: number; onBody: (answer: IncomingMessage, body: Buffer | undefined) => void };
}

/**
 * Passes a request on to the upstream and its answer back, both bodies streamed with
 * back-pressure: the response goes out with the upstream's status line, fields (hop-by-hop
 * ones excepted) and bytes, as the upstream sent them, `Date` included. Rejects with an
 * `HttpError` while nothing has been sent (the upstream unreachable or slow: 502, 504; a
 * body over the bound: 413); once the head is out, a failure cuts the connection instead.
 *
 * @example
 * ```ts
 * const answer = await forward(upstream, req, res, { target: req.url!, forwarding, maxBodyBytes: 0 });
 * if (answer.status === 204 && (await answer.complete)) console.log('the write went through');
 * ```
 */
export async function forward(
  upstream: Upstream,
  req: IncomingMessage,
  res: ServerResponse,
  options: ForwardOptions,
): Promise<ForwardedResponse> {
  const max = options.maxBodyBytes;
  const declared = req.headers['content-length'];
  if (max > 0 && declared !== undefined && Number(declared) > max) throw tooLarge(max);
  const { request, response } = upstream.open(
    req.method ?? 'GET',
    options.target,
    forwardedRequestHeaders(req, options.forwarding),
  );
  // The client went away: nothing more goes upstream either.
  const onGone = (): void => {
    if (!res.writableFinished) request.destroy();
  };
  res.once('close', onGone);
  let overflow = false;
  const hasBody = declared !== undefined || req.headers['transfer-encoding'] !== undefined;
  if (hasBody) passBody(req, request, max, () => (overflow = true));
  else request.end();

  let answer: IncomingMessage;
  try {
    answer = await response;
  } catch (e) {
    res.off('close', onGone);
    throw overflow ? tooLarge(max) : e;
  }
  if (overflow && !res.headersSent) {
    answer.destroy();
    throw tooLarge(max);
  }
  const status = answer.statusCode ?? 502;
  // The upstream's own Date (or none), not one of ours.
  res.sendDate = false;
  const fields = endToEndHeaders(answer.rawHeaders);
  if (options.extraHeaders) fields.push(...options.extraHeaders(status));
  res.writeHead(status, answer.statusMessage, fields);
  const tap = options.tap;
  const kept: Buffer[] | undefined = tap ? [] : undefined;
  let size = 0;
  if (tap && kept)
    answer.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= tap.limit) kept.push(chunk);
    });
  const complete = new Promise<boolean>((resolve) => {
    pipeline(answer, res, (err) => {
      if (!err && tap && kept && answer.complete)
        tap.onBody(answer, size <= tap.limit ? Buffer.concat(kept, size) : undefined);
      // A response cut short must not look complete to the client: cut the connection.
      if (err && !res.destroyed) res.destroy();
      resolve(!err && answer.complete);
    });
  });
  return { status, headers: answer.headers, complete };
}

function tooLarge(max: number): HttpError {
  return new HttpError(
    413,
    'BODY_TOO_LARGE',
    `The body is larger than the limit of ${max} bytes.`,
    {
      Connection: 'close',
    },
  );
}

/**
 * Streams the client's body to the upstream with back-pressure; past `max` bytes (0: no
 * bound) the upstream request is cut and the rest of the body read into nothing, so that
 * the client can still read the 413.
 */
function passBody(
  req: IncomingMessage,
  request: ClientRequest,
  max: number,
  onOverflow: () => void,
): void {
  let seen = 0;
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (max > 0 && seen > max) {
      req.off('data', onData);
      req.resume();
      onOverflow();
      request.destroy();
      return;
    }
    if (!request.write(chunk)) req.pause();
  };
  req.on('data', onData);
  request.on('drain', () => req.resume());
  req.once('end', () => {
    if (!(max > 0 && seen > max)) request.end();
  });
  req.once('error', () => request.destroy());
  req.once('close', () => {
    if (!req.complete) request.destroy();
  });
}
