import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyDelta, isPrepError } from '@prep-live/client/core';
import { isContainerPath } from '../../../store/index.js';
import { HttpError, readBody } from '../../http-error.js';
import { ACCEPT_PATCH, PATCH_TYPES, isJson, mediaEssence, utf8Text } from '../media.js';
import { checkPreconditions } from '../preconditions.js';
import type { ResourceContext } from '../resource-context.js';
import { allowedMethods } from '../request-target.js';
import { checkResourceSize, commitWrite, respondWritten } from './write.js';

/** PATCH of a JSON resource with a JSON Patch or a merge patch (204). */
export async function handlePatch(
  ctx: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  principal: string | null,
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Text(body));
  } catch (e) {
    throw new HttpError(
      400,
      'PATCH_MALFORMED',
      `The patch is not valid JSON: ${(e as Error).message}`,
    );
  }
  // SEC-2: too many operations is known now, before the document is read.
  const maxOperations = ctx.patchLimits.maxOperations ?? Infinity;
  if (Array.isArray(parsed) && parsed.length > maxOperations)
    throw new HttpError(
      422,
      'PATCH_TOO_COMPLEX',
      `The patch has ${parsed.length} operations; at most ${maxOperations} are allowed (maxPatchOperations, --max-patch-operations).`,
    );
  const result = await commitWrite(
    ctx,
    res,
    principal,
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
        // SEC-2: the patch's work is bounded, and so is what it leaves.
        const next = applyPatch(ctx, type, current.body, body);
        checkResourceSize(ctx, next.length, path);
        return {
          op: 'put',
          path,
          contentType: current.contentType,
          body: next,
          event: { method: 'PATCH', status: 204, body, bodyType: type },
        };
      },
    },
    { contentType: type, body },
  );
  respondWritten(res, result, 204, path);
}

/** `applyDelta` within the server's bounds; a refusal names the bound it met (SEC-2). */
function applyPatch(
  ctx: ResourceContext,
  type: string,
  document: Uint8Array,
  patch: Uint8Array,
): Uint8Array {
  try {
    return applyDelta(type, document, patch, ctx.patchLimits);
  } catch (e) {
    if (isPrepError(e, 'PATCH_TOO_COMPLEX'))
      throw new HttpError(
        422,
        'PATCH_TOO_COMPLEX',
        `${e.message} (the bounds: --max-patch-touched-bytes ${ctx.patchLimits.maxTouchedBytes}; copies at most --max-resource, ${ctx.patchLimits.maxCopyBytes} bytes).`,
      );
    throw e;
  }
}
