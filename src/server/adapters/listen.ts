import type { Server } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Listens on `host:port` (0: a free port); resolves with the port and `scheme://host:port`
 * (IPv6 hosts bracketed). One home for every listener of ours: node:http, node:http2.
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { listenOn } from './listen.js';
 *
 * const { url } = await listenOn(http.createServer(), 0, '127.0.0.1', 'http');
 * ```
 */
export async function listenOn(
  server: Server,
  port: number,
  host: string,
  scheme: 'http' | 'https',
): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const name = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { port: address.port, url: `${scheme}://${name}:${address.port}` };
}
