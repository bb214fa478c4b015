/**
 * The list of notifications beside the open resource: newest first, each with its method,
 * time (N822-4 `Date`), event id, ETag (N822-5), the other resource it is about (N822-6)
 * and its delta (N822-8). Bounded: the oldest entries go.
 */
import type { NotificationItem } from '@prep-live/client';
import { h, replaceChildren } from './dom.js';
import { formatDelta, formatTime } from './format.js';
import { displayPath, hashOf } from './paths.js';

/**
 * The notification list of the page.
 *
 * @example
 * ```ts
 * import { NotificationList } from './notification-list.js';
 *
 * const list = new NotificationList(document.querySelector('ol')!);
 * list.add(notification);
 * ```
 */
export class NotificationList {
  readonly #element: HTMLOListElement;
  readonly #max: number;

  constructor(element: HTMLOListElement, max = 200) {
    this.#element = element;
    this.#max = max;
    this.clear();
  }

  /** Empties the list (another resource was opened). */
  clear(): void {
    replaceChildren(this.#element, [
      h('li', { class: 'empty' }, 'None yet. Edit the resource, here or in another tab.'),
    ]);
  }

  /** Puts a notification on top. */
  add(n: NotificationItem): void {
    this.#element.querySelector(':scope > li.empty')?.remove();
    const method = n.method.toUpperCase();
    const item = h(
      'li',
      { class: `notification method-${method.toLowerCase()}` },
      h(
        'p',
        { class: 'line' },
        h('span', { class: 'method' }, method),
        ' ',
        h('time', { datetime: n.date.toISOString() }, formatTime(n.date)),
        ' ',
        h('span', { class: 'event-id', title: 'Event-ID' }, n.eventId),
      ),
      n.contentLocation !== undefined &&
        h(
          'p',
          { class: 'about' },
          'about ',
          h('a', { href: hashOf(n.contentLocation) }, displayPath(n.contentLocation)),
        ),
      n.etag !== undefined && h('p', { class: 'etag', title: 'ETag' }, n.etag),
      n.delta !== undefined &&
        h(
          'details',
          { class: 'delta', open: true },
          h('summary', {}, n.delta.type),
          h('pre', {}, formatDelta(n.delta.body)),
        ),
    );
    this.#element.prepend(item);
    while (this.#element.children.length > this.#max) this.#element.lastElementChild?.remove();
  }
}
