import type { ServerKind } from '../servers/spawn.js';

/** Scenario groups of `npm run bench`, as named on its command line. */
export type ServerGroup = 'fanout' | 'latency' | 'memory' | 'capacity' | 'resources' | 'fetch';

/** What the subscribers received, against what the writes made them due. */
export interface DeliveryCheck {
  /** Notifications due (ready subscribers × writes to their resource). */
  expected: number;
  deliveries: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  /** Subscriptions the server ended or broke during the scenario. */
  closedEarly: number;
  /** Subscriptions that could not be opened. */
  connectFailed: number;
}

/**
 * One measured scenario for one server. Metric names end in their unit: `Us` µs, `Ms` ms,
 * `PerSec` per second, `KB`, `MB`.
 */
export interface ServerRow {
  group: ServerGroup;
  /** e.g. `one-at-a-time`, `burst of 10`. */
  scenario: string;
  server: ServerKind;
  /** Subscribers held while measuring. */
  subscribers: number;
  /** The count the plan asked for, when it was capped (descriptor limit). */
  requested?: number;
  metrics: Record<string, number>;
  check?: DeliveryCheck;
  /** False when the scenario failed (lost notifications, refused subscriptions, a crash...). */
  ok: boolean;
  note?: string;
}
