/** Steady writes at a fixed rate, for scenarios 2 (latency) and 4 (capacity). */
import { nowMs } from '../load/clock.js';
import { sleep, type Session } from './session.js';

/**
 * Writes to `path` at `perSec` for `count` writes (each sent at its slot, or as soon as the
 * previous one is answered), then waits up to `waitMs` for their deliveries.
 */
export async function steadyWrites(
  s: Session,
  path: string,
  count: number,
  perSec: number,
  waitMs: number,
): Promise<boolean> {
  const t0 = nowMs();
  for (let k = 0; k < count; k++) {
    const wait = t0 + (k * 1000) / perSec - nowMs();
    if (wait > 0) await sleep(wait);
    await s.write(path);
  }
  return s.pool.until(waitMs);
}
