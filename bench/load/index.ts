/**
 * The load generator against any PREP server by URL: `prep bench URL` (src/cli/bench.ts)
 * runs it; the code lives in src/cli (bench-load.ts and its siblings) so the published CLI
 * carries it, and these benchmarks import it from there.
 *
 *   node bin/prep.js bench http://127.0.0.1:8080/r --subscribers 1000 --writes 20
 */
export {
  benchUrl,
  type PhaseResult,
  type UrlBenchOptions,
  type UrlBenchResult,
} from '../../src/cli/bench-load.js';
export { LoadPool } from './pool.js';
export { HttpWriter } from './writer.js';
export { ResponseScanner } from './stream-parser.js';
