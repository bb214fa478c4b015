import type { ServerResponse } from 'node:http';
import type { Representation } from '@prep-live/client/core';
import { formatHttpDate } from '@prep-live/client/core';
import type { Store, WriteResult } from '../../../store/index.js';
import { authorize } from '../../auth/access.js';
import { HttpError } from '../../http-error.js';
import type { ResourceContext } from '../resource-context.js';

/**
 * Runs one write as one store transaction and hands its events to the event path, which
 * announces them once `res` has been sent (N822-3), in commit order. A PATCH's own document
 * goes with its event, for subscribers that asked for deltas of its type. The events it
 * appended are charged to the writer's write rate (SEC-2: events, not requests).
 */
export async function commitWrite(
  ctx: ResourceContext,
  res: ServerResponse,
  principal: string | null,
  request: Parameters<Store['write']>[0],
  patch?: Representation,
): Promise<WriteResult> {
  const result = await ctx.events.write(
    res,
    () => ctx.store.write(request),
    (result) => {
      const events = ctx.history.eventsOf(result);
      const own = events.at(-1);
      if (own && patch) own.patch = patch;
      return events;
    },
  );
  ctx.guard.chargeEvents(res.req, principal, result.events.length);
  return result;
}

/**
 * SEC-2: refuses (413 `RESOURCE_TOO_LARGE`) a representation larger than a write may leave,
 * whatever the write (a PATCH can grow a document far beyond its own size).
 */
export function checkResourceSize(ctx: ResourceContext, bytes: number, path: string): void {
  if (bytes > ctx.maxResourceBytes)
    throw new HttpError(
      413,
      'RESOURCE_TOO_LARGE',
      `The representation of ${path} would be ${bytes} bytes; at most ${ctx.maxResourceBytes} bytes are allowed (maxResourceBytes, --max-resource).`,
    );
}

/** The answer to a successful write: its status, validators and, on 201, `Location`. */
export function respondWritten(
  res: ServerResponse,
  result: WriteResult,
  status: number,
  path: string,
): void {
  res.statusCode = status;
  if (result.after) {
    res.setHeader('ETag', result.after.etag);
    res.setHeader('Last-Modified', formatHttpDate(result.after.lastModified));
  }
  if (status === 201) res.setHeader('Location', path);
  res.end();
}

/**
 * SEC-1: a write needs the write right on every resource it creates, not only on its target:
 * the check a `PutChange` runs on each container the write would create (`checkCreate`), or
 * undefined without a policy.
 */
export function createCheck(
  ctx: ResourceContext,
  principal: string | null,
): ((path: string) => void) | undefined {
  const access = ctx.access;
  if (!access) return undefined;
  return (path) => authorize(access, principal, 'write', path);
}
