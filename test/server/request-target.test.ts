/**
 * One spelling of a path for every decision (issue 15, items 4 and 7): the request target is
 * normalized (RFC 3986 §6.2.2) before the reserved space, the access policy or the store see
 * it, and a path deeper than `maxPathDepth` is refused before anything is written. Requests
 * are sent as raw bytes: fetch would normalize the targets itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPathDepth, pathDepth, targetPath } from '../../src/server/app/request-target.js';
import { TokenPolicy } from '../../src/server/auth/index.js';
import { type RawResponse } from '../helpers/raw-client.js';
import { withServer, type TestServer } from '../helpers/server.js';

/** Sends one request as is on a fresh connection. */
function raw(
  srv: TestServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  return srv.rawRequest({
    method,
    path,
    headers: { Connection: 'close', ...headers },
    ...(body !== undefined ? { body } : {}),
  });
}

function problemCode(r: RawResponse): string {
  assert.equal(r.get('content-type'), 'application/problem+json', r.head);
  return (JSON.parse(r.body.toString('utf8')) as { code: string }).code;
}

/** Spellings of a path in the reserved `/.well-known/` space. */
const RESERVED_SPELLINGS = [
  '/x/../.well-known/foo',
  '/x/%2e%2e/.well-known/foo',
  '/x/%2E%2E/.well-known/foo',
  '/x/.%2e/.well-known/foo',
  '/%2Ewell-known/foo',
  '/%2ewell%2Dknown/foo',
  '/./.well-known/foo',
  '/a/b/../../.well-known/wes/x',
];

test('targetPath: dot segments resolved, unreserved characters decoded, other escapes upper case', () => {
  assert.equal(targetPath('/x/../.well-known/foo'), '/.well-known/foo');
  assert.equal(targetPath('/x/%2e%2E/a'), '/a');
  assert.equal(targetPath('/%2Ewell-known/foo'), '/.well-known/foo');
  assert.equal(targetPath('/%7euser/%41%62c'), '/~user/Abc');
  assert.equal(targetPath('/a%2fb/c%3a?q=1'), '/a%2Fb/c%3A');
  assert.equal(targetPath('/a%20b'), '/a%20b');
  // Normalizing a normalized path changes nothing (one spelling).
  for (const p of [...RESERVED_SPELLINGS, '/a%2fb/%7e', '/n/%C3%A9t%C3%A9/'])
    assert.equal(targetPath(targetPath(p)), targetPath(p), p);
});

test('pathDepth counts segments; checkPathDepth refuses more than the bound with 414', () => {
  assert.equal(pathDepth('/'), 0);
  assert.equal(pathDepth('/a'), 1);
  assert.equal(pathDepth('/a/'), 1);
  assert.equal(pathDepth('/a/b/c'), 3);
  checkPathDepth('/a/b/c', 3);
  assert.throws(
    () => checkPathDepth('/a/b/c/d', 3),
    (e: { status?: number; code?: string }) => e.status === 414 && e.code === 'PATH_TOO_DEEP',
  );
});

test('the reserved /.well-known/ space cannot be written or read as a resource through any spelling', async () => {
  await withServer({}, async (srv) => {
    const seq = await srv.store.lastSeq();
    for (const path of RESERVED_SPELLINGS) {
      // 405 from the router, or 404 from the WES publisher, which owns /.well-known/wes/.
      for (const method of ['PUT', 'POST', 'PATCH', 'DELETE']) {
        const r = await raw(srv, method, path, { 'Content-Type': 'application/json' }, '{}');
        assert.ok(r.status === 405 || r.status === 404, `${method} ${path}: ${r.head}`);
        assert.match(problemCode(r), /^(METHOD_NOT_ALLOWED|NOT_FOUND)$/);
      }
    }
    assert.equal(await srv.store.lastSeq(), seq, 'nothing was written');
    const root = await srv.request('/');
    assert.deepEqual((JSON.parse(root.text) as { members: string[] }).members, []);
    for (const p of ['/.well-known/', '/.well-known/foo', '/x/'])
      assert.equal(await srv.store.get(p), undefined, p);
  });
});

test('a path deeper than maxPathDepth is refused with 414 PATH_TOO_DEEP; nothing is created', async () => {
  await withServer({ maxPathDepth: 4 }, async (srv) => {
    const seq = await srv.store.lastSeq();
    const deep = '/a/b/c/d/e';
    const put = await raw(srv, 'PUT', deep, { 'Content-Type': 'application/json' }, '{}');
    assert.equal(put.status, 414, put.head);
    assert.equal(problemCode(put), 'PATH_TOO_DEEP');
    assert.match((JSON.parse(put.body.toString()) as { detail: string }).detail, /at most 4/);
    // Dot segments do not count: this one is four deep once normalized.
    const ok = await raw(srv, 'PUT', '/a/b/x/../c/d', { 'Content-Type': 'application/json' }, '1');
    assert.equal(ok.status, 201, ok.head);
    const seqAfter = await srv.store.lastSeq();
    assert.equal(seqAfter, seq + 4, 'three containers and the resource');
    // A POST to a container at the bound would create a member below it.
    assert.equal((await raw(srv, 'PUT', '/a/b/c/d/', {})).status, 409);
    assert.equal((await raw(srv, 'PUT', '/p/q/r/s/', {})).status, 201);
    const post = await raw(srv, 'POST', '/p/q/r/s/', { 'Content-Type': 'application/json' }, '2');
    assert.equal(post.status, 414, post.head);
    assert.equal(problemCode(post), 'PATH_TOO_DEEP');
    assert.equal((await srv.store.members('/p/q/r/s/'))?.length, 0);
  });
});

test('SEC-1 rights are decided on the normalized path: no spelling reaches what a rule denies', async () => {
  const policy = new TokenPolicy({
    anonymous: [{ prefix: '/public/', read: true }],
    tokens: [
      {
        name: 'alice',
        token: 'alice-token',
        rules: [
          { prefix: '/', read: true, write: true },
          { prefix: '/secret/', read: false, write: true },
        ],
      },
    ],
  });
  const alice = { Authorization: 'Bearer alice-token' };
  await withServer({ access: policy }, async (srv) => {
    // Written through an escaped spelling, it lands at /secret/s.
    const put = await raw(
      srv,
      'PUT',
      '/%73ecret/s',
      { ...alice, 'Content-Type': 'text/plain' },
      'x',
    );
    assert.equal(put.status, 201, put.head);
    assert.ok(await srv.store.get('/secret/s'));
    assert.equal(await srv.store.get('/%73ecret/s'), undefined);
    assert.equal(
      (await raw(srv, 'PUT', '/public/p', { ...alice, 'Content-Type': 'text/plain' }, 'p')).status,
      201,
    );
    for (const path of [
      '/public/../secret/s',
      '/public/%2e%2e/secret/s',
      '/%73ecret/s',
      '/secret/./s',
    ]) {
      const anonymous = await raw(srv, 'GET', path);
      assert.equal(anonymous.status, 401, `${path}: ${anonymous.head}`);
      const denied = await raw(srv, 'GET', path, alice);
      assert.equal(denied.status, 403, `${path}: ${denied.head}`);
    }
    assert.equal((await raw(srv, 'GET', '/%70ublic/p')).status, 200);
    assert.equal((await raw(srv, 'GET', '/secret/../public/p')).status, 200);
  });
});
