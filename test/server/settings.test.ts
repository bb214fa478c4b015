// The settings of `prep serve`: one table (src/server/settings.ts) that the library's defaults,
// the flags, the environment, the configuration file, --help and the README all read; the
// precedence flags > environment > file > defaults; every bad value or unknown key refused in
// one line that names it. And `prep serve --config` as an operator runs it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  SettingError,
  resolveSettings,
  serveFlags,
  serveHelp,
  settingsMarkdown,
  type SettingInputs,
} from '../../src/cli/serve-settings.js';
import { PrepEngine } from '../../src/server/engine/engine.js';
import { Hub } from '../../src/server/engine/hub.js';
import { createResourceServer } from '../../src/server/index.js';
import { DEFAULTS, SETTINGS, settingList } from '../../src/server/settings.js';
import { MemoryStore } from '../../src/store/index.js';
import { spawnNode } from '../helpers/child.js';
import { tempDir } from '../helpers/cleanup.js';
import { put } from '../helpers/http-checks.js';

const root = join(import.meta.dirname, '..', '..');

function resolve(inputs: Partial<SettingInputs>) {
  return resolveSettings({ flags: {}, env: {}, ...inputs });
}

function refusal(inputs: Partial<SettingInputs>): string {
  try {
    resolve(inputs);
  } catch (e) {
    assert.ok(e instanceof SettingError, `a SettingError, got ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return e.message;
  }
  assert.fail('expected a refusal');
}

test('the settings table: unique flags and variables, every default valid for its own type, --help and the README generated from it', () => {
  const list = settingList();
  assert.equal(new Set(list.map((s) => s.flag)).size, list.length, 'flags are unique');
  assert.equal(new Set(list.map((s) => s.env)).size, list.length, 'variables are unique');
  for (const s of list) {
    assert.match(s.flag, /^[a-z][a-z0-9-]*$/, s.flag);
    assert.ok(s.doc.length > 0, `${s.flag} is documented`);
    if (s.default !== undefined)
      assert.deepEqual(s.type.parse(s.default), s.default, `${s.flag}'s default is valid`);
  }
  const help = serveHelp();
  const words = help.replace(/\s+/g, ' ');
  for (const s of list) {
    assert.ok(help.includes(`--${s.flag}`), `--help lists --${s.flag}`);
    if (s.default !== undefined && s.default !== false)
      assert.ok(
        words.includes(`default ${s.type.show(s.default)}`),
        `--help shows ${s.flag}'s default`,
      );
  }
  assert.deepEqual(
    Object.keys(serveFlags()).sort(),
    [...list.map((s) => s.flag), 'config', 'help'].sort(),
  );
  // The README's table is the generated one (node scripts/settings-table.mjs --write).
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- settings:start[^>]*-->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme);
  assert.ok(block, 'the README has the settings block');
  assert.equal(block[1], settingsMarkdown(), 'run node scripts/settings-table.mjs --write');
});

test('the library reads its defaults from the table', () => {
  const engine = new PrepEngine();
  assert.equal(engine.limits.maxSubscriptions, DEFAULTS.maxSubscriptions);
  assert.equal(engine.limits.maxPerClient, DEFAULTS.maxSubscriptionsPerClient);
  assert.equal(engine.limits.maxPerResource, DEFAULTS.maxSubscriptionsPerResource);
  assert.equal(engine.limits.maxPerPrincipal, DEFAULTS.maxSubscriptionsPerToken);
  assert.equal(engine.limits.maxIdentical, DEFAULTS.maxIdenticalSubscriptions);
  assert.equal(new Hub().expires, DEFAULTS.expires);
  const app = createResourceServer({ store: new MemoryStore() });
  assert.equal(app.maxBodyBytes, DEFAULTS.maxBody);
  void app.close();
  // A changed default would show here and in the README at once.
  assert.equal(SETTINGS.maxBody.default, 1024 * 1024);
});

test('precedence: flags over the environment over the file over the defaults, for every kind of value', () => {
  const file = {
    name: 'prep.json',
    values: { port: 1001, 'max-body': 10, quiet: true, 'write-rate': 'off', cors: 'https://a' },
  };
  const env = { PORT: '2002', PREP_MAX_BODY: '20', PREP_QUIET: '0', HOST: '' };
  const flags = { port: '3003' };
  const all = resolve({ flags, env, file });
  assert.equal(all.settings.port, 3003);
  assert.equal(all.sources.port, 'flag');
  assert.equal(all.settings.maxBody, 20);
  assert.equal(all.sources.maxBody, 'env');
  assert.equal(all.settings.quiet, false, 'PREP_QUIET=0 over the file');
  assert.equal(all.settings.writeRate, 'off');
  assert.equal(all.sources.writeRate, 'file');
  assert.equal(all.settings.cors, 'https://a');
  assert.equal(all.settings.host, DEFAULTS.host, 'HOST= (empty) counts as unset');
  assert.equal(all.sources.host, 'default');
  assert.equal(all.settings.expires, DEFAULTS.expires);

  const noFlags = resolve({ env, file });
  assert.equal(noFlags.settings.port, 2002);
  const fileOnly = resolve({ file });
  assert.equal(fileOnly.settings.port, 1001);
  assert.equal(fileOnly.settings.maxBody, 10);
  assert.equal(fileOnly.settings.quiet, true);
  const none = resolve({});
  for (const s of settingList())
    assert.deepEqual(none.settings[s.key], s.default, `${s.flag} defaults`);
  // Words and numbers as each source spells them.
  assert.equal(resolve({ flags: { 'write-rate': '50/s' } }).settings.writeRate, 50);
  assert.equal(resolve({ flags: { workers: 'auto' } }).settings.workers, 'auto');
  assert.equal(resolve({ file: { name: 'f', values: { workers: 4 } } }).settings.workers, 4);
  assert.equal(resolve({ flags: { http2: true, cert: 'c', key: 'k' } }).settings.http2, true);
});

test('a bad value or an unknown key is refused in one line naming the flag, the variable or the key', () => {
  assert.equal(
    refusal({ flags: { 'max-body': 'abc' } }),
    '--max-body expects a non-negative integer, got "abc"',
  );
  assert.equal(
    refusal({ env: { PORT: '70000' } }),
    'PORT expects a non-negative integer up to 65535, got "70000"',
  );
  assert.match(refusal({ env: { PREP_QUIET: 'maybe' } }), /^PREP_QUIET expects true or false/);
  assert.match(
    refusal({ file: { name: 'prep.json', values: { 'max-bodyy': 1 } } }),
    /^prep\.json: unknown key "max-bodyy"/,
  );
  assert.match(
    refusal({ file: { name: 'prep.json', values: { config: 'other.json' } } }),
    /^prep\.json: unknown key "config"/,
    'a file does not name another file',
  );
  assert.equal(
    refusal({ file: { name: 'prep.json', values: { 'log-format': 'xml' } } }),
    'prep.json: "log-format" expects "text" or "json", got "xml"',
  );
  assert.match(
    refusal({ file: { name: 'prep.json', values: { 'write-burst': 0 } } }),
    /^prep\.json: "write-burst" expects an integer of at least 1, got 0/,
  );
  assert.match(
    refusal({ file: { name: 'prep.json', values: [1] } }),
    /^prep\.json: expected a JSON object/,
  );
  assert.match(
    refusal({ flags: { database: 'mysql://x' } }),
    /^--database expects a postgres:\/\/ URL/,
  );
  assert.match(refusal({ flags: { workers: '0' } }), /^--workers expects an integer from 1 to 256/);
  // Settings that only make sense together, whatever their sources.
  assert.match(
    refusal({ flags: { 'headers-timeout': '5000' }, env: { PREP_REQUEST_TIMEOUT: '1000' } }),
    /--headers-timeout must not exceed --request-timeout/,
  );
  assert.match(refusal({ flags: { http2: true } }), /--http2 needs --cert FILE and --key FILE/);
  assert.match(refusal({ env: { PREP_H2C: '1', PREP_CERT: 'c' } }), /--h2c is HTTP\/2 without TLS/);
});

function run(t: TestContext, args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  for (const s of settingList()) delete clean[s.env];
  delete clean.PREP_CONFIG;
  return spawnNode(t, [join(root, 'bin', 'prep.js'), ...args], {
    cwd: root,
    env: { ...clean, ...env },
    waitMs: 30_000,
  });
}

test('prep serve --config FILE: the file, the environment and the flags, each where it wins; a bad file stops the start with status 2', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'prep.json');
  writeFileSync(
    config,
    JSON.stringify({
      data: join(dir, 'prep.db'),
      'max-body': 10,
      'max-url': 100,
      expires: 77,
      'write-rate': 'off',
      quiet: true,
    }),
  );
  const cli = run(t, ['serve', '--port', '0', '--expires', '99'], {
    PREP_CONFIG: config,
    PREP_MAX_URL: '200',
  });
  const url = (await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  // The file's --max-body: 10 bytes.
  assert.equal((await put(`${url}/a`, '{"n":1}')).status, 201);
  assert.equal((await put(`${url}/a`, '{"n":"12345"}')).status, 413);
  // The environment's --max-url (200) over the file's (100).
  assert.equal((await fetch(`${url}/${'x'.repeat(150)}`)).status, 404);
  assert.equal((await fetch(`${url}/${'x'.repeat(250)}`)).status, 414);
  // The flag's --expires over the file's.
  const stream = await fetch(`${url}/a`, { headers: { 'Accept-Events': '"prep"' } });
  assert.match(stream.headers.get('events') ?? '', /expires=99/);
  await stream.body?.cancel();
  cli.child.kill('SIGTERM');
  assert.equal((await cli.exit()).code, 0);
  assert.doesNotMatch(cli.stdout(), / PUT \/a /, 'quiet, from the file');

  writeFileSync(config, '{"port": 0, "max-body": -5}');
  const bad = run(t, ['serve', '--config', config]);
  assert.equal((await bad.exit()).code, 2);
  assert.equal(
    bad.stderr(),
    `prep serve: ${config}: "max-body" expects a non-negative integer, got -5 (see prep serve --help)\n`,
  );
  const missing = run(t, ['serve', '--config', join(dir, 'nope.json')]);
  assert.equal((await missing.exit()).code, 2);
  assert.match(
    missing.stderr(),
    /^prep serve: --config .*nope\.json: ENOENT \(see prep serve --help\)\n$/,
  );
});
