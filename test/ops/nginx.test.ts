// prep serve behind a real nginx (Debian's package, its stock nginx.conf) with nothing but a
// proxy_pass (docs/deployment.md): a notification goes through at once, although nginx
// buffers proxied responses by default (the stream says X-Accel-Buffering: no), and a WES
// archive page, which never changes, is served from nginx's cache the second time.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { settingList } from '../../src/server/settings.js';
import { spawnNode } from '../helpers/child.js';
import { startNginx, type TestNginx } from '../helpers/nginx.js';
import { tempDir } from '../helpers/cleanup.js';
import { put, subscribe } from '../helpers/http-checks.js';
import { within } from '../helpers/wait.js';

const root = join(import.meta.dirname, '..', '..');

async function withNginx(
  t: TestContext,
): Promise<{ nginx: TestNginx; upstream: () => string } | undefined> {
  const env = { ...process.env };
  for (const s of settingList()) delete env[s.env];
  // No keep-alive part for an hour: only the notification itself can flush the stream.
  const cli = spawnNode(
    t,
    [
      join(root, 'bin', 'prep.js'),
      'serve',
      '--port',
      '0',
      '--data',
      join(tempDir(t), 'prep.db'),
      '--keep-alive',
      '3600',
      '--write-rate',
      'off',
    ],
    { cwd: root, env, waitMs: 30_000 },
  );
  const url = (await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const nginx = await startNginx(`
    # What docs/deployment.md shows: a proxy_pass, and a cache for WES archives.
    proxy_cache_path DIR/cache levels=1:2 keys_zone=prep:1m max_size=16m inactive=60m use_temp_path=off;
    server {
      listen 127.0.0.1:PORT;
      location / {
        proxy_pass ${url};
      }
      location /.well-known/wes/ {
        proxy_pass ${url};
        proxy_cache prep;
        add_header X-Cache-Status $upstream_cache_status always;
      }
    }
  `);
  if ('skip' in nginx) {
    t.skip(nginx.skip);
    return undefined;
  }
  after(() => nginx.stop());
  return { nginx, upstream: () => cli.stdout() };
}

test('RSP-6 behind nginx with its stock configuration and a proxy_pass, a notification arrives at once', async (t) => {
  const setup = await withNginx(t);
  if (!setup) return;
  const { nginx } = setup;
  assert.equal((await put(`${nginx.url}/doc`, '{"n":0}')).status, 201);
  const stream = await subscribe(t, `${nginx.url}/doc`);
  assert.match(stream.response.headers.get('content-type') ?? '', /^multipart\/mixed/);
  assert.equal(stream.response.headers.get('incremental'), '?1');
  assert.equal(Buffer.from(stream.representation.body).toString(), '{"n":0}');
  assert.equal((await put(`${nginx.url}/doc`, '{"n":1}')).status, 204);
  // A buffering proxy would hold these few hundred bytes until its buffer fills or the
  // stream ends (an hour: keep-alives are off); the bound only guards against a hang.
  const n = await within(stream.next(), 'the notification through nginx', 10_000);
  assert.equal(n?.method, 'PUT');
  await stream.close();
});

test('WES-5 behind nginx, an archive page of the feed is served from nginx’s cache the second time', async (t) => {
  const setup = await withNginx(t);
  if (!setup) return;
  const { nginx, upstream } = setup;
  // 101 members: the first 100 entries fill archive page 0 (WES-5, 100 entries a page).
  for (let i = 0; i <= 100; i++)
    assert.ok((await put(`${nginx.url}/c/${i}`, JSON.stringify({ i }))).ok);
  const container = await fetch(`${nginx.url}/c/`);
  await container.arrayBuffer();
  const feed = /<([^>]+)>;\s*rel="[^"]*feed[^"]*"/.exec(container.headers.get('link') ?? '')?.[1];
  assert.ok(feed, `a feed link: ${container.headers.get('link')}`);
  const current = await fetch(new URL(feed, nginx.url));
  assert.equal(current.status, 200);
  await current.arrayBuffer();
  const archive = /<([^>]+)>;\s*rel="prev-archive"/.exec(current.headers.get('link') ?? '')?.[1];
  assert.ok(archive, `a prev-archive link: ${current.headers.get('link')}`);
  const archiveUrl = new URL(archive, nginx.url);

  const first = await fetch(archiveUrl);
  const firstBody = await first.text();
  assert.equal(first.status, 200);
  assert.match(first.headers.get('cache-control') ?? '', /immutable/);
  assert.equal(first.headers.get('x-cache-status'), 'MISS');
  const second = await fetch(archiveUrl);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-cache-status'), 'HIT');
  assert.equal(await second.text(), firstBody, 'the same bytes');
  // prep serve logged the archive once: the second answer never reached it.
  const asked = upstream()
    .split('\n')
    .filter((line) => line.includes(` GET ${archiveUrl.pathname} `));
  assert.equal(asked.length, 1, asked.join('\n'));
});
