/**
 * The PREP behaviour suite on Fastify 5 (`prepFastify`, examples/fastify.ts), over HTTP/1.1
 * and with `http2: true` (h2c). Fastify is an optional devDependency
 * (`npm install -D fastify@^5`); without it these runs are skipped.
 */
import {
  buildDocs,
  loadFastify,
  type FastifyFactory,
  type FastifyInstance,
} from '../../examples/fastify.js';
import { createPrep, type NodeRequest, type NodeResponse } from '../../src/server/index.js';
import { prepBehaviour, type Start } from './behaviour.js';

/** What the test adds to the example's view of a Fastify instance. */
interface TestFastify extends FastifyInstance {
  addHook(
    name: 'onSend',
    hook: (
      request: { raw: NodeRequest },
      reply: { raw: NodeResponse },
      payload: unknown,
    ) => Promise<unknown>,
  ): unknown;
}

async function tryLoad(): Promise<FastifyFactory | undefined> {
  try {
    return await loadFastify();
  } catch {
    return undefined;
  }
}

const Fastify = await tryLoad();
const skip = Fastify ? false : 'fastify is not installed: npm install -D fastify@^5';

function startWith(http2: boolean): Start {
  return async ({ prep: options, hold }) => {
    const prep = createPrep(options);
    const factory = Fastify as unknown as (o: object) => TestFastify;
    const app = factory({ http2, forceCloseConnections: true });
    // N822-3 test hook: after the handler (and its prep.notify), before the reply is sent.
    app.addHook('onSend', async (request, reply, payload) => {
      await hold.beforeSend(request.raw, reply.raw);
      return payload;
    });
    await buildDocs(app, prep);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url,
      kind: http2 ? 'h2' : 'http1',
      prep,
      async close() {
        await prep.close();
        await app.close();
      },
    };
  };
}

prepBehaviour('Fastify 5', startWith(false), { skip });
prepBehaviour('Fastify 5 (http2: true, h2c)', startWith(true), { skip });
