/**
 * A strict reader of a PREP body over raw bytes: our own, independent of the decoder under
 * test, so a wire-level test does not trust the code it checks.
 */
import assert from 'node:assert/strict';
import { parseMediaType } from '../../packages/client/src/core/media-type.js';
import {
  parseNotification,
  type Notification,
} from '../../packages/client/src/core/notification.js';
import type { RawResponse } from './raw-client.js';

// A strict reader of a PREP body (our own, independent of the decoder under test)

/** One digest part as read off the wire. */
export interface WirePart {
  /** The part's header block (empty for the default `message/rfc822`). */
  headers: string;
  /** The part body: the notification message (empty for a keep-alive part). */
  message: Buffer;
  /** The parsed notification, or undefined for an empty (keep-alive) part. */
  notification: Notification | undefined;
}

/** What a PREP body holds so far. */
export interface PrepBody {
  mixed: string;
  part1: { headers: string; body: Buffer } | undefined;
  digest: string | undefined;
  /** Complete digest parts (each ended by its `--D`), keep-alives included. */
  parts: WirePart[];
  /** Just the notifications. */
  notifications: Notification[];
  /** Both close delimiters arrived (`--D--` CRLF `--M--` CRLF) and nothing follows. */
  closed: boolean;
}

/** The `boundary` parameter of a media type. */
export function boundaryOf(contentType: string | undefined | null): string {
  if (!contentType) throw new Error('no Content-Type');
  const b = parseMediaType(contentType).parameters.get('boundary');
  if (!b) throw new Error(`no boundary in ${contentType}`);
  return b;
}

/**
 * Reads a PREP body strictly in the layout of draft -03 as we send it (digest note §3):
 * `--M CRLF <part 1> CRLF --M CRLF Content-Type: multipart/digest; boundary="D" CRLF CRLF
 * --D`, then digest parts `CRLF <headers> CRLF <message> CRLF --D`, then `-- CRLF --M--
 * CRLF`. Throws on anything else; a body still arriving yields what is complete.
 */
export function readPrepBody(body: Buffer, mixed: string): PrepBody {
  const s = body.toString('latin1');
  const out: PrepBody = {
    mixed,
    part1: undefined,
    digest: undefined,
    parts: [],
    notifications: [],
    closed: false,
  };
  const open = `--${mixed}\r\n`;
  if (s.length < open.length) return out;
  if (!s.startsWith(open)) throw new Error(`the body does not start with ${open}`);
  const end1 = s.indexOf(`\r\n--${mixed}\r\n`, open.length - 2);
  if (end1 < 0) return out;
  const part1 = s.slice(open.length, end1);
  const split = part1.startsWith('\r\n') ? 0 : part1.indexOf('\r\n\r\n');
  if (split < 0) throw new Error('part 1 has no end of its header block');
  out.part1 = {
    headers: split === 0 ? '' : part1.slice(0, split),
    body: body.subarray(open.length + split + (split === 0 ? 2 : 4), end1),
  };
  let at = end1 + 4 + mixed.length + 2;
  const headEnd = s.indexOf('\r\n\r\n', at);
  if (headEnd < 0) return out;
  const part2Head = s.slice(at, headEnd);
  const m = /^Content-Type: multipart\/digest; boundary="([^"]+)"$/.exec(part2Head);
  if (!m) throw new Error(`part 2's header block is ${JSON.stringify(part2Head)}`);
  const digest = m[1]!;
  out.digest = digest;
  at = headEnd + 4;
  const first = `--${digest}`;
  if (s.length < at + first.length) return out;
  if (s.slice(at, at + first.length) !== first)
    throw new Error('part 2 does not start with the digest delimiter');
  at += first.length;
  const delimiter = `\r\n--${digest}`;
  for (;;) {
    if (s.length < at + 2) return out;
    const next = s.slice(at, at + 2);
    if (next === '--') {
      const close = `--\r\n--${mixed}--\r\n`;
      if (s.length < at + close.length) return out;
      if (s.slice(at) !== close)
        throw new Error(`the body does not end with the close delimiters: ${s.slice(at)}`);
      out.closed = true;
      return out;
    }
    if (next !== '\r\n') throw new Error(`a digest delimiter is followed by ${next}`);
    const end = s.indexOf(delimiter, at + 2);
    if (end < 0) return out;
    const part = body.subarray(at + 2, end);
    const text = part.toString('latin1');
    const hsplit = text.startsWith('\r\n') ? 0 : text.indexOf('\r\n\r\n');
    if (hsplit < 0) throw new Error('a digest part has no end of its header block');
    const message = part.subarray(hsplit === 0 ? 2 : hsplit + 4);
    const notification = message.length === 0 ? undefined : parseNotification(message);
    out.parts.push({ headers: hsplit === 0 ? '' : text.slice(0, hsplit), message, notification });
    if (notification) out.notifications.push(notification);
    at = end + delimiter.length;
  }
}

/** `readPrepBody` over a raw response, with the boundary from its Content-Type. */
export function prepOf(r: RawResponse): PrepBody {
  return readPrepBody(r.body, boundaryOf(r.get('content-type')));
}

/**
 * RSP-6: every delimiter (`--B` after a line break, or at the very start) ends a chunk, and
 * the next chunk starts with its CRLF or the closing `--`.
 */
export function assertDelimitersEndChunks(r: RawResponse, boundaries: readonly string[]): void {
  const body = r.body.toString('latin1');
  const ends = new Set(r.chunkEnds);
  let count = 0;
  for (const b of boundaries) {
    const dash = `--${b}`;
    for (let at = body.indexOf(dash); at >= 0; at = body.indexOf(dash, at + 1)) {
      if (at !== 0 && body.slice(at - 2, at) !== '\r\n') continue;
      count++;
      const end = at + dash.length;
      assert.ok(ends.has(end), `the delimiter ${dash} at ${at} does not end a chunk`);
      if (end === body.length && !r.complete) continue; // the stream goes on
      const next = r.chunks[r.chunkEnds.indexOf(end) + 1]?.toString('latin1') ?? '';
      assert.ok(
        next.startsWith('\r\n') || next.startsWith('--'),
        `the chunk after ${dash} at ${at} starts with ${JSON.stringify(next.slice(0, 8))}`,
      );
    }
  }
  assert.ok(count > 0, 'no delimiter found');
}
