/** Descriptor limits, read from /proc (Linux). */
import { readFileSync } from 'node:fs';

/**
 * The `Max open files` limit of a process (soft; Node raises it to the hard one at
 * startup), from /proc (Linux); undefined elsewhere.
 */
export function fdLimit(pid: number | 'self' = 'self'): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}
