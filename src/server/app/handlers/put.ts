import type { IncomingMessage, ServerResponse } from 'node:http';
import { isContainerPath } from '../../../store/index.js';
import { HttpError, readBody } from '../../http-error.js';
import { CONTAINER_TYPE, checkJson, isEmptyJsonObject, requireContentType } from '../media.js';
import { checkPreconditions } from '../preconditions.js';
import type { ResourceContext } from '../resource-context.js';
import { ROOT_METHODS } from '../request-target.js';
import { checkResourceSize, commitWrite, createCheck, respondWritten } from './write.js';

/** PUT: creates or replaces a resource (201 / 204); a container path creates an empty one. */
export async function handlePut(
  ctx: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  principal: string | null,
): Promise<void> {
  if (path === '/')
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'The root container always exists.', {
      Allow: ROOT_METHODS,
    });
  const body = await readBody(req, ctx.maxBodyBytes);
  const container = isContainerPath(path);
  const contentType = container ? CONTAINER_TYPE : requireContentType(req);
  if (container && body.length > 0 && !isEmptyJsonObject(body))
    throw new HttpError(
      400,
      'CONTAINER_BODY',
      'PUT to a container path creates an empty container: send no body.',
    );
  if (!container) {
    checkResourceSize(ctx, body.length, path);
    checkJson(contentType, body);
  }
  const checkCreate = createCheck(ctx, principal);
  const result = await commitWrite(ctx, res, principal, {
    path,
    apply: (current) => {
      checkPreconditions(req, current);
      if (container && current)
        throw new HttpError(409, 'CONTAINER_EXISTS', `The container ${path} already exists.`);
      return {
        op: 'put',
        path,
        contentType,
        body: container ? new Uint8Array(0) : body,
        ...(checkCreate ? { checkCreate } : {}),
        event: { method: 'PUT', status: current ? 204 : 201 },
      };
    },
  });
  respondWritten(res, result, result.before ? 204 : 201, path);
}
