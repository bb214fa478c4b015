/**
 * The view of a container: a page of its members at a time, as the server pages its
 * listing (`?limit=&after=`, each member with its type and last change), live (a POST
 * elsewhere adds one here, N822-6: the page is read again), filtered by name on the server
 * (`?contains=`), a form that creates a member (POST with `Slug`) or a sub-container (PUT
 * `…/name/`), and delete for an empty container.
 */
import { isPrepError } from '@prep-live/client/core';
import { parseMemberPage, type ContainerMember, type LiveChange } from '@prep-live/client';
import { flash, h, replaceChildren } from './dom.js';
import { formatWhen, parseJsonInput } from './format.js';
import { MemberPager } from './member-pager.js';
import { displayPath, hashOf, isContainer, nameOf } from './paths.js';
import {
  busy,
  deleteForm,
  newDocumentTextarea,
  retire,
  type ResourceView,
  type ViewContext,
} from './view.js';
import { createContainer, postMember } from './writes.js';

/** How long the filter waits for the typing to stop before it asks the server. */
const FILTER_DELAY_MS = 250;

/**
 * The container view. It does not open streams itself: `openPage(url)` (the page's) opens
 * the live stream of the listing page at `url` and feeds its changes to `update`.
 *
 * @example
 * ```ts
 * import { ContainerView } from './container-view.js';
 *
 * const view = new ContainerView({ path: '/notes/', say: console.log, reopen: () => {} }, (url) =>
 *   watchResource(url, { change: (c) => view.update(c), notification() {}, state() {}, end() {} }),
 * );
 * view.open(); // watches https://…/notes/?limit=100; each change is a page, as parseMemberPage reads it
 * ```
 */
export class ContainerView implements ResourceView {
  readonly element: HTMLElement;
  readonly #context: ViewContext;
  readonly #members: HTMLUListElement;
  readonly #count: HTMLElement;
  readonly #filter: HTMLInputElement;
  readonly #pager: HTMLElement;
  readonly #forms: HTMLFormElement[] = [];
  readonly #pages: MemberPager;
  readonly #openPage: (url: string) => void;
  /** The page shown (its URL) and its members' paths: what is new on it is flashed. */
  #shown: { url: string; paths: Set<string> } | undefined;
  #filterTimer: ReturnType<typeof setTimeout> | undefined;
  #deleted = false;

  constructor(context: ViewContext, openPage: (url: string) => void) {
    this.#context = context;
    this.#openPage = openPage;
    this.#pages = new MemberPager(new URL(context.path, location.href).href);
    this.#members = h('ul', { id: 'members', class: 'members' });
    this.#count = h('small', {});
    this.#filter = h('input', {
      id: 'filter',
      type: 'search',
      autocomplete: 'off',
      placeholder: 'Filter by name',
      'aria-label': 'Filter members by name',
      oninput: () => {
        clearTimeout(this.#filterTimer);
        this.#filterTimer = setTimeout(() => {
          if (this.#filter.value.trim() === this.#pages.filter) return;
          this.#go(this.#pages.setFilter(this.#filter.value));
        }, FILTER_DELAY_MS);
      },
    });
    this.#pager = h('nav', { id: 'pager', class: 'pager', 'aria-label': 'Member pages' });

    const slug = h('input', {
      name: 'slug',
      autocomplete: 'off',
      placeholder: 'optional for a document',
      'aria-label': 'Name',
    });
    const body = newDocumentTextarea(4);
    const create = h(
      'form',
      { id: 'create', class: 'card' },
      h('h2', {}, 'New member'),
      h('label', { class: 'inline' }, 'Name ', slug),
      body,
      h(
        'p',
        { class: 'actions' },
        h('button', { type: 'submit', name: 'kind', value: 'document' }, 'Create document'),
        h(
          'button',
          { type: 'submit', name: 'kind', value: 'container', class: 'secondary' },
          'Create container',
        ),
        h('small', {}, 'POST, or PUT …/name/'),
      ),
    );
    create.addEventListener('submit', (e) => {
      e.preventDefault();
      const kind = (e.submitter as HTMLButtonElement | null)?.value ?? 'document';
      void busy(create, () =>
        kind === 'container' ? this.#createContainer(slug) : this.#post(slug, body),
      );
    });
    this.#forms.push(create);

    const parts: HTMLElement[] = [
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Members ', this.#count),
        h('p', { class: 'filter' }, this.#filter),
        this.#members,
        this.#pager,
      ),
      create,
    ];
    if (context.path !== '/') {
      // No If-Match: a page's tag is not the container's, and the server refuses to delete
      // a container that has members (409) whatever changed meanwhile.
      const remove = deleteForm(
        context,
        'Delete this container',
        'only when it is empty',
        () => undefined,
      );
      this.#forms.push(remove);
      parts.push(remove);
    }
    this.element = h('div', { class: 'container' }, ...parts);
  }

  /** Opens the first page (call once the page can take changes). */
  open(): void {
    this.#openPage(this.#pages.url);
  }

  update(change: LiveChange<unknown>): void {
    if (change.deleted) {
      this.#deleted = true;
      clearTimeout(this.#filterTimer);
      replaceChildren(this.#members, [h('li', { class: 'empty' }, '(deleted)')]);
      replaceChildren(this.#pager, []);
      this.#filter.disabled = true;
      retire(this.#forms);
      return;
    }
    const url = this.#pages.url;
    let members: ContainerMember[];
    let next: string | undefined;
    try {
      ({ members, next } = parseMemberPage(change.value, url));
    } catch (e) {
      if (!isPrepError(e)) throw e;
      this.#context.say(e.message, 'error');
      return;
    }
    this.#pages.shown(members.length, next);
    const before = this.#shown?.url === url ? this.#shown.paths : undefined;
    this.#shown = { url, paths: new Set(members.map((m) => m.path)) };
    this.#render(members, (path) => before !== undefined && !before.has(path));
  }

  /** Opens the page at `url` (next, previous, or the first under a new filter). */
  #go(url: string | undefined): void {
    if (url === undefined || this.#deleted) return;
    replaceChildren(this.#pager, []);
    this.#openPage(url);
  }

  /** Shows a page of members (flashing those `isNew` says arrived) and the pager. */
  #render(members: ContainerMember[], isNew: (path: string) => boolean): void {
    if (this.#deleted) return;
    const items = members.map((m) => {
      const facts = [m.contentType.split(';')[0], formatWhen(new Date(m.lastModified))];
      const item = h(
        'li',
        {},
        h(
          'a',
          { href: hashOf(m.path), class: isContainer(m.path) ? 'member folder' : 'member file' },
          displayPath(nameOf(m.path)),
        ),
        h('small', { class: 'member-meta' }, facts.join(' · ')),
      );
      if (isNew(m.path)) flash(item, 'changed');
      return item;
    });
    const filtered = this.#pages.filter !== '';
    const none = !filtered
      ? 'No members yet.'
      : this.#pages.hasNext
        ? 'No match on this page: Next searches on.'
        : 'No member matches the filter.';
    replaceChildren(this.#members, items.length > 0 ? items : [h('li', { class: 'empty' }, none)]);
    const { from, to } = this.#pages.position(members.length);
    this.#count.textContent = this.#pages.hasNext || this.#pages.hasPrevious ? '' : `(${to})`;
    if (!this.#pages.hasNext && !this.#pages.hasPrevious) {
      replaceChildren(this.#pager, []);
      return;
    }
    replaceChildren(this.#pager, [
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          disabled: !this.#pages.hasPrevious,
          onclick: () => this.#go(this.#pages.previous()),
        },
        'Previous',
      ),
      h(
        'span',
        { class: 'position', 'aria-live': 'polite' },
        from === 0 ? 'none here' : this.#pages.hasNext ? `${from}–${to}` : `${from}–${to} of ${to}`,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          disabled: !this.#pages.hasNext,
          onclick: () => this.#go(this.#pages.next()),
        },
        'Next',
      ),
    ]);
  }

  async #post(slug: HTMLInputElement, body: HTMLTextAreaElement): Promise<void> {
    const input = parseJsonInput(body.value);
    if (!input.ok) return this.#context.say(input.message, 'error');
    const outcome = await postMember(this.#context.path, input.value, slug.value.trim());
    if (!outcome.ok) return this.#context.say(`Not created: ${outcome.message}`, 'error');
    slug.value = '';
    const location = outcome.location;
    this.#context.say(
      location === undefined
        ? `Created (${outcome.message}).`
        : ['Created ', h('a', { href: hashOf(location) }, displayPath(location)), '.'],
      'ok',
    );
  }

  async #createContainer(slug: HTMLInputElement): Promise<void> {
    const name = slug.value.trim().replace(/^\/+|\/+$/g, '');
    if (name === '' || name.includes('/'))
      return this.#context.say('A container needs a name (one path segment).', 'error');
    const path = `${this.#context.path}${encodeURIComponent(name)}/`;
    const outcome = await createContainer(path);
    if (!outcome.ok) return this.#context.say(`Not created: ${outcome.message}`, 'error');
    slug.value = '';
    this.#context.say(['Created ', h('a', { href: hashOf(path) }, displayPath(path)), '.'], 'ok');
  }
}
