/** A PREP subscriber over fetch, read with our own `parseMultipart`. */
import { parseEventsField, type EventsField } from '../../packages/client/src/core/events/index.js';
import { parseMediaType } from '../../packages/client/src/core/media-type.js';
import {
  parseMultipart,
  type MultipartPartIterator,
} from '../../packages/client/src/core/multipart/index.js';
import {
  parseNotification,
  type Notification,
} from '../../packages/client/src/core/notification.js';
import { boundaryOf } from './prep-body.js';
import { WAIT_MS, within } from './wait.js';

// Fetch-based subscriber over our parseMultipart

export interface SubscribeOptions {
  /** Request headers; `Accept-Events: "prep"` unless given. */
  headers?: Record<string, string>;
}

/** One digest part as the subscriber received it. */
export interface ReceivedPart {
  headers: Headers;
  bytes: Uint8Array;
  /** Undefined for an empty (keep-alive) part. */
  notification: Notification | undefined;
}

/** Thrown by `Subscriber.open` when the response is not a notifications stream. */
export class NotAStream extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: string,
  ) {
    super(`not a notifications stream: ${status} Events: ${headers.get('events')}`);
  }
}

/**
 * A PREP subscriber over fetch: validates the response (status 200, `Events` status 200,
 * multipart/mixed), reads part 1, then yields digest parts as they arrive.
 */
export class Subscriber {
  readonly received: ReceivedPart[] = [];
  ended = false;
  readonly #controller: AbortController;
  readonly #parts: MultipartPartIterator;
  readonly #digest: MultipartPartIterator;

  private constructor(
    readonly response: Response,
    readonly events: EventsField,
    readonly part1: { headers: Headers; body: Uint8Array },
    parts: MultipartPartIterator,
    digest: MultipartPartIterator,
    readonly digestHeaders: Headers,
    controller: AbortController,
  ) {
    this.#parts = parts;
    this.#digest = digest;
    this.#controller = controller;
  }

  static async open(url: string, options: SubscribeOptions = {}): Promise<Subscriber> {
    const controller = new AbortController();
    const headers = options.headers ?? { 'Accept-Events': '"prep"' };
    const res = await within(fetch(url, { headers, signal: controller.signal }), `GET ${url}`);
    const events = parseEventsField(res.headers.get('events'), res.headers.get('date'));
    if (res.status !== 200 || events?.status !== 200) {
      const body = await res.text();
      throw new NotAStream(res.status, res.headers, body);
    }
    const mixed = boundaryOf(res.headers.get('content-type'));
    const parts = parseMultipart(res.body!, mixed);
    try {
      const first = await within(parts.next(), 'part 1');
      if (first.done) throw new Error('the stream has no part 1');
      const part1 = { headers: first.value.headers, body: await first.value.bytes() };
      const second = await within(parts.next(), 'part 2');
      if (second.done) throw new Error('the stream has no part 2');
      const type = second.value.headers.get('content-type');
      if (parseMediaType(type ?? '').essence !== 'multipart/digest')
        throw new Error(`part 2 is ${type}`);
      const digest = parseMultipart(second.value.body, boundaryOf(type));
      return new Subscriber(res, events, part1, parts, digest, second.value.headers, controller);
    } catch (err) {
      controller.abort();
      throw err;
    }
  }

  /** The next digest part (keep-alives included), or undefined once the stream ended. */
  async next(ms = WAIT_MS): Promise<ReceivedPart | undefined> {
    const step = await within(this.#digest.next(), 'the next digest part', ms);
    if (step.done) {
      // The digest is closed: the mixed body must close right after it (RSP-7).
      const after = await within(this.#parts.next(), 'the end of the multipart/mixed body', ms);
      if (!after.done) throw new Error('a third part follows the digest');
      this.ended = true;
      return undefined;
    }
    const bytes = await within(step.value.bytes(), 'a digest part body', ms);
    const part: ReceivedPart = {
      headers: step.value.headers,
      bytes,
      notification: bytes.length === 0 ? undefined : parseNotification(bytes),
    };
    this.received.push(part);
    return part;
  }

  /** The next notification, skipping keep-alives; throws if the stream ends first. */
  async notification(ms = WAIT_MS): Promise<Notification> {
    for (;;) {
      const part = await this.next(ms);
      if (!part) throw new Error('the stream ended before a notification');
      if (part.notification) return part.notification;
    }
  }

  /** The next `n` notifications. */
  async notifications(n: number, ms = WAIT_MS): Promise<Notification[]> {
    const out: Notification[] = [];
    while (out.length < n) out.push(await this.notification(ms));
    return out;
  }

  /** Every notification until the server ends the stream. */
  async rest(ms = WAIT_MS): Promise<Notification[]> {
    const out: Notification[] = [];
    for (;;) {
      const part = await this.next(ms);
      if (!part) return out;
      if (part.notification) out.push(part.notification);
    }
  }

  /** Goes away (RSP-8: the server must notice). */
  close(): void {
    this.#controller.abort();
  }
}
