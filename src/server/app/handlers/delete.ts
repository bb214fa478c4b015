import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../../http-error.js';
import { checkPreconditions } from '../preconditions.js';
import type { ResourceContext } from '../resource-context.js';
import { ROOT_METHODS } from '../request-target.js';
import { commitWrite } from './write.js';

/** DELETE (204); its notification ends the resource's streams (RSP-7). */
export async function handleDelete(
  ctx: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  principal: string | null,
): Promise<void> {
  if (path === '/')
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'The root container cannot be deleted.', {
      Allow: ROOT_METHODS,
    });
  await commitWrite(ctx, res, principal, {
    path,
    apply: (current) => {
      if (!current) throw new HttpError(404, 'NOT_FOUND', `No resource at ${path}.`);
      checkPreconditions(req, current);
      return { op: 'delete', path, event: { method: 'DELETE', status: 204 } };
    },
  });
  res.statusCode = 204;
  res.end();
}
