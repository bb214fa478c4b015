/**
 * Which page of a container's listing the page shows. The server pages it (`GET
 * /c/?limit=&after=&contains=`: a bounded page at a time, each linking to the next), so a
 * 5,000-member container is never loaded whole; the pager keeps the pages seen on the way
 * here, for Previous and for the position ("101–200"). Page URLs are the client's
 * (`memberPageUrl`, and each page's `next` as `parseMemberPage` reads it).
 */
import { memberPageUrl } from '@prep-live/client';

/** Members asked for per page. */
export const MEMBERS_PER_PAGE = 100;

/**
 * The pages of one container's listing, under one name filter.
 *
 * @example
 * ```ts
 * import { MemberPager } from './member-pager.js';
 *
 * const pager = new MemberPager('https://example.org/notes/');
 * pager.url; // 'https://example.org/notes/?limit=100'
 * pager.shown(100, 'https://example.org/notes/?limit=100&after=%2Fnotes%2Fm099');
 * pager.next(); // 'https://example.org/notes/?limit=100&after=%2Fnotes%2Fm099'
 * pager.position(100); // { from: 101, to: 200 }
 * ```
 */
export class MemberPager {
  readonly #container: string;
  readonly #size: number;
  #filter = '';
  /** The URL of each page from the first to the current one, and how many each showed. */
  #trail: Array<{ url: string; count: number; next: string | undefined }>;

  /** `container` is the container's absolute URL. */
  constructor(container: string, size = MEMBERS_PER_PAGE) {
    this.#container = container;
    this.#size = size;
    this.#trail = [{ url: this.#first(), count: 0, next: undefined }];
  }

  /** The current page's absolute URL. */
  get url(): string {
    return this.#current.url;
  }

  /** The filter in use (what the name must contain), `''` for none. */
  get filter(): string {
    return this.#filter;
  }

  /** Whether there is a page before this one. */
  get hasPrevious(): boolean {
    return this.#trail.length > 1;
  }

  /** Whether the server said there is a page after this one. */
  get hasNext(): boolean {
    return this.#current.next !== undefined;
  }

  /** Records what the current page showed: its member count and the server's `next`. */
  shown(count: number, next: string | undefined): void {
    this.#current.count = count;
    this.#current.next = next;
  }

  /** Moves to the next page and returns its URL; undefined on the last page. */
  next(): string | undefined {
    const next = this.#current.next;
    if (next === undefined) return undefined;
    this.#trail.push({ url: next, count: 0, next: undefined });
    return next;
  }

  /** Moves back a page and returns its URL; undefined on the first page. */
  previous(): string | undefined {
    if (this.#trail.length === 1) return undefined;
    this.#trail.pop();
    return this.url;
  }

  /** Starts again from the first page, with `filter` (trimmed); returns its URL. */
  setFilter(filter: string): string {
    this.#filter = filter.trim();
    this.#trail = [{ url: this.#first(), count: 0, next: undefined }];
    return this.url;
  }

  /**
   * The 1-based positions of the first and last member of the current page, showing
   * `count` members (0 and 0 for none), counted over the pages seen on the way here.
   */
  position(count: number): { from: number; to: number } {
    const before = this.#trail.slice(0, -1).reduce((n, p) => n + p.count, 0);
    return count === 0 ? { from: 0, to: 0 } : { from: before + 1, to: before + count };
  }

  get #current(): { url: string; count: number; next: string | undefined } {
    return this.#trail[this.#trail.length - 1]!;
  }

  #first(): string {
    return memberPageUrl(this.#container, { limit: this.#size, contains: this.#filter });
  }
}
