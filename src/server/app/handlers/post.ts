import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreError, isContainerPath, type Change } from '../../../store/index.js';
import { authorize } from '../../auth/access.js';
import { HttpError, readBody } from '../../http-error.js';
import { checkJson, requireContentType } from '../media.js';
import { checkPreconditions } from '../preconditions.js';
import type { ResourceContext } from '../resource-context.js';
import { allowedMethods, checkPathDepth } from '../request-target.js';
import { checkResourceSize, commitWrite, respondWritten } from './write.js';

/** POST to a container: creates a member (201 + Location), named after `Slug` when it can be. */
export async function handlePost(
  ctx: ResourceContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  principal: string | null,
): Promise<void> {
  if (!isContainerPath(path))
    throw new HttpError(
      405,
      'METHOD_NOT_ALLOWED',
      'POST creates members of containers (paths ending in /).',
      { Allow: allowedMethods(path) },
    );
  // The member is one segment below the container.
  checkPathDepth(`${path}x`, ctx.maxPathDepth);
  const body = await readBody(req, ctx.maxBodyBytes);
  const contentType = requireContentType(req);
  checkResourceSize(ctx, body.length, `a new member of ${path}`);
  checkJson(contentType, body);
  const slug = slugOf(req.headers.slug);
  const access = ctx.access;
  for (let attempt = 0; ; attempt++) {
    const name =
      attempt === 0 && slug ? slug : `${slug ? `${slug}-` : ''}${randomBytes(5).toString('hex')}`;
    const member = `${path}${name}`;
    // SEC-1: the right to write the container is not the right to write every name in it
    // (a rule may deny `/inbox/admin`). A name the writer may not have is another taken one.
    if (access && !access.allows(principal, 'write', member)) {
      if (attempt < 5) continue;
      authorize(access, principal, 'write', member);
    }
    try {
      const result = await commitWrite(ctx, res, principal, {
        path,
        apply: (current): Change => {
          if (!current) throw new HttpError(404, 'NOT_FOUND', `No container at ${path}.`);
          checkPreconditions(req, current);
          return {
            op: 'put',
            path: member,
            contentType,
            body,
            createOnly: true,
            event: { method: 'POST', status: 201 },
          };
        },
      });
      respondWritten(res, result, 201, member);
      return;
    } catch (e) {
      // The name is taken, by a resource or by a container (`x/` blocks `x`): try another.
      if (
        e instanceof StoreError &&
        (e.code === 'STORE_EXISTS' || e.code === 'STORE_CONFLICT') &&
        attempt < 5
      )
        continue;
      throw e;
    }
  }
}

/**
 * `Slug` (RFC 5023 §9.7): a hint for the new member's name, made safe for a path segment.
 * Its UTF-8 arrives either percent-encoded (as RFC 5023 says) or raw, which node:http hands
 * over as Latin-1; accents are dropped (`Crème brûlée` → `Creme-brulee`), every other run of
 * characters outside the unreserved set becomes `-`, and dots cannot lead (no `..`).
 */
function slugOf(value: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  let text = Buffer.from(raw, 'latin1').toString('utf8');
  try {
    text = decodeURIComponent(text);
  } catch {
    // keep it as sent
  }
  const slug = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._~-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64)
    .replace(/[-.]+$/, '');
  return slug || undefined;
}
