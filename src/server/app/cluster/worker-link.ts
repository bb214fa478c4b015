import type {
  Admission,
  AdmissionLimits,
  AdmissionRefusal,
  StreamKeys,
} from '../../engine/admission.js';
import type { EventPath } from '../../log/event-path.js';
import {
  isPrepMessage,
  type PrimaryMessage,
  type WorkerMessage,
  type WorkerReport,
} from './messages.js';

/** The IPC channel of a worker process (`process` in a `node:cluster` worker). */
export interface WorkerChannel {
  send(message: WorkerMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * A worker's side of `prep serve --workers`: it tells the primary of its commits and marks
 * (coalesced, one message of each kind per turn at most) and wakes its own event path on the
 * others', and it counts streams at the primary (`admission`), so that the subscription
 * limits hold across workers.
 *
 * @example
 * ```ts
 * const link = new WorkerLink(process as WorkerChannel);
 * const app = createResourceServer({ store, admission: link.admission });
 * link.attach(app.events);
 * ```
 */
export class WorkerLink {
  readonly admission: Admission;
  readonly #channel: WorkerChannel;
  readonly #waiting = new Map<number, (refused: AdmissionRefusal | undefined) => void>();
  #nextId = 1;
  #events: EventPath | undefined;
  #commitQueued = false;
  #mark: { origin: string; seq: number; queued: boolean } | undefined;
  #report: (() => Promise<WorkerReport>) | undefined;
  readonly #onMessage = (m: unknown): void => this.#receive(m);

  constructor(channel: WorkerChannel) {
    this.#channel = channel;
    channel.on('message', this.#onMessage);
    this.admission = {
      acquire: (keys: StreamKeys, limits: AdmissionLimits) =>
        new Promise<AdmissionRefusal | undefined>((resolve) => {
          const id = this.#nextId++;
          this.#waiting.set(id, resolve);
          this.#send({ t: 'prep:acquire', id, keys, limits });
        }),
      release: (keys: StreamKeys) => this.#send({ t: 'prep:release', keys }),
    };
  }

  /** Relays `events`' commits and marks to the other workers, and theirs to it. */
  attach(events: EventPath): void {
    this.#events = events;
    events.onCommitted = () => {
      if (this.#commitQueued) return;
      this.#commitQueued = true;
      setImmediate(() => {
        this.#commitQueued = false;
        this.#send({ t: 'prep:committed' });
      });
    };
    events.onAnswered = (seq) => {
      const origin = events.origin;
      if (origin === undefined) return;
      const m = (this.#mark ??= { origin, seq, queued: false });
      m.seq = Math.max(m.seq, seq);
      if (m.queued) return;
      m.queued = true;
      setImmediate(() => {
        m.queued = false;
        this.#send({ t: 'prep:mark', origin: m.origin, seq: m.seq });
      });
    };
  }

  /** Answers the primary's probes (its admin listener: metrics, readiness) with `report`. */
  reportWith(report: () => Promise<WorkerReport>): void {
    this.#report = report;
  }

  /** Tells the primary where this worker listens. */
  listening(url: string): void {
    this.#send({ t: 'prep:listening', url });
  }

  /** Stops listening to the primary; pending admissions are refused (503). */
  close(): void {
    this.#channel.off('message', this.#onMessage);
    for (const resolve of this.#waiting.values()) resolve({ status: 503, limit: 'unavailable' });
    this.#waiting.clear();
  }

  #send(message: WorkerMessage): void {
    try {
      this.#channel.send(message);
    } catch {
      // The primary is gone: this worker is about to be stopped too.
    }
  }

  #receive(raw: unknown): void {
    if (!isPrepMessage(raw)) return;
    const m = raw as PrimaryMessage;
    switch (m.t) {
      case 'prep:wake':
        this.#events?.wake();
        return;
      case 'prep:mark':
        this.#events?.markAnswered(m.origin, m.seq);
        return;
      case 'prep:admitted': {
        const resolve = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        resolve?.(m.refused);
        return;
      }
      case 'prep:probe': {
        const id = m.id;
        this.#report?.().then(
          (report) => this.#send({ t: 'prep:probed', id, report }),
          () => undefined,
        );
        return;
      }
    }
  }
}
