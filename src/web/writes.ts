/**
 * The page's writes: PUT (with `If-Match`, or `If-None-Match: *` to create), PATCH (JSON
 * Patch or JSON Merge Patch), DELETE (with `If-Match`), POST to a container. Each resolves
 * with an outcome a person can read, never rejects.
 */

/**
 * What a write came to.
 *
 * @example
 * ```ts
 * import type { WriteOutcome } from './writes.js';
 *
 * const say = (o: WriteOutcome) => (o.ok ? `done (${o.status})` : `failed: ${o.message}`);
 * ```
 */
export interface WriteOutcome {
  ok: boolean;
  /** The HTTP status; 0 when the request failed on the network. */
  status: number;
  /** `204 No Content`, or why it failed: `412 Precondition Failed: If-Match: ...`. */
  message: string;
  /** The new ETag, when the server sent one. */
  etag?: string;
  /** Where a POST created its member (`Location`). */
  location?: string;
}

/** The patch formats the server takes (its `Accept-Patch`). */
export type PatchType = 'application/merge-patch+json' | 'application/json-patch+json';

/**
 * Replaces a resource with a JSON value. `ifMatch` makes it conditional on the version the
 * person edited (no lost update); `create` makes it fail if something is already there.
 *
 * @example
 * ```ts
 * import { putJson } from './writes.js';
 *
 * const outcome = await putJson('/notes/a', { title: 'Hello' }, { ifMatch: '"abc"' });
 * ```
 */
export function putJson(
  url: string,
  value: unknown,
  options: { ifMatch?: string; create?: boolean } = {},
): Promise<WriteOutcome> {
  return putBody(url, JSON.stringify(value), 'application/json', options);
}

/**
 * Replaces a resource with a body of any media type (text the person edited), with the
 * same conditions as {@link putJson}.
 *
 * @example
 * ```ts
 * import { putBody } from './writes.js';
 *
 * await putBody('/notes/readme', '# Hello\n', 'text/markdown; charset=utf-8', { ifMatch: '"abc"' });
 * ```
 */
export function putBody(
  url: string,
  body: string,
  contentType: string,
  options: { ifMatch?: string; create?: boolean } = {},
): Promise<WriteOutcome> {
  const headers = new Headers({ 'Content-Type': contentType });
  if (options.ifMatch !== undefined) headers.set('If-Match', options.ifMatch);
  if (options.create) headers.set('If-None-Match', '*');
  return send(url, { method: 'PUT', headers, body });
}

/**
 * Creates an empty container (`PUT /path/`, `If-None-Match: *`).
 *
 * @example
 * ```ts
 * import { createContainer } from './writes.js';
 *
 * await createContainer('/notes/drafts/');
 * ```
 */
export function createContainer(url: string): Promise<WriteOutcome> {
  return send(url, { method: 'PUT', headers: { 'If-None-Match': '*' } });
}

/**
 * Patches a JSON resource; `patch` is the patch document's text.
 *
 * @example
 * ```ts
 * import { patchJson } from './writes.js';
 *
 * await patchJson('/notes/a', 'application/merge-patch+json', '{"title":"Hi"}');
 * ```
 */
export function patchJson(url: string, type: PatchType, patch: string): Promise<WriteOutcome> {
  return send(url, { method: 'PATCH', headers: { 'Content-Type': type }, body: patch });
}

/**
 * Deletes a resource, only in the version the person saw when `ifMatch` is given.
 *
 * @example
 * ```ts
 * import { deleteResource } from './writes.js';
 *
 * await deleteResource('/notes/a', '"abc"');
 * ```
 */
export function deleteResource(url: string, ifMatch?: string): Promise<WriteOutcome> {
  const headers = new Headers();
  if (ifMatch !== undefined) headers.set('If-Match', ifMatch);
  return send(url, { method: 'DELETE', headers });
}

/**
 * Creates a member of a container (POST); `slug` suggests its name (RFC 5023 `Slug`).
 *
 * @example
 * ```ts
 * import { postMember } from './writes.js';
 *
 * const { location } = await postMember('/notes/', { title: 'New' }, 'new-note');
 * ```
 */
export function postMember(url: string, value: unknown, slug?: string): Promise<WriteOutcome> {
  const headers = new Headers({ 'Content-Type': 'application/json' });
  // RFC 5023 §9.7: percent-encode what is not ASCII.
  if (slug !== undefined && slug !== '') headers.set('Slug', encodeURIComponent(slug));
  return send(url, { method: 'POST', headers, body: JSON.stringify(value) });
}

async function send(url: string, init: RequestInit): Promise<WriteOutcome> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, cache: 'no-store' });
  } catch (e) {
    return { ok: false, status: 0, message: `the request failed: ${(e as Error).message}` };
  }
  const text = await response.text().catch(() => '');
  const status = `${response.status} ${response.statusText}`.trim();
  const outcome: WriteOutcome = { ok: response.ok, status: response.status, message: status };
  const etag = response.headers.get('etag');
  if (etag !== null) outcome.etag = etag;
  const location = response.headers.get('location');
  if (location !== null) outcome.location = location;
  if (!response.ok) {
    // Our server explains itself in application/problem+json (RFC 9457).
    const detail = problemDetail(text);
    if (detail !== undefined) outcome.message = `${status}: ${detail}`;
  }
  return outcome;
}

function problemDetail(text: string): string | undefined {
  try {
    const problem = JSON.parse(text) as { detail?: unknown; title?: unknown };
    if (typeof problem.detail === 'string') return problem.detail;
    if (typeof problem.title === 'string') return problem.title;
  } catch {
    // not a problem document
  }
  return undefined;
}
