/**
 * Moved to test/helpers/ (wait.ts, subscriber.ts, server.ts, ...). This re-export stays only
 * for test/reliability/event-loop.test.ts, which another branch is changing; delete it once
 * that file imports test/helpers/ directly.
 */
export { turns, within } from '../helpers/wait.js';
export { Subscriber } from '../helpers/subscriber.js';
