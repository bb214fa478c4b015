/**
 * The test app served as `prep serve` serves the web page: `startServer` on port 0 with a
 * pre-handler that answers `/app` (the page, rendered on the server) and `/app.js` (the app,
 * bundled for browsers by esbuild); every other path is the resource server's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import * as esbuild from 'esbuild';
import { StrictMode, createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { App } from './app.js';

let bundled: Promise<Uint8Array> | undefined;
/** The app for browsers, built once per test file. React's development build: StrictMode mounts twice. */
export function appBundle(): Promise<Uint8Array> {
  bundled ??= esbuild
    .build({
      entryPoints: [join(import.meta.dirname, 'main.tsx')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"development"' },
      write: false,
      outfile: 'app.js',
      logLevel: 'silent',
      // The workspace packages from their sources, as the tests run them.
      conditions: ['prep-live-source'],
    })
    .then((result) => {
      const out = result.outputFiles[0];
      if (out === undefined) throw new Error('esbuild produced no bundle for the test app');
      return out.contents;
    });
  return bundled;
}

/** The page: the app rendered on the server for `url`, hydrated by the bundle. */
export function appPage(url: string): string {
  const html = renderToString(createElement(StrictMode, null, createElement(App, { url })));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>useResource</title><link rel="icon" href="data:,"></head>
<body><div id="root" data-url="${escapeAttribute(url)}">${html}</div><script type="module" src="/app.js"></script></body></html>`;
}

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface AppServer {
  url: string;
  running: RunningServer;
  /** A write over HTTP, as another client makes it; resolves with the status. */
  send(method: string, path: string, body?: unknown): Promise<number>;
}

/** The resource server with the app at `/app?url=<resource>`; stopped when the test ends. */
export async function startAppServer(t: TestContext): Promise<AppServer> {
  const bundle = await appBundle();
  const store = new MemoryStore();
  await store.open();
  const app = {
    handle(req: IncomingMessage, res: ServerResponse): boolean {
      const target = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET') return false;
      if (target.pathname === '/app') {
        const page = appPage(target.searchParams.get('url') ?? '/');
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
        return true;
      }
      if (target.pathname === '/app.js') {
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle);
        return true;
      }
      return false;
    },
  };
  const running = await startServer({ store, port: 0, preHandlers: [app] });
  t.after(async () => {
    await running.close();
    await store.close();
  });
  return {
    url: running.url,
    running,
    async send(method, path, body) {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { 'Content-Type': 'application/json' };
      }
      const res = await fetch(`${running.url}${path}`, init);
      await res.arrayBuffer();
      return res.status;
    },
  };
}
