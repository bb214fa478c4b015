/** The load generator's clock (CLOCK_MONOTONIC, ms): it lives with `prep bench` in src/cli. */
export { nowMs } from '../../src/cli/bench-writer.js';
