/** The benchmark's writer: it lives with `prep bench` in src/cli (see bench-writer.ts). */
export { HttpWriter, type WriteResult } from '../../src/cli/bench-writer.js';
