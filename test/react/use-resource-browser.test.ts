/**
 * useResource() in a real React app in Chromium (playwright-core over Debian's chromium),
 * served by `prep serve`'s server: components showing one resource share one stream, update
 * on another client's write, and close the stream when they unmount. The page is rendered on
 * the server and hydrated in StrictMode. Writes a screenshot to artifacts/react-e2e.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { chromiumForFile, eventually } from '../web/helpers.js';
import { startAppServer, type AppServer } from './app-server.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'artifacts');
const { browser, skip } = await chromiumForFile();
const VIEWS = ['#first', '#second', '#suspended'];

/**
 * The app in a new page, showing `resource`, once its three components are live and the
 * server holds their stream; what the page reports as a problem goes into `problems`.
 */
async function openApp(
  t: TestContext,
  srv: AppServer,
  resource: string,
): Promise<{ page: Page; problems: string[]; streams: string[] }> {
  const context = await browser().newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  // The notifications requests the page makes.
  const streams: string[] = [];
  page.on('request', (r) => {
    if (r.headers()['accept-events'] !== undefined) streams.push(r.url());
  });
  await page.goto(`${srv.url}/app?url=${resource}`);
  for (const view of VIEWS) await page.waitForSelector(`${view}[data-status=live]`);
  const hub = srv.running.app.engine.hub;
  await eventually(() => hub.stats.subscriptions === 1, 'the stream on the server');
  return { page, problems, streams };
}

test(
  "SEC-4 RSP-8 three components on one resource share ONE stream, all update on another client's write, and unmounting them closes it",
  { skip },
  async (t) => {
    const srv = await startAppServer(t);
    const hub = srv.running.app.engine.hub;
    assert.equal(await srv.send('PUT', '/docs/a', { title: 'first version' }), 201);

    const { page, problems, streams } = await openApp(t, srv, '/docs/a');
    for (const view of VIEWS)
      assert.equal(await page.textContent(`${view} h2`), 'first version', `${view} shows it`);
    // One stream for the three, StrictMode's second mount included: one request, one subscriber.
    assert.deepEqual(streams, [`${srv.url}/docs/a`]);
    assert.equal(hub.stats.subscriptions, 1);

    // Another client writes: every component shows it, with the new ETag.
    const etag = await page.getAttribute('#first', 'data-etag');
    const written = Date.now();
    assert.equal(await srv.send('PUT', '/docs/a', { title: 'second version' }), 204);
    await page.waitForFunction(
      (views) =>
        views.every((v) => document.querySelector(`${v} h2`)?.textContent === 'second version'),
      VIEWS,
      { timeout: 10_000, polling: 20 },
    );
    t.diagnostic(
      `the write showed in all three components ${Date.now() - written} ms after its response`,
    );
    const etags = await Promise.all(VIEWS.map((v) => page.getAttribute(v, 'data-etag')));
    assert.ok(etags[0] && etags[0] !== etag, 'a new ETag');
    assert.deepEqual(etags, [etags[0], etags[0], etags[0]]);
    assert.equal(hub.stats.subscriptions, 1, 'still one stream');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'react-e2e.png') });

    // Unmounting all three closes the stream: the server lets go of it (RSP-8).
    await page.click('#toggle');
    await page.waitForSelector('#first', { state: 'detached' });
    await eventually(() => hub.stats.subscriptions === 0, 'the server to see the stream closed');

    // Mounted again: one new stream, the current state.
    await page.click('#toggle');
    for (const view of VIEWS) await page.waitForSelector(`${view}[data-status=live]`);
    assert.equal(await page.textContent('#second h2'), 'second version');
    await eventually(() => hub.stats.subscriptions === 1, 'the new stream');
    assert.equal(streams.length, 2, 'one more request, for the three');

    assert.deepEqual(
      await page.evaluate(
        () => (window as unknown as { hydrationErrors: string[] }).hydrationErrors,
      ),
      [],
      'the server-rendered page hydrates without a mismatch',
    );
    assert.deepEqual(problems, []);
  },
);

test(
  'RSP-7 a deleted resource shows as deleted in every component, and the stream ends',
  { skip },
  async (t) => {
    const srv = await startAppServer(t);
    const hub = srv.running.app.engine.hub;
    assert.equal(await srv.send('PUT', '/docs/b', { title: 'to delete' }), 201);
    const { page } = await openApp(t, srv, '/docs/b');
    assert.equal(await srv.send('DELETE', '/docs/b'), 204);
    for (const view of VIEWS) await page.waitForSelector(`${view}[data-status=deleted]`);
    assert.equal(await page.textContent('#first h2'), '…', 'no value');
    await eventually(() => hub.stats.subscriptions === 0, 'the stream to end');
  },
);
