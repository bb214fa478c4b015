/**
 * `npm run bench`: every benchmark side by side in one run, printed as tables of absolute
 * figures and ratios, and written to bench/results/ as JSON (latest.json and a dated copy),
 * with the fan-out chart bench/results/fanout.svg. See bench/README.md.
 *
 *   npm run bench                          every group but `profile`
 *   npm run bench -- --quick               small counts (keeps the harness working; a test runs it)
 *   npm run bench -- fanout latency        only the named group(s): codec fanout latency
 *                                          memory capacity resources fetch cluster workers profile
 *                                          (--quick leaves cluster out unless named)
 *   npm run bench -- --servers ours,naive  only these servers (ours express-prep naive net-floor)
 *   npm run bench -- --sizes 1000,5000     fan-out subscriber counts
 *   npm run bench -- --json out.json       where to write the JSON (the SVG goes beside it)
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { codec, codecTable, type CodecRow } from './codec.js';
import { LoadPool } from './load/pool.js';
import { killChildren } from './load/processes.js';
import { runProfile, type ProfileResult } from './profile.js';
import { fanoutSvg } from './report/svg.js';
import { serverTable } from './report/table.js';
import { clusterPlan, clusterTable, runCluster, type ClusterRow } from './scenarios/cluster.js';
import { fetchSizes, fetchTable, runFetch } from './scenarios/fetch.js';
import { runOneResource } from './scenarios/one-resource.js';
import { makePlan } from './scenarios/plan.js';
import { runResources } from './scenarios/resources.js';
import { runWorkers, workersPlan, workersTable, type WorkersRow } from './scenarios/workers.js';
import type { ServerRow } from './scenarios/types.js';
import { SERVERS, type ServerKind } from './servers/spawn.js';

const GROUPS = [
  'codec',
  'fanout',
  'latency',
  'memory',
  'capacity',
  'resources',
  'fetch',
  'cluster',
  'workers',
  'profile',
];
const DEFAULT_GROUPS = GROUPS.filter((g) => g !== 'profile');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const optionValues = new Set(['--json', '--servers', '--sizes'].map(option));
const only = args.filter((a) => !a.startsWith('-') && !optionValues.has(a));
for (const g of only)
  if (!GROUPS.includes(g)) {
    console.error(`Unknown group ${g}; groups: ${GROUPS.join(' ')}`);
    process.exit(2);
  }
// Starting PostgreSQL and five `prep serve` processes (cluster), or `prep serve --workers`
// processes (workers), takes longer than a quick run of everything may: name them to run them.
const want = (group: string) =>
  (only.length === 0
    ? DEFAULT_GROUPS.filter((g) => !(quick && (g === 'cluster' || g === 'workers')))
    : only
  ).includes(group);
const servers = (option('--servers')?.split(',') ?? SERVERS) as ServerKind[];
for (const s of servers)
  if (!(SERVERS as readonly string[]).includes(s)) {
    console.error(`Unknown server ${s}; servers: ${SERVERS.join(' ')}`);
    process.exit(2);
  }
const sizes = option('--sizes')?.split(',').map(Number);

const started = Date.now();
const log = (line: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

// Every loop below is bounded by counts and timeouts; this bounds the whole run as well.
const deadlineMs = quick ? 5 * 60_000 : 45 * 60_000;
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${deadlineMs / 60_000} min; giving up`);
  killChildren();
  process.exit(1);
}, deadlineMs);
watchdog.unref();

const plan = makePlan(quick, sizes ? { sizes } : {});
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  quick,
  loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
  loadAverageAtEnd: [] as number[],
  fdLimit: plan.fdLimit ?? null,
  maxSubscribersPerProcess: plan.maxSubscribers,
};
console.log(
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}${quick ? ' (quick run)' : ''}`,
);
console.log(
  `Load average at start: ${machine.loadAverageAtStart.join(' ')} (other work on the machine makes absolute figures noisy; compare within a row)`,
);
if (plan.fdLimit !== undefined)
  console.log(
    `Descriptor limit of the child processes: ${plan.fdLimit} (ulimit -n; raised where allowed) => at most ${plan.maxSubscribers} subscribers per server process`,
  );

const requested = (n: number): number | undefined => plan.cappedFrom[n];

const codecRows: CodecRow[] = [];
const rows: ServerRow[] = [];
const fetchRows: ServerRow[] = [];
const cluster: { plan: ReturnType<typeof clusterPlan>; rows: ClusterRow[]; skip?: string } = {
  plan: clusterPlan(quick),
  rows: [],
};
const workers: { plan: ReturnType<typeof workersPlan>; rows: WorkersRow[] } = {
  plan: workersPlan(quick, plan.fdLimit),
  rows: [],
};
let profile: ProfileResult[] | undefined;
// latest.json always holds a full run; a run of some groups only gets its own file.
const full = only.length === 0;
const stem = quick ? 'latest-quick' : full ? 'latest' : `latest-${only.join('-')}`;
const file = option('--json') ?? join(import.meta.dirname, 'results', `${stem}.json`);
const dir = dirname(file);
mkdirSync(dir, { recursive: true });

let pool: LoadPool | undefined;
try {
  if (want('codec')) {
    log('codec');
    codecRows.push(...(await codec(quick)));
  }
  if (want('fanout') || want('memory') || want('latency') || want('capacity'))
    rows.push(
      ...(await runOneResource(
        plan,
        servers,
        {
          fanout: want('fanout'),
          memory: want('memory'),
          latency: want('latency'),
          capacity: want('capacity'),
        },
        log,
      )),
    );
  if (want('resources'))
    rows.push(...(await runResources(plan, servers, log, requested(plan.resources.subscribers))));
  if (want('fetch')) {
    log('fetch: the fetch handler on node, Bun and Deno beside node:http');
    fetchRows.push(...(await runFetch(plan, log)));
  }
  if (want('cluster')) {
    log('cluster');
    const r = await runCluster(cluster.plan, log);
    if ('skip' in r) {
      cluster.skip = r.skip;
      log(`cluster: skipped: ${r.skip}`);
    } else cluster.rows = r.rows;
  }
  if (want('workers')) {
    log('workers');
    workers.rows = await runWorkers(workers.plan, log);
  }
  if (want('profile')) {
    pool = await LoadPool.start(plan.loadProcesses);
    log(`load generator: ${pool.size} subscriber processes`);
  }
  if (pool && want('profile')) profile = await runProfile(plan, pool, dir, log);
} finally {
  pool?.stop();
  killChildren();
}
machine.loadAverageAtEnd = loadavg().map((x) => Number(x.toFixed(2)));

const parameters = {
  servers,
  loadProcesses: plan.loadProcesses,
  fanout: {
    sizes: plan.fanout.sizes,
    oneAtATime: Object.fromEntries(
      plan.fanout.sizes.map((n) => [
        n,
        { warmup: plan.fanout.warmup, writes: plan.fanout.writes(n) },
      ]),
    ),
    bursts: Object.fromEntries(
      plan.fanout.sizes.map((n) => [
        n,
        { burst: plan.fanout.burst, rounds: plan.fanout.rounds(n) },
      ]),
    ),
  },
  latency: plan.latency,
  memory: plan.memory,
  capacity: plan.capacity,
  resources: plan.resources,
  ...(want('fetch') ? { fetch: { sizes: fetchSizes(plan), path: '/docs/r' } } : {}),
  ...(want('cluster') ? { cluster: cluster.plan } : {}),
  ...(want('workers') ? { workers: workers.plan } : {}),
};

if (codecRows.length > 0) console.log('\n' + codecTable(codecRows));
if (rows.length > 0) {
  console.log(
    `\nServers side by side. Ratios: how many times better ours is (>1× = ours better). Parameters: ${JSON.stringify({ ...parameters, fanout: { sizes: plan.fanout.sizes, burst: plan.fanout.burst } })}`,
  );
  console.log(serverTable(rows));
}
if (fetchRows.length > 0) {
  console.log(
    '\nThe fetch handler (prepFetch) on node (@hono/node-server), Bun and Deno, beside the node:http path (prepListener), same app and load. "X ÷ embed-node": CPU per delivery against the node:http path (>1× costs more).',
  );
  console.log(fetchTable(fetchRows));
}
if (cluster.skip) console.log(`\nCluster: skipped (${cluster.skip})`);
if (cluster.rows.length > 0) {
  console.log(
    `\nSeveral nodes on one PostgreSQL (prep serve --database; the throwaway cluster runs with fsync off), beside one node. Parameters: ${JSON.stringify(cluster.plan)}`,
  );
  console.log(clusterTable(cluster.rows));
}
if (workers.rows.length > 0) {
  console.log(
    `\nprep serve --workers N on one SQLite file (ratios: how many times better than one process). Parameters: ${JSON.stringify(workers.plan)}`,
  );
  console.log(workersTable(workers.rows, workers.plan));
}
for (const p of profile ?? []) {
  console.log(
    `\nCPU profile of ours, ${p.scenario}, ${p.subscribers} subscribers (${p.file}): ${p.metrics.cpuUs?.toFixed(2)} µs CPU/delivery while profiled; top self time:`,
  );
  for (const e of p.top.slice(0, 20))
    console.log(
      `${e.selfPercent.toFixed(1).padStart(6)}%  ${e.selfMs.toFixed(0).padStart(6)} ms  ${e.function}  ${e.where}`,
    );
}
console.log(
  `Load average at end: ${machine.loadAverageAtEnd.join(' ')}; run took ${((Date.now() - started) / 1000).toFixed(0)} s`,
);

const result = {
  machine,
  parameters,
  rows: codecRows,
  servers: rows,
  ...(fetchRows.length > 0 ? { fetch: fetchRows } : {}),
  ...(want('cluster') ? { cluster: cluster.skip ? { skip: cluster.skip } : cluster.rows } : {}),
  ...(want('workers') ? { workers: workers.rows } : {}),
  ...(profile ? { profile } : {}),
};
writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
console.log(`\nWritten to ${file}`);
if (!quick && full && !option('--json')) {
  const dated = join(dir, `${machine.date.slice(0, 16).replace(/:/g, '-')}.json`);
  copyFileSync(file, dated);
  console.log(`and ${dated}`);
}
if (rows.some((r) => r.group === 'fanout')) {
  // A quick run must not overwrite the chart of the last full run.
  const svg = join(dir, quick && !option('--json') ? 'fanout-quick.svg' : 'fanout.svg');
  writeFileSync(
    svg,
    fanoutSvg(
      rows,
      `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date.slice(0, 10)}${quick ? ' (quick run)' : ''}`,
    ),
  );
  console.log(`Chart: ${svg}`);
}
clearTimeout(watchdog);
