/**
 * One page of a container's members, filtered by name: a 5,000-member container is shown a
 * page at a time, not as one long list (the listing itself is read whole; the server's
 * paged listings are for another change).
 */
import { displayPath, nameOf } from './paths.js';

/** Members shown at once. */
export const MEMBERS_PER_PAGE = 100;

/**
 * What {@link memberPage} returns.
 *
 * @example
 * ```ts
 * import type { MemberPage } from './member-page.js';
 *
 * const label = (p: MemberPage) => `${p.from}–${p.to} of ${p.matching}`;
 * ```
 */
export interface MemberPage {
  /** The members on this page, in order. */
  items: string[];
  /** This page's index (0-based), clamped to the pages there are. */
  page: number;
  /** How many pages the matching members fill (at least 1). */
  pages: number;
  /** How many members match the filter. */
  matching: number;
  /** 1-based positions of the first and last member shown (0 and 0 when none). */
  from: number;
  to: number;
}

/**
 * The `page`-th page of `members` whose name contains `filter` (case-insensitive, as
 * displayed: percent-decoded). `page` is clamped, so a page that emptied (members deleted,
 * a narrower filter) shows the last one left.
 *
 * @example
 * ```ts
 * import { memberPage } from './member-page.js';
 *
 * memberPage(['/a/x1', '/a/x2', '/a/y'], 'x', 0, 1);
 * // { items: ['/a/x1'], page: 0, pages: 2, matching: 2, from: 1, to: 1 }
 * ```
 */
export function memberPage(
  members: readonly string[],
  filter: string,
  page: number,
  size = MEMBERS_PER_PAGE,
): MemberPage {
  const needle = filter.trim().toLowerCase();
  const matching =
    needle === ''
      ? members
      : members.filter((m) => displayPath(nameOf(m)).toLowerCase().includes(needle));
  const pages = Math.max(1, Math.ceil(matching.length / size));
  const index = Math.min(Math.max(0, Math.floor(page)), pages - 1);
  const items = matching.slice(index * size, (index + 1) * size);
  const from = items.length === 0 ? 0 : index * size + 1;
  return {
    items,
    page: index,
    pages,
    matching: matching.length,
    from,
    to: from === 0 ? 0 : from + items.length - 1,
  };
}
