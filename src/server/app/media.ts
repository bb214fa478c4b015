import type { IncomingMessage } from 'node:http';
import { HttpError } from '../http-error.js';

/** What PATCH takes (`Accept-Patch`). */
export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json'];
export const ACCEPT_PATCH = PATCH_TYPES.join(', ');
/** A container's representation: its listing. */
export const CONTAINER_TYPE = 'application/json';

/**
 * The essence of a media type a client sent, whatever its parameters. Lenient on purpose:
 * stored types keep their parameters as sent; `src/core/media-type.ts` would refuse
 * malformed ones.
 *
 * @example
 * ```ts
 * mediaEssence('Application/JSON; charset=utf-8'); // 'application/json'
 * ```
 */
export function mediaEssence(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase() || undefined;
}

/** JSON or a `+json` type: validated on write, patchable. */
export function isJson(contentType: string): boolean {
  const e = mediaEssence(contentType) ?? '';
  return e === 'application/json' || e.endsWith('+json');
}

const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;.*)?$/;

/** The request's Content-Type, which a write with a body needs (415 without). */
export function requireContentType(req: IncomingMessage): string {
  const ct = req.headers['content-type']?.trim();
  if (!ct) throw new HttpError(415, 'CONTENT_TYPE_REQUIRED', 'Send a Content-Type with the body.');
  if (!MEDIA_TYPE.test(ct))
    throw new HttpError(
      415,
      'CONTENT_TYPE_INVALID',
      `Content-Type ${JSON.stringify(ct)} is not a media type.`,
    );
  return ct;
}

/**
 * `bytes` decoded as UTF-8, through a view of the same memory: `Buffer.from(bytes)` would
 * first copy a body of up to --max-body bytes (SEC-2: a large write's time on the loop).
 */
export function utf8Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** A JSON body must parse (400 otherwise); other types are stored byte-exact. */
export function checkJson(contentType: string, body: Uint8Array): void {
  if (!isJson(contentType)) return;
  try {
    JSON.parse(utf8Text(body));
  } catch (e) {
    throw new HttpError(
      400,
      'MALFORMED_JSON',
      `The body is not valid JSON: ${(e as Error).message}`,
    );
  }
}

/** `{}`: the only body a PUT that creates a container may carry. */
export function isEmptyJsonObject(body: Uint8Array): boolean {
  return utf8Text(body).trim() === '{}';
}
