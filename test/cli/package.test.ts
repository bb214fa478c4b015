/**
 * The published package: `npm run build` (scripts/build.mjs) compiles src/ and bundles the web
 * page, and the compiled CLI serves resources, PREP streams (RSP-1) and the web page with
 * plain node: no tsx, no esbuild (both devDependencies). Built into a folder inside the
 * checkout, so that the compiled modules find node_modules as an installed package would.
 * The same build's declarations are the public API that api/ reports (scripts/api-report.mjs).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..');

const HOOKS = `export async function resolve(specifier, context, next) {
  if (/^(esbuild|tsx)(\\/|$)/.test(specifier)) throw new Error('a devDependency at run time: ' + specifier);
  return next(specifier, context);
}`;
const DENY_DEV_DEPENDENCIES = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`,
)}`;

/** prep-live built into a folder of the checkout (the workspaces into their dist/), once. */
let built: string | undefined;
after(() => {
  if (built !== undefined) rmSync(built, { recursive: true, force: true });
});
function buildOnce(): string {
  if (built !== undefined) return built;
  built = mkdtempSync(join(root, '.build-test-'));
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--out-dir', built], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, build.stderr);
  return built;
}

test('RSP-1 the built package serves resources, streams and the web page with plain node', async (t) => {
  const out = buildOnce();
  const data = mkdtempSync(join(tmpdir(), 'prep-package-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));

  // Every export of every package (`prep-live/server`, `@prep-live/client/core`, ...) names
  // files the build made.
  for (const [dir, built] of [
    [root, out],
    [join(root, 'packages/client'), join(root, 'packages/client/dist')],
    [join(root, 'packages/react'), join(root, 'packages/react/dist')],
  ] as const) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, string | Record<string, string>>;
    };
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      const files: Array<[string, string]> =
        typeof target === 'string' ? [['default', target]] : Object.entries(target);
      for (const [condition, file] of files) {
        if (condition === 'prep-live-source' || !file.startsWith('./dist/')) continue;
        assert.ok(
          existsSync(join(built, file.slice('./dist/'.length))),
          `${pkg.name} ${subpath}: ${file}`,
        );
      }
    }
  }
  // The React bindings load as compiled (react resolves as a peer).
  const react = (await import(
    pathToFileURL(join(root, 'packages/react/dist/react/index.js')).href
  )) as typeof import('../../packages/react/src/react/index.js');
  assert.equal(typeof react.useResource, 'function');
  assert.equal(new react.ResourceStore().size, 0);

  // Plain node, no loader for TypeScript, and a resolve hook that refuses the devDependencies
  // an installed package does not have (esbuild, tsx).
  const child = spawn(
    process.execPath,
    [
      '--import',
      DENY_DEV_DEPENDENCIES,
      join(out, 'cli/main.js'),
      'serve',
      '--port',
      '0',
      '--data',
      join(data, 'db'),
      '--quiet',
    ],
    { cwd: data, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });

  const put = await fetch(`${url}/doc`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: '{"a":1}',
  });
  assert.equal(put.status, 201);

  const ac = new AbortController();
  const stream = await fetch(`${url}/doc`, {
    headers: { 'Accept-Events': '"prep"' },
    signal: ac.signal,
  });
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get('events') ?? '', /status=200/);
  assert.match(stream.headers.get('content-type') ?? '', /^multipart\/mixed/);
  const first = await stream.body!.getReader().read();
  assert.match(Buffer.from(first.value!).toString('latin1'), /--/);
  ac.abort();

  const page = await fetch(`${url}/`, { headers: { Accept: 'text/html' } });
  assert.equal(page.status, 200);
  const html = await page.text();
  const script = /src="([^"]*app\.js[^"]*)"/.exec(html)?.[1];
  assert.ok(script, html);
  const js = Buffer.from(await (await fetch(`${url}${script}`)).arrayBuffer());
  // The bundle made at build time, served as is.
  assert.deepEqual(js, readFileSync(join(out, 'web/app.bundle.js')));
});

test('the public API of every entry point is the one api/ reports', () => {
  const check = spawnSync(
    process.execPath,
    ['scripts/api-report.mjs', '--check', '--built', buildOnce()],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(
    check.status,
    0,
    `${check.stderr}${check.stdout}\nThe exports changed. If that is meant, update the reports with ` +
      '`node scripts/api-report.mjs` and commit api/ with the change (reviewers read its diff).',
  );
});
