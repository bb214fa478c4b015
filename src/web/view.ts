/** What every view of an open resource gets from the page, and what it offers. */
import type { LiveChange } from '@prep-live/client';
import { h, type Child } from './dom.js';
import { deleteResource } from './writes.js';

/**
 * What a view may ask of the page.
 *
 * @example
 * ```ts
 * import type { ViewContext } from './view.js';
 *
 * const context: ViewContext = { path: '/notes/a', say: (m) => console.log(m), reopen: () => {} };
 * ```
 */
export interface ViewContext {
  /** The open resource's path. */
  readonly path: string;
  /** Shows the outcome of an action under the title (`ok`, `error`, or plain `info`). */
  say(message: Child | Child[], kind?: 'ok' | 'error' | 'info'): void;
  /** Opens the resource again (after creating it). */
  reopen(): void;
}

/**
 * A view of the open resource: an element, updated with each change of its live copy.
 *
 * @example
 * ```ts
 * import type { ResourceView } from './view.js';
 *
 * const show = (view: ResourceView) => document.body.append(view.element);
 * ```
 */
export interface ResourceView {
  readonly element: HTMLElement;
  update(change: LiveChange<unknown>): void;
}

/**
 * Sends Ctrl+Enter (⌘+Enter) in a text area as its form's submit.
 *
 * @example
 * ```ts
 * import { submitOnCtrlEnter } from './view.js';
 *
 * submitOnCtrlEnter(document.querySelector('textarea')!);
 * ```
 */
export function submitOnCtrlEnter(textarea: HTMLTextAreaElement): void {
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      textarea.form?.requestSubmit();
    }
  });
}

/**
 * Runs a form's action with its buttons disabled, so one click sends one request.
 *
 * @example
 * ```ts
 * import { busy } from './view.js';
 *
 * form.addEventListener('submit', (e) => { e.preventDefault(); void busy(form, () => save()); });
 * ```
 */
export async function busy(form: HTMLFormElement, action: () => Promise<void>): Promise<void> {
  const buttons = [...form.querySelectorAll('button')];
  for (const b of buttons) b.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    await action();
  } finally {
    // A form retired meanwhile (its resource was deleted) stays disabled.
    if (form.dataset.retired !== 'true') for (const b of buttons) b.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

/**
 * Disables every control of the forms for good: their resource is gone (RSP-7), so saving,
 * patching or deleting it again can only fail.
 *
 * @example
 * ```ts
 * import { retire } from './view.js';
 *
 * retire([...document.forms]);
 * ```
 */
export function retire(forms: readonly HTMLFormElement[]): void {
  for (const form of forms) {
    form.dataset.retired = 'true';
    for (const control of form.querySelectorAll('button, input, textarea, select'))
      (control as HTMLButtonElement).disabled = true;
  }
}

/**
 * The text area of a new JSON document, prefilled, that Ctrl+Enter submits.
 *
 * @example
 * ```ts
 * import { newDocumentTextarea } from './view.js';
 *
 * form.append(newDocumentTextarea(6));
 * ```
 */
export function newDocumentTextarea(rows: number): HTMLTextAreaElement {
  const body = h('textarea', {
    name: 'body',
    rows,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-label': 'The new document, in JSON',
  });
  body.value = '{\n  "title": "Untitled"\n}';
  submitOnCtrlEnter(body);
  return body;
}

/**
 * The form that deletes the open resource (DELETE with `If-Match: etag()`, after a
 * confirmation), saying why when it is refused.
 *
 * @example
 * ```ts
 * import { deleteForm } from './view.js';
 *
 * const form = deleteForm(context, 'Delete this resource', 'DELETE with If-Match', () => etag);
 * ```
 */
export function deleteForm(
  context: ViewContext,
  label: string,
  note: string,
  etag: () => string | undefined,
): HTMLFormElement {
  const form = h(
    'form',
    { id: 'delete', class: 'card quiet' },
    h(
      'p',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'danger' }, label),
      h('small', {}, note),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!confirm(`Delete ${context.path}?`)) return;
    void busy(form, async () => {
      const outcome = await deleteResource(context.path, etag());
      if (!outcome.ok)
        context.say(
          outcome.status === 412
            ? 'Not deleted: it changed since you saw it (412 Precondition Failed).'
            : `Not deleted: ${outcome.message}`,
          'error',
        );
    });
  });
  return form;
}
