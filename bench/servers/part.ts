/**
 * The bytes the two reference servers (naive, net-floor) send: the same PREP wire layout as
 * ours (PROTOCOL.md RSP-4/RSP-6, digest §3): part 1, then part 2 open up to its first `--D`;
 * each notification is `CRLF CRLF <message> CRLF --D` with the headers ours sends (Method,
 * Date, Event-ID, ETag), so every server moves about as many bytes per delivery.
 */
import { randomBytes } from 'node:crypto';

/** A multipart boundary: 24 random characters from the RFC 2046 safe set. */
export function boundary(): string {
  return randomBytes(18).toString('base64').replace(/\+/g, '_').replace(/\//g, '-');
}

/** The response head fields of a notifications response. */
export function prepHeaders(mixed: string): Record<string, string> {
  return {
    'Content-Type': `multipart/mixed; boundary="${mixed}"`,
    Events: 'protocol="prep", status=200, expires=3600',
    Vary: 'Accept-Events',
    'Accept-Events': '"prep";accept="message/rfc822"',
    'Cache-Control': 'no-store',
  };
}

/** Part 1 (the representation) and the opening of part 2, up to `--D` (RSP-4, RSP-6). */
export function prepHead(mixed: string, digest: string, type: string, body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`--${mixed}\r\nContent-Type: ${type}\r\n\r\n`),
    body,
    Buffer.from(
      `\r\n--${mixed}\r\nContent-Type: multipart/digest; boundary="${digest}"\r\n\r\n--${digest}`,
    ),
  ]);
}

/** One notification as a digest part: rendered once per write, sent to every subscriber. */
export function notificationPart(
  digest: string,
  n: { method: string; eventId: string; etag: string },
): Buffer {
  return Buffer.from(
    `\r\n\r\nMethod: ${n.method}\r\nDate: ${new Date().toUTCString()}\r\nEvent-ID: ${n.eventId}\r\nETag: ${n.etag}\r\n\r\n\r\n--${digest}`,
  );
}

/** One HTTP/1.1 chunk: `<hex length> CRLF <bytes> CRLF`. */
export function chunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, CRLF]);
}
const CRLF = Buffer.from('\r\n');

/** A resource held by the reference servers. */
export interface Held {
  type: string;
  body: Buffer;
  etag: string;
  seq: number;
  /** The digest boundary of the path's streams (shared, so one part serves them all). */
  digest: string;
}

/** Stores a write; returns the resource with its new ETag and sequence number. */
export function put(state: Map<string, Held>, path: string, type: string, body: Buffer): Held {
  const prev = state.get(path);
  const seq = (prev?.seq ?? 0) + 1;
  // As long as ours (a 32-digit hex digest), so every server sends as many bytes.
  const etag = `"${seq.toString(16).padStart(32, '0')}"`;
  const held: Held = { type, body, etag, seq, digest: prev?.digest ?? boundary() };
  state.set(path, held);
  return held;
}
