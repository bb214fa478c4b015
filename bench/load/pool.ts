/**
 * The load generator's pool of subscriber processes: it lives with `prep bench` in src/cli
 * (bench-pool.ts, bench-worker.ts), so the published CLI and these benchmarks share it.
 */
export {
  LoadPool,
  type ConnectResult,
  type LoadCheck,
  type LoadMark,
} from '../../src/cli/bench-pool.js';
