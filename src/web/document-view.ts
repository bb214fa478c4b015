/**
 * The view of a JSON or text document: its current value (live), an editor that saves with
 * PUT and `If-Match` (a change made elsewhere meanwhile is refused with 412, not
 * overwritten), for JSON a patch box (PATCH with JSON Merge Patch or JSON Patch), and delete
 * (DELETE with `If-Match`). Once the resource is deleted, every control is disabled.
 */
import type { LiveChange } from '@prep-live/client';
import { flash, h } from './dom.js';
import { formatJson, parseJsonInput } from './format.js';
import {
  busy,
  deleteForm,
  retire,
  submitOnCtrlEnter,
  type ResourceView,
  type ViewContext,
} from './view.js';
import { patchJson, putBody, type PatchType } from './writes.js';

const PATCH_EXAMPLES: Record<PatchType, string> = {
  'application/merge-patch+json': '{"title": "New title", "draft": null}',
  'application/json-patch+json': '[{"op": "replace", "path": "/title", "value": "New title"}]',
};

/** How a document view reads and writes its value: JSON, or text as it is. */
export type DocumentFormat = 'json' | 'text';

/**
 * The document view.
 *
 * @example
 * ```ts
 * import { DocumentView } from './document-view.js';
 *
 * const view = new DocumentView({ path: '/notes/a', say: console.log, reopen: () => {} }, 'json');
 * document.body.append(view.element);
 * view.update({ value: { a: 1 }, etag: '"x"', eventId: undefined, deleted: false, cause: 'representation' });
 * ```
 */
export class DocumentView implements ResourceView {
  readonly element: HTMLElement;
  readonly #context: ViewContext;
  readonly #format: DocumentFormat;
  readonly #current: HTMLPreElement;
  readonly #editor: HTMLTextAreaElement;
  readonly #note: HTMLElement;
  readonly #forms: HTMLFormElement[];
  readonly #type: HTMLElement;
  /** The newest version known. */
  #etag: string | undefined;
  #value: unknown;
  /** The representation's media type: what a save sends as `Content-Type`. */
  #contentType: string | undefined;
  /** The version the editor's text started from: what `If-Match` sends. */
  #editedEtag: string | undefined;
  /** The person typed in the editor since it was last filled. */
  #dirty = false;

  constructor(context: ViewContext, format: DocumentFormat) {
    this.#context = context;
    this.#format = format;
    this.#current = h('pre', { id: 'current', class: format, tabindex: 0 });
    this.#editor = h('textarea', {
      name: 'body',
      rows: 12,
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-label': format === 'json' ? 'The JSON to save' : 'The text to save',
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

    const remove = deleteForm(
      context,
      'Delete this resource',
      'DELETE with If-Match',
      () => this.#etag,
    );

    for (const textarea of [this.#editor, patchText]) submitOnCtrlEnter(textarea);
    // Patches are JSON's (the server's Accept-Patch); text is edited whole.
    const json = format === 'json';
    this.#forms = json ? [edit, patch, remove] : [edit, remove];
    this.#type = h('small', { id: 'type' });
    this.element = h(
      'div',
      { class: `document ${format}` },
      h(
        'div',
        { class: 'column' },
        h(
          'section',
          { class: 'card current' },
          h('h2', {}, 'Current value ', this.#type),
          this.#current,
        ),
        json && patch,
      ),
      h('div', { class: 'column' }, edit),
      remove,
    );
  }

  update(change: LiveChange<unknown>): void {
    if (change.deleted) {
      this.#current.textContent = '(deleted)';
      this.#current.classList.add('gone');
      retire(this.#forms);
      return;
    }
    const first = this.#etag === undefined && this.#value === undefined;
    this.#value = change.value;
    this.#etag = change.etag;
    this.#contentType = change.contentType;
    this.#type.textContent = change.contentType ?? '';
    this.#current.textContent = this.#show(change.value);
    if (!first) flash(this.#current, 'changed');
    if (!this.#dirty) this.#fill();
    else if (this.#editedEtag !== change.etag) {
      this.#note.hidden = false;
      this.#note.textContent =
        'Changed elsewhere since you started editing: saving will be refused. Revert to start from the current value.';
    }
  }

  /** The value as the page shows and edits it. */
  #show(value: unknown): string {
    return this.#format === 'json' ? formatJson(value) : typeof value === 'string' ? value : '';
  }

  /** Fills the editor with the current value. */
  #fill(): void {
    const text = this.#show(this.#value);
    this.#editor.value = text;
    // As tall as the document, within reason.
    this.#editor.rows = Math.min(30, Math.max(8, text.split('\n').length + 1));
    this.#editedEtag = this.#etag;
    this.#dirty = false;
    this.#note.hidden = true;
  }

  async #save(): Promise<void> {
    let body = this.#editor.value;
    if (this.#format === 'json') {
      const input = parseJsonInput(body);
      if (!input.ok) return this.#context.say(input.message, 'error');
      body = JSON.stringify(input.value);
    }
    const options = this.#editedEtag === undefined ? {} : { ifMatch: this.#editedEtag };
    const type = this.#contentType ?? (this.#format === 'json' ? 'application/json' : 'text/plain');
    const outcome = await putBody(this.#context.path, body, type, options);
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
}
