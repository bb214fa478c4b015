import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http-error.js';

/**
 * Fields a request may carry once. node:http keeps the first of a repeated one and drops the
 * others, so a proxy that reads the last would see another request than we do: refused.
 */
const SINGLETONS = new Map(
  ['Host', 'Authorization', 'Content-Type', 'Content-Length'].map((n) => [n.toLowerCase(), n]),
);

/**
 * What an HTTP/1.x request head must hold before anything else looks at it, or the 400 it
 * gets (with `Connection: close`: the framing of what follows cannot be trusted):
 * RFC 9112 §3.2, exactly one `Host` on HTTP/1.1 (`HOST_REQUIRED`, `FIELD_REPEATED`); and no
 * other field that may appear once appears twice (`FIELD_REPEATED`). HTTP/2 requests
 * (node:http2 checks its own pseudo-headers) pass.
 *
 * @example
 * ```ts
 * const refused = checkRequestHead(req);
 * if (refused) return sendProblem(req, res, refused, [['Connection', 'close']]);
 * ```
 */
export function checkRequestHead(req: IncomingMessage): HttpError | undefined {
  if (req.httpVersionMajor !== 1) return undefined;
  const raw = req.rawHeaders;
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const singleton = SINGLETONS.get(name);
    if (singleton === undefined) continue;
    if (seen.has(name))
      return new HttpError(
        400,
        'FIELD_REPEATED',
        `The request has more than one ${singleton} field; it may have one (RFC 9110 §5.3, RFC 9112 §3.2).`,
      );
    seen.add(name);
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
  if (!seen.has('host') && req.httpVersionMinor >= 1)
    return new HttpError(400, 'HOST_REQUIRED', 'An HTTP/1.1 request needs a Host header.');
  return undefined;
}
