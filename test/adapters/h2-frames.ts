/**
 * A raw HTTP/2 client over plain TCP (h2c, prior knowledge) that records every frame the
 * server sends, byte for byte: the ground truth for RSP-6 ("every delimiter ends a DATA
 * frame"), independent of how node's own client hands data over. It speaks just enough
 * HTTP/2 for one GET: the preface, SETTINGS (and their ACK), a HEADERS frame with literal
 * HPACK fields, WINDOW_UPDATEs so the server never stalls, PING ACKs.
 */
import net from 'node:net';
import { within } from '../helpers/wait.js';

export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
};
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;

/** One frame as received. */
export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

export class RawH2Client {
  readonly frames: Frame[] = [];
  #buffer = Buffer.alloc(0);
  #listeners = new Set<() => void>();
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.#read(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.#notify();
    });
    socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    socket.write(frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(0)));
  }

  static connect(port: number): Promise<RawH2Client> {
    return within(
      new Promise<RawH2Client>((resolve, reject) => {
        const socket = net.connect({ port, host: '127.0.0.1' });
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(new RawH2Client(socket));
        });
        socket.once('error', reject);
      }),
      'a TCP connection',
    );
  }

  /** Sends a GET on stream `id` (odd, increasing) with these header fields. */
  get(id: number, path: string, headers: Record<string, string>): void {
    const block = Buffer.concat([
      literal(':method', 'GET'),
      literal(':scheme', 'http'),
      literal(':authority', '127.0.0.1'),
      literal(':path', path),
      ...Object.entries(headers).map(([n, v]) => literal(n.toLowerCase(), v)),
    ]);
    this.socket.write(frame(FRAME.HEADERS, END_STREAM | END_HEADERS, id, block));
  }

  /** The DATA frames of stream `id` so far. */
  data(id: number): Frame[] {
    return this.frames.filter((f) => f.type === FRAME.DATA && f.stream === id);
  }

  /** Whether the server ended stream `id` (END_STREAM or RST_STREAM). */
  ended(id: number): boolean {
    return this.frames.some(
      (f) =>
        f.stream === id &&
        ((f.type === FRAME.DATA && (f.flags & END_STREAM) !== 0) || f.type === FRAME.RST_STREAM),
    );
  }

  /** Waits until `check` returns a value, re-checked on every frame. */
  waitFor<T>(check: () => T | undefined | false, what: string): Promise<T> {
    return within(
      new Promise<T>((resolve, reject) => {
        const run = (): void => {
          const v = check();
          if (v !== undefined && v !== false) {
            this.#listeners.delete(run);
            resolve(v);
          } else if (this.closed) {
            this.#listeners.delete(run);
            reject(new Error(`the connection closed before ${what}`));
          }
        };
        this.#listeners.add(run);
        run();
      }),
      what,
    );
  }

  close(): void {
    this.socket.destroy();
  }

  #read(d: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, d]);
    while (this.#buffer.length >= 9) {
      const length = this.#buffer.readUIntBE(0, 3);
      if (this.#buffer.length < 9 + length) break;
      const f: Frame = {
        type: this.#buffer[3]!,
        flags: this.#buffer[4]!,
        stream: this.#buffer.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.#buffer.subarray(9, 9 + length)),
      };
      this.#buffer = this.#buffer.subarray(9 + length);
      this.frames.push(f);
      if (f.type === FRAME.SETTINGS && (f.flags & ACK) === 0)
        this.socket.write(frame(FRAME.SETTINGS, ACK, 0, Buffer.alloc(0)));
      if (f.type === FRAME.PING && (f.flags & ACK) === 0)
        this.socket.write(frame(FRAME.PING, ACK, 0, f.payload));
      if (f.type === FRAME.DATA && length > 0) {
        // Give the window back at once, connection and stream.
        const inc = Buffer.alloc(4);
        inc.writeUInt32BE(length);
        this.socket.write(frame(FRAME.WINDOW_UPDATE, 0, 0, inc));
        this.socket.write(frame(FRAME.WINDOW_UPDATE, 0, f.stream, inc));
      }
    }
    this.#notify();
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal header field without indexing, new name", no Huffman (RFC 7541 §6.2.2). */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), string(name), string(value)]);
}

function string(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  return Buffer.concat([integer(bytes.length, 7), bytes]);
}

/** An HPACK integer with an N-bit prefix (RFC 7541 §5.1), the prefix's other bits 0. */
function integer(n: number, prefix: number): Buffer {
  const max = (1 << prefix) - 1;
  if (n < max) return Buffer.from([n]);
  const out = [max];
  let rest = n - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}
