/**
 * A stand-in for `live()` in the store's tests: it opens nothing and dispatches the events a
 * live copy does (`connect`, `change`, `reconnect`, `end`) when a test says so.
 */
import {
  LiveChangeEvent,
  LiveEndEvent,
  LiveReconnectEvent,
  type LiveEndReason,
  type LiveOptions,
} from '../../packages/client/src/client/index.js';
import type { LiveSource } from '../../packages/react/src/react/index.js';

export class FakeLive extends EventTarget implements LiveSource {
  closed = false;
  constructor(
    readonly url: string,
    readonly options: LiveOptions,
  ) {
    super();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.end('closed');
  }

  connect(): void {
    this.dispatchEvent(new Event('connect'));
  }

  change(value: unknown, etag: string | undefined, deleted = false): void {
    const cause = deleted ? 'delete' : 'delta';
    this.dispatchEvent(new LiveChangeEvent({ value, etag, eventId: undefined, deleted, cause }));
  }

  reconnect(): void {
    this.dispatchEvent(
      new LiveReconnectEvent({
        kind: 'reconnect',
        attempt: 1,
        delay: 0,
        reason: 'dropped',
        lastEventId: undefined,
      }),
    );
  }

  end(reason: LiveEndReason, error?: unknown): void {
    this.dispatchEvent(new LiveEndEvent(reason, error));
  }
}

/** A `live` option that records every copy it opens. */
export function fakeLives(): {
  opened: FakeLive[];
  live: (url: string, o: LiveOptions) => FakeLive;
} {
  const opened: FakeLive[] = [];
  return {
    opened,
    live: (url, options) => {
      const copy = new FakeLive(url, options);
      opened.push(copy);
      return copy;
    },
  };
}
