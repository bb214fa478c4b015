/**
 * `npm run bench -- profile`: a CPU profile of our server during scenario 1 (one write at a
 * time, then bursts, to 10k subscribers on one resource). The V8 sampling profiler (the one
 * `node --cpu-prof` uses) is started over the inspector once the subscriptions are open and
 * warm, and stopped after the writes, so the profile holds the fan-out only, not the
 * connection setup. Writes `bench/results/profile-ours-fanout-<n>.cpuprofile` (open it in
 * Chrome DevTools or VS Code) and summarizes the top self-time functions.
 *
 *   node --import tsx bench/profile.ts <file.cpuprofile>   summarizes an existing profile
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { LoadPool } from './load/pool.js';
import { ROOT } from './load/processes.js';
import type { Plan } from './scenarios/plan.js';
import { Session, perDelivery } from './scenarios/session.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One function's share of the samples. */
export interface ProfileEntry {
  function: string;
  where: string;
  selfMs: number;
  selfPercent: number;
}

/** Self time per function (summed over its call sites), largest first. */
export function summarizeProfile(file: string, top = 25): ProfileEntry[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
  const agg = new Map<string, ProfileEntry>();
  for (const [id, micros] of self) {
    const f = byId.get(id)!.callFrame;
    const url = f.url.startsWith('file://') ? relative(ROOT, f.url.slice(7)) : f.url;
    const where = url ? `${url}:${f.lineNumber + 1}` : '';
    const name = f.functionName || '(anonymous)';
    const key = `${name} ${where}`;
    const e = agg.get(key) ?? { function: name, where, selfMs: 0, selfPercent: 0 };
    e.selfMs += micros / 1000;
    agg.set(key, e);
  }
  const entries = [...agg.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const e of entries) e.selfPercent = (e.selfMs * 1000 * 100) / total;
  return entries;
}

/** One profiled run: where the profile is, what the phase cost, the top self-time functions. */
export interface ProfileResult {
  scenario: string;
  file: string;
  subscribers: number;
  metrics: Record<string, number>;
  top: ProfileEntry[];
}

/**
 * Profiles our server in scenario 1 (one resource, 10k subscribers: writes one at a time,
 * then bursts) and in scenario 5 (10k subscribers over 1k resources), where the cost per
 * write, not per delivery, dominates.
 */
export async function runProfile(
  plan: Plan,
  pool: LoadPool,
  dir: string,
  log: (line: string) => void,
): Promise<ProfileResult[]> {
  const n = Math.min(10_000, plan.maxSubscribers, plan.quick ? 200 : Infinity);
  const out: ProfileResult[] = [];
  out.push(
    await profiled(pool, dir, `fanout-${n}`, n, ['/r'], log, async (s) => {
      for (let i = 0; i < (plan.quick ? 5 : 30); i++) {
        await s.write('/r');
        await s.pool.until(30_000);
      }
      for (let r = 0; r < (plan.quick ? 1 : 3); r++) {
        const from = s.writes['/r'] ?? 0;
        await Promise.all(Array.from({ length: 10 }, (_, k) => s.write('/r', k + 1)));
        s.forgetTimes('/r', from);
        await s.pool.until(30_000);
      }
    }),
  );
  const resources = plan.quick ? 20 : 1000;
  const paths = Array.from({ length: resources }, (_, i) => `/res/${i}`);
  out.push(
    await profiled(pool, dir, `resources-${resources}`, n, paths, log, async (s) => {
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let k = 0; k < (plan.quick ? 10 : 500); k++)
            await s.write(paths[(w + 4 * k) % paths.length]!, w);
        }),
      );
      await s.pool.until(30_000);
    }),
  );
  return out;
}

async function profiled(
  pool: LoadPool,
  dir: string,
  scenario: string,
  n: number,
  paths: string[],
  log: (line: string) => void,
  work: (s: Session) => Promise<void>,
): Promise<ProfileResult> {
  const file = join(dir, `profile-ours-${scenario}.cpuprofile`);
  const s = await Session.open('ours', pool);
  try {
    await s.setup(paths);
    await s.subscribe(paths, n);
    for (const p of paths.slice(0, 5)) {
      await s.write(p);
      await s.pool.until(30_000);
    }
    await s.server.profileStart();
    const cost = await s.measure(() => work(s));
    await s.server.profileStop(file);
    log(`profile written to ${relative(ROOT, file)}`);
    return {
      scenario,
      file: relative(ROOT, file),
      subscribers: n,
      metrics: perDelivery(cost),
      top: summarizeProfile(file),
    };
  } finally {
    await s.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2]) {
  for (const e of summarizeProfile(process.argv[2], Number(process.argv[3] ?? 30)))
    console.log(
      `${e.selfPercent.toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(6)} ms  ${e.function}  ${e.where}`,
    );
}
