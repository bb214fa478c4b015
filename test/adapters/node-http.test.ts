/** The PREP behaviour suite on a plain node:http app (`prepListener`, examples/node-http.ts). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { docsListener } from '../../examples/node-http.js';
import { createPrep, prepListener } from '../../src/server/index.js';
import { prepBehaviour } from './behaviour.js';

prepBehaviour('node:http', async ({ prep: options, hold }) => {
  const prep = createPrep(options);
  const app = docsListener(prep);
  const server = http.createServer(
    prepListener(prep, (req, res) => {
      hold.wrap(req, res);
      return app(req, res);
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    kind: 'http1',
    prep,
    async close() {
      prep.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
});
