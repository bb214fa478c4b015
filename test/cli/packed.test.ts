/**
 * The packages as a user installs them: `npm pack` of @prep-live/client and prep-live,
 * installed into scratch projects outside the repository. A project that only listens
 * installs @prep-live/client alone: no native module, no database driver, no install script;
 * `subscribe` and `live` work from it against a running server, and its types check with
 * NodeNext and bundler resolution. A project that serves installs prep-live, and
 * `npx prep serve` runs from it. Inside the repository both import by their names (the
 * workspace links).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';

const root = join(import.meta.dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The tarballs of both packages, packed once for this file (the build runs first). */
let packed: Promise<{ client: string; server: string }> | undefined;
function pack(): Promise<{ client: string; server: string }> {
  packed ??= Promise.resolve().then(() => {
    const dir = mkdtempSync(join(tmpdir(), 'prep-pack-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    run(process.execPath, ['scripts/build.mjs'], root);
    // The build ran above: packing only collects the files.
    run(
      npm,
      ['pack', '--ignore-scripts', '--pack-destination', dir, '-w', 'packages/client'],
      root,
    );
    run(npm, ['pack', '--ignore-scripts', '--pack-destination', dir], root);
    const files = readdirSync(dir);
    const find = (re: RegExp) =>
      join(
        dir,
        files.find((f) => re.test(f))!,
      );
    return { client: find(/^prep-live-client-.*\.tgz$/), server: find(/^prep-live-\d.*\.tgz$/) };
  });
  return packed;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    // Outside the test runner's loader: as a user's shell runs it.
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A scratch project (an ES module package) outside the repository. */
function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'prep-user-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), '{ "name": "app", "private": true, "type": "module" }');
  return dir;
}

/** Every installed package name under node_modules (scoped ones as `@scope/name`). */
function installed(dir: string): string[] {
  const nm = join(dir, 'node_modules');
  const names: string[] = [];
  for (const name of readdirSync(nm)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@'))
      for (const sub of readdirSync(join(nm, name))) names.push(`${name}/${sub}`);
    else names.push(name);
  }
  return names;
}

function nativeFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.node')) found.push(join(d, e.name));
    }
  };
  walk(join(dir, 'node_modules'));
  return found;
}

test('@prep-live/client installed alone: no native module, no database driver, no install script; subscribe and live work; types check with NodeNext and bundler resolution', async (t) => {
  const { client } = await pack();
  const app = scratch(t);
  run(npm, ['install', '--no-audit', '--no-fund', client], app);
  const names = installed(app);
  assert.ok(names.includes('@prep-live/client'), names.join(' '));
  for (const heavy of ['better-sqlite3', 'postgres', 'prep-live', 'pino', 'prom-client'])
    assert.ok(!names.includes(heavy), `${heavy} is not installed with the client`);
  assert.deepEqual(nativeFiles(app), [], 'no native module');
  for (const name of names) {
    const pkg = JSON.parse(
      readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8'),
    ) as {
      scripts?: Record<string, string>;
    };
    for (const hook of ['preinstall', 'install', 'postinstall'])
      assert.equal(pkg.scripts?.[hook], undefined, `${name} has no ${hook} script`);
  }

  // Against a server: the representation, a notification, and a live copy that follows it.
  const store = new MemoryStore();
  await store.open();
  const server = await startServer({ store, port: 0 });
  t.after(() => server.close());
  await fetch(`${server.url}/doc`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: '{"n":0}',
  });
  writeFileSync(
    join(app, 'listen.mjs'),
    `import { subscribe, live } from '@prep-live/client';
import { parseAcceptEvents } from '@prep-live/client/core';
const url = process.argv[2];
if (!parseAcceptEvents('"prep"')) throw new Error('core');
const doc = live(url);
const seen = [];
for await (const item of subscribe(url, { delta: 'application/merge-patch+json' })) {
  seen.push(item.kind);
  if (item.kind === 'representation')
    await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"n":1}' });
  if (item.kind === 'notification') break;
}
while (doc.value?.n !== 1) await new Promise((r) => setTimeout(r, 20));
doc.close();
console.log(JSON.stringify({ seen, value: doc.value }));
`,
  );
  const out = await runAsync(process.execPath, ['listen.mjs', `${server.url}/doc`], app);
  assert.deepEqual(JSON.parse(out), {
    seen: ['representation', 'notification'],
    value: { n: 1 },
  });

  // Its types, as an app compiles against them.
  writeFileSync(
    join(app, 'app.ts'),
    `import { subscribe, type SubscriptionItem } from '@prep-live/client';
import { parseAcceptEvents, type Notification } from '@prep-live/client/core';
const items: SubscriptionItem[] = [];
for await (const item of subscribe('http://127.0.0.1:1/x')) items.push(item);
const n: Notification | undefined = undefined;
export const parsed = parseAcceptEvents('"prep"') ?? [];
export { items, n };
`,
  );
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  for (const [module, moduleResolution] of [
    ['NodeNext', 'NodeNext'],
    ['ESNext', 'Bundler'],
  ] as const) {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          lib: ['ES2023', 'DOM', 'DOM.Iterable'],
          module,
          moduleResolution,
          types: [],
        },
        files: ['app.ts'],
      }),
    );
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  }
});

test('prep-live installed from its tarball: its prep bin serves; both packages import by their names inside the repository', async (t) => {
  const { client, server } = await pack();
  const app = scratch(t);
  // better-sqlite3's own install script compiles it (about a minute): take the binary this
  // checkout built for the same version and platform instead.
  run(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts', client, server], app);
  const binary = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  mkdirSync(join(app, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
  copyFileSync(join(root, binary), join(app, binary));
  assert.ok(existsSync(join(app, 'node_modules/.bin/prep')));

  // The bin link npm made, run as a shell runs it (its shebang), not through `npm exec`: a
  // signal to npm would not reach the server it started.
  const serve = spawn(
    join(app, 'node_modules/.bin/prep'),
    ['serve', '--port', '0', '--data', 'prep.db'],
    {
      cwd: app,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => serve.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  serve.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const url = await new Promise<string>((resolve, reject) => {
    serve.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    serve.once('exit', (code) => reject(new Error(`prep serve exited ${code}: ${stderr}`)));
  });
  assert.equal(
    (
      await fetch(`${url}/a`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      })
    ).status,
    201,
  );
  const stream = await fetch(`${url}/a`, { headers: { 'Accept-Events': '"prep"' } });
  assert.match(stream.headers.get('events') ?? '', /status=200/);
  await stream.body?.cancel();

  // Inside the repository, by name, as a script of the checkout imports them (npm ci built
  // them: the `prepare` script).
  const out = run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const c = await import('@prep-live/client'); const core = await import('@prep-live/client/core'); const s = await import('prep-live/server'); console.log(typeof c.subscribe, typeof core.parseAcceptEvents, typeof s.createPrep);`,
    ],
    root,
  );
  assert.equal(out.trim(), 'function function function');
});

function runAsync(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NODE_OPTIONS: '' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}${out}`));
    });
  });
}
