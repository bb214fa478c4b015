/**
 * What the HTTP tests check a server with: requests (PUT, a GET snapshot, raw bytes on a
 * socket), problem+json answers, and a fetch subscriber that asserts the stream opened.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  parseMultipart,
  type MultipartPartIterator,
} from '../../packages/client/src/core/multipart/index.js';
import {
  parseNotification,
  type Notification,
} from '../../packages/client/src/core/notification.js';
import { defer, type CleanupScope } from './cleanup.js';
import { boundaryOf } from './prep-body.js';

const encoder = new TextEncoder();

/** UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A PUT with a body and a Content-Type. */
export function put(
  url: string,
  body: string | Uint8Array,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'PUT',
    headers: { 'Content-Type': contentType, ...headers },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
}

/** The status and JSON body of an `application/problem+json` answer (RFC 9457). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
}

/**
 * Asserts that `res` is a problem+json answer with `status` (and `code`, if given) whose body
 * says what went wrong: status, title, detail and a stable code.
 */
export async function expectProblem(
  res: Response,
  status: number,
  code?: string,
): Promise<Problem> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  const body = JSON.parse(text) as Problem;
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.ok(body.title.length > 0, 'a title');
  assert.equal(typeof body.detail, 'string');
  assert.ok(body.detail.length > 0, 'a detail');
  assert.match(body.code, /^[A-Z][A-Z0-9_]+$/, 'a stable code');
  if (code !== undefined) assert.equal(body.code, code);
  return body;
}

/** What a GET returned: status, headers and the bytes of the body. */
export interface Snapshot {
  status: number;
  etag: string | null;
  contentType: string | null;
  lastModified: string | null;
  body: Uint8Array;
}

/** GETs `url` and keeps what a later "nothing changed" comparison needs. */
export async function snapshot(url: string): Promise<Snapshot> {
  const res = await fetch(url);
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    contentType: res.headers.get('content-type'),
    lastModified: res.headers.get('last-modified'),
    body: new Uint8Array(await res.arrayBuffer()),
  };
}

/** An open PREP notifications stream, read with our streaming decoder. */
export interface Subscription {
  response: Response;
  /** Part 1: the base representation. */
  representation: { headers: Headers; body: Uint8Array };
  /** The next notification, or undefined once the digest has ended (RSP-7). */
  next(): Promise<Notification | undefined>;
  /** Stops reading and closes the connection. */
  close(): Promise<void>;
}

/**
 * GETs `url` with `Accept-Events: "prep"` (REQ-1), checks it is a notifications response,
 * and reads part 1. Closed when the test ends.
 */
export async function subscribe(
  t: CleanupScope,
  url: string,
  headers: Record<string, string> = {},
): Promise<Subscription> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { 'Accept-Events': '"prep"', ...headers },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('events') ?? '', /status=200/);
  assert.ok(response.body);
  const parts: MultipartPartIterator = parseMultipart(
    response.body,
    boundaryOf(response.headers.get('content-type')),
  );
  const open: { digest?: MultipartPartIterator } = {};
  const close = async () => {
    await open.digest?.return().catch(() => undefined);
    await parts.return().catch(() => undefined);
    controller.abort();
  };
  defer(t, close);
  const first = await parts.next();
  assert.equal(first.done, false, 'part 1: the representation');
  const representation = { headers: first.value.headers, body: await first.value.bytes() };
  const second = await parts.next();
  assert.equal(second.done, false, 'part 2: the notifications');
  const notifications = parseMultipart(
    second.value.body,
    boundaryOf(second.value.headers.get('content-type')),
  );
  open.digest = notifications;
  return {
    response,
    representation,
    async next() {
      const r = await notifications.next();
      if (r.done) return undefined;
      return parseNotification(await r.value.bytes());
    },
    close,
  };
}

/** A raw HTTP/1.1 answer read off a socket. */
export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends `request` as is on a new TCP connection and reads until the server closes it (or
 * `timeoutMs` passes, which fails). For what fetch cannot send: oversized heads, bad syntax.
 * Send `Connection: close` in a request the server should answer normally.
 */
export function rawRequest(
  port: number,
  request: string | Uint8Array,
  timeoutMs = 5000,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server did not close the connection'));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // a reset after the answer is fine; 'close' follows
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRaw(Buffer.concat(chunks)));
    });
    socket.write(request);
  });
}

/** Splits a raw HTTP/1.1 answer into status, head and body. */
export function parseRaw(bytes: Uint8Array): RawAnswer {
  const text = Buffer.from(bytes).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  return { status, head, body: end < 0 ? '' : text.slice(end + 4) };
}
