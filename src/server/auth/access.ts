import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from '../http-error.js';

/**
 * What a request wants to do with a path: `read` (GET, HEAD), `write` (PUT, PATCH, DELETE;
 * POST on the container), `subscribe` (a PREP stream, SEC-1) and `replicate` (a container's
 * WES snapshot and feed, which reveal every member at once).
 */
export type Access = 'read' | 'write' | 'subscribe' | 'replicate';

/** Limits of one principal that override the server's defaults (SEC-2). */
export interface PrincipalLimits {
  /** Open notification streams of this principal (`maxPerPrincipal`). */
  maxSubscriptions?: number;
  /** Writes per minute (the write rate limit's bucket: this many, refilled over a minute). */
  writesPerMinute?: number;
}

/**
 * A pluggable access policy (SEC-1), asked by the resource server, the PREP engine and the WES
 * publisher. Without one, everything is allowed.
 *
 * @example
 * ```ts
 * const readOnly: AccessPolicy = {
 *   identify: () => null,
 *   allows: (_principal, access) => access === 'read' || access === 'subscribe',
 * };
 * const app = createResourceServer({ store, access: readOnly });
 * ```
 */
export interface AccessPolicy {
  /**
   * Who is asking: a principal id, or null for anonymous. Throws an HttpError 401 (with
   * `WWW-Authenticate`) for a malformed or unknown credential.
   */
  identify(headers: IncomingHttpHeaders): string | null;
  /** May `principal` do `access` on `path`? Called on every request: keep it cheap. */
  allows(principal: string | null, access: Access, path: string): boolean;
  /**
   * Registers a listener called when rights change (configuration reloaded): the engine then
   * re-checks every open stream. Returns an unsubscribe.
   */
  onChange?(listener: () => void): () => void;
  /** Per-principal limits overriding the server's defaults, if any. */
  limitsOf?(principal: string): PrincipalLimits | undefined;
}

/** The `WWW-Authenticate` challenge of a request without (usable) credentials (RFC 6750 §3). */
export const BEARER_CHALLENGE = 'Bearer realm="prep"';

/**
 * Throws unless `principal` may do `access` on `path`: 401 with a Bearer challenge for an
 * anonymous request (credentials may help), 403 for an authenticated one (they would not).
 *
 * @example
 * ```ts
 * declare const policy: AccessPolicy;
 * authorize(policy, policy.identify(req.headers), 'write', '/notes/a');
 * ```
 */
export function authorize(
  policy: AccessPolicy,
  principal: string | null,
  access: Access,
  path: string,
): void {
  if (policy.allows(principal, access, path)) return;
  if (principal === null)
    throw new HttpError(401, 'UNAUTHORIZED', `Authentication is needed to ${access} ${path}.`, {
      'WWW-Authenticate': BEARER_CHALLENGE,
    });
  throw new HttpError(403, 'FORBIDDEN', `You may not ${access} ${path}.`);
}
