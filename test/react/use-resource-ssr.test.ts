// useResource() on the server: it renders the loading state and fetches nothing, with the
// default store and with a provided one; Suspense does not hold a streaming render up.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { StrictMode, createElement, type ReactNode } from 'react';
import { renderToReadableStream, renderToString } from 'react-dom/server';
import {
  ResourceStore,
  ResourceStoreProvider,
  useResource,
  type ResourceState,
} from '../../packages/react/src/react/index.js';
import { App } from './app.js';
import { fakeLives } from './fake-live.js';

/** Counts the fetches made while the test runs (there must be none). */
function countFetches(t: TestContext): { calls: number } {
  const seen = { calls: 0 };
  const original = globalThis.fetch;
  globalThis.fetch = () => {
    seen.calls++;
    return Promise.reject(new TypeError('no fetch on the server'));
  };
  t.after(() => (globalThis.fetch = original));
  return seen;
}

const statusesOf = (html: string) => [...html.matchAll(/data-status="([^"]*)"/g)].map((m) => m[1]);

test('renderToString renders every component loading (the suspending one too) and fetches nothing', (t) => {
  const fetches = countFetches(t);
  const html = renderToString(
    createElement(StrictMode, null, createElement(App, { url: 'http://127.0.0.1:9/docs/a' })),
  );
  assert.deepEqual(statusesOf(html), ['loading', 'loading', 'loading']);
  assert.doesNotMatch(html, /id="fallback"/, 'the suspending component rendered, not its fallback');
  assert.equal(fetches.calls, 0);
});

test('with a provided store: no live copy is opened on the server, none is held after', (t) => {
  const fetches = countFetches(t);
  const { opened, live } = fakeLives();
  const store = new ResourceStore({ live });
  const seen: Array<ResourceState<unknown>> = [];
  function Probe(props: { url: string | null }): ReactNode {
    const state = useResource(props.url, { suspense: true, whenDeleted: 'watch' });
    seen.push(state);
    return createElement('p', { 'data-status': state.status }, JSON.stringify(state.value ?? null));
  }
  const html = renderToString(
    createElement(
      ResourceStoreProvider,
      { store },
      createElement(Probe, { url: '/docs/a' }),
      createElement(Probe, { url: null }),
    ),
  );
  assert.deepEqual(statusesOf(html), ['loading', 'idle']);
  assert.deepEqual(
    seen.map((s) => ({ ...s })),
    [
      { value: undefined, etag: undefined, status: 'loading', error: undefined },
      { value: undefined, etag: undefined, status: 'idle', error: undefined },
    ],
  );
  assert.equal(opened.length, 0);
  assert.equal(store.size, 0);
  assert.equal(fetches.calls, 0);
});

test('a streaming render completes (Suspense does not wait for a fetch that the server never makes)', async (t) => {
  const fetches = countFetches(t);
  const stream = await renderToReadableStream(createElement(App, { url: '/docs/a' }));
  await stream.allReady;
  const html = await new Response(stream).text();
  assert.deepEqual(statusesOf(html), ['loading', 'loading', 'loading']);
  assert.equal(fetches.calls, 0);
});
