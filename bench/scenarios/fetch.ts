/**
 * The `fetch` group (issue 20): what the fetch handler costs per delivery, side by side in
 * one run with the node:http path, on the same app (the examples' JSON documents with
 * `createPrep`) and the same load generator:
 *
 * - `embed-node`: `prepListener` on node:http (the hub writes pre-framed chunks straight to
 *   each socket: one `write(2)` per subscriber per round);
 * - `fetch-node`: `prepFetch` on `@hono/node-server` (each part a `ReadableStream` chunk that
 *   node-server reads and `res.write`s: a promise per read, node's chunked framing per write);
 * - `fetch-bun`, `fetch-deno`: `prepFetch` on `Bun.serve` and `Deno.serve` (each part
 *   handed to the runtime a turn or a timer apart, RSP-6: see `ReadableStreamSink`).
 *
 * Scenario 1 (fan-out on one resource: one write at a time, then bursts of 10) at each size;
 * the servers are measured in turn at each size, each with its own subscriber processes.
 * A runtime whose binary does not run here gets a row saying so.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LoadPool } from '../load/pool.js';
import { ROOT } from '../load/processes.js';
import { fmt, fmtCount, textTable } from '../report/format.js';
import { FETCH_SERVERS, type ServerKind } from '../servers/spawn.js';
import { fanout, type Held } from './one-resource.js';
import type { Plan } from './plan.js';
import { Session } from './session.js';
import type { ServerRow } from './types.js';

const PATH = '/docs/r';

/** Subscriber counts of the group. */
export function fetchSizes(plan: Plan): number[] {
  return plan.quick ? [200] : [1000, 5000].filter((n) => n <= plan.maxSubscribers);
}

/** Why a server's runtime cannot run here, or false. */
function unavailable(kind: ServerKind): string | false {
  const runtime = kind === 'fetch-bun' ? 'bun' : kind === 'fetch-deno' ? 'deno' : undefined;
  if (!runtime) return false;
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', runtime), ['--version'], {
    timeout: 30_000,
  });
  return r.status === 0
    ? false
    : `${runtime} does not run here (npm install: devDependency ${runtime})`;
}

export async function runFetch(plan: Plan, log: (line: string) => void): Promise<ServerRow[]> {
  const rows: ServerRow[] = [];
  const held: Held[] = [];
  const sizes = fetchSizes(plan);
  try {
    for (const kind of FETCH_SERVERS) {
      const why = unavailable(kind);
      if (why) {
        for (const n of sizes)
          rows.push({
            group: 'fetch',
            scenario: 'one-at-a-time',
            server: kind,
            subscribers: n,
            metrics: {},
            ok: false,
            note: why,
          });
        continue;
      }
      const pool = await LoadPool.start(plan.loadProcesses);
      const session = await Session.open(kind, pool).catch((err: unknown) => {
        pool.stop();
        throw err;
      });
      await session.setup([PATH]);
      held.push({ kind, session, mem0: await session.stats(), capacityHeld: 0 });
    }
    for (const n of sizes) {
      for (const h of held) {
        if (h.broken) continue;
        const more = n - h.session.pool.ready;
        if (more <= 0) continue;
        const conn = await h.session.subscribe([PATH], more);
        log(`fetch ${h.kind}: ${h.session.pool.ready} subscribers`);
        if (conn.failed > 0 || !h.session.server.alive)
          h.broken = !h.session.server.alive
            ? 'server process died'
            : `${conn.failed} of ${more} subscriptions failed (${conn.errors.join('; ')})`;
      }
      for (const h of held) {
        if (h.broken) {
          rows.push({
            group: 'fetch',
            scenario: 'one-at-a-time',
            server: h.kind,
            subscribers: n,
            metrics: {},
            ok: false,
            note: h.broken,
          });
          continue;
        }
        for (const row of await fanout(plan, h, n, {}, log, PATH))
          rows.push({ ...row, group: 'fetch' });
      }
    }
  } finally {
    for (const h of held) await h.session.close();
  }
  return rows;
}

const METRICS: Array<[key: string, label: string, info?: true]> = [
  ['cpuUs', 'server CPU µs/delivery'],
  ['userUs', '  of which user µs'],
  ['sysUs', '  of which kernel µs'],
  ['deliveriesPerSec', 'deliveries/s'],
  ['p99Ms', 'p99 ms (from response)'],
  ['socketWritesPerDelivery', 'hub writes/delivery', true],
  ['loadCores', 'load generator cores', true],
];

/**
 * The group as a table: each server's figures, and the cost of each against node:http's
 * path (`fetch-node ÷ embed-node`: its CPU per delivery ÷ embed-node's; > 1× costs more).
 */
export function fetchTable(rows: ServerRow[]): string {
  const head = [
    'scenario',
    'subs',
    'metric',
    ...FETCH_SERVERS,
    ...FETCH_SERVERS.slice(1).map((s) => `${s} ÷ ${FETCH_SERVERS[0]}`),
  ];
  const body: string[][] = [];
  const notes: string[] = [];
  const keys = [...new Set(rows.map((r) => `${r.scenario}\0${r.subscribers}`))];
  for (const key of keys) {
    const rs = rows.filter((r) => `${r.scenario}\0${r.subscribers}` === key);
    const by = new Map(rs.map((r) => [r.server, r]));
    const first = rs[0]!;
    let label = true;
    for (const [metric, name, info] of METRICS) {
      const values = FETCH_SERVERS.map((s) => by.get(s)?.metrics[metric]);
      if (values.every((v) => v === undefined)) continue;
      const base = values[0];
      body.push([
        label ? first.scenario : '',
        label ? fmtCount(first.subscribers) : '',
        name,
        ...values.map((v) => fmt(v)),
        ...values
          .slice(1)
          .map((v) =>
            info || metric !== 'cpuUs' || v === undefined || !base
              ? ''
              : `${(v / base).toFixed(2)}×`,
          ),
      ]);
      label = false;
    }
    body.push([
      '',
      '',
      'each delivered once, in order',
      ...FETCH_SERVERS.map((s) => {
        const r = by.get(s);
        return r === undefined ? '' : r.ok ? 'ok' : 'FAIL';
      }),
    ]);
    for (const r of rs)
      if (r.note) notes.push(`${r.scenario} ${fmtCount(r.subscribers)} ${r.server}: ${r.note}`);
  }
  return textTable(head, body, 3, [...new Set(notes)]);
}
