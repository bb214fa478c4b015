#!/usr/bin/env node
// Installs the Debian packages some tests need (PostgreSQL for the multi-node store,
// Chromium for the web page, curl for the README's samples, nginx for the test behind a reverse
// proxy). Called by `npm test` (pretest) and by .ci/run. As root it
// runs apt-get; otherwise it only says what is missing, and those tests skip with the
// same one-line reason. Set PREP_SKIP_SETUP=1 to do nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

export function findChromium() {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
}

export function findNginx() {
  return ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
}

export function findPostgresBin() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(`${base}/${v}/bin/initdb`))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? `${base}/${versions[0]}/bin` : undefined;
}

export function findCurl() {
  return ['/usr/bin/curl', '/usr/local/bin/curl'].find((p) => existsSync(p));
}

const needs = [
  { pkg: 'postgresql', present: () => Boolean(findPostgresBin()) },
  { pkg: 'chromium', present: () => Boolean(findChromium()) },
  { pkg: 'curl', present: () => Boolean(findCurl()) },
  { pkg: 'nginx', present: () => Boolean(findNginx()) },
];

function main() {
  if (process.env.PREP_SKIP_SETUP === '1') return;
  const missing = needs.filter((n) => !n.present()).map((n) => n.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.log(
      `setup: missing ${missing.join(', ')}; tests that need them will skip. Install with: sudo apt-get install -y ${missing.join(' ')}`,
    );
    return;
  }
  console.log(`setup: installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) {
    console.error(
      `setup: apt-get install ${missing.join(' ')} failed (exit ${r.status}); the tests that need them will fail in CI`,
    );
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
