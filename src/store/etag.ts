import { createHash } from 'node:crypto';

/** 128 bits of SHA-256 in hex: collisions are out of reach and the tag stays short. */
const HEX_CHARS = 32;

/**
 * The strong entity tag of a resource: a hash of its media type and bytes. Equal content gives
 * an equal tag, so a PUT of identical content keeps the ETag (and a client's If-None-Match
 * keeps matching); the media type is hashed too because the same bytes served as another type
 * are another representation.
 *
 * @example
 * ```ts
 * resourceEtag('text/plain', new TextEncoder().encode('hi')); // '"75ffc1310a599fe5735066b4d546aa25"'
 * ```
 */
export function resourceEtag(contentType: string, body: Uint8Array): string {
  const hash = createHash('sha256').update(contentType).update('\n').update(body);
  return `"${hash.digest('hex').slice(0, HEX_CHARS)}"`;
}

/**
 * The strong entity tag of a container, taken when its membership changes at event `seq`.
 * Derived from the store id and the seq rather than from the member list, so a change costs
 * O(1) however large the container, and a recreated database never reissues an old tag.
 *
 * @example
 * ```ts
 * containerEtag(store.storeId, 42); // '"…32 hex digits…"'
 * ```
 */
export function containerEtag(storeId: string, seq: number): string {
  const hash = createHash('sha256').update(`container\n${storeId}\n${seq}`);
  return `"${hash.digest('hex').slice(0, HEX_CHARS)}"`;
}
