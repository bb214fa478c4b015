/**
 * Every example in examples/ runs as documented (one command, a child process on a free
 * port), serves a document, and a subscriber hears of a PUT to it. Each child is stopped
 * with SIGTERM (its streams end with close delimiters) and awaited.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { within } from '../server/helpers.js';
import { prepOf, waitNotifications } from './behaviour.js';
import { createClient, type ClientKind } from './clients.js';
import { testCertificate } from './tls.js';

const root = join(import.meta.dirname, '..', '..');

async function installed(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

interface Example {
  name: string;
  file: string;
  args?: () => string[];
  /** The arguments as the test name shows them. */
  label?: string;
  kind: ClientKind;
  ca?: () => Buffer;
  skip?: () => Promise<string | false>;
}

const examples: Example[] = [
  { name: 'node:http', file: 'examples/node-http.ts', kind: 'http1' },
  {
    name: 'node:http2 over TLS',
    file: 'examples/http2.ts',
    args: () => ['--cert', testCertificate().certFile, '--key', testCertificate().keyFile],
    label: '--cert cert.pem --key key.pem',
    kind: 'h2',
    ca: () => testCertificate().cert,
  },
  {
    name: 'node:http2 h2c',
    file: 'examples/http2.ts',
    args: () => ['--h2c'],
    label: '--h2c',
    kind: 'h2',
  },
  { name: 'Express', file: 'examples/express.ts', kind: 'http1' },
  {
    name: 'Fastify',
    file: 'examples/fastify.ts',
    kind: 'http1',
    skip: async () =>
      (await installed('fastify')) ? false : 'fastify is not installed: npm install -D fastify@^5',
  },
];

/** Starts an example; resolves with its URL once it says it is listening. */
async function run(
  example: Example,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', example.file, ...(example.args?.() ?? [])],
    {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  try {
    const url = await within(
      new Promise<string>((resolve, reject) => {
        const check = (): void => {
          const m = /listening on (\S+)/.exec(output);
          if (m) resolve(m[1]!);
        };
        child.stdout.on('data', check);
        child.once('exit', (code) =>
          reject(new Error(`${example.file} exited (${code}): ${output}`)),
        );
      }),
      `${example.file} to listen`,
      30_000,
    );
    return { child, url, output: () => output };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.kill('SIGTERM');
  try {
    return await within(exited, 'the example to exit', 5_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

for (const example of examples) {
  test(`example ${example.file}${example.label ? ` ${example.label}` : ''} (${example.name}): a PUT reaches a subscriber`, async (t) => {
    const skip = (await example.skip?.()) ?? false;
    if (skip) {
      t.skip(skip);
      return;
    }
    const { child, url, output } = await run(example);
    const client = createClient(url, example.kind, example.ca?.());
    try {
      const json = { 'Content-Type': 'application/json' };
      const created = await client.request('PUT', '/docs/hello', {
        headers: json,
        body: '{"n":1}',
      });
      assert.equal(created.status, 201, output());
      const s = await client.open('/docs/hello', { 'Accept-Events': '"prep"' });
      assert.equal(s.status, 200);
      await s.waitFor(() => prepOf(s).digest !== undefined, 'the opening of the stream');
      assert.equal(prepOf(s).part1!.body.toString(), '{"n":1}');
      const updated = await client.request('PUT', '/docs/hello', {
        headers: json,
        body: '{"n":2}',
      });
      assert.equal(updated.status, 204);
      const [n] = await waitNotifications(s, 1);
      assert.equal(n!.method, 'PUT');
      assert.equal(n!.etag, updated.headers.etag);
      // SIGTERM: the example closes its streams with both close delimiters, then exits.
      const exit = stop(child);
      await s.waitFor(() => s.complete, 'the stream to end on shutdown');
      assert.ok(prepOf(s).closed);
      assert.equal(await exit, 0);
    } finally {
      client.close();
      await stop(child).catch(() => undefined);
    }
  });
}
