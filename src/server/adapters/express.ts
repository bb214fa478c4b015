import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Prep } from '../embed/create-prep.js';
import { isRead } from './node.js';

/** Express's `next`. */
export type NextFunction = (err?: unknown) => void;

/**
 * PREP as Express middleware (Express 4 and 5): mount it before the routes of the
 * resources that serve notifications. On watched paths, a GET asking for notifications has
 * what its route answers (`res.json`, `res.send`, ...) served as the base of a stream,
 * other GETs and HEADs advertise notifications (DSC-1), and the routes of every other
 * method run with their response as the writer's, so `prep.notify(change)` there waits for
 * that response to be sent (N822-3).
 *
 * @example
 * ```ts
 * import express from 'express';
 *
 * declare const todo: { done: boolean }, etag: string; // your data
 * declare function save(todo: unknown): void;
 * const app = express();
 * const prep = createPrep({ watch: (path) => path.startsWith('/todos/') });
 * app.use(express.json());
 * app.use(prepExpress(prep));
 * app.get('/todos/:id', (req, res) => res.set('ETag', etag).json(todo));
 * app.put('/todos/:id', (req, res) => {
 *   save(req.body);
 *   prep.notify({ method: 'PUT', path: req.path, etag });
 *   res.sendStatus(204);
 * });
 * ```
 */
export function prepExpress(
  prep: Prep,
): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  return (req, res, next) => {
    prep.intercept(req, res);
    if (isRead(req.method)) next();
    else prep.run(res, () => next());
  };
}
