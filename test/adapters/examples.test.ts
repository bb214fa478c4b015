/**
 * Every example in examples/ runs as documented (one command, a child process on a free
 * port, in its runtime: node, Bun or Deno), serves a document, and subscribers hear of a PUT
 * (with a delta where they asked for one) and of a DELETE, which ends their streams; every
 * delimiter ends a chunk or frame (RSP-6). Each child is stopped with SIGTERM (its streams
 * end with close delimiters) and awaited.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { within } from '../helpers/wait.js';
import { assertDelimitersEndPieces, prepOf } from './behaviour.js';
import { createClient, type ClientKind } from './clients.js';
import { assertLiveDocs } from './live-docs.js';
import { runtimeCommand, startListening, type Runtime } from './runtimes.js';
import { testCertificate } from './tls.js';

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
  /** Default node (through tsx). */
  runtime?: Runtime;
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
  {
    name: 'Hono on @hono/node-server',
    file: 'examples/hono.ts',
    kind: 'http1',
    skip: async () =>
      (await installed('hono')) && (await installed('@hono/node-server'))
        ? false
        : 'hono is not installed: npm install -D hono @hono/node-server',
  },
  { name: 'Bun', file: 'examples/bun.ts', runtime: 'bun', kind: 'http1' },
  { name: 'Deno', file: 'examples/deno.ts', runtime: 'deno', kind: 'http1' },
];

/** Starts an example; resolves with its URL once it says it is listening. */
function run(example: Example): ReturnType<typeof startListening> {
  const command = runtimeCommand(example.runtime ?? 'node', example.file);
  return startListening({
    file: command.file,
    args: [...command.args, ...(example.args?.() ?? [])],
  });
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
  test(`N822-2 N822-8 RSP-6 RSP-7 example ${example.file}${example.label ? ` ${example.label}` : ''} (${example.name}): a PUT reaches subscribers, with a delta; a DELETE ends their streams`, async (t) => {
    const skip =
      (await example.skip?.()) ?? runtimeCommand(example.runtime ?? 'node', example.file).skip;
    if (skip) {
      t.skip(skip);
      return;
    }
    const { child, url, output } = await run(example);
    const client = createClient(url, example.kind, example.ca?.());
    try {
      await assertLiveDocs(client, output);
      const json = { 'Content-Type': 'application/json' };
      // SIGTERM: the example closes its streams with both close delimiters, then exits.
      const other = await client.request('PUT', '/docs/other', { headers: json, body: '{}' });
      assert.equal(other.status, 201);
      const last = await client.open('/docs/other', { 'Accept-Events': '"prep"' });
      await last.waitFor(() => prepOf(last).digest !== undefined, 'the opening of the stream');
      const exit = stop(child);
      await last.waitFor(() => last.complete, 'the stream to end on shutdown');
      assert.ok(prepOf(last).closed);
      assertDelimitersEndPieces(last, [prepOf(last).mixed, prepOf(last).digest!]);
      assert.equal(await exit, 0);
    } finally {
      client.close();
      await stop(child).catch(() => undefined);
    }
  });
}
