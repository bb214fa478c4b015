/**
 * One live copy shared by every component that shows the same resource: it counts its
 * users, holds their state as one immutable snapshot, and closes its stream when the last
 * user has gone.
 */
import {
  LiveChangeEvent,
  LiveEndEvent,
  type LiveEndReason,
  type LiveResource,
} from '@prep-live/client';
import { LOADING, type ResourceState, type ResourceStatus } from './resource-state.js';

/**
 * What a shared resource needs of a live copy: its events (`connect`, `change`,
 * `reconnect`, `end`, as {@link LiveResource} dispatches them) and `close()`.
 *
 * @example
 * ```ts
 * import { live } from '@prep-live/client';
 * import type { LiveSource } from '@prep-live/react';
 *
 * const source: LiveSource = live('https://example.org/doc');
 * ```
 */
export type LiveSource = Pick<LiveResource<unknown>, 'addEventListener' | 'close'>;

/** When a shared resource nobody uses is closed. */
export interface IdleDelays {
  /** After the last user went. */
  releaseDelayMs: number;
  /** After it was opened (or got its first state) by a render that did not subscribe. */
  claimTimeoutMs: number;
}

const END_STATUS: Record<LiveEndReason, ResourceStatus> = {
  closed: 'closed',
  expired: 'closed',
  deleted: 'deleted',
  error: 'error',
};

/**
 * One live copy and the components that use it. Made by a `ResourceStore`; it stays in the
 * store while it is used, also after its stream ended (deleted, failed, closed), so that
 * every component showing it agrees.
 */
export class SharedResource {
  readonly key: string;
  /** Resolves once the first state is known (or the copy ended before one). */
  readonly firstState: Promise<void>;
  readonly #open: () => LiveSource;
  readonly #onClosed: (resource: SharedResource) => void;
  readonly #delays: IdleDelays;
  readonly #users = new Set<{ notify: () => void }>();
  #source: LiveSource | undefined;
  #snapshot: ResourceState<unknown> = LOADING;
  /** A state is known, or the copy ended without one: nothing to wait for. */
  #settled = false;
  #deleted = false;
  #closed = false;
  #claimed = false;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #resolveFirst!: () => void;

  constructor(
    key: string,
    open: () => LiveSource,
    onClosed: (resource: SharedResource) => void,
    delays: IdleDelays,
  ) {
    this.key = key;
    this.#open = open;
    this.#onClosed = onClosed;
    this.#delays = delays;
    this.firstState = new Promise<void>((resolve) => (this.#resolveFirst = resolve));
  }

  get snapshot(): ResourceState<unknown> {
    return this.#snapshot;
  }

  /** True once a state is known, or the copy ended without one: nothing to wait for. */
  get settled(): boolean {
    return this.#settled;
  }

  /** How many components use it now. */
  get users(): number {
    return this.#users.size;
  }

  /**
   * Opens the live copy, once. Opened by a render (Suspense) that nobody subscribes to
   * afterwards, it closes itself after `claimTimeoutMs`.
   */
  start(): void {
    if (this.#source !== undefined || this.#closed) return;
    const source = this.#open();
    this.#source = source;
    source.addEventListener('connect', () => this.#connected());
    source.addEventListener('change', (e) => this.#changed(e as LiveChangeEvent<unknown>));
    // A deleted resource being watched is polled; a failed poll is no news to its users.
    source.addEventListener('reconnect', () => {
      if (!this.#deleted) this.#update({ status: 'reconnecting' });
    });
    source.addEventListener('end', (e) => this.#endedWith(e as LiveEndEvent));
    if (this.#users.size === 0) this.#closeWhenIdle(this.#delays.claimTimeoutMs);
  }

  /**
   * A component uses it: `notify` is called on every change until the returned function
   * (which may be called more than once) says it no longer does.
   */
  acquire(notify: () => void): () => void {
    const user = { notify };
    this.#users.add(user);
    this.#claimed = true;
    this.#cancelIdle();
    this.start();
    return () => {
      if (!this.#users.delete(user)) return;
      if (this.#users.size > 0) return;
      if (this.#closed) this.#onClosed(this);
      else this.#closeWhenIdle(this.#delays.releaseDelayMs);
    };
  }

  /**
   * Closes the stream now: its users see `closed` and keep the last value; the store
   * forgets it once nobody uses it.
   */
  close(): void {
    if (this.#closed) return;
    this.#update({ status: 'closed' });
    this.#closed = true;
    this.#cancelIdle();
    this.#source?.close();
    this.#resolveFirst();
    if (this.#users.size === 0) this.#onClosed(this);
  }

  #closeWhenIdle(ms: number): void {
    this.#cancelIdle();
    this.#idle = setTimeout(() => {
      this.#idle = undefined;
      if (this.#users.size === 0) this.close();
    }, ms);
  }

  #cancelIdle(): void {
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = undefined;
  }

  #connected(): void {
    // A reconnect worked; when it brings a new state, the change follows.
    if (this.#settled && !this.#deleted && this.#snapshot.status === 'reconnecting')
      this.#update({ status: 'live' });
  }

  #changed(e: LiveChangeEvent<unknown>): void {
    const { value, etag, deleted } = e.change;
    this.#deleted = deleted;
    this.#update({ value, etag, status: deleted ? 'deleted' : 'live', error: undefined });
    this.#settle();
  }

  #endedWith(e: LiveEndEvent): void {
    this.#update({ status: END_STATUS[e.reason], error: e.error });
    this.#settle();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolveFirst();
    // Opened for a render that suspended on it: give that render time to come back for it.
    if (!this.#claimed && !this.#closed) this.#closeWhenIdle(this.#delays.claimTimeoutMs);
  }

  #update(next: Partial<ResourceState<unknown>>): void {
    if (this.#closed) return;
    const current = this.#snapshot;
    const merged = { ...current, ...next };
    if (
      merged.value === current.value &&
      merged.etag === current.etag &&
      merged.status === current.status &&
      merged.error === current.error
    )
      return;
    this.#snapshot = Object.freeze(merged);
    for (const user of [...this.#users]) user.notify();
  }
}
