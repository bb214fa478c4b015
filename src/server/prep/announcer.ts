import type { Hub, HubEvent } from './hub.js';

/**
 * The response of the request that made a change: a node:http `ServerResponse`, a node:http2
 * compat `Http2ServerResponse` (Express's `res`, Fastify's `reply.raw` are these).
 */
export interface WriterResponse {
  once(event: 'finish' | 'close', listener: () => void): unknown;
  off(event: 'finish' | 'close', listener: () => void): unknown;
  /** The whole response was handed to the OS. */
  readonly writableFinished?: boolean;
  destroy(): unknown;
}

/**
 * What one event is to one channel path: to its resource's subscribers (`self`), or to its
 * container's (`member`, N822-6). Each goes out on its own, in commit order per channel.
 */
interface HeldPart {
  /** The channel path it goes to: the resource, or its container. */
  key: string;
  event: HubEvent;
  only: 'self' | 'member';
}

/** A committed change waiting to be announced. */
interface HeldWrite {
  seq: number;
  /** Its parts not announced yet. */
  parts: HeldPart[];
  /** The writer's response was sent, or the writer is gone. */
  ready: boolean;
  res: WriterResponse | undefined;
  stall?: ReturnType<typeof setTimeout>;
}

/** Options of {@link Announcer}. */
export interface AnnouncerOptions {
  /**
   * How long a change whose writer does not take its response may hold up later
   * notifications to the same subscribers (they go out in commit order); then that writer
   * is disconnected. Default 10 000 ms.
   */
  writerStallMs?: number;
}

/**
 * Publishes changes to the hub in the order N822-3 asks: a change goes out only once the
 * response to the request that made it has been sent ('finish': its last byte was handed to
 * the OS), or once that writer has gone ('close' without 'finish': nothing committed goes
 * unannounced, N822-2). Changes go out in commit order per channel (a resource's
 * subscribers, a container's), so Event-IDs arrive in order even when an earlier writer is
 * slow to take its response, and a client that resumes after the last one it got misses
 * nothing (EXT-1). A held change to `/c/a` holds up `/c/`'s subscribers, not `/c/b`'s.
 *
 * @example
 * ```ts
 * declare const event: HubEvent; // a write's, from history.toHubEvent()
 * const announcer = new Announcer(engine.hub);
 * announcer.after(res, [event]); // published once res has finished
 * ```
 */
export class Announcer {
  readonly #hub: Hub;
  readonly #stallMs: number;
  /** Changes not yet announced, in commit order. */
  readonly #held: HeldWrite[] = [];
  /** Per channel path, the seqs of its parts not announced yet. */
  readonly #heldKeys = new Map<string, Set<number>>();

  constructor(hub: Hub, options: AnnouncerOptions = {}) {
    this.#hub = hub;
    this.#stallMs = options.writerStallMs ?? 10_000;
  }

  /** Whether the event of this seq is committed but not announced yet to `path`'s channel. */
  isHeld(seq: number, path: string): boolean {
    return this.#heldKeys.get(path)?.has(seq) ?? false;
  }

  /** The seq of the oldest change not announced yet to `path`'s channel, if any. */
  oldestHeld(path: string): number | undefined {
    let oldest: number | undefined;
    for (const seq of this.#heldKeys.get(path) ?? [])
      if (oldest === undefined || seq < oldest) oldest = seq;
    return oldest;
  }

  /** Changes waiting for their writers' responses. */
  get pending(): number {
    return this.#held.length;
  }

  /**
   * Announces `events` (one change, in seq order) once `res` has been sent or its client is
   * gone; with no `res`, as soon as no earlier change to the same subscribers is held.
   */
  after(res: WriterResponse | undefined, events: readonly HubEvent[]): void {
    const own = events.at(-1);
    if (!own) return;
    const parts: HeldPart[] = [];
    for (const e of events) {
      parts.push({ key: e.path, event: e, only: 'self' });
      if (e.parent !== null) parts.push({ key: e.parent, event: e, only: 'member' });
    }
    for (const p of parts) {
      let seqs = this.#heldKeys.get(p.key);
      if (!seqs) this.#heldKeys.set(p.key, (seqs = new Set()));
      seqs.add(p.event.seq);
    }
    const write: HeldWrite = {
      seq: own.seq,
      parts,
      ready: res === undefined,
      res,
    };
    // Changes arrive in commit order, so this is an append but for an unusual caller.
    let at = this.#held.length;
    while (at > 0 && this.#held[at - 1]!.seq > write.seq) at--;
    this.#held.splice(at, 0, write);
    if (res !== undefined) this.#watch(res, write);
    this.#release();
  }

  /** Forgets everything held (shutdown); nothing more is announced. */
  close(): void {
    for (const w of this.#held) clearTimeout(w.stall);
    this.#held.length = 0;
    this.#heldKeys.clear();
  }

  #watch(res: WriterResponse, write: HeldWrite): void {
    // An HTTP/1.1 response pipelined behind another has no socket of its own yet, and never
    // emits 'close' if the connection goes: watch the connection too.
    const socket = http1Socket(res);
    const ready = (): void => {
      if (write.ready) return;
      write.ready = true;
      clearTimeout(write.stall);
      res.off('finish', ready);
      res.off('close', ready);
      socket?.off('close', ready);
      // After every other 'finish' listener (a framework's own bookkeeping included): the
      // response is out before anything is announced (N822-3).
      setImmediate(() => this.#release());
    };
    res.once('finish', ready);
    res.once('close', ready);
    socket?.once('close', ready);
    if (res.writableFinished === true || isGone(res) || socket?.destroyed === true) ready();
  }

  /**
   * Publishes every part of a ready change that no earlier, unannounced part to the same
   * channel holds.
   */
  #release(): void {
    const blocked = new Map<string, HeldWrite>();
    for (let i = 0; i < this.#held.length;) {
      const w = this.#held[i]!;
      let by: HeldWrite | undefined;
      if (w.ready) {
        const left: HeldPart[] = [];
        for (const p of w.parts) {
          const b = blocked.get(p.key);
          if (b) {
            by ??= b;
            left.push(p);
            continue;
          }
          this.#forget(p);
          this.#hub.publish([p.event], p.only);
        }
        w.parts = left;
        if (left.length === 0) {
          this.#held.splice(i, 1);
          continue;
        }
        // A writer that does not take its response holds up others only so long.
        if (by && !by.stall && by.res) {
          const stalled = by.res;
          by.stall = setTimeout(() => disconnect(stalled), this.#stallMs);
          by.stall.unref();
        }
      }
      for (const p of w.parts) if (!blocked.has(p.key)) blocked.set(p.key, by ?? w);
      i++;
    }
  }

  #forget(p: HeldPart): void {
    const seqs = this.#heldKeys.get(p.key);
    seqs?.delete(p.event.seq);
    if (seqs?.size === 0) this.#heldKeys.delete(p.key);
  }
}

interface SocketLike {
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
  destroy(): unknown;
}

/** The connection of an HTTP/1.x response (not HTTP/2: there it is the whole session's). */
function http1Socket(res: WriterResponse): SocketLike | undefined {
  if ('stream' in res) return undefined;
  const req = (res as { req?: { socket?: SocketLike | null } }).req;
  return req?.socket ?? undefined;
}

function isGone(res: WriterResponse): boolean {
  const r = res as { destroyed?: boolean; stream?: { destroyed: boolean; closed: boolean } };
  return r.destroyed === true || r.stream?.destroyed === true || r.stream?.closed === true;
}

/** Cuts a writer that does not take its response: its connection, or on HTTP/2 its stream. */
function disconnect(res: WriterResponse): void {
  const socket = http1Socket(res);
  if (socket) socket.destroy();
  else res.destroy();
}

/**
 * The events a replay may send (RSP-5, EXT-1, and the gap between reading a base and
 * subscribing): not those still held for their writers' responses (N822-3), which go out
 * live. A replay then counts as sent only below the oldest held one (`oldestHeld` of
 * `EventHistory`), so that live one is not taken for a repeat.
 */
export function withoutHeld(events: HubEvent[], isHeld: (seq: number) => boolean): HubEvent[] {
  return events.some((e) => isHeld(e.seq)) ? events.filter((e) => !isHeld(e.seq)) : events;
}
