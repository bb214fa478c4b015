/**
 * A restart (close the server and the SqliteStore, open both again on the same file) keeps
 * every resource byte for byte, with the same validators, over a real node:http listener.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { SqliteStore } from '../../src/store/index.js';
import { defer, tempDir } from '../helpers/cleanup.js';
import { put, snapshot } from '../helpers/http-checks.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

async function open(t: TestContext, filename: string): Promise<TestServer> {
  const store = new SqliteStore({ filename });
  await store.open();
  defer(t, () => store.close());
  return startTestServer(t, { store });
}

test('a restart keeps every resource byte-exact with the same ETag and Last-Modified', async (t) => {
  const filename = join(tempDir(t), 'data', 'prep.db');
  const first = await open(t, filename);
  const binary = new Uint8Array(1024);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 31 + 7) & 0xff;
  const writes: Array<[string, string | Uint8Array, string]> = [
    ['/json', '{"nested":{"list":[1,2,3]},"ünïcödé":"☃"}', 'application/json'],
    ['/text.txt', 'line 1\r\nline 2\n\ttabbed', 'text/plain; charset=utf-8'],
    ['/bin/blob', binary, 'application/octet-stream'],
    ['/deep/er/still/leaf', '"leaf"', 'application/json'],
    ['/empty', new Uint8Array(0), 'text/plain'],
  ];
  for (const [path, body, type] of writes)
    assert.equal((await put(`${first.url}${path}`, body, type)).status, 201, path);
  assert.equal((await fetch(`${first.url}/box/`, { method: 'PUT' })).status, 201);
  const patched = await fetch(`${first.url}/json`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    body: '{"added":true}',
  });
  assert.equal(patched.status, 204);
  const posted = await fetch(`${first.url}/box/`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', Slug: 'note' },
    body: 'posted',
  });
  assert.equal(posted.status, 201);
  assert.equal((await fetch(`${first.url}/deep/er/still/leaf`, { method: 'DELETE' })).status, 204);

  const paths = [
    '/',
    '/json',
    '/text.txt',
    '/bin/',
    '/bin/blob',
    '/deep/',
    '/deep/er/',
    '/deep/er/still/',
    '/deep/er/still/leaf',
    '/empty',
    '/box/',
    '/box/note',
  ];
  const before = await Promise.all(paths.map((p) => snapshot(`${first.url}${p}`)));
  const lastSeq = await first.store.lastSeq();
  assert.equal(before[paths.indexOf('/deep/er/still/leaf')]!.status, 404);
  assert.deepEqual(before[paths.indexOf('/bin/blob')]!.body, binary);

  await first.close();
  await first.store.close();

  const second = await open(t, filename);
  assert.notEqual(second.url, undefined);
  const after = await Promise.all(paths.map((p) => snapshot(`${second.url}${p}`)));
  for (const [i, p] of paths.entries()) assert.deepEqual(after[i], before[i], p);
  assert.equal(await second.store.lastSeq(), lastSeq, 'the event log survives too');

  // Validators from before the restart still work.
  const etag = before[paths.indexOf('/json')]!.etag ?? '';
  assert.equal(
    (await fetch(`${second.url}/json`, { headers: { 'If-None-Match': etag } })).status,
    304,
  );
  const written = await put(`${second.url}/json`, '{"v":2}', 'application/json', {
    'If-Match': etag,
  });
  assert.equal(written.status, 204);
  assert.ok((await second.store.lastSeq()) > lastSeq);
});
