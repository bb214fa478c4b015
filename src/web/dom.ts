/**
 * A tiny element builder: `h('a', { href: '#/' }, 'root')`. Text goes in as text nodes, never
 * as HTML, so what the server sends cannot inject markup.
 */

/** What `h` takes as children: nodes, text, or nothing (`false`, `null`, `undefined`). */
export type Child = Node | string | number | false | null | undefined;

/** Attributes: strings and numbers are set, `true` sets an empty one, `false`/`undefined` none; `on*` functions listen. */
export type Attributes = Record<
  string,
  string | number | boolean | undefined | ((event: Event) => void)
>;

/**
 * Creates an element with attributes, listeners and children.
 *
 * @example
 * ```ts
 * import { h } from './dom.js';
 *
 * const link = h('a', { href: '#/notes/', class: 'member' }, 'notes/');
 * const button = h('button', { type: 'button', onclick: () => console.log('hi') }, 'Hi');
 * ```
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/**
 * Appends children (text as text nodes) to an element.
 *
 * @example
 * ```ts
 * import { append } from './dom.js';
 *
 * append(document.body, ['Hello, ', 'world']);
 * ```
 */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's children.
 *
 * @example
 * ```ts
 * import { replaceChildren } from './dom.js';
 *
 * replaceChildren(document.querySelector('main')!, ['Loading…']);
 * ```
 */
export function replaceChildren(parent: Element, children: readonly Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * Finds an element by id, or throws naming it (the page shell is ours: a missing id is a bug).
 *
 * @example
 * ```ts
 * import { byId } from './dom.js';
 *
 * const state = byId('state');
 * ```
 */
export function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element;
}

/**
 * Restarts a CSS animation class on an element (to flash what just changed).
 *
 * @example
 * ```ts
 * import { flash } from './dom.js';
 *
 * flash(document.querySelector('pre')!, 'changed');
 * ```
 */
export function flash(element: HTMLElement, className: string): void {
  element.classList.remove(className);
  void element.offsetWidth; // a reflow, so the animation starts again
  element.classList.add(className);
}
