import type { OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http';
import type { NodeResponse } from '../engine/transport.js';

/** The response an application's handler sent, held back instead of sent. */
export interface CapturedResponse {
  status: number;
  /** The header fields it set (lower-case names), as `res.getHeaders()` has them. */
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

/** What happens with a captured response. */
export interface CaptureHandlers {
  /** The handler ended its response: what it sent, held back. The methods are restored. */
  onEnd(captured: CapturedResponse): void;
  /**
   * The body grew past the limit. The methods are restored, the head is not sent yet: send
   * what was held (`flush()`), after setting any header fields; later writes go out as sent.
   */
  onOverflow(flush: () => void): void;
}

type Writer = (...args: unknown[]) => unknown;
type Patchable = Partial<Record<'writeHead' | 'write' | 'end' | 'flushHeaders', Writer>>;

/**
 * Holds back what a handler sends on `res` (`writeHead`, `write`, `end`, as Express's
 * `res.send`, Fastify's reply and plain node code all end up calling), up to `limit` body
 * bytes, and hands it over when the handler ends the response. Used by `prep.intercept` so
 * an app's own GET handler supplies the base response of a notifications request.
 *
 * Methods are patched on the instance and restored on release; a wrapper that another
 * middleware saved meanwhile passes straight through once released.
 *
 * @example
 * ```ts
 * captureResponse(res, 1 << 20, {
 *   onEnd: ({ status, headers, body }) => console.log(status, headers, body.length),
 *   onOverflow: (flush) => flush(),
 * });
 * ```
 */
export function captureResponse(
  res: NodeResponse,
  limit: number,
  handlers: CaptureHandlers,
): { release: () => void } {
  const target = res as unknown as Patchable;
  const saved = {
    writeHead: Object.getOwnPropertyDescriptor(res, 'writeHead'),
    write: Object.getOwnPropertyDescriptor(res, 'write'),
    end: Object.getOwnPropertyDescriptor(res, 'end'),
    flushHeaders: Object.getOwnPropertyDescriptor(res, 'flushHeaders'),
  };
  const original = {
    writeHead: target.writeHead!,
    write: target.write!,
    end: target.end!,
    flushHeaders: target.flushHeaders,
  };
  const chunks: Buffer[] = [];
  let size = 0;
  let active = true;

  const patched: Required<Patchable> = {
    writeHead(this: unknown, status: unknown, ...rest: unknown[]) {
      if (!active) return original.writeHead.call(res, status, ...rest);
      res.statusCode = Number(status);
      applyHeaders(res, typeof rest[0] === 'string' ? rest[1] : rest[0]);
      return res;
    },
    write(this: unknown, chunk: unknown, encoding?: unknown, cb?: unknown) {
      if (!active) return original.write.call(res, chunk, encoding, cb);
      const callback = typeof encoding === 'function' ? encoding : cb;
      push(chunk, typeof encoding === 'string' ? encoding : undefined);
      if (typeof callback === 'function') process.nextTick(callback);
      if (size > limit) {
        release();
        handlers.onOverflow(() => {
          for (const c of chunks.splice(0)) original.write.call(res, c);
        });
      }
      return true;
    },
    end(this: unknown, chunk?: unknown, encoding?: unknown, cb?: unknown) {
      if (!active) return original.end.call(res, chunk, encoding, cb);
      const callback = [chunk, encoding, cb].find((a) => typeof a === 'function');
      if (typeof chunk !== 'function')
        push(chunk, typeof encoding === 'string' ? encoding : undefined);
      if (typeof callback === 'function') res.once('finish', callback as () => void);
      release();
      handlers.onEnd({
        status: res.statusCode,
        headers: res.getHeaders(),
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
      });
      return res;
    },
    flushHeaders(this: unknown) {
      if (!active) return original.flushHeaders?.call(res);
      return undefined;
    },
  };

  function push(chunk: unknown, encoding: string | undefined): void {
    if (chunk === undefined || chunk === null) return;
    const b =
      typeof chunk === 'string'
        ? Buffer.from(chunk, (encoding ?? 'utf8') as BufferEncoding)
        : Buffer.from(chunk as Uint8Array);
    if (b.length === 0) return;
    chunks.push(b);
    size += b.length;
  }

  function release(): void {
    if (!active) return;
    active = false;
    for (const name of ['writeHead', 'write', 'end', 'flushHeaders'] as const) {
      if (target[name] !== patched[name]) continue; // wrapped by someone since: stays, passes through
      const d = saved[name];
      if (d) Object.defineProperty(res, name, d);
      else delete target[name];
    }
  }

  for (const name of ['writeHead', 'write', 'end', 'flushHeaders'] as const)
    if (original[name] !== undefined) target[name] = patched[name];
  return { release };
}

/**
 * Patches `res.writeHead` (which node calls for an implicit head too) to run `hook` once,
 * right before the head goes out, with the status and fields final.
 */
export function beforeHead(res: NodeResponse, hook: () => void): void {
  const target = res as unknown as Patchable;
  const saved = Object.getOwnPropertyDescriptor(res, 'writeHead');
  const original = target.writeHead!;
  const patched = function (this: unknown, status: unknown, ...rest: unknown[]) {
    if (target.writeHead === patched) {
      if (saved) Object.defineProperty(res, 'writeHead', saved);
      else delete target.writeHead;
    }
    if (res.headersSent) return original.call(res, status, ...rest);
    // Fields given here are set first, so that `hook` sees (and may add to) them.
    res.statusCode = Number(status);
    applyHeaders(res, typeof rest[0] === 'string' ? rest[1] : rest[0]);
    hook();
    return typeof rest[0] === 'string'
      ? original.call(res, res.statusCode, rest[0])
      : original.call(res, res.statusCode);
  };
  target.writeHead = patched;
}

/** Sets the fields `writeHead` was given (an object, `[name, value]` pairs or a flat list). */
function applyHeaders(res: NodeResponse, headers: unknown): void {
  if (headers === undefined || headers === null) return;
  const fields = new Map<string, string[]>();
  const text = (v: unknown): string =>
    typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
  const add = (name: unknown, value: unknown): void => {
    if (typeof name !== 'string' || value === undefined) return;
    const key = name.toLowerCase();
    const list = fields.get(key) ?? [];
    if (Array.isArray(value)) for (const v of value as unknown[]) list.push(text(v));
    else list.push(text(value));
    fields.set(key, list);
  };

  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0]))
      for (const pair of headers as unknown[][]) add(pair[0], pair[1]);
    else for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
  } else if (typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers as Record<string, OutgoingHttpHeader>))
      add(name, value);
  }
  for (const [name, values] of fields)
    res.setHeader(name, values.length === 1 ? values[0]! : values);
}
