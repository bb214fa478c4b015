import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { ClusterPrimary } from '../app/cluster/primary.js';
import type { AdminHandlers } from './admin-server.js';

/** How long the primary waits for its workers' reports. */
const PROBE_MS = 2000;

/**
 * The admin listener of `prep serve --workers N`, served by the primary (the workers share the
 * resource port, not this one): each scrape or probe asks every worker over the cluster's IPC
 * channel for its metrics and readiness (`ClusterPrimary.probe`). The metrics are each
 * worker's, labelled `worker="1".."N"` (a restarted worker keeps its number), merged with
 * prom-client's `AggregatorRegistry.aggregate`, plus the primary's own (`prep_cluster_*`).
 * Asked this way rather than with prom-client's `clusterMetrics()`, a worker that is starting,
 * draining or stuck is left out after 2 s (and counted) instead of failing the whole scrape,
 * and readiness travels the same way.
 *
 * @example
 * ```ts
 * const primary = new ClusterPrimary({ workers: 4, log });
 * await startAdminServer({ port: 9090, ...clusterAdmin(primary) });
 * ```
 */
export function clusterAdmin(primary: ClusterPrimary): AdminHandlers {
  const own = new Registry();
  const registers = [own];
  let unanswered = 0;
  new Gauge({
    name: 'prep_cluster_workers',
    help: 'Worker processes up and listening.',
    registers,
    collect() {
      this.set(primary.serving);
    },
  });
  let restarts = 0;
  new Counter({
    name: 'prep_cluster_worker_restarts_total',
    help: 'Workers started again after one died.',
    registers,
    collect() {
      if (primary.restarts > restarts) this.inc(primary.restarts - restarts);
      restarts = primary.restarts;
    },
  });
  new Gauge({
    name: 'prep_cluster_streams',
    help: 'Streams counted against the subscription limits across all workers.',
    registers,
    collect() {
      this.set(primary.streams);
    },
  });
  new Gauge({
    name: 'prep_cluster_workers_unanswered',
    help: 'Workers that did not send their metrics within 2 s at this scrape (left out of it).',
    registers,
    collect() {
      this.set(unanswered);
    },
  });
  return {
    async metrics() {
      const probes = await primary.probe(PROBE_MS);
      unanswered = probes.filter((p) => !p.report).length;
      const all = [
        ...probes.flatMap((p) => (p.report ? [p.report.metrics] : [])),
        await own.getMetricsAsJSON(),
      ];
      const merged = AggregatorRegistry.aggregate(all);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
    async readiness() {
      const probes = await primary.probe(PROBE_MS);
      const workers = probes.map((p) => ({
        worker: p.slot,
        ...(p.report ? p.report.readiness : { ready: false, answered: false }),
      }));
      const draining = primary.stopping;
      const ready = !draining && workers.length > 0 && workers.every((w) => w.ready);
      return { ready, draining, workers };
    },
  };
}
