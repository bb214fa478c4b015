import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventMethod } from '../../store/index.js';
import { HttpError, readBody } from '../http-error.js';
import type { ChangeRecorder } from './change-recorder.js';

/** Where the webhook listens: under the reserved `/.well-known/` (RFC 8615). */
export const NOTIFY_PATH = '/.well-known/prep/notify';

/** The largest webhook body: a path and a method. */
const MAX_NOTIFY_BYTES = 16 * 1024;

const METHODS: ReadonlySet<string> = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

/**
 * `POST /.well-known/prep/notify`: the upstream, a database trigger or a job announces a
 * change it made without the proxy, with a bearer secret and a JSON body
 * `{ "path": "/posts/1", "method": "PATCH" }` (for a POST, `"location"` may name the member
 * it created, N822-6). The proxy reads the resource once for its new ETag and state and
 * announces the change as if it had passed through. Answers 200 with the Event-IDs
 * recorded (none when nothing watched is concerned).
 *
 * @example
 * ```ts
 * const webhook = new NotifyWebhook(recorder, 's3cret');
 * if (req.url === NOTIFY_PATH) await webhook.handle(req, res);
 * ```
 */
export class NotifyWebhook {
  readonly #recorder: ChangeRecorder;
  /** The secret's digest: compared in constant time whatever the length of what is sent. */
  readonly #secret: Buffer;

  constructor(recorder: ChangeRecorder, secret: string) {
    if (secret.length < 16)
      throw new TypeError('the webhook secret must be at least 16 characters long');
    this.#recorder = recorder;
    this.#secret = digest(secret);
  }

  /** Answers one webhook request (errors are thrown as `HttpError`s). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST')
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'The webhook takes POST.', { Allow: 'POST' });
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!auth || !timingSafeEqual(digest(auth[1]!), this.#secret))
      throw new HttpError(401, 'NOTIFY_UNAUTHORIZED', 'The webhook needs its bearer secret.', {
        'WWW-Authenticate': 'Bearer realm="prep-notify"',
      });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      throw new HttpError(415, 'NOTIFY_MALFORMED', 'The webhook takes application/json.');
    const body = await readBody(req, MAX_NOTIFY_BYTES);
    const { path, method, location } = parseNotice(Buffer.from(body).toString('utf8'));
    const events = await this.#recorder.record(
      {
        method,
        path,
        status: 200,
        ...(location !== undefined ? { created: location } : {}),
      },
      res,
    );
    const answer = JSON.stringify({ eventIds: events.map((e) => e.id) });
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(answer),
      'Cache-Control': 'no-store',
    });
    res.end(answer);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The body's fields, checked: an absolute path without query, a method that changes things. */
function parseNotice(text: string): { path: string; method: EventMethod; location?: string } {
  const bad = (why: string): never => {
    throw new HttpError(400, 'NOTIFY_MALFORMED', why);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    bad('The body is not JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    bad('The body is a JSON object: { "path": "/...", "method": "PUT" }.');
  const { path, method, location } = doc as Record<string, unknown>;
  const isPath = (p: unknown): p is string =>
    typeof p === 'string' && p.startsWith('/') && !/[?#\s]/.test(p) && p.length <= 4096;
  if (!isPath(path)) bad('"path" is an absolute path without query.');
  if (typeof method !== 'string' || !METHODS.has(method))
    bad('"method" is one of PUT, PATCH, POST, DELETE.');
  if (location !== undefined && (!isPath(location) || method !== 'POST'))
    bad('"location" is the absolute path of the member a POST created.');
  return {
    path: path as string,
    method: method as EventMethod,
    ...(location !== undefined ? { location: location as string } : {}),
  };
}
