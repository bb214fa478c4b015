import type { IncomingMessage } from 'node:http';
import { parseHttpDate } from '@prep-live/client/core';
import type { Resource } from '../../store/index.js';
import { HttpError } from '../http-error.js';

/**
 * Entity tags of an If-Match / If-None-Match list; `*` as its own entry.
 *
 * @example
 * ```ts
 * entityTags('W/"a", "b"'); // ['W/"a"', '"b"']
 * ```
 */
export function entityTags(value: string): string[] {
  return value.match(/\*|(?:W\/)?"[^"]*"/g) ?? [];
}

/** RFC 9110 §8.8.3.2: weak comparison (the `W/` prefix does not count). */
export function weakEqual(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

/** RFC 9110 §13.2.2: If-Match, then If-None-Match (for writes); 412 when one fails. */
export function checkPreconditions(req: IncomingMessage, current: Resource | undefined): void {
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined) {
    const tags = entityTags(ifMatch);
    const ok =
      current !== undefined &&
      tags.some((t) => t === '*' || (!t.startsWith('W/') && t === current.etag));
    if (!ok)
      throw new HttpError(
        412,
        'PRECONDITION_FAILED',
        current
          ? `If-Match: the current ETag is ${current.etag}.`
          : 'If-Match: there is no current representation.',
      );
  }
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && current !== undefined) {
    const tags = entityTags(ifNoneMatch);
    if (tags.some((t) => t === '*' || weakEqual(t, current.etag)))
      throw new HttpError(
        412,
        'PRECONDITION_FAILED',
        `If-None-Match: the resource exists with ETag ${current.etag}.`,
      );
  }
}

/**
 * GET/HEAD (RFC 9110 §13.2.2): If-None-Match (weak comparison), else If-Modified-Since
 * → 304. Every GET answer with validators asks here: resources, WES pages, the web page's
 * assets. Without `lastModified`, If-Modified-Since has nothing to compare with: not a 304.
 */
export function notModified(
  req: IncomingMessage,
  validators: { etag: string; lastModified?: number | undefined },
): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined)
    return entityTags(inm).some((t) => t === '*' || weakEqual(t, validators.etag));
  const ims = req.headers['if-modified-since'];
  if (ims === undefined || validators.lastModified === undefined) return false;
  const since = parseHttpDate(ims);
  return (
    since !== undefined &&
    Math.floor(validators.lastModified / 1000) <= Math.floor(since.getTime() / 1000)
  );
}
