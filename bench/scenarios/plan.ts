/**
 * The parameters of each scenario (the numbering): full and `--quick`. Counts above
 * what one process can hold on this machine (its descriptor limit) are capped, and the cap
 * is reported with the results.
 */
import { execFileSync } from 'node:child_process';

/** The steps the full plan would take without the descriptor cap (for the report). */
export const CAPACITY_STEPS = [10_000, 20_000, 50_000, 100_000, 150_000, 200_000];
/** Fan-out sizes of the issue. */
export const FANOUT_SIZES = [1000, 10_000, 50_000];

export interface Plan {
  quick: boolean;
  /** Subscriber processes of the load generator. */
  loadProcesses: number;
  /** Highest subscriber count one server process can hold here (descriptor limit). */
  maxSubscribers: number;
  /** Descriptor limit of the child processes. */
  fdLimit: number | undefined;
  /** For a count that was capped: the count asked for. */
  cappedFrom: Record<number, number>;
  fanout: {
    sizes: number[];
    /** One write at a time: warm-up writes, then measured writes, per size. */
    warmup: number;
    writes: (n: number) => number;
    /** Bursts of `burst` concurrent writes (one connection each), `rounds` times. */
    burst: number;
    rounds: (n: number) => number;
  };
  /** `rounds` rounds of `seconds / rounds` each per server, interleaved. */
  latency: { subscribers: number; writesPerSec: number; seconds: number; rounds: number };
  memory: { sizes: number[] };
  capacity: {
    steps: number[];
    /** Writes per step, at `writesPerSec`; a step fails when p99 passes `p99LimitMs`. */
    writes: number;
    writesPerSec: number;
    p99LimitMs: number;
    /** Servers measured (express-prep last: it fails first). */
  };
  resources: { subscribers: number; resources: number; writes: number; writers: number };
}

/** The descriptor limit a child started by processes.ts gets (it raises it if allowed). */
export function childFdLimit(): number | undefined {
  try {
    const out = execFileSync(
      'bash',
      ['-c', 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n'],
      { encoding: 'utf8' },
    ).trim();
    return out === 'unlimited' ? undefined : Number(out);
  } catch {
    return undefined;
  }
}

export function makePlan(quick: boolean, overrides: { sizes?: number[] } = {}): Plan {
  const fdLimit = childFdLimit();
  // Room for the process's own descriptors (stdio, IPC, epoll, the listener, writers...).
  const maxSubscribers =
    fdLimit === undefined ? 1_000_000 : Math.max(500, Math.floor((fdLimit - 300) / 500) * 500);
  const cappedFrom: Record<number, number> = {};
  const cap = (n: number) => {
    if (n <= maxSubscribers) return n;
    cappedFrom[maxSubscribers] = Math.max(cappedFrom[maxSubscribers] ?? 0, n);
    return maxSubscribers;
  };
  const uniq = (xs: number[]) => [...new Set(xs.map(cap))];
  if (quick)
    return {
      quick,
      loadProcesses: 1,
      maxSubscribers,
      fdLimit,
      cappedFrom,
      fanout: {
        sizes: uniq(overrides.sizes ?? [200]),
        warmup: 2,
        writes: () => 5,
        burst: 5,
        rounds: () => 2,
      },
      latency: { subscribers: cap(200), writesPerSec: 10, seconds: 0.6, rounds: 2 },
      memory: { sizes: uniq([200]) },
      capacity: { steps: [200, 400], writes: 3, writesPerSec: 10, p99LimitMs: 1000 },
      resources: { subscribers: cap(200), resources: 20, writes: 40, writers: 4 },
    };
  const steps = CAPACITY_STEPS;
  const cappedSteps = steps.filter((s) => s <= maxSubscribers);
  if (cappedSteps.length < steps.length && !cappedSteps.includes(maxSubscribers))
    cappedSteps.push(maxSubscribers);
  const largest = Math.max(
    ...cappedSteps,
    ...(overrides.sizes ?? FANOUT_SIZES).map((n) => Math.min(n, maxSubscribers)),
  );
  const perProcess = fdLimit === undefined ? 100_000 : fdLimit - 500;
  return {
    quick,
    loadProcesses: Math.max(2, Math.ceil(largest / perProcess)),
    maxSubscribers,
    fdLimit,
    cappedFrom,
    fanout: {
      sizes: uniq(overrides.sizes ?? FANOUT_SIZES),
      warmup: 3,
      writes: (n) => (n <= 1000 ? 30 : n <= 10_000 ? 12 : 8),
      burst: 10,
      rounds: (n) => (n <= 1000 ? 4 : 2),
    },
    latency: { subscribers: cap(10_000), writesPerSec: 2, seconds: 10, rounds: 2 },
    memory: { sizes: uniq([10_000, 50_000]) },
    capacity: { steps: cappedSteps, writes: 6, writesPerSec: 2, p99LimitMs: 1000 },
    resources: { subscribers: cap(10_000), resources: 1000, writes: 2000, writers: 4 },
  };
}
