import type { MemberQuery } from './types.js';

/**
 * A `MemberQuery` as every store reads it: `after` as a path bound (`''` sorts before every
 * path) and `limit` as a count, or undefined when unbounded (absent, or not finite).
 *
 * @example
 * ```ts
 * readMemberQuery({ limit: 2.5 }); // { after: '', limit: 2 }
 * ```
 */
export function readMemberQuery(query: MemberQuery = {}): {
  after: string;
  limit: number | undefined;
} {
  const { after = '', limit } = query;
  return {
    after,
    limit:
      limit === undefined || !Number.isFinite(limit) ? undefined : Math.max(0, Math.floor(limit)),
  };
}
