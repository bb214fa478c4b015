/**
 * The view of a path with nothing there (404): create it with PUT and `If-None-Match: *`.
 * The page meanwhile waits for it to be created (`creation-watch.ts`).
 */
import { h } from './dom.js';
import { parseJsonInput } from './format.js';
import { displayPath, isContainer } from './paths.js';
import { busy, newDocumentTextarea, type ViewContext } from './view.js';
import { createContainer, putJson } from './writes.js';

/**
 * A form that creates the missing resource (a JSON document, or an empty container for a
 * path ending in `/`), then opens it.
 *
 * @example
 * ```ts
 * import { missingView } from './missing-view.js';
 *
 * document.body.append(missingView({ path: '/notes/new', say: console.log, reopen: () => {} }));
 * ```
 */
export function missingView(context: ViewContext): HTMLElement {
  const container = isContainer(context.path);
  const body = newDocumentTextarea(6);
  const form = h(
    'form',
    { id: 'create-here', class: 'card' },
    h('h2', {}, `Nothing at ${displayPath(context.path)} yet`),
    !container && body,
    h(
      'p',
      { class: 'actions' },
      h('button', { type: 'submit' }, container ? 'Create this container' : 'Create it'),
      h('small', {}, 'PUT with If-None-Match: *'),
    ),
    h(
      'p',
      { class: 'note waiting' },
      'Watching for it: it opens here as soon as it is created, in this tab or elsewhere.',
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void busy(form, async () => {
      let outcome;
      if (container) outcome = await createContainer(context.path);
      else {
        const input = parseJsonInput(body.value);
        if (!input.ok) return context.say(input.message, 'error');
        outcome = await putJson(context.path, input.value, { create: true });
      }
      if (outcome.ok) context.reopen();
      else context.say(`Not created: ${outcome.message}`, 'error');
    });
  });
  return form;
}
