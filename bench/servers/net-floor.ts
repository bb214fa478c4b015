/**
 * The floor: a node:net server that parses just enough HTTP/1.1 (request line, head end,
 * Content-Length) and, on each write, sends one pre-framed chunk (built once) straight to
 * every subscriber's socket: one `socket.write` per delivery and nothing else, no http
 * module, no coalescing. Below this, only fewer syscalls (coalescing, io_uring) or another
 * runtime help.
 *
 *   node --import tsx bench/servers/net-floor.ts   (as a child of bench/run.ts; it needs IPC)
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { serveBenchIpc } from './child.js';
import {
  boundary,
  chunk,
  notificationPart,
  prepHead,
  prepHeaders,
  put,
  type Held,
} from './part.js';

const state = new Map<string, Held>();
const streams = new Map<string, Set<net.Socket>>();
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 16 * 1024;

function head(status: string, fields: Record<string, string | number>): string {
  let s = `HTTP/1.1 ${status}\r\nDate: ${new Date().toUTCString()}\r\n`;
  for (const [k, v] of Object.entries(fields)) s += `${k}: ${v}\r\n`;
  return s + '\r\n';
}

function onConnection(socket: net.Socket): void {
  socket.setNoDelay(true);
  let buf: Buffer = Buffer.alloc(0);
  let streaming = false;
  socket.on('error', () => undefined);
  socket.on('data', (data: Buffer) => {
    if (streaming) return; // a subscriber sends nothing more we care about
    buf = buf.length === 0 ? data : Buffer.concat([buf, data]);
    // Bounded: each turn handles the complete requests buffered so far.
    for (let n = 0; n < 64; n++) {
      const end = buf.indexOf(HEAD_END);
      if (end < 0) {
        if (buf.length > MAX_HEAD) socket.destroy();
        return;
      }
      const text = buf.toString('latin1', 0, end);
      const lines = text.split('\r\n');
      const [method = '', target = '/'] = lines[0]!.split(' ');
      const fields = new Map<string, string>();
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        if (c > 0) fields.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
      }
      const length = Number(fields.get('content-length') ?? 0);
      if (buf.length < end + 4 + length) return; // body not all here yet
      const body = buf.subarray(end + 4, end + 4 + length);
      buf = buf.subarray(end + 4 + length);
      const path = target.split('?')[0]!;
      if (method === 'GET') {
        const held = state.get(path);
        if (!held) {
          socket.write(head('404 Not Found', { 'Content-Length': 0 }));
          continue;
        }
        if (!(fields.get('accept-events') ?? '').includes('"prep"')) {
          socket.write(
            head('200 OK', {
              'Content-Type': held.type,
              ETag: held.etag,
              'Content-Length': held.body.length,
            }),
          );
          socket.write(held.body);
          continue;
        }
        const mixed = boundary();
        socket.write(head('200 OK', { ...prepHeaders(mixed), 'Transfer-Encoding': 'chunked' }));
        socket.write(chunk(prepHead(mixed, held.digest, held.type, held.body)));
        let set = streams.get(path);
        if (!set) streams.set(path, (set = new Set()));
        const subscribers = set;
        subscribers.add(socket);
        socket.on('close', () => subscribers.delete(socket));
        streaming = true;
        return;
      }
      if (method === 'PUT') {
        const held = put(
          state,
          path,
          fields.get('content-type') ?? 'application/octet-stream',
          Buffer.from(body),
        );
        socket.write(head('204 No Content', { ETag: held.etag }));
        const framed = chunk(
          notificationPart(held.digest, {
            method: 'PUT',
            eventId: String(held.seq),
            etag: held.etag,
          }),
        );
        for (const s of streams.get(path) ?? []) s.write(framed);
        continue;
      }
      socket.write(head('405 Method Not Allowed', { 'Content-Length': 0 }));
    }
  });
}

const server = net.createServer(onConnection);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveBenchIpc({ url: `http://127.0.0.1:${port}` });
});
