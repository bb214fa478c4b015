// A throwaway nginx for tests: Debian's stock /etc/nginx/nginx.conf with only its system paths
// moved into a temp dir (pid, logs, temp files, no sites-enabled), plus a server block the
// test gives, run in the foreground (`daemon off`) as a child on a free loopback port. Tests
// that need it skip (outside CI) when nginx is missing; in CI it is required.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './postgres.js';

/** The message a test skips with when nginx is not installed. */
export const NGINX_MISSING = 'nginx is not installed: sudo apt-get install -y nginx';

/** A running nginx. */
export interface TestNginx {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The directory of its configuration, logs and cache. */
  dir: string;
  /** Its access log so far. */
  accessLog(): string;
  stop(): Promise<void>;
}

async function findNginx(): Promise<string | undefined> {
  // A .mjs module without types: imported by a variable name so tsc does not look for them.
  const setup = '../../scripts/setup-system.mjs';
  const setupModule = (await import(setup)) as { findNginx: () => string | undefined };
  return setupModule.findNginx();
}

/**
 * Starts nginx with the stock configuration and `server` (a `server { ... }` block; `PORT`
 * in it becomes the port nginx listens on, `DIR` its directory). Resolves once it accepts
 * connections, or with `{ skip }` when nginx is not installed (outside CI).
 *
 * @example
 * ```ts
 * const nginx = await startNginx(`server { listen 127.0.0.1:PORT; location / { proxy_pass http://127.0.0.1:8080; } }`);
 * if ('skip' in nginx) return;
 * await fetch(`${nginx.url}/`);
 * await nginx.stop();
 * ```
 */
export async function startNginx(server: string): Promise<TestNginx | { skip: string }> {
  const bin = await findNginx();
  if (bin === undefined) {
    if (process.env.CI === 'true') throw new Error(`${NGINX_MISSING} (required in CI)`);
    return { skip: NGINX_MISSING };
  }
  const dir = mkdtempSync(join(tmpdir(), 'prep-nginx-'));
  const port = await freePort();
  const isRoot = process.getuid?.() === 0;
  const stock = readFileSync('/etc/nginx/nginx.conf', 'utf8');
  const conf = stock
    // As root, workers would run as www-data, who may not enter the temp dir.
    .replace(/^\s*user\s+[^;]+;/m, isRoot ? `user ${userInfo().username};` : '')
    .replace(/^\s*pid\s+[^;]+;/m, `pid ${dir}/nginx.pid;`)
    .replace(/^\s*error_log\s+[^;]+;/m, `error_log ${dir}/error.log;`)
    .replace(/^\s*access_log\s+[^;]+;/m, `access_log ${dir}/access.log;`)
    // The machine's own sites and snippets are not ours to start.
    .replace(/^\s*include\s+\/etc\/nginx\/(sites-enabled|conf\.d)\/[^;]*;/gm, '')
    .replace(
      /^http\s*{/m,
      [
        'http {',
        `client_body_temp_path ${dir}/client_body;`,
        `proxy_temp_path ${dir}/proxy;`,
        `fastcgi_temp_path ${dir}/fastcgi;`,
        `uwsgi_temp_path ${dir}/uwsgi;`,
        `scgi_temp_path ${dir}/scgi;`,
        `include ${dir}/server.conf;`,
      ].join('\n'),
    );
  writeFileSync(join(dir, 'nginx.conf'), conf);
  writeFileSync(
    join(dir, 'server.conf'),
    server.replace(/\bPORT\b/g, String(port)).replace(/\bDIR\b/g, dir),
  );
  let stderr = '';
  const child: ChildProcess = spawn(
    bin,
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT'); // graceful: workers finish, then the master exits
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => child.kill('SIGKILL'));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = readLog(join(dir, 'error.log'));
      await stop();
      throw new Error(`nginx did not start: ${stderr}${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    accessLog: () => readLog(join(dir, 'access.log')),
    stop,
  };
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
