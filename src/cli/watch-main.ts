/**
 * Runs `prep watch` on its own, until it is wired into `prep` (cli/main.ts):
 * `node --import tsx src/cli/watch-main.ts URL [--json] [--live] ...`.
 *
 * @example
 * ```ts
 * // node --import tsx src/cli/watch-main.ts http://localhost:8080/notes/hello --json
 * ```
 */
import { watch } from './watch.js';

process.exitCode = await watch(process.argv.slice(2));
