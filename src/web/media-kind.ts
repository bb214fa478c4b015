/** How the page shows a representation, by its media type. */
import { parseMediaType } from '@prep-live/client/core';

/**
 * How the page shows and edits a representation: `json` (parsed, patchable), `text` (shown
 * and edited as text, live with unified diffs), `binary` (type, size and a download link).
 *
 * @example
 * ```ts
 * import type { MediaKind } from './media-kind.js';
 *
 * const label: Record<MediaKind, string> = { json: 'JSON', text: 'Text', binary: 'Binary' };
 * ```
 */
export type MediaKind = 'json' | 'text' | 'binary';

/**
 * The kind of a `Content-Type`: JSON for `application/json` and `+json`; text for `text/*`,
 * XML and JavaScript in UTF-8 (or no charset); anything else, or no type, is binary.
 *
 * @example
 * ```ts
 * import { kindOf } from './media-kind.js';
 *
 * kindOf('application/ld+json'); // 'json'
 * kindOf('text/markdown; charset=utf-8'); // 'text'
 * kindOf('text/plain; charset=iso-8859-1'); // 'binary': the page edits UTF-8 only
 * kindOf('image/png'); // 'binary'
 * ```
 */
export function kindOf(contentType: string | null | undefined): MediaKind {
  if (contentType === null || contentType === undefined) return 'binary';
  let essence: string;
  let charset: string | undefined;
  try {
    const media = parseMediaType(contentType);
    essence = media.essence;
    charset = media.parameters.get('charset')?.toLowerCase();
  } catch {
    return 'binary';
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii')
    return 'binary';
  if (essence === 'application/json' || essence.endsWith('+json')) return 'json';
  const textual =
    essence.startsWith('text/') ||
    essence === 'application/xml' ||
    essence.endsWith('+xml') ||
    essence === 'application/javascript' ||
    essence === 'application/ecmascript';
  return textual ? 'text' : 'binary';
}
