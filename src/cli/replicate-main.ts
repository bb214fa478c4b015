/**
 * Runs `prep replicate` on its own, until it is wired into `prep` (cli/main.ts):
 * `node --import tsx src/cli/replicate-main.ts URL DIR [--once] [--interval MS]`.
 *
 * @example
 * ```ts
 * // node --import tsx src/cli/replicate-main.ts http://localhost:8080/notes/ ./mirror --once
 * ```
 */
import { replicate } from './replicate.js';

process.exitCode = await replicate(process.argv.slice(2));
