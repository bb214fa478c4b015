import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventMethod } from '../../store/index.js';
import { forward } from './forward.js';
import type { ProxyContext } from './proxy-context.js';

/** N822-2: the statuses of a write that changed something. */
const CHANGED: ReadonlySet<number> = new Set([200, 201, 204]);
/** The request fields the proxy reads a changed resource with: the writer's credentials. */
const CREDENTIALS = ['authorization', 'cookie'] as const;

/**
 * A PUT, PATCH, POST or DELETE: passed on as it is; when the upstream answers 200, 201 or 204
 * (a POST also 205, N822-2), the change is recorded and announced once the answer has gone to
 * the writer (N822-3): on `path`, its collection, and for a POST the created member the
 * upstream's `Location` names (N822-6).
 */
export async function writeThrough(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: string,
  path: string,
): Promise<void> {
  const method = req.method as EventMethod;
  const answer = await forward(ctx.upstream, req, res, {
    target,
    forwarding: ctx.forwarding,
    maxBodyBytes: ctx.maxBodyBytes,
  });
  if (!CHANGED.has(answer.status) && !(method === 'POST' && answer.status === 205)) return;
  const h = answer.headers;
  const link = method === 'POST' ? (h.location ?? h['content-location']) : undefined;
  const created = link && ctx.upstream.localPath(link, target, req.headers.host);
  const credentials: Array<[string, string]> = [];
  for (const name of CREDENTIALS) {
    const value = req.headers[name];
    if (typeof value === 'string') credentials.push([name, value]);
  }
  void ctx.recorder.record(
    {
      method,
      path,
      status: answer.status,
      ...(created ? { created } : {}),
      ...(h.etag !== undefined ? { etag: h.etag } : {}),
      credentials,
    },
    res,
    answer.complete,
  );
}
