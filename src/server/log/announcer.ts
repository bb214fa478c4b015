import type { Hub, HubEvent } from '../engine/hub.js';
import { responseGate, type Writer } from './response-gate.js';
import { ResponseSignal } from './response-signal.js';

export type { Writer, WriterResponse } from './response-gate.js';

/**
 * When a held change may go out: its writer's response has been sent (`responseGate`),
 * another process says it has answered its writer (a mark, N822-3 across processes), or
 * at once.
 */
export interface Gate {
  /** Calls `open` once, when the change may go out (at once if it may now). */
  watch(open: () => void): void;
  /**
   * A later change to the same subscribers has waited `writerStallMs` behind this one: a
   * writer that does not take its response is cut, so that it holds up others only so long.
   */
  stalled(): void;
  /** Stops watching (shutdown). */
  dispose?(): void;
}

/** A gate that is open from the start: a change made outside any request. */
export const OPEN_GATE: Gate = {
  watch: (open) => open(),
  stalled: () => undefined,
};

/** The gate of a change made in `writer`'s request (N822-3); open at once without one. */
export function gateOf(writer: Writer | undefined): Gate {
  if (writer === undefined) return OPEN_GATE;
  return writer instanceof ResponseSignal ? writer.gate() : responseGate(writer);
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
  /** Its gate has opened. */
  ready: boolean;
  gate: Gate;
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
 * Publishes changes to the hub in the order N822-3 asks: a change goes out only once its
 * gate opens (the response to the request that made it has been sent, 'finish'; or that
 * writer has gone, 'close' without 'finish': nothing committed goes unannounced, N822-2; or
 * another process's mark says so). Changes go out in commit order per channel (a resource's
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
  #closed = false;

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

  /** Changes waiting for their gates. */
  get pending(): number {
    return this.#held.length;
  }

  /** The seq of the oldest change not announced yet, if any. */
  get oldestSeq(): number | undefined {
    return this.#held[0]?.seq;
  }

  /**
   * Announces `events` (one change, in seq order) once `res` has been sent or its client is
   * gone; with no `res`, as soon as no earlier change to the same subscribers is held.
   */
  after(res: Writer | undefined, events: readonly HubEvent[]): void {
    this.hold(gateOf(res), events);
  }

  /** Announces `events` (one change, in seq order) once `gate` opens, in commit order. */
  hold(gate: Gate, events: readonly HubEvent[]): void {
    const own = events.at(-1);
    if (!own || this.#closed) return;
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
    const write: HeldWrite = { seq: own.seq, parts, ready: false, gate };
    // Changes arrive in commit order, so this is an append but for an unusual caller.
    let at = this.#held.length;
    while (at > 0 && this.#held[at - 1]!.seq > write.seq) at--;
    this.#held.splice(at, 0, write);
    let sync = true;
    gate.watch(() => {
      if (write.ready) return;
      write.ready = true;
      clearTimeout(write.stall);
      // A gate that opens later opens on a response's 'finish': release after every other
      // 'finish' listener (a framework's own bookkeeping included), so the response is out
      // before anything is announced (N822-3).
      if (sync) this.#release();
      else setImmediate(() => this.#release());
    });
    sync = false;
  }

  /** Forgets everything held (shutdown); nothing more is announced. */
  close(): void {
    this.#closed = true;
    for (const w of this.#held) {
      clearTimeout(w.stall);
      w.gate.dispose?.();
    }
    this.#held.length = 0;
    this.#heldKeys.clear();
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
        if (by && !by.stall) {
          const stalled = by.gate;
          by.stall = setTimeout(() => stalled.stalled(), this.#stallMs);
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

/**
 * The events a replay may send (RSP-5, EXT-1, and the gap between reading a base and
 * subscribing): not those still held for their writers' responses (N822-3), which go out
 * live. A replay then counts as sent only below the oldest held one (`oldestHeld` of
 * `EventHistory`), so that live one is not taken for a repeat.
 */
export function withoutHeld(events: HubEvent[], isHeld: (seq: number) => boolean): HubEvent[] {
  return events.some((e) => isHeld(e.seq)) ? events.filter((e) => !isHeld(e.seq)) : events;
}
