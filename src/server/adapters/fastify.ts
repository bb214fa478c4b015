import type { NodeRequest, NodeResponse } from '../engine/transport.js';
import { pathOf, type Prep } from '../embed/create-prep.js';
import { isRead } from './node.js';

/** Options of {@link prepFastify}. */
export interface PrepFastifyOptions {
  prep: Prep;
}

/** What the plugin uses of a Fastify request (`request.raw` is node's request). */
interface FastifyRequestLike {
  readonly raw: NodeRequest;
}

/** What the plugin uses of a Fastify reply (`reply.raw` is node's response). */
interface FastifyReplyLike {
  readonly raw: NodeResponse;
  hijack(): unknown;
}

type HookDone = (err?: Error) => void;
type Hook = (request: FastifyRequestLike, reply: FastifyReplyLike, done: HookDone) => void;

/** What the plugin uses of a Fastify instance. */
interface FastifyInstanceLike {
  addHook(name: 'onRequest' | 'preHandler', hook: Hook): unknown;
  hasDecorator?(name: string): boolean;
  decorate?(name: string, value: unknown): unknown;
}

/**
 * PREP as a Fastify plugin (Fastify 5, HTTP/1.1 and `http2: true`). On watched paths, a GET
 * asking for notifications has what its route replies served as the base of a stream: the
 * reply is hijacked (`reply.hijack()`) and the stream written on `reply.raw`; other GETs and
 * HEADs advertise notifications (DSC-1). The handlers of every other method run with
 * `reply.raw` as the writer's response, so `prep.notify(change)` there waits for the reply
 * to be sent (N822-3). Registered without encapsulation (as `fastify-plugin` would), so its
 * hooks cover every route; the instance is decorated with `prep`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 *
 * declare const todo: { done: boolean }, etag: string; // your data
 * declare function save(todo: unknown): void;
 * const app = Fastify();
 * const prep = createPrep({ watch: (path) => path.startsWith('/todos/') });
 * await app.register(prepFastify, { prep });
 * app.get('/todos/:id', (request, reply) => reply.header('ETag', etag).send(todo));
 * app.put('/todos/:id', (request, reply) => {
 *   save(request.body);
 *   prep.notify({ method: 'PUT', path: request.url, etag });
 *   return reply.code(204).send();
 * });
 * ```
 */
export const prepFastify = Object.assign(
  function prepFastify(instance: unknown, options: PrepFastifyOptions, done: HookDone): void {
    const fastify = instance as FastifyInstanceLike;
    const { prep } = options;
    if (typeof prep?.intercept !== 'function') {
      done(new TypeError('prepFastify needs { prep }: the result of createPrep()'));
      return;
    }
    fastify.addHook('onRequest', (request, reply, next) => {
      prep.intercept(request.raw, reply.raw, {
        path: pathOf(request.raw),
        onStream: () => reply.hijack(),
      });
      next();
    });
    // After the body is parsed (its events run outside any async context), right before the
    // handler: `notify` there sees the reply as the writer's response.
    fastify.addHook('preHandler', (request, reply, next) => {
      if (isRead(request.raw.method)) next();
      else prep.run(reply.raw, () => next());
    });
    if (fastify.decorate && !fastify.hasDecorator?.('prep')) fastify.decorate('prep', prep);
    done();
  },
  {
    // fastify-plugin's markers: no encapsulation, a name in errors and the plugin tree.
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'prep',
  },
);
