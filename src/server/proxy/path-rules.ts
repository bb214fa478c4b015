import picomatch from 'picomatch';
import { assertValidPath } from '../../store/index.js';

/** Options of {@link PathRules}. */
export interface PathRulesOptions {
  /**
   * Globs of the paths that serve notifications (DSC-1, DSC-2): `*` matches within a segment,
   * `**` any number of segments, none included (`/posts/**` is `/posts` and everything under
   * it). Default: every path.
   */
  watch?: readonly string[];
  /**
   * Globs of the paths that are collections: a change to `/a/b` is also told to `/a`'s
   * subscribers (N822-6) when `/a` matches. Default: every path (a resource's collection is
   * its path without the last segment).
   */
  collections?: readonly string[];
}

/**
 * Which upstream paths `prep proxy` watches, and which collection a path belongs to: the
 * path without its last segment (`/posts/1` → `/posts`, `/api/posts/1/` → `/api/posts/`),
 * when that is a collection by the rule. A path with a query string is not watched: it names
 * another resource than its path, which notifications (keyed by path) cannot tell apart.
 *
 * @example
 * ```ts
 * const rules = new PathRules({ watch: ['/posts/**'] });
 * rules.watches('/posts/1'); // true
 * rules.parentOf('/posts/1'); // '/posts'
 * rules.parentOf('/posts'); // '/'
 * ```
 */
export class PathRules {
  readonly #watch: ((path: string) => boolean) | undefined;
  readonly #collection: ((path: string) => boolean) | undefined;

  constructor(options: PathRulesOptions = {}) {
    this.#watch = matcher(options.watch);
    this.#collection = matcher(options.collections);
  }

  /** Whether `path` serves notifications: it matches `watch` and the log can name it. */
  watches(path: string): boolean {
    return isLoggable(path) && (this.#watch?.(path) ?? true);
  }

  /** Whether `path` is a collection (its streams hear of its members). */
  isCollection(path: string): boolean {
    return this.#collection?.(path) ?? true;
  }

  /** The collection `path` belongs to, or null (the root, or a parent that is no collection). */
  parentOf(path: string): string | null {
    if (path === '/' || !path.startsWith('/')) return null;
    const slash = path.endsWith('/');
    const bare = slash ? path.slice(0, -1) : path;
    const cut = bare.lastIndexOf('/');
    const parent = cut <= 0 ? '/' : bare.slice(0, cut) + (slash ? '/' : '');
    return this.isCollection(parent) ? parent : null;
  }
}

/** A matcher for `globs`, or undefined for "every path". */
function matcher(globs: readonly string[] | undefined): ((path: string) => boolean) | undefined {
  if (globs === undefined || globs.length === 0) return undefined;
  for (const g of globs)
    if (!g.startsWith('/'))
      throw new TypeError(`a path glob starts with /, got ${JSON.stringify(g)}`);
  // dot: a segment that starts with a dot is a path like any other here.
  return picomatch([...globs], { dot: true });
}

/** Whether the log can hold events about `path` (see `assertValidPath`). */
function isLoggable(path: string): boolean {
  try {
    assertValidPath(path);
    return true;
  } catch {
    return false;
  }
}
