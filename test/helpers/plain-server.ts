// A plain node:http server on 127.0.0.1:0 for tests that play a server's part by hand.
import http from 'node:http';
import type { TestContext } from 'node:test';

/** A plain node:http server answering every request with `answer`; closed when the test ends. */
export async function startPlainServer(
  t: TestContext,
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<string> {
  const server = http.createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://127.0.0.1:${port}`;
}
