/**
 * Milliseconds on CLOCK_MONOTONIC (`process.hrtime`): one clock for every process on the
 * machine, so a time taken by the writer and one taken by a subscriber process compare
 * directly (same machine only).
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
