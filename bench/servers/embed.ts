/**
 * The app of the `fetch` group's servers: the examples' JSON documents with `createPrep`
 * (a `MemoryHistory`), limits raised so the benchmark, not SEC-2, decides how many
 * subscribers there are. Each server file puts it on one transport.
 */
import { createPrep, type Prep } from '../../src/server/index.js';

export function benchPrep(): Prep {
  return createPrep({
    watch: (path) => path.startsWith('/docs/'),
    expires: 3600,
    limits: { maxSubscriptions: 10_000_000, maxPerClient: 10_000_000, maxPerResource: 10_000_000 },
  });
}

/** The hub's counters, for the report (writes per delivery). */
export function hubStats(prep: Prep): () => Record<string, number> {
  return () => ({ ...prep.engine.hub.stats });
}
