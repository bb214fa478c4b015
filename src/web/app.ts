/**
 * The live web page served by `prep serve` (bundled for browsers by the server's
 * `createWebPage`). Browse the store from `/` through container members; open a resource
 * to see it change live: JSON and text shown and edited (PUT with If-Match; PATCH for
 * JSON), anything else as its type, size and a download link; delete it, or create
 * members; the notifications arrive in the list beside it. A missing resource opens as
 * soon as it is created. One PREP stream per open resource: opening another closes it
 * (SEC-4: browsers allow about six HTTP/1.1 connections per host), and so does leaving the
 * page (RSP-8).
 */
import { PrepSubscribeError, type LiveFormat } from '@prep-live/client';
import { BinaryView } from './binary-view.js';
import { showConnectionState } from './connection-state.js';
import { ContainerView } from './container-view.js';
import { watchCreation } from './creation-watch.js';
import { DocumentView } from './document-view.js';
import { byId, h, replaceChildren, type Child } from './dom.js';
import { kindOf, type MediaKind } from './media-kind.js';
import { missingView } from './missing-view.js';
import { NotificationList } from './notification-list.js';
import {
  displayPath,
  hashOf,
  isContainer,
  nameOf,
  parentOf,
  pathFromHash,
  trailOf,
} from './paths.js';
import type { ResourceView, ViewContext } from './view.js';
import { watchResource, type ResourceWatch } from './watch-resource.js';

const state = byId('state');
const crumbs = byId('crumbs');
const title = byId('title');
const meta = byId('meta');
const message = byId('message');
const view = byId('view');
const notifications = new NotificationList(byId('notifications') as HTMLOListElement);

/** The open resource's stream (or the one waiting for it); opening another closes it first. */
let open: { close(): void } | undefined;
/** Counts openings, so the callbacks of a closed watch change nothing. */
let generation = 0;

function say(text: Child | Child[], kind: 'ok' | 'error' | 'info' = 'info'): void {
  const parts = Array.isArray(text) ? text : [text];
  message.hidden = parts.length === 0 || (parts.length === 1 && parts[0] === '');
  message.dataset.kind = kind;
  replaceChildren(message, parts);
}

/**
 * Opens `path`: a container as its listing; anything else after a HEAD says what it is
 * (JSON, text or binary) or that it is missing. `retry` counts reopenings after the media
 * type changed under the page, so that a resource flipping between types cannot loop.
 */
function openPath(path: string, retry = 0): void {
  open?.close();
  open = undefined;
  const mine = ++generation;
  const current = (): boolean => mine === generation;

  say('');
  notifications.clear();
  replaceChildren(
    crumbs,
    trailOf(path).map((p, i, all) =>
      i === all.length - 1
        ? h('span', { 'aria-current': 'page' }, displayPath(nameOf(p)))
        : h('a', { href: hashOf(p) }, displayPath(nameOf(p))),
    ),
  );
  title.textContent = displayPath(path);
  document.title = `${displayPath(path)} · PREP live`;
  meta.textContent = '';
  replaceChildren(view, [h('p', { class: 'loading' }, 'Loading…')]);
  showConnectionState(state, 'connecting');

  const context: ViewContext = { path, say, reopen: () => openPath(path) };
  if (isContainer(path)) {
    watch(context, 'json', retry, current);
    return;
  }
  void probe(path).then((found) => {
    if (!current()) return;
    if (found === 'missing') showMissing(context, current);
    else if (typeof found === 'string') watch(context, found, retry, current);
    else {
      replaceChildren(view, []);
      showConnectionState(state, 'closed');
      say(`Cannot open ${path}: ${found.error}`, 'error');
    }
  });
}

/** What is at `path`: its kind, `missing` (404, 410), or why it cannot be told. */
async function probe(path: string): Promise<MediaKind | 'missing' | { error: string }> {
  try {
    const response = await fetch(path, { method: 'HEAD', cache: 'no-store' });
    if (response.status === 404 || response.status === 410) return 'missing';
    if (!response.ok) return { error: `${response.status} ${response.statusText}`.trim() };
    return kindOf(response.headers.get('content-type'));
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

const FORMAT_OF: Record<MediaKind, LiveFormat> = { json: 'json', text: 'text', binary: 'bytes' };

/**
 * Watches the open resource over its PREP stream, in the view its kind asks for. A
 * container is watched a page of its listing at a time: the view opens each page's stream
 * (part 1 is the page; a change of a member reads it again), never the whole listing.
 */
function watch(context: ViewContext, kind: MediaKind, retry: number, current: () => boolean): void {
  if (!isContainer(context.path)) {
    open = watchUrl(context.path, context, kind, retry, current, undefined);
    return;
  }
  let page = 0;
  const listing: ContainerView = new ContainerView(context, (url) => {
    if (!current()) return; // another resource is open now
    const mine = ++page;
    open?.close();
    open = watchUrl(url, context, kind, retry, () => current() && mine === page, listing);
  });
  listing.open();
}

/** One stream, at `url`, feeding `given` (or the view made on the first change). */
function watchUrl(
  url: string,
  context: ViewContext,
  kind: MediaKind,
  retry: number,
  current: () => boolean,
  given: ResourceView | undefined,
): ResourceWatch {
  const { path } = context;
  let shown = given;
  return watchResource(
    url,
    {
      change(change) {
        if (!current()) return;
        shown ??= kind === 'binary' ? new BinaryView(context) : new DocumentView(context, kind);
        // Attached once: a page of a container's listing keeps its filter's focus.
        if (shown.element.parentNode !== view) replaceChildren(view, [shown.element]);
        shown.update(change);
        const facts: string[] = [];
        if (change.etag !== undefined) facts.push(`ETag ${change.etag}`);
        if (change.eventId !== undefined) facts.push(`last event ${change.eventId}`);
        meta.textContent = facts.join(' · ');
      },
      notification(n) {
        if (current()) notifications.add(n);
      },
      state(s) {
        if (current()) showConnectionState(state, s);
      },
      end(reason, error) {
        if (!current()) return;
        if (reason === 'deleted') {
          const parent = parentOf(path);
          say(
            [
              'This resource was deleted.',
              parent !== undefined && ' Back to ',
              parent !== undefined && h('a', { href: hashOf(parent) }, displayPath(parent)),
            ],
            'info',
          );
        } else if (reason === 'expired') say('The stream ended.', 'info');
        else if (reason === 'error') failed(error, context, shown ? 0 : retry + 1, current);
      },
    },
    { as: FORMAT_OF[kind] },
  );
}

/** Why the open resource could not be watched, shown in its place. */
function failed(error: unknown, context: ViewContext, retry: number, current: () => boolean): void {
  if (error instanceof PrepSubscribeError) {
    if (error.code === 'HTTP_STATUS' && (error.status === 404 || error.status === 410)) {
      showMissing(context, current);
      return;
    }
    // Its media type changed under the page (a PUT of another type): open it again as what
    // it is now, unless that keeps happening.
    if ((error.code === 'NOT_JSON' || error.code === 'NOT_TEXT') && retry < 3) {
      openPath(context.path, retry);
      return;
    }
  }
  replaceChildren(view, []);
  say(
    `Cannot watch ${context.path}: ${error instanceof Error ? error.message : String(error)}`,
    'error',
  );
}

/** Nothing there: a form to create it, and a watch that opens it once it exists. */
function showMissing(context: ViewContext, current: () => boolean): void {
  replaceChildren(view, [missingView(context)]);
  open?.close();
  open = watchCreation(context.path, {
    created() {
      if (current()) openPath(context.path);
    },
    state(s) {
      if (current()) showConnectionState(state, s);
    },
  });
}

window.addEventListener('hashchange', () => openPath(pathFromHash(location.hash)));
// RSP-8: close the stream when the person leaves; open it again if they come back.
window.addEventListener('pagehide', () => {
  open?.close();
  open = undefined;
  generation++;
});
window.addEventListener('pageshow', (e) => {
  if (e.persisted) openPath(pathFromHash(location.hash));
});
openPath(pathFromHash(location.hash));
