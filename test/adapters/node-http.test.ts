/** The PREP behaviour suite on a plain node:http app (`prepListener`, examples/node-http.ts). */
import http from 'node:http';
import { docsListener } from '../../examples/node-http.js';
import { createPrep, prepListener } from '../../src/server/index.js';
import { listening, prepBehaviour } from './behaviour.js';

prepBehaviour('node:http', async ({ prep: options, hold }) => {
  const prep = createPrep(options);
  const app = docsListener(prep);
  const server = http.createServer(
    prepListener(prep, (req, res) => {
      hold.wrap(req, res);
      return app(req, res);
    }),
  );
  return listening(server, prep);
});
