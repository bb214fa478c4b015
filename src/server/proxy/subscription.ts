import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { BaseInit } from '../embed/create-prep.js';
import { endToEndHeaders, fieldPairs, forwardedRequestHeaders } from './forwarded-headers.js';
import type { ProxyContext } from './proxy-context.js';
import { stateOf } from './state-cache.js';
import { readWhole, type UpstreamRead } from './upstream.js';

/** The request fields that are PREP's own: the upstream's base GET goes without them. */
const PREP_FIELDS: ReadonlySet<string> = new Set(['accept-events', 'last-event-id']);
/** The proxy keeps the base as it is (for deltas): no content coding. */
const IDENTITY: ReadonlyMap<string, string> = new Map([['accept-encoding', 'identity']]);

/**
 * A GET with `Accept-Events` on a watched path: the base is the upstream's answer to the
 * same GET without PREP's fields (the client's others, `Authorization` included, go on), so
 * the upstream decides who may read. A stream follows when that answer allows one (ERR-2:
 * a 401 goes out as it is, with `Events` status 412); a 200 is kept as the state before the
 * next change. A base over `maxBaseBytes` goes out as the upstream sends it, with `Events`
 * status 503 (ERR-3).
 */
export async function serveSubscription(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  try {
    await ctx.prep.serve(req, res, {
      path,
      isContainer: ctx.rules.isCollection(path),
      // Called once the log position is read: no change falls between base and stream.
      base: () => readBase(ctx, req, path),
    });
  } catch (e) {
    if (!(e instanceof OversizedBase)) throw e;
    passOversized(ctx, res, e.read);
  }
}

async function readBase(ctx: ProxyContext, req: IncomingMessage, path: string): Promise<BaseInit> {
  const fields = forwardedRequestHeaders(req, {
    ...ctx.forwarding,
    drop: PREP_FIELDS,
    set: IDENTITY,
  });
  const stamp = ctx.cache.stamp();
  const { request, response } = ctx.upstream.open('GET', path, fields);
  request.end();
  const read = await readWhole(await response, ctx.maxBaseBytes);
  if (read.overflow) throw new OversizedBase(read);
  // What it found may be news to the other subscribers (a change around the proxy).
  if (read.status === 200) void ctx.recorder.observe(path, stateOf(read), stamp);
  const init: BaseInit = {
    status: read.status,
    headers: fieldPairs(endToEndHeaders(read.rawHeaders)),
  };
  if (read.body) init.body = read.body;
  return init;
}

/** ERR-3: the upstream's answer, too large to hold back for part 1, streamed as it comes. */
function passOversized(ctx: ProxyContext, res: ServerResponse, read: UpstreamRead): void {
  const overflow = read.overflow!;
  res.sendDate = false;
  res.writeHead(read.status, read.statusMessage, [
    ...endToEndHeaders(read.rawHeaders),
    'Events',
    ctx.prep.engine.eventsHeader(503),
    'Vary',
    'Accept-Events',
  ]);
  for (const chunk of overflow.head) res.write(chunk);
  pipeline(overflow.rest, res, (err) => {
    if (err && !res.destroyed) res.destroy();
  });
}

class OversizedBase extends Error {
  constructor(readonly read: UpstreamRead) {
    super('the base is larger than maxBaseBytes');
  }
}
