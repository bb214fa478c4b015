// Server nodes for the cluster tests: `prep serve --database URL` as child processes, so one
// can be killed (SIGKILL) like a crashed machine. Every child is killed when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { within } from '../helpers/wait.js';

const BIN = fileURLToPath(new URL('../../bin/prep.js', import.meta.url));
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A running `prep serve` child process. */
export interface Node {
  url: string;
  child: ChildProcess;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** SIGKILL, and waits for it to exit. */
  kill(): Promise<void>;
}

/** Starts `prep serve --port 0 --database URL --quiet` and waits for `listening on URL`. */
export async function startNode(databaseUrl: string): Promise<Node> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--database', databaseUrl, '--quiet'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PREP_DATABASE_URL: '' } },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = await within(
    new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`prep serve exited (${code}): ${err}`)));
    }),
    'prep serve to listen',
    30_000,
  ).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    url,
    child,
    stderr: () => err,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await within(exited, 'the node to exit');
    },
  };
}

/** Starts `n` nodes on one database, in parallel. */
export function startNodes(databaseUrl: string, n: number): Promise<Node[]> {
  return Promise.all(Array.from({ length: n }, () => startNode(databaseUrl)));
}

/** Kills every node given. */
export async function killAll(nodes: readonly Node[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill()));
}
