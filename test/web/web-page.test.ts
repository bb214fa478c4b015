/**
 * `createWebPage()` without a browser: what it serves (the shell to browsers at `/`, the
 * bundle and style sheet with cache headers) and what it leaves to the resource server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefersHtml, WEB_PAGE_PREFIX } from '../../src/server/app/web-page.js';
import { TokenPolicy } from '../../src/server/auth/index.js';
import { startPageServer, webPage } from './helpers.js';

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

test('GET / from a browser is the HTML shell; from curl, fetch or a PREP client it is the root container', async (t) => {
  const srv = await startPageServer(t);
  const html = await fetch(`${srv.url}/`, { headers: { Accept: BROWSER_ACCEPT } });
  assert.equal(html.status, 200);
  assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(html.headers.get('cache-control'), 'no-cache');
  assert.equal(html.headers.get('vary'), 'Accept, Accept-Events');
  assert.match(html.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const text = await html.text();
  assert.match(text, /^<!doctype html>/);
  const script = /<script type="module" src="([^"]+)"><\/script>/.exec(text)?.[1];
  const style = /<link rel="stylesheet" href="([^"]+)" \/>/.exec(text)?.[1];
  assert.match(script ?? '', /^\/\.well-known\/prep\/web\/app\.js\?v=[\w-]{16}$/);
  assert.match(style ?? '', /^\/\.well-known\/prep\/web\/style\.css\?v=[\w-]{16}$/);
  for (const id of ['state', 'crumbs', 'title', 'view', 'notifications'])
    assert.match(text, new RegExp(`id="${id}"`), `the shell has #${id}`);

  for (const headers of [{}, { Accept: '*/*' }, { Accept: 'application/json, text/html;q=0.5' }]) {
    const json = await fetch(`${srv.url}/`, { headers });
    assert.equal(json.headers.get('content-type'), 'application/json', JSON.stringify(headers));
    assert.deepEqual(await json.json(), { path: '/', members: [] });
  }
  // A notifications request for / is the resource server's, even from a browser.
  const controller = new AbortController();
  const prep = await fetch(`${srv.url}/`, {
    headers: { Accept: BROWSER_ACCEPT, 'Accept-Events': '"prep"' },
    signal: controller.signal,
  });
  assert.match(prep.headers.get('content-type') ?? '', /^multipart\/mixed/);
  controller.abort();
  await prep.body?.cancel().catch(() => undefined);
  // Writes to / are never the page's.
  assert.equal(await srv.send('POST', '/', { a: 1 }), 201);
});

test('RFC 9111 every variant of / sends the same Vary: HTML and JSON, GET and HEAD, 200 and 304, with and without an access policy; other paths do not vary on Accept', async (t) => {
  const policy = new TokenPolicy({
    anonymous: [{ prefix: '/', read: true, write: true, subscribe: true }],
  });
  for (const [options, expected] of [
    [{}, 'Accept, Accept-Events'],
    [{ access: policy }, 'Accept, Accept-Events, Authorization'],
  ] as const) {
    const srv = await startPageServer(t, options);
    const seen = new Map<string, string | null>();
    for (const accept of [BROWSER_ACCEPT, '*/*', 'application/json', undefined]) {
      for (const method of ['GET', 'HEAD']) {
        const headers: Record<string, string> = accept === undefined ? {} : { Accept: accept };
        const first = await fetch(`${srv.url}/`, { method, headers });
        await first.arrayBuffer();
        const what = `${method} / Accept: ${accept ?? '(none)'}`;
        seen.set(`${what} ${first.headers.get('content-type')}`, first.headers.get('vary'));
        const etag = first.headers.get('etag');
        assert.ok(etag, what);
        const again = await fetch(`${srv.url}/`, {
          method,
          headers: { ...headers, 'If-None-Match': etag },
        });
        assert.equal(again.status, 304, what);
        seen.set(`${what} 304`, again.headers.get('vary'));
      }
    }
    // Both variants were served, and every answer has the same Vary.
    const types = [...seen.keys()].join(' ');
    assert.match(types, /text\/html/);
    assert.match(types, /application\/json/);
    for (const [what, vary] of seen) assert.equal(vary, expected, what);
    // A notifications stream of / lists Accept too.
    const controller = new AbortController();
    const stream = await fetch(`${srv.url}/`, {
      headers: { 'Accept-Events': '"prep"' },
      signal: controller.signal,
    });
    assert.equal(stream.headers.get('vary'), expected);
    controller.abort();
    await stream.body?.cancel().catch(() => undefined);
    // Other paths are not negotiated by Accept.
    assert.equal(await srv.send('PUT', '/doc', { a: 1 }), 201);
    const doc = await fetch(`${srv.url}/doc`, { headers: { Accept: BROWSER_ACCEPT } });
    await doc.arrayBuffer();
    assert.equal(doc.headers.get('vary'), expected.replace('Accept, ', ''));
  }
});

test('the bundle and the style sheet: versioned URLs cached for good, others revalidated, 304, HEAD', async (t) => {
  const srv = await startPageServer(t);
  const page = await webPage();
  const shell = await (await fetch(`${srv.url}/`, { headers: { Accept: 'text/html' } })).text();
  const script = /src="([^"]+)"/.exec(shell)![1]!;

  const versioned = await fetch(`${srv.url}${script}`);
  assert.equal(versioned.status, 200);
  assert.equal(versioned.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(versioned.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(versioned.headers.get('x-content-type-options'), 'nosniff');
  const etag = versioned.headers.get('etag');
  assert.match(etag ?? '', /^"[\w-]{16}"$/);
  const js = await versioned.text();
  assert.equal(Buffer.byteLength(js), page.sizes['app.js']);
  // Browser code: no Node built-in made it into the bundle.
  assert.doesNotMatch(js, /from\s*"node:|require\("node:/);

  const plain = await fetch(`${srv.url}${WEB_PAGE_PREFIX}app.js`);
  assert.equal(plain.headers.get('cache-control'), 'no-cache');
  assert.equal(await plain.text(), js);
  const again = await fetch(`${srv.url}${WEB_PAGE_PREFIX}app.js`, {
    headers: { 'If-None-Match': etag! },
  });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  const head = await fetch(`${srv.url}${WEB_PAGE_PREFIX}style.css`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal(Number(head.headers.get('content-length')), page.sizes['style.css']);

  // Anything else under the prefix is the resource server's (here: nothing there).
  const other = await fetch(`${srv.url}${WEB_PAGE_PREFIX}secrets.txt`);
  assert.equal(other.status, 404);
  assert.equal(other.headers.get('content-type'), 'application/problem+json');
  await other.arrayBuffer();
});

test('prefersHtml: an explicit text/html at least as wanted as JSON', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [BROWSER_ACCEPT, true],
    ['text/html', true],
    ['application/xhtml+xml', true],
    ['text/html;q=0.9, application/json;q=0.9', true],
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['text/*', false],
    ['application/json', false],
    ['application/json, text/html;q=0.5', false],
    ['text/html;q=0', false],
    ['text/html;q=0.5, */*', false],
    ['text/html;q=0.5, application/*;q=0.4, */*', true],
  ];
  for (const [accept, expected] of cases) assert.equal(prefersHtml(accept), expected, accept);
});
