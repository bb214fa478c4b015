/**
 * `prep replicate --verify`: the replica checked against the collection's paged listing
 * (each member with the strong ETag its GET answers, issue 17): a member the replica lacks,
 * one it holds that the server does not, or one whose tag differs.
 */
import { listMembers, type ReplicaState } from '@prep-live/client';

/** How the replica differs from the listing: paths, in listing order. */
export interface ReplicaDifferences {
  /** Members of the collection as the listing names them (containers aside). */
  members: number;
  missing: string[];
  extra: string[];
  stale: string[];
}

/**
 * Compares `state`'s entities with the listing of `containerUrl` (read a page at a time).
 *
 * @example
 * ```ts
 * import type { ReplicaState } from '@prep-live/client';
 * import { compareWithListing } from './replica-check.js';
 *
 * declare const state: ReplicaState;
 * const d = await compareWithListing('http://127.0.0.1:8080/notes/', state);
 * console.log(d.missing.length + d.extra.length + d.stale.length === 0 ? 'in step' : d);
 * ```
 */
export async function compareWithListing(
  containerUrl: string,
  state: ReplicaState,
  fetch?: typeof globalThis.fetch,
): Promise<ReplicaDifferences> {
  const held = new Map(Object.entries(state.entities));
  const d: ReplicaDifferences = { members: 0, missing: [], extra: [], stale: [] };
  for await (const m of listMembers(containerUrl, fetch ? { fetch } : {})) {
    if (m.path.endsWith('/')) continue; // sub-containers are collections of their own
    d.members++;
    const local = held.get(m.path);
    held.delete(m.path);
    if (!local) d.missing.push(m.path);
    else if (local.etag !== m.etag) d.stale.push(m.path);
  }
  d.extra.push(...held.keys());
  return d;
}

/** Whether the replica is in step with the listing. */
export function inStep(d: ReplicaDifferences): boolean {
  return d.missing.length + d.extra.length + d.stale.length === 0;
}

/** One line: `12 members in step`, or what differs (at most 5 paths of each kind). */
export function describeDifferences(d: ReplicaDifferences): string {
  if (inStep(d)) return `${d.members} members in step with the listing`;
  const list = (what: string, paths: string[]) =>
    paths.length === 0
      ? []
      : [
          `${paths.length} ${what} (${paths.slice(0, 5).join(', ')}${paths.length > 5 ? ', …' : ''})`,
        ];
  return `differs from the listing: ${[
    ...list('missing', d.missing),
    ...list('stale', d.stale),
    ...list('extra', d.extra),
  ].join('; ')}`;
}
