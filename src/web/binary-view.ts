/**
 * The view of a binary resource (an image, a PDF, anything that is not JSON or UTF-8 text):
 * its media type, its size and a download link, kept current as it changes, and delete
 * (DELETE with `If-Match`). The page does not show or edit the bytes.
 */
import type { LiveChange } from '@prep-live/client';
import { flash, h } from './dom.js';
import { formatSize } from './format.js';
import { displayPath, nameOf } from './paths.js';
import { deleteForm, retire, type ResourceView, type ViewContext } from './view.js';

/**
 * The binary view.
 *
 * @example
 * ```ts
 * import { BinaryView } from './binary-view.js';
 *
 * const view = new BinaryView({ path: '/files/logo.png', say: console.log, reopen: () => {} });
 * view.update({ value: new Uint8Array(10), contentType: 'image/png', etag: '"x"', eventId: undefined, deleted: false, cause: 'representation' });
 * ```
 */
export class BinaryView implements ResourceView {
  readonly element: HTMLElement;
  readonly #facts: HTMLElement;
  readonly #type: HTMLElement;
  readonly #size: HTMLElement;
  readonly #download: HTMLAnchorElement;
  readonly #remove: HTMLFormElement;
  #etag: string | undefined;
  #shown = false;

  constructor(context: ViewContext) {
    this.#type = h('dd', { id: 'binary-type' });
    this.#size = h('dd', { id: 'binary-size' });
    // Same origin: the browser saves what GET answers, under the resource's name.
    this.#download = h(
      'a',
      { id: 'download', href: context.path, download: displayPath(nameOf(context.path)) },
      'Download',
    );
    this.#facts = h(
      'dl',
      { id: 'current', class: 'binary' },
      h('dt', {}, 'Type'),
      this.#type,
      h('dt', {}, 'Size'),
      this.#size,
    );
    this.#remove = deleteForm(
      context,
      'Delete this resource',
      'DELETE with If-Match',
      () => this.#etag,
    );
    this.element = h(
      'div',
      { class: 'document binary' },
      h(
        'section',
        { class: 'card current' },
        h('h2', {}, 'Binary content'),
        this.#facts,
        h('p', { class: 'actions' }, this.#download),
      ),
      this.#remove,
    );
  }

  update(change: LiveChange<unknown>): void {
    if (change.deleted) {
      this.#type.textContent = '(deleted)';
      this.#size.textContent = '';
      this.#facts.classList.add('gone');
      this.#download.removeAttribute('href');
      retire([this.#remove]);
      return;
    }
    this.#etag = change.etag;
    const bytes = change.value instanceof Uint8Array ? change.value.length : 0;
    this.#type.textContent = change.contentType ?? 'unknown';
    this.#size.textContent = formatSize(bytes);
    this.#size.dataset.bytes = String(bytes);
    if (this.#shown) flash(this.#facts, 'changed');
    this.#shown = true;
  }
}
