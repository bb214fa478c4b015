/**
 * The live web page served by `prep serve` (bundled for browsers by the server's
 * `createWebPage`). Browse the store from `/` through container members; open a resource
 * to see its JSON change live, edit it (PUT with If-Match, PATCH), delete it, or create
 * members; the notifications arrive in the list beside it. One PREP stream per open
 * resource: opening another closes it (SEC-4: browsers allow about six HTTP/1.1
 * connections per host), and so does leaving the page (RSP-8).
 */
import { PrepSubscribeError } from '../client/index.js';
import { showConnectionState } from './connection-state.js';
import { ContainerView } from './container-view.js';
import { DocumentView } from './document-view.js';
import { byId, h, replaceChildren, type Child } from './dom.js';
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

/** The open resource; opening another closes its stream first. */
let open: ResourceWatch | undefined;
/** Counts openings, so the callbacks of a closed watch change nothing. */
let generation = 0;

function say(text: Child | Child[], kind: 'ok' | 'error' | 'info' = 'info'): void {
  const parts = Array.isArray(text) ? text : [text];
  message.hidden = parts.length === 0 || (parts.length === 1 && parts[0] === '');
  message.dataset.kind = kind;
  replaceChildren(message, parts);
}

function openPath(path: string): void {
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
  let shown: ResourceView | undefined;
  const watch = watchResource(path, {
    change(change) {
      if (!current()) return;
      if (shown === undefined) {
        shown = isContainer(path) ? new ContainerView(context) : new DocumentView(context);
        replaceChildren(view, [shown.element]);
      }
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
      else if (reason === 'error') failed(error, context);
    },
  });
  open = watch;
}

/** Why the open resource could not be watched, shown in its place. */
function failed(error: unknown, context: ViewContext): void {
  if (error instanceof PrepSubscribeError) {
    if (error.code === 'HTTP_STATUS' && (error.status === 404 || error.status === 410)) {
      replaceChildren(view, [missingView(context)]);
      return;
    }
    if (error.code === 'NOT_JSON') {
      void showRaw(context.path);
      return;
    }
  }
  replaceChildren(view, []);
  say(
    `Cannot watch ${context.path}: ${error instanceof Error ? error.message : String(error)}`,
    'error',
  );
}

/** A resource that is not JSON: shown as it is, read-only (the page edits JSON). */
async function showRaw(path: string): Promise<void> {
  const mine = generation;
  const response = await fetch(path, { cache: 'no-store' }).catch(() => undefined);
  if (mine !== generation) return;
  const type = response?.headers.get('content-type') ?? 'unknown type';
  const text = response ? await response.text() : '';
  replaceChildren(view, [
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Current value ', h('small', {}, type)),
      h('pre', { id: 'current', class: 'json' }, text),
    ),
  ]);
  say(`This resource is ${type}: the page shows it but edits JSON only.`, 'info');
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
