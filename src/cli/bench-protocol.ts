/**
 * Messages between the coordinator (bench-pool.ts) and a subscriber process
 * (bench-worker.ts), sent over IPC with the `advanced` serialization (typed arrays travel as
 * such).
 */

/** Opens `count` more subscriptions, path `paths[(offset + i) % paths.length]` for the i-th. */
export interface ConnectRequest {
  type: 'connect';
  id: number;
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  url: string;
  paths: string[];
  offset: number;
  count: number;
  /** Writes already made to each of `paths` (their events precede these subscriptions). */
  writesSoFar: number[];
  /** Local addresses to bind, each used for at most `perAddress` subscriptions. */
  localAddresses: string[];
  perAddress: number;
  /** Subscriptions being opened at once. */
  concurrency: number;
  timeoutMs: number;
  /** The `Accept-Events` request field. Default `"prep"`. */
  acceptEvents?: string;
  /** Extra request fields (authorization, ...). */
  headers?: Record<string, string>;
}

export interface ConnectReply {
  type: 'connected';
  id: number;
  /** Ready subscriptions of this process in all. */
  ready: number;
  /** Ready subscriptions of this process on each of the request's `paths`. */
  readyByPath: number[];
  failed: number;
  /** A few failure reasons, for the report. */
  errors: string[];
  ms: number;
}

/** Resolves when this process has parsed at least `target` notifications in all. */
export interface UntilRequest {
  type: 'until';
  id: number;
  target: number;
  timeoutMs: number;
}

export interface UntilReply {
  type: 'reached';
  id: number;
  ok: boolean;
  deliveries: number;
}

/** A snapshot of counters and CPU; `resetSamples` starts a new latency phase. */
export interface MarkRequest {
  type: 'mark';
  id: number;
  resetSamples?: boolean;
}

export interface MarkReply {
  type: 'marked';
  id: number;
  deliveries: number;
  ready: number;
  closedEarly: number;
  cpu: NodeJS.CpuUsage;
  rss: number;
  at: number;
}

/**
 * Checks every subscription against the writes made (path -> count) and turns the latency
 * samples of the current phase into milliseconds from the write's response (path -> time of
 * the response to its n-th write, NaN when unknown).
 */
export interface CheckRequest {
  type: 'check';
  id: number;
  writes: Record<string, number>;
  writeTimes?: Record<string, Float64Array>;
}

export interface CheckReply {
  type: 'checked';
  id: number;
  deliveries: number;
  /** Notifications a subscriber never got. */
  lost: number;
  /** Notifications a subscriber got twice (or out of order). */
  duplicated: number;
  /** Event-IDs beyond the writes made (a server inventing events). */
  unexpected: number;
  /** Subscriptions the server ended or broke before the end. */
  closedEarly: number;
  /** Latency samples in ms (the phase's; capped). */
  latencies: Float64Array;
  /** Samples not kept (cap reached). */
  dropped: number;
}

export interface CloseRequest {
  type: 'close';
  id: number;
}

export interface CloseReply {
  type: 'closed';
  id: number;
}

export type WorkerRequest =
  | ConnectRequest
  | UntilRequest
  | MarkRequest
  | CheckRequest
  | CloseRequest
  | { type: 'exit'; id: number };
export type WorkerReply = ConnectReply | UntilReply | MarkReply | CheckReply | CloseReply;
