/**
 * The view of a container: its members (live: a POST elsewhere adds one here, N822-6), a
 * form that creates a member (POST with `Slug`) or a sub-container (PUT `…/name/`), and
 * delete for an empty container.
 */
import type { LiveChange } from '../client/index.js';
import { flash, h, replaceChildren } from './dom.js';
import { parseJsonInput } from './format.js';
import { displayPath, hashOf, isContainer, nameOf } from './paths.js';
import { busy, newDocumentTextarea, type ResourceView, type ViewContext } from './view.js';
import { createContainer, deleteResource, postMember } from './writes.js';

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
  readonly #forms: HTMLFormElement[] = [];
  #etag: string | undefined;
  #known = new Set<string>();

  constructor(context: ViewContext) {
    this.#context = context;
    this.#members = h('ul', { id: 'members', class: 'members' });
    this.#count = h('small', {});

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
      h('section', { class: 'card' }, h('h2', {}, 'Members ', this.#count), this.#members),
      create,
    ];
    if (context.path !== '/') {
      const remove = h(
        'form',
        { id: 'delete', class: 'card quiet' },
        h(
          'p',
          { class: 'actions' },
          h('button', { type: 'submit', class: 'danger' }, 'Delete this container'),
          h('small', {}, 'only when it is empty'),
        ),
      );
      remove.addEventListener('submit', (e) => {
        e.preventDefault();
        if (!confirm(`Delete ${context.path}?`)) return;
        void busy(remove, () => this.#delete());
      });
      this.#forms.push(remove);
      parts.push(remove);
    }
    this.element = h('div', { class: 'container' }, ...parts);
  }

  update(change: LiveChange<unknown>): void {
    if (change.deleted) {
      replaceChildren(this.#members, [h('li', { class: 'empty' }, '(deleted)')]);
      for (const form of this.#forms) form.inert = true;
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
    const items = members.map((path) => {
      const item = h(
        'li',
        {},
        h(
          'a',
          { href: hashOf(path), class: isContainer(path) ? 'member folder' : 'member file' },
          displayPath(nameOf(path)),
        ),
      );
      if (!first && !this.#known.has(path)) flash(item, 'changed');
      return item;
    });
    this.#known = new Set(members);
    this.#count.textContent = `(${members.length})`;
    replaceChildren(
      this.#members,
      items.length > 0 ? items : [h('li', { class: 'empty' }, 'No members yet.')],
    );
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

  async #delete(): Promise<void> {
    const outcome = await deleteResource(this.#context.path, this.#etag);
    if (!outcome.ok) this.#context.say(`Not deleted: ${outcome.message}`, 'error');
  }
}
