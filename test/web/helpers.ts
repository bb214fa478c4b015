/**
 * Helpers of the web page tests: the page composed with the resource server on port 0 (as
 * `prep serve` will compose them), and Chromium through playwright-core when it is there.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, type TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createResourceServer, type ResourceServerOptions } from '../../src/server/index.js';
import { createWebPage, type WebPage } from '../../src/server/app/web-page.js';
import { MemoryStore } from '../../src/store/index.js';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The Chromium `npm test` installs (scripts/setup-system.mjs), or undefined. */
export async function findChromium(): Promise<string | undefined> {
  // A plain .mjs without types: import it by a computed specifier and type what it exports.
  const setup = '../../scripts/setup-system.mjs';
  const setupModule = (await import(setup)) as { findChromium: () => string | undefined };
  return setupModule.findChromium();
}

/**
 * Whether the browser tests run: in CI (CI=true) Chromium is required, so a missing one
 * fails them; elsewhere they skip with a one-line reason.
 */
export async function chromiumOrSkip(): Promise<{ path?: string; skip: string | false }> {
  const path = await findChromium();
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (path !== undefined) return { path, skip: false };
  if (ci) return { skip: false };
  return { skip: 'chromium is not installed (sudo apt-get install -y chromium)' };
}

/**
 * Chromium for the tests of one file: launched before them, closed after them. `skip` as
 * {@link chromiumOrSkip} says; in CI a missing Chromium fails the file, naming the install.
 */
export async function chromiumForFile(): Promise<{ skip: string | false; browser: () => Browser }> {
  const { path, skip } = await chromiumOrSkip();
  let browser: Browser | undefined;
  before(async () => {
    if (skip) return;
    assert.ok(path, 'Chromium is required in CI: sudo apt-get install -y chromium');
    browser = await chromium.launch({ executablePath: path, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
  });
  return {
    skip,
    browser: () => {
      assert.ok(browser, 'Chromium was launched');
      return browser;
    },
  };
}

let built: Promise<WebPage> | undefined;
/** The page, built once per test file (bundling takes a moment). */
export function webPage(): Promise<WebPage> {
  built ??= createWebPage();
  return built;
}

export interface PageServer {
  url: string;
  app: ReturnType<typeof createResourceServer>;
  /** A write over HTTP (a string or bytes as they are, else JSON); resolves with the status. */
  send(method: string, path: string, body?: unknown, type?: string): Promise<number>;
}

/**
 * The page and the resource server behind one node:http listener, wired as `prep serve`
 * wires them (the page as a pre-handler); stopped when the test ends.
 */
export async function startPageServer(
  t: TestContext,
  options: Omit<ResourceServerOptions, 'store' | 'preHandlers'> = {},
): Promise<PageServer> {
  const store = new MemoryStore();
  await store.open();
  const page = await webPage();
  const app = createResourceServer({ ...options, store, preHandlers: [page] });
  const server = http.createServer((req, res) => app.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await app.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    async send(method, path, body, type = 'application/json') {
      const init: RequestInit = { method };
      if (body !== undefined) {
        init.body =
          typeof body === 'string' || body instanceof Uint8Array
            ? (body as string | Uint8Array<ArrayBuffer>)
            : JSON.stringify(body);
        init.headers = { 'Content-Type': type };
      }
      const res = await fetch(`${url}${path}`, init);
      await res.arrayBuffer();
      return res.status;
    },
  };
}

/** Polls `check` until it returns something other than undefined/false. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
