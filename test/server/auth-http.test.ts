/**
 * Authorization on the wire (SEC-1): the resource server, the PREP engine and the WES
 * publisher behind the built-in bearer token policy, on a real server on port 0.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenPolicy, loadTokenPolicyFile } from '../../src/server/auth/index.js';
import { changePath, feedPath, snapshotPath } from '../../src/server/app/wes/urls.js';
import { tempDir } from '../helpers/cleanup.js';
import { prepOf } from '../helpers/prep-body.js';
import { rawSubscribe, waitForNotifications } from '../helpers/raw-client.js';
import { withServer, type FetchedResponse, type TestServer } from '../helpers/server.js';
import { NotAStream } from '../helpers/subscriber.js';

const ALICE = { Authorization: 'Bearer alice-token' };
const BOB = { Authorization: 'Bearer bob-token' };

/** alice reads and writes everything but /secret/; bob reads everything; anonymous /public/. */
const config = {
  anonymous: [{ prefix: '/public/', read: true }],
  tokens: [
    {
      name: 'alice',
      token: 'alice-token',
      rules: [
        { prefix: '/', read: true, write: true },
        { prefix: '/secret/', read: false, write: true },
        { prefix: '/notes/locked', read: true },
        { prefix: '/box/hidden', read: false, write: true },
        { prefix: '/feeds/', read: true, write: true, subscribe: false },
      ],
    },
    { name: 'bob', token: 'bob-token', rules: [{ prefix: '/', read: true }] },
  ],
};

function problem(r: FetchedResponse, status: number, code: string): void {
  assert.equal(r.status, status, r.text);
  assert.equal(r.headers.get('content-type'), 'application/problem+json');
  const doc = JSON.parse(r.text) as { status: number; code: string; detail: string };
  assert.equal(doc.status, status);
  assert.equal(doc.code, code);
  assert.ok(doc.detail.length > 0);
}

function json(
  srv: TestServer,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = ALICE,
) {
  return srv.request(path, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

test('SEC-1 reads and writes need the rights of their path: 401 anonymous, 403 authenticated, 2xx allowed; the longest prefix wins', async () => {
  await withServer({ access: new TokenPolicy(config) }, async (srv) => {
    assert.equal((await srv.put('/notes/a', { v: 1 }, { headers: ALICE })).status, 201);
    assert.equal((await srv.put('/public/p', { v: 1 }, { headers: ALICE })).status, 201);
    assert.equal((await srv.put('/secret/s', { v: 1 }, { headers: ALICE })).status, 201);

    // Anonymous: only /public/ is readable; the rest asks for credentials.
    const anonymous = await srv.request('/notes/a');
    problem(anonymous, 401, 'UNAUTHORIZED');
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.equal((await srv.request('/public/p')).status, 200);
    problem(await json(srv, 'PUT', '/public/p', { v: 2 }, {}), 401, 'UNAUTHORIZED');

    // bob may read, not write: 403 (credentials would not help), and nothing changes.
    const read = await srv.request('/notes/a', { headers: BOB });
    assert.equal(read.status, 200);
    assert.deepEqual(JSON.parse(read.text), { v: 1 });
    assert.match(read.headers.get('vary') ?? '', /Authorization/);
    assert.match(read.headers.get('cache-control') ?? '', /private/);
    const denied = await json(srv, 'PUT', '/notes/a', { v: 2 }, BOB);
    problem(denied, 403, 'FORBIDDEN');
    assert.equal(denied.headers.get('www-authenticate'), null);
    problem(await json(srv, 'POST', '/notes/', { v: 3 }, BOB), 403, 'FORBIDDEN');
    problem(await srv.request('/notes/a', { method: 'DELETE', headers: BOB }), 403, 'FORBIDDEN');
    const patch = await srv.request('/notes/a', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json', ...BOB },
      body: '{"v":4}',
    });
    problem(patch, 403, 'FORBIDDEN');
    assert.deepEqual(JSON.parse((await srv.request('/notes/a', { headers: ALICE })).text), {
      v: 1,
    });

    // alice: everything but /secret/, where the longer prefix denies the read; a missing
    // resource there is a 403 too (a 404 would tell that it does not exist).
    assert.equal((await json(srv, 'POST', '/notes/', { v: 5 })).status, 201);
    problem(await json(srv, 'PUT', '/notes/locked', { v: 5 }), 403, 'FORBIDDEN');
    assert.equal((await srv.request('/notes/locked', { headers: ALICE })).status, 404);
    problem(await srv.request('/secret/s', { headers: ALICE }), 403, 'FORBIDDEN');
    problem(await srv.request('/secret/none', { headers: ALICE }), 403, 'FORBIDDEN');
    assert.equal((await srv.request('/notes/none', { headers: ALICE })).status, 404);

    // An unknown token, or another scheme: 401, whatever the path.
    for (const authorization of ['Bearer nobody', 'Basic YWxpY2U6eA==']) {
      const r = await srv.request('/public/p', { headers: { Authorization: authorization } });
      problem(r, 401, 'INVALID_TOKEN');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_/);
    }
    // A CORS preflight carries no credentials and needs none.
    const preflight = await srv.request('/notes/a', { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  });
});

test('SEC-1 ERR-3 a principal that may read but not subscribe gets the base response with Events status=403', async () => {
  await withServer({ access: new TokenPolicy(config) }, async (srv) => {
    assert.equal((await srv.put('/feeds/f', { v: 1 }, { headers: ALICE })).status, 201);
    const r = await srv.request('/feeds/f', {
      headers: { 'Accept-Events': '"prep"', ...ALICE },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), { v: 1 });
    assert.equal(r.headers.get('events'), 'protocol="prep", status=403');
    // bob may subscribe there: a stream.
    const s = await srv.subscribe('/feeds/f', { headers: { 'Accept-Events': '"prep"', ...BOB } });
    assert.equal(s.events.status, 200);
    // Not even a base for one who may not read: 401, with ERR-2's Events status.
    const anonymous = await srv.request('/feeds/f', { headers: { 'Accept-Events': '"prep"' } });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('events'), 'protocol="prep", status=412');
    await assert.rejects(
      srv.subscribe('/feeds/f', { headers: { 'Accept-Events': '"prep"' } }),
      (e: unknown) => e instanceof NotAStream && e.status === 401,
    );
  });
});

test('SEC-1 a container listing leaves out the members its reader may not read', async () => {
  await withServer({ access: new TokenPolicy(config) }, async (srv) => {
    for (const p of ['/box/a', '/box/hidden', '/box/hidden-too', '/box/b'])
      assert.equal((await srv.put(p, { p }, { headers: ALICE })).status, 201);
    const alice = JSON.parse((await srv.request('/box/', { headers: ALICE })).text) as {
      members: string[];
    };
    assert.deepEqual(alice.members.sort(), ['/box/a', '/box/b']);
    const bob = JSON.parse((await srv.request('/box/', { headers: BOB })).text) as {
      members: string[];
    };
    assert.deepEqual(bob.members.sort(), ['/box/a', '/box/b', '/box/hidden', '/box/hidden-too']);
  });
});

test('SEC-1 N822-6 a container subscriber is told of the members it may read, never of one it cannot', async () => {
  await withServer({ access: new TokenPolicy(config) }, async (srv) => {
    assert.equal((await json(srv, 'PUT', '/box/', undefined)).status, 201);
    const ask = { 'Accept-Events': '"prep"' };
    const watcher = await rawSubscribe(srv, '/box/', { ...ask, ...ALICE });
    const all = await rawSubscribe(srv, '/box/', { ...ask, ...BOB });
    for (const p of ['/box/a', '/box/hidden', '/box/b'])
      assert.equal((await srv.put(p, { p }, { headers: ALICE })).status, 201);
    // bob may read all three: his stream is the witness that all three were announced.
    const seen = await waitForNotifications(all.client, 3);
    assert.deepEqual(
      seen.notifications.map((n) => n.contentLocation),
      ['/box/a', '/box/hidden', '/box/b'],
    );
    const got = await waitForNotifications(watcher.client, 2);
    assert.deepEqual(
      got.notifications.map((n) => n.contentLocation),
      ['/box/a', '/box/b'],
    );
    // Nothing about /box/hidden arrived, in any form.
    assert.equal(watcher.client.responses[0]!.body.includes('/box/hidden'), false);

    // EXT-1: a resumed stream replays only what its principal may read.
    const events = await srv.store.events({ path: '/box/' });
    const resumeFrom = srv.app.history.eventId(events[0]!.seq);
    const resumed = await rawSubscribe(srv, '/box/', {
      'Accept-Events': '"prep";accept=("message/rfc822";delta="application/merge-patch+json")',
      'Last-Event-ID': resumeFrom,
      ...ALICE,
    });
    const replay = await waitForNotifications(resumed.client, 2);
    assert.deepEqual(
      replay.notifications.map((n) => n.contentLocation),
      ['/box/a', '/box/b'],
    );
    assert.equal(resumed.client.responses[0]!.body.includes('/box/hidden'), false);
  });
});

test('SEC-1 RSP-7 a reload that revokes a token closes its open stream with both close delimiters; another stream stays open', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'auth.json');
  writeFileSync(file, JSON.stringify(config));
  const lines: string[] = [];
  const auth = loadTokenPolicyFile(file, { debounceMs: 20, log: (l) => lines.push(l) });
  try {
    await withServer({ access: auth.policy }, async (srv) => {
      assert.equal((await srv.put('/notes/a', { v: 1 }, { headers: ALICE })).status, 201);
      const ask = { 'Accept-Events': '"prep"' };
      const bobs = await rawSubscribe(srv, '/notes/a', { ...ask, ...BOB });
      const alices = await rawSubscribe(srv, '/notes/a', { ...ask, ...ALICE });
      // bob's token is revoked: the file changes and is re-read.
      writeFileSync(file, JSON.stringify({ ...config, tokens: [config.tokens[0]] }));
      const closed = await bobs.client.response(0);
      assert.equal(prepOf(closed).closed, true);
      assert.ok(
        lines.some((l) => l.includes('reloaded')),
        lines.join('\n'),
      );
      // alice's stream goes on.
      assert.equal((await srv.put('/notes/a', { v: 2 }, { headers: ALICE })).status, 204);
      const body = await waitForNotifications(alices.client, 1);
      assert.equal(body.closed, false);
      problem(await srv.request('/notes/a', { headers: BOB }), 401, 'INVALID_TOKEN');
    });
  } finally {
    auth.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SEC-1 a reload of a broken policy file keeps the old policy and logs one line', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'auth.json');
  writeFileSync(file, JSON.stringify(config));
  const lines: string[] = [];
  const auth = loadTokenPolicyFile(file, { watch: false, log: (l) => lines.push(l) });
  try {
    await withServer({ access: auth.policy }, async (srv) => {
      assert.equal((await srv.put('/notes/a', { v: 1 }, { headers: ALICE })).status, 201);
      const stream = await rawSubscribe(srv, '/notes/a', { 'Accept-Events': '"prep"', ...BOB });
      writeFileSync(file, JSON.stringify({ tokens: [{ name: 'bob', token: 'x', rules: [{}] }] }));
      assert.equal(auth.reload(), false);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /tokens\[0\]\.rules\[0\]\.prefix: .*keeping the previous policy/);
      assert.equal(lines[0]!.includes('\n'), false);
      // The old rules still hold, and bob's stream is still open.
      assert.equal((await srv.request('/notes/a', { headers: BOB })).status, 200);
      assert.equal((await srv.put('/notes/a', { v: 2 }, { headers: ALICE })).status, 204);
      assert.equal((await waitForNotifications(stream.client, 1)).closed, false);
      writeFileSync(file, 'not json');
      assert.equal(auth.reload(), false);
      assert.match(lines[1]!, /not valid JSON/);
      assert.equal((await srv.request('/notes/a', { headers: BOB })).status, 200);
    });
  } finally {
    auth.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SEC-1 WES: a snapshot or feed needs the replicate right on its container; with a policy, answers are private', async () => {
  await withServer({ access: new TokenPolicy(config) }, async (srv) => {
    for (const p of ['/notes/a', '/box/a', '/box/hidden'])
      assert.equal((await srv.put(p, { p }, { headers: ALICE })).status, 201);
    const feed = (c: string, headers: Record<string, string> = {}) =>
      srv.request(feedPath(c), { headers });
    problem(await feed('/notes/'), 401, 'UNAUTHORIZED');
    // alice may read /box/ but not all of it: its feed would tell of /box/hidden.
    problem(await feed('/box/', ALICE), 403, 'FORBIDDEN');
    problem(await srv.request(snapshotPath('/box/'), { headers: ALICE }), 403, 'FORBIDDEN');
    const ok = await feed('/notes/', ALICE);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('cache-control') ?? '', /^private\b/);
    assert.match(ok.headers.get('vary') ?? '', /Authorization/);
    const snapshot = await srv.request(snapshotPath('/box/'), { headers: BOB });
    assert.equal(snapshot.status, 200);
    assert.match(snapshot.headers.get('cache-control') ?? '', /^private\b/);
    const index = JSON.parse(snapshot.text) as { uris: string[] };
    const part = await srv.request(new URL(index.uris[0]!, srv.url).pathname, { headers: BOB });
    assert.equal(part.status, 200);
    assert.match(part.headers.get('cache-control') ?? '', /^private, max-age/);
    // A snapshot's own URLs name no container: one she may not replicate is, to her, one
    // that is not kept (a 403 would name its container).
    const part0 = new URL(index.uris[0]!, srv.url).pathname;
    const denied = await srv.request(part0, { headers: ALICE });
    problem(denied, 404, 'NOT_FOUND');
    const missing = await srv.request(part0.replace(/\/0$/, '/99'), { headers: BOB });
    problem(missing, 404, 'NOT_FOUND');
    assert.equal(
      (JSON.parse(denied.text) as { detail: string }).detail,
      (JSON.parse(missing.text) as { detail: string }).detail.replace('part 99', 'part 0'),
    );
  });
});

test('SEC-1 without a policy nothing changes: no Vary on Authorization, WES pages public', async () => {
  await withServer({}, async (srv) => {
    assert.equal((await srv.put('/notes/a', { v: 1 })).status, 201);
    const r = await srv.request('/notes/a', { headers: { Authorization: 'Bearer anything' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('vary'), 'Accept-Events');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    const feed = await srv.request(feedPath('/notes/'));
    assert.equal(feed.headers.get('cache-control'), 'no-cache');
    const s = await srv.subscribe('/notes/a');
    assert.equal(s.response.headers.get('vary'), 'Accept-Events');
  });
});

test('SEC-1 a write needs the write right on every resource it creates: the member a POST names after Slug, the containers a PUT creates', async () => {
  const policy = new TokenPolicy({
    tokens: [
      { name: 'admin', token: 'admin-token', rules: [{ prefix: '/', read: true, write: true }] },
      {
        name: 'carol',
        token: 'carol-token',
        rules: [
          { prefix: '/inbox/', read: true, write: true },
          { prefix: '/inbox/admin', read: true, write: false },
          { prefix: '/deep/a/b/', read: true, write: true },
        ],
      },
    ],
  });
  const ADMIN = { Authorization: 'Bearer admin-token' };
  const CAROL = { Authorization: 'Bearer carol-token' };
  await withServer({ access: policy }, async (srv) => {
    assert.equal((await srv.request('/inbox/', { method: 'PUT', headers: ADMIN })).status, 201);
    const seq = await srv.store.lastSeq();
    problem(await json(srv, 'PUT', '/inbox/admin-x', { v: 1 }, CAROL), 403, 'FORBIDDEN');
    // The same member through POST and Slug, however the Slug is spelled.
    for (const slug of ['admin-x', 'admin', '%61dmin-y', 'Admin'.toLowerCase()])
      problem(
        await json(srv, 'POST', '/inbox/', { v: 2 }, { ...CAROL, Slug: slug }),
        403,
        'FORBIDDEN',
      );
    assert.equal(await srv.store.lastSeq(), seq, 'nothing was written');
    assert.deepEqual(await srv.store.members('/inbox/'), []);
    // A name it may write is fine, with or without a Slug.
    const named = await json(srv, 'POST', '/inbox/', { v: 3 }, { ...CAROL, Slug: 'note' });
    assert.equal(named.status, 201);
    assert.equal(named.headers.get('location'), '/inbox/note');
    assert.equal((await json(srv, 'POST', '/inbox/', { v: 4 }, CAROL)).status, 201);

    // A PUT that would create /deep/ and /deep/a/, which carol may not write: refused whole.
    const before = await srv.store.lastSeq();
    problem(await json(srv, 'PUT', '/deep/a/b/c', { v: 5 }, CAROL), 403, 'FORBIDDEN');
    problem(await srv.request('/deep/a/b/', { method: 'PUT', headers: CAROL }), 403, 'FORBIDDEN');
    assert.equal(await srv.store.lastSeq(), before, 'no container was created');
    assert.equal(await srv.store.get('/deep/'), undefined);
    // Once they exist, writing under /deep/a/b/ creates only what carol may write.
    assert.equal((await srv.request('/deep/a/', { method: 'PUT', headers: ADMIN })).status, 201);
    assert.equal((await json(srv, 'PUT', '/deep/a/b/c', { v: 6 }, CAROL)).status, 201);
  });
});

test('SEC-1 WES-7 an entry link: rights are decided on its container before the log is read; "no such entry" and "not allowed" answer alike', async () => {
  await withServer({ access: new TokenPolicy(config) }, async (srv) => {
    assert.equal((await srv.put('/secret/s', { v: 1 }, { headers: ALICE })).status, 201);
    assert.equal((await srv.put('/notes/n', { v: 1 }, { headers: ALICE })).status, 201);
    const selfOf = async (container: string): Promise<string> => {
      const page = await srv.request(feedPath(container), { headers: BOB });
      assert.equal(page.status, 200);
      const self = /<([^>]*)>; rel="self"/.exec(page.text)?.[1];
      assert.ok(self, 'an entry with a self link');
      return self;
    };
    const secret = await selfOf('/secret/');
    const notes = await selfOf('/notes/');
    // The same link with an id that names no event.
    const unknown = (link: string) => link.replace(/changes\/\d+\./, 'changes/987654.');
    assert.equal((await srv.request(secret, { headers: BOB, redirect: 'manual' })).status, 302);

    const answer = async (link: string, headers: Record<string, string>) => {
      const r = await srv.request(link, { headers, redirect: 'manual' });
      const doc = JSON.parse(r.text) as { code: string; detail: string };
      return { status: r.status, code: doc.code, detail: doc.detail };
    };
    for (const [who, headers, status] of [
      ['anonymous', {}, 401],
      ['alice, who may not read /secret/', ALICE, 403],
    ] as const) {
      const real = await answer(secret, headers);
      assert.equal(real.status, status, who);
      assert.deepEqual(await answer(unknown(secret), headers), real, `${who}: unknown id`);
      assert.doesNotMatch(real.detail, /\/secret\/s/, 'no detail of the entry');
    }
    // An entry of /secret/ asked for under a feed alice may replicate: as if there were none.
    const secretId = /changes\/([^/]+)\//.exec(secret)?.[1];
    assert.ok(secretId, `${secret} names its container after the id`);
    const elsewhere = await answer(changePath(secretId, '/notes/'), ALICE);
    assert.equal(elsewhere.status, 404);
    const none = await answer(unknown(notes), ALICE);
    assert.equal(none.status, 404);
    assert.equal(none.code, elsewhere.code);
    assert.equal(none.detail.replace(/\d+\.\w+/, 'ID'), elsewhere.detail.replace(/\d+\.\w+/, 'ID'));
  });
});
