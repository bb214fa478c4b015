import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PrepEngine } from '../engine/engine.js';
import type { RequestRecord } from '../engine/request-record.js';
import type { EventPath } from '../log/event-path.js';

/** What the metrics read: the engine (hub and limits), the event path, the store's failures. */
export interface MetricsSources {
  engine: PrepEngine;
  events: EventPath;
  /** Store failures by code (`createResourceServer().storeErrors`). */
  storeErrors?: ReadonlyMap<string, number>;
}

/** Options of {@link PrepMetrics}. */
export interface PrepMetricsOptions {
  /** Labels on every series (with workers: `{ worker: '2' }`). */
  labels?: Record<string, string>;
  /** Node's own metrics too (event-loop delay, heap, open descriptors, CPU). Default true. */
  defaultMetrics?: boolean;
}

const WRITE_METHODS = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

/**
 * The Prometheus metrics of a PREP server (prom-client). Counters the hot path already keeps
 * (the hub's deliveries, writes, bytes, slow closes; the engine's refusals and open streams;
 * the store's failures) are read when `/metrics` is scraped, so serving a notification costs
 * nothing more. Per-request metrics (writes by method and status, write latency, problem
 * codes) take the request's record once it closes (`request`). The commit-to-delivery
 * latency is observed once per channel broadcast, not per subscriber.
 *
 * @example
 * ```ts
 * const app = createResourceServer({ store });
 * const metrics = new PrepMetrics({ engine: app.engine, events: app.events });
 * const { server } = await startServer({ store, onRequest: (r) => metrics.request(r) });
 * const text = await metrics.metrics(); // the Prometheus text format
 * ```
 */
export class PrepMetrics {
  readonly registry = new Registry();
  readonly #writes: Counter<'method' | 'status'>;
  readonly #writeSeconds: Histogram<'method'>;
  readonly #problems: Counter<'code' | 'status'>;

  constructor(sources: MetricsSources, options: PrepMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.labels) this.registry.setDefaultLabels(options.labels);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    const { engine, events } = sources;
    const hub = engine.hub;

    new Gauge({
      name: 'prep_streams_open',
      help: 'Open notifications streams, by notification format, delta type and HTTP version.',
      labelNames: ['format', 'delta', 'http_version'] as const,
      registers,
      collect() {
        this.reset();
        for (const o of engine.stats.open.values())
          this.set({ format: o.format, delta: o.delta, http_version: o.httpVersion }, o.count);
      },
    });
    monotonic(
      registers,
      'prep_deliveries_total',
      'Notification parts written to subscribers.',
      () => hub.stats.deliveries,
    );
    monotonic(
      registers,
      'prep_stream_writes_total',
      'Socket writes made for notification parts (fewer than deliveries when parts were coalesced).',
      () => hub.stats.writes,
    );
    monotonic(
      registers,
      'prep_stream_bytes_total',
      'Bytes written to notifications streams (with HTTP/1.1 chunk framing; keep-alives and closes included).',
      () => hub.stats.bytes,
    );
    monotonic(
      registers,
      'prep_slow_consumers_closed_total',
      'Streams closed because their subscriber fell more than --max-queue-bytes behind.',
      () => hub.stats.slowClosed,
    );
    monotonic(
      registers,
      'prep_streams_expired_total',
      'Streams ended by --expires.',
      () => hub.stats.expired,
    );
    labelledMonotonic(
      registers,
      'prep_stream_refusals_total',
      'Notifications refused, by reason: a subscription limit (its flag), not-streamable, forbidden, not-acceptable, draining, unavailable.',
      'reason',
      () => engine.stats.refused,
    );
    labelledMonotonic(
      registers,
      'prep_store_errors_total',
      'Store failures (status 500 and up: the database down, closed, ...) by code, from requests, the log follower and pruning.',
      'code',
      () => sources.storeErrors ?? new Map(),
    );
    new Histogram({
      name: 'prep_subscriber_queue_bytes',
      help: 'Bytes queued for each open stream, sampled at scrape time (a gauge histogram: its count is the open streams).',
      buckets: [0, 1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024],
      registers,
      collect() {
        this.reset();
        for (const sub of hub.subscriptions()) this.observe(sub.sink.bufferedBytes);
      },
    });
    const delivery = new Histogram({
      name: 'prep_commit_to_delivery_seconds',
      help: "From an event's commit to the end of the broadcast that wrote it to every subscriber of a channel.",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    hub.onDelivered = (ms) => delivery.observe(Math.max(0, ms) / 1000);
    const lagEvents = new Gauge({
      name: 'prep_follower_lag_events',
      help: 'Events committed to the shared log that this process has not read yet.',
      registers,
    });
    new Gauge({
      name: 'prep_follower_lag_seconds',
      help: 'Age of the oldest event this process has not read from the shared log (0 when caught up; NaN when the log cannot be read).',
      registers,
      async collect() {
        try {
          const lag = await events.lag();
          lagEvents.set(lag?.events ?? 0);
          this.set(lag?.seconds ?? 0);
        } catch {
          lagEvents.set(NaN);
          this.set(NaN);
        }
      },
    });
    new Gauge({
      name: 'prep_draining',
      help: '1 while the process drains (SIGTERM): new streams are refused and /readyz answers 503.',
      registers,
      collect() {
        this.set(engine.draining ? 1 : 0);
      },
    });
    this.#writes = new Counter({
      name: 'prep_writes_total',
      help: 'Write requests (PUT, PATCH, POST, DELETE) by method and status.',
      labelNames: ['method', 'status'] as const,
      registers,
    });
    this.#writeSeconds = new Histogram({
      name: 'prep_write_duration_seconds',
      help: 'Time from a write request’s arrival to the end of its response, by method.',
      labelNames: ['method'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.#problems = new Counter({
      name: 'prep_problems_total',
      help: 'Error answers by problem code (docs/errors.md) and status: each request bound (413, 414, 431, 408), the write rate (429), ...',
      labelNames: ['code', 'status'] as const,
      registers,
    });
  }

  /** Counts one request once its response has closed (a listener's `onRequest`). */
  request(record: RequestRecord): void {
    if (record.problem !== undefined)
      this.#problems.inc({ code: record.problem, status: String(record.status) });
    if (!WRITE_METHODS.has(record.method)) return;
    this.#writes.inc({ method: record.method, status: String(record.status) });
    this.#writeSeconds.observe({ method: record.method }, record.durationMs / 1000);
  }

  /** The Prometheus text exposition. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` of `metrics()`. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

/** A counter that shows a number the code keeps (and only ever increases). */
function monotonic(registers: Registry[], name: string, help: string, read: () => number): void {
  let last = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const now = read();
      if (now > last) this.inc(now - last);
      last = now;
    },
  });
}

/** A labelled counter that shows counts the code keeps by one label. */
function labelledMonotonic(
  registers: Registry[],
  name: string,
  help: string,
  label: string,
  read: () => ReadonlyMap<string, number>,
): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      for (const [value, now] of read()) {
        const before = last.get(value) ?? 0;
        if (now > before) this.inc({ [label]: value }, now - before);
        last.set(value, now);
      }
    },
  });
}
