import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyDelta } from '@prep-live/client/core';
import { isContainerPath } from '../../../store/index.js';
import { HttpError, readBody } from '../../http-error.js';
import { ACCEPT_PATCH, PATCH_TYPES, isJson, mediaEssence } from '../media.js';
import { checkPreconditions } from '../preconditions.js';
import type { ResourceContext } from '../resource-context.js';
import { allowedMethods } from '../request-target.js';
import { commitWrite, respondWritten } from './write.js';

/** PATCH of a JSON resource with a JSON Patch or a merge patch (204). */
export async function handlePatch(
  ctx: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  if (isContainerPath(path))
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'A container cannot be patched.', {
      Allow: allowedMethods(path),
    });
  const type = mediaEssence(req.headers['content-type']);
  if (!type || !PATCH_TYPES.includes(type))
    throw new HttpError(
      415,
      'UNSUPPORTED_PATCH_TYPE',
      `PATCH takes ${ACCEPT_PATCH}; got ${type ?? 'no Content-Type'}.`,
      { 'Accept-Patch': ACCEPT_PATCH },
    );
  const body = await readBody(req, ctx.maxBodyBytes);
  try {
    JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (e) {
    throw new HttpError(
      400,
      'PATCH_MALFORMED',
      `The patch is not valid JSON: ${(e as Error).message}`,
    );
  }
  const result = await commitWrite(
    ctx,
    res,
    {
      path,
      apply: (current) => {
        if (!current) throw new HttpError(404, 'NOT_FOUND', `No resource at ${path}.`);
        checkPreconditions(req, current);
        if (!isJson(current.contentType))
          throw new HttpError(
            415,
            'NOT_JSON',
            `Only JSON resources can be patched; ${path} is ${current.contentType}.`,
            { 'Accept-Patch': ACCEPT_PATCH },
          );
        return {
          op: 'put',
          path,
          contentType: current.contentType,
          body: applyDelta(type, current.body, body),
          event: { method: 'PATCH', status: 204, body, bodyType: type },
        };
      },
    },
    { contentType: type, body },
  );
  respondWritten(res, result, 204, path);
}
