/**
 * The view of a JSON document: its current value (live), an editor that saves with PUT and
 * `If-Match` (a change made elsewhere meanwhile is refused with 412, not overwritten), a
 * patch box (PATCH with JSON Merge Patch or JSON Patch) and delete (DELETE with `If-Match`).
 */
import type { LiveChange } from '../client/index.js';
import { flash, h } from './dom.js';
import { formatJson, parseJsonInput } from './format.js';
import { busy, submitOnCtrlEnter, type ResourceView, type ViewContext } from './view.js';
import { deleteResource, patchJson, putJson, type PatchType } from './writes.js';

const PATCH_EXAMPLES: Record<PatchType, string> = {
  'application/merge-patch+json': '{"title": "New title", "draft": null}',
  'application/json-patch+json': '[{"op": "replace", "path": "/title", "value": "New title"}]',
};

/**
 * The document view.
 *
 * @example
 * ```ts
 * import { DocumentView } from './document-view.js';
 *
 * const view = new DocumentView({ path: '/notes/a', say: console.log, reopen: () => {} });
 * document.body.append(view.element);
 * view.update({ value: { a: 1 }, etag: '"x"', eventId: undefined, deleted: false, cause: 'representation' });
 * ```
 */
export class DocumentView implements ResourceView {
  readonly element: HTMLElement;
  readonly #context: ViewContext;
  readonly #current: HTMLPreElement;
  readonly #editor: HTMLTextAreaElement;
  readonly #note: HTMLElement;
  readonly #forms: HTMLFormElement[];
  /** The newest version known. */
  #etag: string | undefined;
  #value: unknown;
  /** The version the editor's text started from: what `If-Match` sends. */
  #editedEtag: string | undefined;
  /** The person typed in the editor since it was last filled. */
  #dirty = false;

  constructor(context: ViewContext) {
    this.#context = context;
    this.#current = h('pre', { id: 'current', class: 'json', tabindex: 0 });
    this.#editor = h('textarea', {
      name: 'body',
      rows: 12,
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-label': 'The JSON to save',
      oninput: () => {
        this.#dirty = true;
      },
    });
    this.#note = h('p', { class: 'note', hidden: true });
    const revert = h('button', { type: 'button', class: 'secondary' }, 'Revert');
    revert.addEventListener('click', () => this.#fill());
    const edit = h(
      'form',
      { id: 'edit', class: 'card' },
      h('h2', {}, 'Edit ', h('small', {}, 'PUT with If-Match')),
      this.#editor,
      this.#note,
      h('p', { class: 'actions' }, h('button', { type: 'submit' }, 'Save'), revert),
    );
    edit.addEventListener('submit', (e) => {
      e.preventDefault();
      void busy(edit, () => this.#save());
    });

    const type = h(
      'select',
      { name: 'type' },
      h('option', { value: 'application/merge-patch+json' }, 'JSON Merge Patch'),
      h('option', { value: 'application/json-patch+json' }, 'JSON Patch'),
    );
    const patchText = h('textarea', {
      name: 'patch',
      rows: 3,
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-label': 'The patch document',
      placeholder: PATCH_EXAMPLES['application/merge-patch+json'],
    });
    type.addEventListener('change', () => {
      patchText.placeholder = PATCH_EXAMPLES[type.value as PatchType];
    });
    const patch = h(
      'form',
      { id: 'patch', class: 'card' },
      h('h2', {}, 'Patch ', h('small', {}, 'PATCH')),
      h('label', { class: 'inline' }, 'Format ', type),
      patchText,
      h('p', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply patch')),
    );
    patch.addEventListener('submit', (e) => {
      e.preventDefault();
      void busy(patch, () => this.#patch(type.value as PatchType, patchText));
    });

    const remove = h(
      'form',
      { id: 'delete', class: 'card quiet' },
      h(
        'p',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'danger' }, 'Delete this resource'),
        h('small', {}, 'DELETE with If-Match'),
      ),
    );
    remove.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!confirm(`Delete ${this.#context.path}?`)) return;
      void busy(remove, () => this.#delete());
    });

    for (const textarea of [this.#editor, patchText]) submitOnCtrlEnter(textarea);
    this.#forms = [edit, patch, remove];
    this.element = h(
      'div',
      { class: 'document' },
      h(
        'div',
        { class: 'column' },
        h('section', { class: 'card current' }, h('h2', {}, 'Current value'), this.#current),
        patch,
      ),
      h('div', { class: 'column' }, edit),
      remove,
    );
  }

  update(change: LiveChange<unknown>): void {
    if (change.deleted) {
      this.#current.textContent = '(deleted)';
      this.#current.classList.add('gone');
      for (const form of this.#forms) form.inert = true;
      return;
    }
    const first = this.#etag === undefined && this.#value === undefined;
    this.#value = change.value;
    this.#etag = change.etag;
    this.#current.textContent = formatJson(change.value);
    if (!first) flash(this.#current, 'changed');
    if (!this.#dirty) this.#fill();
    else if (this.#editedEtag !== change.etag) {
      this.#note.hidden = false;
      this.#note.textContent =
        'Changed elsewhere since you started editing: saving will be refused. Revert to start from the current value.';
    }
  }

  /** Fills the editor with the current value. */
  #fill(): void {
    const text = formatJson(this.#value);
    this.#editor.value = text;
    // As tall as the document, within reason.
    this.#editor.rows = Math.min(30, Math.max(8, text.split('\n').length + 1));
    this.#editedEtag = this.#etag;
    this.#dirty = false;
    this.#note.hidden = true;
  }

  async #save(): Promise<void> {
    const input = parseJsonInput(this.#editor.value);
    if (!input.ok) return this.#context.say(input.message, 'error');
    const options = this.#editedEtag === undefined ? {} : { ifMatch: this.#editedEtag };
    const outcome = await putJson(this.#context.path, input.value, options);
    if (outcome.ok) {
      this.#dirty = false;
      this.#note.hidden = true;
      if (outcome.etag !== undefined) this.#editedEtag = outcome.etag;
      this.#context.say(`Saved (${outcome.message}).`, 'ok');
    } else if (outcome.status === 412) {
      this.#context.say(
        'Not saved: someone changed it meanwhile (412 Precondition Failed). Revert to see the current value, then edit again.',
        'error',
      );
    } else this.#context.say(`Not saved: ${outcome.message}`, 'error');
  }

  async #patch(type: PatchType, text: HTMLTextAreaElement): Promise<void> {
    const input = parseJsonInput(text.value);
    if (!input.ok) return this.#context.say(input.message, 'error');
    const outcome = await patchJson(this.#context.path, type, text.value);
    if (outcome.ok) {
      text.value = '';
      this.#context.say(`Patched (${outcome.message}).`, 'ok');
    } else this.#context.say(`Not patched: ${outcome.message}`, 'error');
  }

  async #delete(): Promise<void> {
    const outcome = await deleteResource(this.#context.path, this.#etag);
    if (!outcome.ok)
      this.#context.say(
        outcome.status === 412
          ? 'Not deleted: it changed since you saw it (412 Precondition Failed).'
          : `Not deleted: ${outcome.message}`,
        'error',
      );
  }
}
