/** The connection indicator in the page's header: live, connecting, reconnecting, closed. */
import type { ConnectionState } from './watch-resource.js';

const TITLES: Record<ConnectionState, string> = {
  connecting: 'Opening the notifications stream',
  live: 'Changes appear as they happen (one PREP stream is open)',
  reconnecting: 'The stream ended or broke; reconnecting with Last-Event-ID',
  closed: 'No stream is open',
};

/**
 * Shows a connection state in the indicator element (its text, `data-state` for the CSS,
 * and a tooltip).
 *
 * @example
 * ```ts
 * import { showConnectionState } from './connection-state.js';
 *
 * showConnectionState(document.getElementById('state')!, 'live');
 * ```
 */
export function showConnectionState(element: HTMLElement, state: ConnectionState): void {
  element.dataset.state = state;
  element.textContent = state;
  element.title = TITLES[state];
}
