// Test helpers for the client: a fake fetch over byte streams we control, chunkings of a
// recorded body, and a plain form of subscription items for deepEqual.
import type { FetchFunction, SubscriptionItem } from '../../packages/client/src/client/index.js';
import { random as prng } from '../helpers/random.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Latin-1 bytes of a recorded string (recordings are stored as latin1/ASCII text). */
export const octets = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
export const utf8 = (s: string): Uint8Array => encoder.encode(s);
export const text = (b: Uint8Array): string => decoder.decode(b);

/** One recorded request/response pair's response side. */
export interface Recording {
  status?: number;
  headers: Record<string, string>;
  /** The body as sent, chunk by chunk (a recording keeps the server's writes). */
  chunks: readonly string[];
}

/** The whole body of a recording. */
export const bodyOf = (r: Recording): Uint8Array => octets(r.chunks.join(''));

/** A stream that hands out `chunks` one per pull, then closes (or errors with `error`). */
export function streamOf(
  chunks: readonly Uint8Array[],
  end: { error?: unknown } = {},
): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = chunks[i++];
        if (chunk) controller.enqueue(chunk.slice());
        else if (end.error !== undefined) controller.error(end.error);
        else controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A response whose body is the given chunks. */
export function responseOf(
  r: { status?: number; headers: Record<string, string> },
  chunks: readonly Uint8Array[],
  end: { error?: unknown } = {},
): Response {
  return new Response(streamOf(chunks, end), { status: r.status ?? 200, headers: r.headers });
}

/** A body we write to by hand, to see when items come out. */
export function controlledBody(): {
  stream: ReadableStream<Uint8Array>;
  push(s: string | Uint8Array): void;
  close(): void;
  fail(e: unknown): void;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  return {
    stream,
    push: (s) => controller.enqueue(typeof s === 'string' ? octets(s) : s),
    close: () => controller.close(),
    fail: (e) => controller.error(e),
  };
}

/** A request the fake fetch saw. */
export interface SeenRequest {
  url: string;
  method: string;
  headers: Headers;
}

/** A fake fetch: answers with `next(request, index)`, and records every request. */
export function fakeFetch(
  next: (request: SeenRequest, index: number) => Response | Promise<Response>,
): {
  fetch: FetchFunction;
  requests: SeenRequest[];
} {
  const requests: SeenRequest[] = [];
  const fetch: FetchFunction = async (input, init) => {
    const request: SeenRequest = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
    };
    requests.push(request);
    const signal = init?.signal;
    if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const response = await next(request, requests.length - 1);
    if (signal?.aborted) {
      await response.body?.cancel();
      throw new DOMException('aborted', 'AbortError');
    }
    if (signal && response.body) {
      // As fetch does: aborting the request errors the body.
      const body = response.body;
      const reader = body.getReader();
      const wrapped = new ReadableStream<Uint8Array>({
        start(controller) {
          signal.addEventListener('abort', () => {
            controller.error(new DOMException('aborted', 'AbortError'));
            reader.cancel().catch(() => undefined);
          });
        },
        async pull(controller) {
          try {
            const { done, value } = await reader.read();
            if (done) controller.close();
            else controller.enqueue(value);
          } catch (e) {
            controller.error(e);
          }
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      });
      return new Response(wrapped, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    return response;
  };
  return { fetch, requests };
}

/** Every way to cut `n` bytes in two, plus all one-byte chunks. */
export function* twoWaySplits(all: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 0; i <= all.length; i++)
    yield [all.subarray(0, i), all.subarray(i)].filter((c) => c.length > 0);
  yield Array.from(all, (b) => Uint8Array.of(b));
}

/** Cuts `all` at the given points. */
export function splitAt(all: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, all.length]) {
    if (p > from) out.push(all.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

/** Items in a plain form: bodies as text, headers as sorted pairs, dates as ISO strings. */
export function plain(item: SubscriptionItem): Record<string, unknown> {
  switch (item.kind) {
    case 'representation':
      return {
        kind: item.kind,
        status: item.status,
        headers: [...item.headers].sort(),
        body: text(item.body),
        omitted: item.omitted,
        protocol: item.events.protocol,
        eventsStatus: item.events.status,
      };
    case 'notification': {
      const out: Record<string, unknown> = {
        kind: item.kind,
        method: item.method,
        date: item.date.toISOString(),
      };
      if (item.eventId !== undefined) out.eventId = item.eventId;
      if (item.etag !== undefined) out.etag = item.etag;
      if (item.contentLocation !== undefined) out.contentLocation = item.contentLocation;
      if (item.delta !== undefined)
        out.delta = { type: item.delta.type, body: text(item.delta.body) };
      return out;
    }
    case 'part':
      return {
        kind: item.kind,
        type: item.type,
        raw: text(item.raw),
        ...(item.error ? { error: item.error.code } : {}),
      };
    case 'reconnect':
      return {
        kind: item.kind,
        attempt: item.attempt,
        reason: item.reason,
        lastEventId: item.lastEventId,
      };
    case 'end':
      return { kind: item.kind, reason: item.reason };
  }
}

/** Collects every item of an async iterable (at most `max`). */
export async function collect<T>(items: AsyncIterable<T>, max = 10_000): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (out.length >= max) break;
  }
  return out;
}

/** Waits until `check()` holds, polling; fails after `ms`. */
export async function eventually(
  check: () => boolean,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export { prng };
