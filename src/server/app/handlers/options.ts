import type { ServerResponse } from 'node:http';
import { preflightHeaders } from '../cors.js';
import { ACCEPT_PATCH } from '../media.js';
import type { ResourceContext } from '../resource-context.js';
import { allowedMethods } from '../request-target.js';

/** OPTIONS: what the path takes, and the CORS preflight answer (SEC-4). */
export function handleOptions(ctx: ResourceContext, res: ServerResponse, path: string): void {
  const allow = allowedMethods(path);
  res.statusCode = 204;
  res.setHeader('Allow', allow);
  res.setHeader('Accept-Patch', ACCEPT_PATCH);
  if (ctx.cors.length > 0) for (const [n, v] of preflightHeaders(allow)) res.setHeader(n, v);
  res.end();
}
