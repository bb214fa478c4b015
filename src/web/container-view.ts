/**
 * The view of a container: its members (live: a POST elsewhere adds one here, N822-6), a
 * page at a time with a filter by name, a form that creates a member (POST with `Slug`) or
 * a sub-container (PUT `…/name/`), and delete for an empty container.
 */
import type { LiveChange } from '@prep-live/client';
import { flash, h, replaceChildren } from './dom.js';
import { parseJsonInput } from './format.js';
import { memberPage } from './member-page.js';
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

/** A container's JSON representation on our server. */
interface Listing {
  path?: string;
  members?: unknown;
}

/**
 * The container view.
 *
 * @example
 * ```ts
 * import { ContainerView } from './container-view.js';
 *
 * const view = new ContainerView({ path: '/notes/', say: console.log, reopen: () => {} });
 * view.update({ value: { path: '/notes/', members: ['/notes/a'] }, etag: '"x"', eventId: undefined, deleted: false, cause: 'representation' });
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
  #etag: string | undefined;
  /** Every member, sorted: containers first, then by name. */
  #all: string[] = [];
  #known = new Set<string>();
  /** Members that arrived since the last render: flashed when shown. */
  #fresh = new Set<string>();
  #page = 0;
  #deleted = false;

  constructor(context: ViewContext) {
    this.#context = context;
    this.#members = h('ul', { id: 'members', class: 'members' });
    this.#count = h('small', {});
    this.#filter = h('input', {
      id: 'filter',
      type: 'search',
      autocomplete: 'off',
      placeholder: 'Filter by name',
      'aria-label': 'Filter members by name',
      oninput: () => {
        this.#page = 0;
        this.#render();
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
      const remove = deleteForm(
        context,
        'Delete this container',
        'only when it is empty',
        () => this.#etag,
      );
      this.#forms.push(remove);
      parts.push(remove);
    }
    this.element = h('div', { class: 'container' }, ...parts);
  }

  update(change: LiveChange<unknown>): void {
    if (change.deleted) {
      this.#deleted = true;
      replaceChildren(this.#members, [h('li', { class: 'empty' }, '(deleted)')]);
      replaceChildren(this.#pager, []);
      this.#filter.disabled = true;
      retire(this.#forms);
      return;
    }
    this.#etag = change.etag;
    const listing = (change.value ?? {}) as Listing;
    const members = Array.isArray(listing.members)
      ? listing.members.filter((m): m is string => typeof m === 'string')
      : [];
    // Containers first, then by name.
    members.sort((a, b) => Number(isContainer(b)) - Number(isContainer(a)) || a.localeCompare(b));
    const first = change.cause === 'representation' && this.#known.size === 0;
    if (!first) for (const m of members) if (!this.#known.has(m)) this.#fresh.add(m);
    this.#known = new Set(members);
    for (const m of this.#fresh) if (!this.#known.has(m)) this.#fresh.delete(m);
    this.#all = members;
    this.#count.textContent = `(${members.length})`;
    this.#render();
  }

  /** Shows the current page of the members that match the filter, and the pager. */
  #render(): void {
    if (this.#deleted) return;
    const shown = memberPage(this.#all, this.#filter.value, this.#page);
    this.#page = shown.page;
    const items = shown.items.map((path) => {
      const item = h(
        'li',
        {},
        h(
          'a',
          { href: hashOf(path), class: isContainer(path) ? 'member folder' : 'member file' },
          displayPath(nameOf(path)),
        ),
      );
      if (this.#fresh.delete(path)) flash(item, 'changed');
      return item;
    });
    const none = this.#all.length === 0 ? 'No members yet.' : 'No member matches the filter.';
    replaceChildren(this.#members, items.length > 0 ? items : [h('li', { class: 'empty' }, none)]);
    if (shown.pages === 1) {
      replaceChildren(this.#pager, []);
      return;
    }
    const go = (page: number) => () => {
      this.#page = page;
      this.#render();
    };
    replaceChildren(this.#pager, [
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          disabled: shown.page === 0,
          onclick: go(shown.page - 1),
        },
        'Previous',
      ),
      h(
        'span',
        { class: 'position', 'aria-live': 'polite' },
        `${shown.from}–${shown.to} of ${shown.matching}`,
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          disabled: shown.page === shown.pages - 1,
          onclick: go(shown.page + 1),
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
