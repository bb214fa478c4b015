/**
 * The URL layout of the Web Event Sourcing publisher, under the reserved prefix
 * `/.well-known/wes/` (RFC 8615). Variable parts come first and the container's path last,
 * because a container path is open-ended (any segments, always ending in `/`):
 *
 *     /.well-known/wes/feed/<c>                  subscription document of container /<c> (WES-5)
 *     /.well-known/wes/archive/<epoch>/<k>/<c>   archive document k (WES-5)
 *     /.well-known/wes/changes/<id>/<c>          an entry's self link (WES-7)
 *     /.well-known/wes/changes/<id>              the same, as links made before 0.2 (no <c>)
 *     /.well-known/wes/snapshot/<c>              the latest snapshot index (WES-1); POST makes one
 *     /.well-known/wes/snapshots/<id>            one snapshot's index, immutable (WES-1)
 *     /.well-known/wes/snapshots/<id>/<n>        part n of that snapshot, immutable (WES-2)
 */

/**
 * The reserved path prefix every publisher URL starts with.
 *
 * @example
 * ```ts
 * const publisher = createWesPublisher({ store });
 * if (req.url?.startsWith(WES_PREFIX)) await publisher.handle(req, res);
 * ```
 */
export const WES_PREFIX = '/.well-known/wes/';

const DRAFT = 'https://datatracker.ietf.org/doc/draft-kiessling-web-eventsourcing/';

/**
 * The link relation from a container to its change feed's subscription document. The draft
 * registers none, so it is an extension relation type (a URI, RFC 8288 §2.1.2).
 *
 * @example
 * ```ts
 * wesLinks('/notes/').includes(REL_WES_FEED); // true
 * ```
 */
export const REL_WES_FEED = `${DRAFT}#feed`;

/**
 * The link relation from a container (or a feed page) to its latest snapshot index.
 *
 * @example
 * ```ts
 * wesLinks('/notes/').includes(REL_WES_SNAPSHOT); // true
 * ```
 */
export const REL_WES_SNAPSHOT = `${DRAFT}#snapshot`;

/** The container path without its leading `/` (`/notes/` -> `notes/`, `/` -> ``). */
function tail(containerPath: string): string {
  return containerPath.slice(1);
}

/**
 * The subscription document of a container's feed.
 *
 * @example
 * ```ts
 * feedPath('/notes/'); // '/.well-known/wes/feed/notes/'
 * ```
 */
export function feedPath(containerPath: string): string {
  return `${WES_PREFIX}feed/${tail(containerPath)}`;
}

/**
 * Archive document `k` of a container's feed, positions counted from `epoch`.
 *
 * @example
 * ```ts
 * archivePath('/notes/', 0, 3); // '/.well-known/wes/archive/0/3/notes/'
 * ```
 */
export function archivePath(containerPath: string, epoch: number, k: number): string {
  return `${WES_PREFIX}archive/${epoch}/${k}/${tail(containerPath)}`;
}

/**
 * An entry's `self` link (WES-3, WES-7). It names the entry's container, so that the right
 * to follow it is decided before the log is read (SEC-1).
 *
 * @example
 * ```ts
 * changePath('42.3f9a0c1d2e', '/notes/'); // '/.well-known/wes/changes/42.3f9a0c1d2e/notes/'
 * ```
 */
export function changePath(id: string, containerPath: string): string {
  return `${WES_PREFIX}changes/${id}/${tail(containerPath)}`;
}

/**
 * The latest snapshot index of a container (GET), or where to ask for a new one (POST).
 *
 * @example
 * ```ts
 * snapshotPath('/notes/'); // '/.well-known/wes/snapshot/notes/'
 * ```
 */
export function snapshotPath(containerPath: string): string {
  return `${WES_PREFIX}snapshot/${tail(containerPath)}`;
}

/**
 * One snapshot's own index (immutable).
 *
 * @example
 * ```ts
 * snapshotIndexPath('2015-06-23T00:36:45.885Z-a1b2c3'); // '/.well-known/wes/snapshots/2015-06-23T00:36:45.885Z-a1b2c3'
 * ```
 */
export function snapshotIndexPath(id: string): string {
  return `${WES_PREFIX}snapshots/${id}`;
}

/**
 * Part `n` of a snapshot (immutable).
 *
 * @example
 * ```ts
 * snapshotPartPath('2015-06-23T00:36:45.885Z-a1b2c3', 0); // '/.well-known/wes/snapshots/2015-06-23T00:36:45.885Z-a1b2c3/0'
 * ```
 */
export function snapshotPartPath(id: string, n: number): string {
  return `${WES_PREFIX}snapshots/${id}/${n}`;
}

/**
 * The `Link` header value a container's responses carry so consumers can find its feed and
 * its snapshot (resources.ts adds it to GET and HEAD on containers).
 *
 * @example
 * ```ts
 * res.setHeader('Link', wesLinks('/notes/'));
 * // </.well-known/wes/feed/notes/>; rel="https://datatracker.ietf.org/doc/draft-kiessling-web-eventsourcing/#feed", </.well-known/wes/snapshot/notes/>; rel="…#snapshot"
 * ```
 */
export function wesLinks(containerPath: string, baseUrl = ''): string {
  return (
    `<${baseUrl}${feedPath(containerPath)}>; rel="${REL_WES_FEED}", ` +
    `<${baseUrl}${snapshotPath(containerPath)}>; rel="${REL_WES_SNAPSHOT}"`
  );
}

/**
 * A request path under {@link WES_PREFIX}, taken apart; undefined when it names nothing.
 *
 * @example
 * ```ts
 * parseWesPath('/.well-known/wes/archive/0/3/notes/'); // { kind: 'archive', container: '/notes/', epoch: 0, k: 3 }
 * ```
 */
export type WesRoute =
  | { kind: 'feed'; container: string }
  | { kind: 'archive'; container: string; epoch: number; k: number }
  /** `container` is absent in links made before it was part of them. */
  | { kind: 'change'; id: string; container?: string }
  | { kind: 'snapshot'; container: string }
  | { kind: 'snapshot-index'; id: string }
  | { kind: 'snapshot-part'; id: string; n: number };

const NUMBER = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Takes a request path apart into a {@link WesRoute}; undefined when the path names nothing
 * the publisher serves. The container part must end with `/` (a container path), unless
 * `anyPath` (a log of resources kept elsewhere, where any path may be a collection).
 *
 * @example
 * ```ts
 * parseWesPath('/.well-known/wes/feed/notes/'); // { kind: 'feed', container: '/notes/' }
 * parseWesPath('/.well-known/wes/feed/notes'); // undefined: not a container
 * ```
 */
export function parseWesPath(path: string, anyPath = false): WesRoute | undefined {
  if (!path.startsWith(WES_PREFIX)) return undefined;
  const rest = path.slice(WES_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const kind = rest.slice(0, slash);
  const after = rest.slice(slash + 1);
  const container = `/${after}`;
  const isContainer = anyPath || container.endsWith('/');
  switch (kind) {
    case 'feed':
      return isContainer ? { kind: 'feed', container } : undefined;
    case 'snapshot':
      return isContainer ? { kind: 'snapshot', container } : undefined;
    case 'archive': {
      const [epoch, k, ...tailSegments] = after.split('/');
      if (epoch === undefined || k === undefined || !NUMBER.test(epoch) || !NUMBER.test(k))
        return undefined;
      const c = `/${tailSegments.join('/')}`;
      if (!anyPath && !c.endsWith('/')) return undefined;
      return { kind: 'archive', container: c, epoch: Number(epoch), k: Number(k) };
    }
    case 'changes': {
      const cut = after.indexOf('/');
      if (cut < 0) return after !== '' ? { kind: 'change', id: after } : undefined;
      const id = after.slice(0, cut);
      const c = after.slice(cut);
      return id !== '' && c.endsWith('/') ? { kind: 'change', id, container: c } : undefined;
    }
    case 'snapshots': {
      const parts = after.split('/');
      const id = parts[0];
      if (id === undefined || id === '') return undefined;
      if (parts.length === 1) return { kind: 'snapshot-index', id };
      const n = parts[1];
      if (parts.length === 2 && n !== undefined && NUMBER.test(n))
        return { kind: 'snapshot-part', id, n: Number(n) };
      return undefined;
    }
    default:
      return undefined;
  }
}
