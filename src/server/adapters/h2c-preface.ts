/**
 * HTTP/1.1 and h2c on one cleartext port: each connection goes to the HTTP/2 server when it
 * opens with the HTTP/2 connection preface (RFC 9113 §3.4, prior knowledge), else to an
 * HTTP/1.1 server, so plain `curl`, health checks and HTTP/1.1 proxies are answered too.
 * Node's h2c server speaks HTTP/2 only and has no `allowHTTP1` (that is ALPN, TLS only); and
 * no library on npm does this small, well-defined split, so it is ours.
 */
import type http from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Socket } from 'node:net';

/** `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`: what every HTTP/2 prior-knowledge connection sends first. */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Makes `h2c` (not listening yet, or listening) hand each connection that does not open
 * with the HTTP/2 preface to `http1`, which is not listening itself. The first bytes are
 * read until they tell (two at most for any HTTP/1.1 method but one named `PRI`), then put
 * back for the server that takes the connection. A connection that sends nothing is closed
 * after `timeoutMs` (default 10 000 ms: the head timeout of `startServer`).
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import http2 from 'node:http2';
 *
 * const listener = (_req: unknown, res: { end(s: string): void }) => res.end('hello\n');
 * const h2c = http2.createServer(listener);
 * routeByPreface(h2c, http.createServer(listener));
 * h2c.listen(8080); // curl http://127.0.0.1:8080/ and curl --http2-prior-knowledge both work
 * ```
 */
export function routeByPreface(h2c: Http2Server, http1: http.Server, timeoutMs = 10_000): void {
  // node:http2's own connection listener (the session setup): called for HTTP/2 connections.
  const http2Listeners = h2c.listeners('connection') as Array<(socket: Socket) => void>;
  if (http2Listeners.length === 0)
    throw new Error('routeByPreface: the HTTP/2 server has no connection listener to route to');
  h2c.removeAllListeners('connection');
  // node:http sets up its connection tracking (the head and request timeouts, closing idle
  // connections on close) when it starts listening: it starts when the port does.
  h2c.on('listening', () => http1.emit('listening'));
  h2c.on('connection', (socket: Socket) => {
    let head: Buffer = Buffer.alloc(0);
    const done = (): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.setTimeout(0);
      socket.off('timeout', onTimeout);
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREFACE.length);
      const http2 = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (http2 && head.length < PREFACE.length) return; // a prefix of it so far: read on
      done();
      socket.pause();
      socket.unshift(head);
      if (http2) {
        // node:http2 reads what was put back before it reads from the socket itself.
        for (const listener of http2Listeners) listener.call(h2c, socket);
        return;
      }
      http1.emit('connection', socket);
      // node:http reads from the socket directly from now on; the bytes put back reach its
      // parser through 'data', once the socket flows again.
      socket.resume();
    };
    const onError = (): void => {
      socket.destroy();
    };
    const onTimeout = (): void => {
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.setTimeout(timeoutMs, onTimeout);
  });
}
