/**
 * `npm run fuzz`: the long fuzz run. The properties of `fuzz/targets.ts` and
 * `fuzz/http-target.ts` (the same ones `test/fuzz` runs a few hundred times) with a large
 * count: a million inputs per parser, tens of thousands of raw HTTP requests.
 *
 *   npm run fuzz                              every target, default counts
 *   npm run fuzz -- --count 10000             every target, 10 000 inputs each
 *   npm run fuzz -- --target sfv-list --target http
 *   npm run fuzz -- --seed 42 --jobs 1
 *
 * Each target runs in a child process (`--jobs` at a time, default: one per CPU), in batches
 * of fast-check runs with consecutive seeds, so a failure names the seed that reproduces it:
 * `fc.assert(property, { seed, path })`. A child that reports nothing for `--stall-ms` (a
 * hang in synchronous code) is killed and the batch it was on is recorded. Prints the count
 * and time per target, and writes `fuzz/results/latest.json`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { httpTarget } from './http-target.js';
import { PURE_TARGETS, slowest, type FuzzTarget } from './targets.js';

/** Every target of the long run; HTTP last, as it is bounded by time rather than CPU. */
const TARGETS: readonly FuzzTarget[] = [
  ...PURE_TARGETS,
  httpTarget('http', 'memory', 20_000, { batch: 16 }),
  httpTarget('http-sqlite', 'sqlite', 5_000, { batch: 16 }),
];

/** Runs per fast-check batch: a progress report (and a watchdog tick) each. */
const BATCH_RUNS = 5_000;
/** Failures kept per property; past them the property stops. */
const MAX_FAILURES = 3;

interface Failure {
  property: string;
  seed: number;
  path?: string;
  counterexample: string;
  error: string;
}

interface PropertyResult {
  name: string;
  runs: number;
  inputs: number;
  failures: Failure[];
}

interface TargetResult {
  target: string;
  inputs: number;
  ms: number;
  inputsPerSecond: number;
  properties: PropertyResult[];
  failures: Failure[];
  slowestCallMs: Record<string, number>;
  stats?: unknown;
  /** Set when the child crashed, hung or failed its closing checks. */
  error?: string;
}

type ChildMessage =
  | { type: 'batch'; property: string; seed: number; inputs: number }
  | { type: 'done'; result: TargetResult }
  | { type: 'crash'; error: string };

// ---------------------------------------------------------------------------------------
// Child: one target

async function runTarget(
  target: FuzzTarget,
  count: number,
  baseSeed: number,
): Promise<TargetResult> {
  const started = performance.now();
  const open = await target.open();
  const weights = open.properties.reduce((n, p) => n + p.weight, 0);
  const results: PropertyResult[] = [];
  let closeError: string | undefined;
  try {
    for (const [index, p] of open.properties.entries()) {
      const want = Math.max(1, Math.ceil((count * p.weight) / weights));
      const perRun = p.inputsPerRun ?? 1;
      const result: PropertyResult = { name: p.name, runs: 0, inputs: 0, failures: [] };
      results.push(result);
      const inputsBefore = open.inputs?.() ?? 0;
      for (let batch = 0; result.inputs < want && result.failures.length < MAX_FAILURES; batch++) {
        const seed = (baseSeed + index * 1_000_003 + batch) | 0;
        const numRuns = Math.max(
          1,
          Math.min(p.runsPerBatch ?? BATCH_RUNS, Math.ceil((want - result.inputs) / perRun)),
        );
        send({ type: 'batch', property: p.name, seed, inputs: result.inputs });
        const details = await fc.check(p.make(), { seed, numRuns, endOnFailure: false });
        result.runs += details.numRuns;
        result.inputs = open.inputs
          ? open.inputs() - inputsBefore
          : Math.round(result.runs * perRun);
        if (details.failed) {
          const failure: Failure = {
            property: p.name,
            seed,
            counterexample: fc.stringify(details.counterexample).slice(0, 4000),
            error: String(
              details.errorInstance instanceof Error
                ? (details.errorInstance.stack ?? details.errorInstance)
                : details.errorInstance,
            ).slice(0, 4000),
          };
          if (details.counterexamplePath !== null) failure.path = details.counterexamplePath;
          result.failures.push(failure);
        }
      }
    }
  } finally {
    try {
      await open.close();
    } catch (e) {
      closeError = `closing checks failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
  }
  const ms = performance.now() - started;
  const inputs = results.reduce((n, r) => n + r.inputs, 0);
  const out: TargetResult = {
    target: target.name,
    inputs,
    ms: Math.round(ms),
    inputsPerSecond: Math.round((inputs * 1000) / ms),
    properties: results,
    failures: results.flatMap((r) => r.failures),
    slowestCallMs: Object.fromEntries([...slowest].map(([k, v]) => [k, Math.round(v * 10) / 10])),
  };
  if (open.stats !== undefined) out.stats = open.stats;
  if (closeError !== undefined) out.error = closeError;
  return out;
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function child(name: string, count: number, seed: number): Promise<void> {
  // A crash anywhere (the HTTP server runs in this process) is a finding, reported as such.
  const crash = (e: unknown) => {
    send({ type: 'crash', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`unknown target ${name}`);
  const result = await runTarget(target, count, seed);
  send({ type: 'done', result });
  process.disconnect?.();
}

// ---------------------------------------------------------------------------------------
// Parent: schedule, watch, report

interface Options {
  count: number | undefined;
  targets: string[];
  seed: number;
  jobs: number;
  stallMs: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    count: undefined,
    targets: [],
    seed: Date.now() % 2 ** 31,
    jobs: Math.max(1, availableParallelism()),
    stallMs: 300_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const number = () => {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 0)
        throw new Error(`${flag} takes a non-negative integer`);
      return n;
    };
    switch (flag) {
      case '--count':
        options.count = number();
        break;
      case '--target':
        options.targets.push(...value().split(','));
        break;
      case '--seed':
        options.seed = number();
        break;
      case '--jobs':
        options.jobs = Math.max(1, number());
        break;
      case '--stall-ms':
        options.stallMs = number();
        break;
      case '--help':
        console.log(
          `usage: npm run fuzz -- [--count N] [--target NAME]... [--seed S] [--jobs J] [--stall-ms MS]\ntargets: ${TARGETS.map((t) => t.name).join(', ')}`,
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg} (try --help)`);
    }
  }
  for (const t of options.targets)
    if (!TARGETS.some((x) => x.name === t))
      throw new Error(`unknown target ${t}: one of ${TARGETS.map((x) => x.name).join(', ')}`);
  return options;
}

function runChild(
  target: FuzzTarget,
  count: number,
  options: Options,
  onProgress: (inputs: number) => void,
): Promise<TargetResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const proc: ChildProcess = fork(
      fileURLToPath(import.meta.url),
      ['--child', target.name, String(count), String(options.seed)],
      {
        execArgv: process.execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let last: { property: string; seed: number } | undefined;
    let done: TargetResult | undefined;
    let problem: string | undefined;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        problem =
          `hang: no progress for ${options.stallMs} ms` +
          (last ? ` in "${last.property}", batch seed ${last.seed}` : '');
        proc.kill('SIGKILL');
      }, options.stallMs);
    };
    arm();
    proc.on('message', (m: ChildMessage) => {
      if (done) return;
      arm();
      if (m.type === 'batch') {
        last = { property: m.property, seed: m.seed };
        onProgress(m.inputs);
      } else if (m.type === 'done') {
        done = m.result;
        // Finished: whatever still holds the child's event loop open is not a hang.
        clearTimeout(watchdog);
        setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
      } else problem = `crash: ${m.error}`;
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      if (done) {
        if (problem !== undefined) done.error = problem;
        resolve(done);
        return;
      }
      const ms = Math.round(performance.now() - started);
      resolve({
        target: target.name,
        inputs: 0,
        ms,
        inputsPerSecond: 0,
        properties: [],
        failures: [],
        slowestCallMs: {},
        error: problem ?? `the child exited with ${signal ?? code}`,
      });
    });
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await child(argv[1]!, Number(argv[2]), Number(argv[3]));
    return;
  }
  const options = parseArgs(argv);
  const selected =
    options.targets.length === 0
      ? TARGETS
      : TARGETS.filter((t) => options.targets.includes(t.name));
  const startedAt = new Date();
  const started = performance.now();
  console.log(`fuzz: ${selected.length} targets, seed ${options.seed}, ${options.jobs} at a time`);

  const queue = [...selected];
  const results: TargetResult[] = [];
  const progress = new Map<string, number>();
  const ticker = setInterval(() => {
    const line = [...progress].map(([name, n]) => `${name} ${n.toLocaleString('en')}`).join(' | ');
    if (line) console.log(`  … ${((performance.now() - started) / 1000).toFixed(0)} s: ${line}`);
  }, 30_000);
  const worker = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const count = options.count ?? target.defaultCount;
      progress.set(target.name, 0);
      const r = await runChild(target, count, options, (n) => progress.set(target.name, n));
      progress.delete(target.name);
      results.push(r);
      const status = r.error
        ? `ERROR ${r.error.split('\n')[0]}`
        : r.failures.length > 0
          ? `${r.failures.length} FAILURE(S)`
          : 'ok';
      console.log(
        `${r.target.padEnd(16)} ${r.inputs.toLocaleString('en').padStart(11)} inputs  ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.inputsPerSecond.toLocaleString('en').padStart(8)}/s  ${status}`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, selected.length) }, worker));
  clearInterval(ticker);

  results.sort(
    (a, b) =>
      selected.findIndex((t) => t.name === a.target) -
      selected.findIndex((t) => t.name === b.target),
  );
  const failed = results.filter((r) => r.error !== undefined || r.failures.length > 0);
  const report = {
    startedAt: startedAt.toISOString(),
    ms: Math.round(performance.now() - started),
    node: process.version,
    cpus: cpus().length,
    seed: options.seed,
    countOverride: options.count ?? null,
    inputs: results.reduce((n, r) => n + r.inputs, 0),
    failedTargets: failed.map((r) => r.target),
    targets: results,
  };
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('latest.json', dir), `${JSON.stringify(report, null, 2)}\n`);

  console.log(
    `\n${report.inputs.toLocaleString('en')} inputs in ${(report.ms / 1000).toFixed(1)} s; results in fuzz/results/latest.json`,
  );
  for (const r of failed) {
    console.log(`\n${r.target}:`);
    if (r.error) console.log(`  ${r.error}`);
    for (const f of r.failures) {
      console.log(
        `  ${f.property}\n    seed ${f.seed}${f.path ? `, path "${f.path}"` : ''}\n    ${f.counterexample.slice(0, 600)}\n    ${f.error.split('\n')[0]}`,
      );
    }
  }
  process.exitCode = failed.length > 0 ? 1 : 0;
}

await main();
