/**
 * Runs the samples of one Markdown document, in order, as a reader would: `ts` samples with
 * `node --import tsx`, `sh` samples with bash, all in one scratch directory (sample-dir.ts).
 * The conventions (also in docs/writing-docs.md):
 *
 * - Ports are placeholders. Each port number a runnable sample writes (`127.0.0.1:N`,
 *   `localhost:N`, `--port N`, `listen(N`, `port: N`, `PORT=N`) becomes a free port of the
 *   test's, the same one throughout the document. Port 8080 is `prep serve`: the test starts
 *   it (a fresh database, loopback) for every document that uses 8080, unless a sample of
 *   the document runs `prep serve` itself.
 * - In `sh` samples, `prep` and `npx prep` run this checkout's CLI, and `curl` fails on an
 *   HTTP error status (`--fail-with-body`): a sample that gets a 404 fails the test.
 * - A `server` or `background` sample is started, and the next sample runs once it has
 *   printed something (a server says where it listens, `curl -N` prints the first part). At
 *   the next heading, `server` samples are stopped and `background` ones must have ended by
 *   themselves with status 0. Every other runnable sample must exit 0.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { spawnCommand, spawnNode, within, type Child } from '../helpers/child.js';
import {
  expectedOutput,
  runs,
  type MarkdownItem,
  type MarkdownSample,
} from './markdown-samples.js';
import { root } from './package-names.js';
import { createSampleDir } from './sample-dir.js';

/** A hang guard for one sample (tsx compiles the sources it imports on first use). */
const SAMPLE_MS = 90_000;

export interface RunOptions {
  /** How long one sample may take to end, or to print what it must (default 90 s). */
  sampleMs?: number;
}

/** The port of `prep serve` in the docs. */
export const PREP_SERVE_PORT = 8080;

const PORT_PATTERNS = [
  /((?:127\.0\.0\.1|localhost|\[::1\]):)(\d{2,5})\b/g,
  /(--port[ =])(\d{2,5})\b/g,
  /(\.listen\(\s*)(\d{2,5})\b/g,
  /(\bport:\s*)(\d{2,5})\b/g,
  /(\bPORT=)(\d{2,5})\b/g,
];

/** The port numbers a sample writes. */
export function portsIn(code: string): number[] {
  return PORT_PATTERNS.flatMap((re) => [...code.matchAll(re)].map((m) => Number(m[2])));
}

/** `code` with each port number replaced by its stand-in. */
export function rewritePorts(code: string, ports: Map<number, number>): string {
  return PORT_PATTERNS.reduce(
    (text, re) =>
      text.replace(re, (all, head: string, n: string) => {
        const to = ports.get(Number(n));
        return to === undefined ? all : `${head}${to}`;
      }),
    code,
  );
}

/** A port nobody listens on right now (the OS picks it; the sample binds it next). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The shell prelude of `sh` samples: stop at the first failure; curl fails on 4xx/5xx. */
const SH_PRELUDE = `set -eo pipefail
curl() { command curl --fail-with-body -sS "$@"; }
`;

/**
 * Resolves once `child` has written output for which `ready` holds: on stdout for a ts
 * sample (an exception goes to stderr, and must not pass for a server that is up), on
 * stdout or stderr for a shell sample. Fails when it exits first (after a last look) or
 * after `ms`.
 */
async function outputOf(
  sample: MarkdownSample,
  child: Child,
  what: string,
  ready: (output: string) => boolean,
  ms: number,
): Promise<void> {
  const output = () => (sample.lang === 'ts' ? child.stdout() : child.stdout() + child.stderr());
  const deadline = Date.now() + ms;
  for (;;) {
    const ended = child.child.exitCode !== null || child.child.signalCode !== null;
    if (ended) await child.exited;
    if (ready(output())) return;
    if (ended) throw new Error(`it ended before ${what}: ${report(sample, child)}`);
    if (Date.now() > deadline)
      throw new Error(`no ${what} within ${ms} ms: ${report(sample, child)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the sample's output holds what its `prints` note says (if it has one). */
async function printed(sample: MarkdownSample, child: Child, ms: number): Promise<void> {
  const text = expectedOutput(sample);
  if (text !== undefined)
    await outputOf(sample, child, `printing ${JSON.stringify(text)}`, (o) => o.includes(text), ms);
}

interface Running {
  sample: MarkdownSample;
  child: Child;
}

function report(sample: MarkdownSample, child: Child): string {
  return `${sample.doc}:${sample.line} (${sample.lang} ${sample.kind})\n--- stdout\n${child.stdout()}--- stderr\n${child.stderr()}`;
}

/**
 * Runs every runnable sample of the document (`items` from readMarkdown) and fails the test
 * at the first sample that fails, naming its line.
 */
export async function runDocumentSamples(
  t: TestContext,
  items: MarkdownItem[],
  { sampleMs = SAMPLE_MS }: RunOptions = {},
): Promise<void> {
  const samples = items.flatMap((i) => (i.type === 'sample' ? [i.sample] : []));
  const doc = samples[0]?.doc ?? 'doc';
  const dir = createSampleDir(doc.replace(/\W+/g, '-'));
  t.after(() => dir.remove());
  const bin = join(dir.path, '.bin');
  mkdirSync(bin);
  const prep = join(bin, 'prep');
  writeFileSync(
    prep,
    `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'bin', 'prep.js')}" "$@"\n`,
  );
  chmodSync(prep, 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  for (const name of [
    'PORT',
    'HOST',
    'PREP_DATA',
    'PREP_DATABASE_URL',
    'PREP_AUTH_FILE',
    'FORCE_COLOR',
  ])
    delete env[name];
  env.NO_COLOR = '1';

  const ports = new Map<number, number>();
  for (const sample of samples)
    if (runs(sample.kind))
      for (const port of portsIn(sample.code))
        if (!ports.has(port)) ports.set(port, await freePort());

  const spawnOptions = { cwd: dir.path, env, waitMs: sampleMs };
  const prepPort = ports.get(PREP_SERVE_PORT);
  // A document may start its own (`prep serve --auth auth.json --port 8080`).
  const ownServer = samples.some(
    (s) => runs(s.kind) && s.lang === 'sh' && /\bprep serve\b/.test(s.code),
  );
  if (prepPort !== undefined && !ownServer) {
    const server = spawnNode(
      t,
      [
        join(root, 'bin', 'prep.js'),
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        String(prepPort),
        '--data',
        join(dir.path, 'prep.db'),
        '--quiet',
      ],
      spawnOptions,
    );
    t.after(async () => {
      server.kill('SIGTERM');
      await server.exit();
    });
    await server.waitFor(/listening on/);
  }

  let running: Running[] = [];
  const endSection = async (): Promise<void> => {
    // Last started, first stopped: a `curl -N` goes before the server it watches.
    for (const { sample, child } of running.reverse()) {
      await printed(sample, child, sampleMs);
      if (sample.kind === 'background') {
        const { code } = await within(
          child.exited,
          `${sample.doc}:${sample.line} to end by itself before the next heading`,
          sampleMs,
        );
        assert.equal(code, 0, `exit status of ${report(sample, child)}`);
      } else {
        // Stopped by our signal, or ended well by itself (curl -N after a DELETE); an exit
        // status of its own other than 0 is a failure (a port taken, an exception).
        child.kill('SIGTERM');
        const { code } = await child.exit();
        if (code !== null)
          assert.equal(code, 0, `a server sample ended by itself: ${report(sample, child)}`);
      }
    }
    running = [];
  };

  let n = 0;
  for (const item of items) {
    if (item.type === 'heading') {
      await endSection();
      continue;
    }
    const sample = item.sample;
    if (sample.kind === 'file') {
      writeFileSync(join(dir.path, sample.note), rewritePorts(sample.code, ports));
      continue;
    }
    if (!runs(sample.kind)) continue;
    const code = rewritePorts(sample.code, ports);
    let child: Child;
    if (sample.lang === 'ts') {
      const file = join(dir.path, `sample-${++n}-line-${sample.line}.ts`);
      writeFileSync(file, code);
      child = spawnCommand(t, process.execPath, ['--import', 'tsx', file], {
        ...spawnOptions,
        group: true,
      });
    } else {
      const script = SH_PRELUDE + code.replace(/\bnpx prep\b/g, 'prep');
      child = spawnCommand(t, 'bash', ['-c', script], { ...spawnOptions, group: true });
    }
    if (sample.kind === 'run') {
      const { code: status } = await child.exit();
      assert.equal(status, 0, `exit status of ${report(sample, child)}`);
      await printed(sample, child, sampleMs);
    } else {
      await outputOf(sample, child, 'its first output', (o) => o.trim() !== '', sampleMs);
      running.push({ sample, child });
    }
  }
  await endSection();
}
