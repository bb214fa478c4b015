import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatHttpDate } from '@prep-live/client/core';
import { StoreError, isContainerPath, type Resource } from '../../../store/index.js';
import type { BaseResponse } from '../../engine/engine.js';
import { HttpError } from '../../http-error.js';
import { ACCEPT_PATCH, CONTAINER_TYPE, isJson } from '../media.js';
import { notModified } from '../preconditions.js';
import type { ResourceContext } from '../resource-context.js';
import { allowedMethods } from '../request-target.js';
import { listingPage, plainListing, readListingQuery, type ListingQuery } from '../listing.js';
import { wesLinks } from '../wes/index.js';

/**
 * GET and HEAD: the representation (a container's is its listing, plain or a page of the
 * paged form: `listing.ts`), conditional requests (304), and, when asked for, a
 * notifications stream (RSP-1..8) or the base with an `Events` status (ERR-2, ERR-3).
 */
export async function handleRead(
  ctx: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  principal: string | null,
): Promise<void> {
  const { engine } = ctx;
  const method = req.method ?? 'GET';
  const wantsEvents = method === 'GET' && req.headers['accept-events'] !== undefined;
  // Read the log position before the representation: events after it are sent, so none
  // falls between the read and the subscription (at worst one is sent twice).
  let afterSeq: number;
  let found;
  // A container's paged listing (`?limit=&after=&contains=`); the query means nothing else.
  const paged = isContainerPath(path)
    ? readListingQuery(req.url ?? path, path, ctx.listing)
    : undefined;
  try {
    afterSeq = wantsEvents ? await ctx.events.view.lastSeq() : 0;
    found = await representation(ctx, path, principal, paged);
  } catch (e) {
    // The database is down: no base, so no stream either (ERR-2 style `Events` status).
    if (wantsEvents && e instanceof StoreError && e.code === 'STORE_UNAVAILABLE')
      throw new HttpError(503, e.code, e.message, {
        Events: engine.eventsHeader(503),
        Vary: ctx.vary(path),
        'Retry-After': '5',
      });
    throw e;
  }
  const client = req.socket.remoteAddress ?? 'unknown';
  if (!found) {
    const n = await engine.negotiate(method, req.headers, 404, { path, client, principal });
    throw new HttpError(
      404,
      'NOT_FOUND',
      `No resource at ${path}.`,
      n.kind === 'ignore' ? {} : { Events: engine.eventsHeader(412), Vary: ctx.vary(path) },
    );
  }
  const { body, validators, next } = found;
  const container = isContainerPath(path);
  const contentType = container ? CONTAINER_TYPE : found.resource.contentType;
  const partial = paged !== undefined;
  const headers: Array<[string, string]> = [
    ['Content-Type', contentType],
    ['ETag', validators.etag],
    ['Last-Modified', formatHttpDate(validators.lastModified)],
  ];
  const status = notModified(req, validators) ? 304 : 200;
  const negotiation = await engine.negotiate(method, req.headers, status, {
    path,
    client,
    principal,
    contentType,
    partial,
  });
  if (negotiation.kind === 'stream') {
    const base: BaseResponse = { status, headers, body };
    await engine.stream(req, res, base, negotiation, {
      path,
      isContainer: container,
      client,
      principal,
      afterSeq,
      history: ctx.events.view,
      headers:
        next === undefined ? ctx.streamHeaders : [...ctx.streamHeaders, ['Link', nextLink(next)]],
      onOpen: (end) => ctx.connections.opened(req, res, end),
      vary: ctx.vary(path),
      partial,
    });
    return;
  }
  // A would-be stream got no CORS fields from the router (see `createResourceServer`).
  if (wantsEvents) for (const [n, v] of ctx.cors) res.setHeader(n, v);
  res.statusCode = status;
  for (const [n, v] of headers) res.setHeader(n, v);
  for (const [n, v] of ctx.contentHeaders) res.setHeader(n, v);
  // DSC-1, HDR-2: advertise notifications, with the delta types this media type allows (a
  // page of a listing none: deltas are of the whole), on HEAD and GET; Vary, since
  // Accept-Events changes the answer.
  res.setHeader('Accept-Events', engine.advertisementFor(contentType, partial));
  // With a policy, the answer depends on who asks (SEC-1): Vary lists Authorization, and no
  // shared cache may reuse it.
  res.setHeader('Vary', ctx.vary(path));
  res.setHeader('Cache-Control', ctx.access ? 'private, no-cache' : 'no-cache');
  res.setHeader('Allow', allowedMethods(path));
  // WES discovery: a container advertises its change feed and snapshot; a page, the next.
  const links = [
    ...(next !== undefined ? [nextLink(next)] : []),
    ...(ctx.wes && container ? [wesLinks(path)] : []),
  ];
  if (links.length > 0) res.setHeader('Link', links.join(', '));
  if (!container && isJson(contentType)) res.setHeader('Accept-Patch', ACCEPT_PATCH);
  if (negotiation.kind === 'refuse') {
    // ERR-2 / ERR-3 / ERR-4: the base response as is, with the notifications' status.
    res.setHeader('Events', engine.eventsHeader(negotiation.status));
    if (negotiation.retryAfter !== undefined)
      res.setHeader('Retry-After', String(negotiation.retryAfter));
  }
  if (status === 304) {
    res.end();
    return;
  }
  res.setHeader('Content-Length', body.length);
  res.end(method === 'HEAD' ? undefined : body);
}

/** What a GET answers: the resource, its bytes, their validators, and a page's next. */
interface Found {
  resource: Resource;
  body: Uint8Array;
  validators: { etag: string; lastModified: number };
  next: string | undefined;
}

/**
 * The resource and the bytes it is represented by: a container's listing, plain or the page
 * `paged` asks for (SEC-1: either names only members the principal may read).
 */
async function representation(
  ctx: ResourceContext,
  path: string,
  principal: string | null,
  paged: ListingQuery | undefined,
): Promise<Found | undefined> {
  const resource = await ctx.store.get(path);
  if (!resource) return undefined;
  const plain = { resource, validators: resource, next: undefined };
  if (!isContainerPath(path)) return { ...plain, body: resource.body };
  const access = ctx.access;
  const canRead = access ? (m: string) => access.allows(principal, 'read', m) : undefined;
  if (paged === undefined) {
    const body = await plainListing(ctx.store, path, canRead);
    return body && { ...plain, body };
  }
  const page = await listingPage(ctx.store, resource, paged, ctx.listing, canRead);
  return page && { resource, body: page.body, validators: page, next: page.next };
}

/** `Link` to the next page of a listing. */
function nextLink(next: string): string {
  return `<${next}>; rel="next"`;
}
