/** The subscribers' stream reader: it lives with `prep bench` in src/cli (bench-parser.ts). */
export { ResponseScanner } from '../../src/cli/bench-parser.js';
