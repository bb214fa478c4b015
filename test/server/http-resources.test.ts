/**
 * Resource semantics over a real node:http listener (port 0): any media type, validators,
 * HEAD, containers, POST with Slug. Run against every store.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectProblem, put, rawRequest, utf8 } from '../helpers/http-checks.js';
import { STORE_KINDS, startTestServer } from '../helpers/server.js';

const STRONG_ETAG = /^"[\x21\x23-\x7e]+"$/;

for (const kind of STORE_KINDS) {
  describe(`resources over HTTP (${kind} store)`, () => {
    test('a JSON resource: PUT 201 then 204, GET returns it with its type and validators', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      const created = await put(`${url}/notes/a`, '{"title":"hello"}');
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('location'), '/notes/a');
      const etag1 = created.headers.get('etag');
      assert.match(etag1 ?? '', STRONG_ETAG);
      assert.ok(created.headers.get('last-modified'));

      const got = await fetch(`${url}/notes/a`);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-type'), 'application/json');
      assert.equal(got.headers.get('etag'), etag1);
      assert.deepEqual(await got.json(), { title: 'hello' });
      // A JSON resource can be patched, and says how.
      assert.match(got.headers.get('accept-patch') ?? '', /application\/json-patch\+json/);
      assert.match(got.headers.get('accept-patch') ?? '', /application\/merge-patch\+json/);

      const replaced = await put(`${url}/notes/a`, '{"title":"bye"}');
      assert.equal(replaced.status, 204);
      const etag2 = replaced.headers.get('etag');
      assert.match(etag2 ?? '', STRONG_ETAG);
      assert.notEqual(etag2, etag1, 'a new representation has a new ETag');
      assert.deepEqual(await (await fetch(`${url}/notes/a`)).json(), { title: 'bye' });
    });

    test('a text resource keeps its media type and parameters', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      const text = 'Grüße, ☃ — line one\r\nline two\n';
      assert.equal((await put(`${url}/t.txt`, text, 'text/plain; charset=utf-8')).status, 201);
      const got = await fetch(`${url}/t.txt`);
      assert.equal(got.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.equal(got.headers.get('accept-patch'), null, 'only JSON is patchable');
      assert.equal(await got.text(), text);
    });

    test('a binary resource round-trips byte for byte', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      // Every byte value, including NUL, CR, LF and what is not UTF-8.
      const bytes = new Uint8Array(4096);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
      const res = await put(`${url}/blobs/b.bin`, bytes, 'application/octet-stream');
      assert.equal(res.status, 201);
      const got = await fetch(`${url}/blobs/b.bin`);
      assert.equal(got.headers.get('content-type'), 'application/octet-stream');
      assert.equal(got.headers.get('content-length'), String(bytes.length));
      assert.deepEqual(new Uint8Array(await got.arrayBuffer()), bytes);
      assert.equal(got.headers.get('etag'), res.headers.get('etag'));
    });

    test('an empty body is a resource too', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      assert.equal((await put(`${url}/empty`, new Uint8Array(0), 'text/plain')).status, 201);
      const got = await fetch(`${url}/empty`);
      assert.equal(got.status, 200);
      assert.equal(got.headers.get('content-length'), '0');
      assert.equal((await got.arrayBuffer()).byteLength, 0);
    });

    test('the ETag is strong and follows the representation; Last-Modified is an HTTP-date', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      const a = await put(`${url}/e`, 'one', 'text/plain');
      const b = await put(`${url}/e`, 'two', 'text/plain');
      const c = await put(`${url}/e`, 'one', 'text/plain');
      for (const r of [a, b, c]) assert.match(r.headers.get('etag') ?? '', STRONG_ETAG);
      assert.notEqual(a.headers.get('etag'), b.headers.get('etag'));
      const got = await fetch(`${url}/e`);
      assert.equal(got.headers.get('etag'), c.headers.get('etag'));
      const lm = got.headers.get('last-modified') ?? '';
      assert.match(lm, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      const age = Date.now() - Date.parse(lm);
      assert.ok(age >= -1000 && age < 60_000, `Last-Modified ${lm} is about now`);
      await got.arrayBuffer();
    });

    test('HEAD answers as GET without a body', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      await put(`${url}/h/x`, '{"a":[1,2,3]}');
      for (const path of ['/h/x', '/h/', '/']) {
        const get = await fetch(`${url}${path}`);
        const body = await get.arrayBuffer();
        const head = await fetch(`${url}${path}`, { method: 'HEAD' });
        assert.equal(head.status, get.status);
        assert.equal((await head.arrayBuffer()).byteLength, 0, `HEAD ${path} has no body`);
        assert.equal(head.headers.get('content-length'), String(body.byteLength));
        for (const name of [
          'content-type',
          'etag',
          'last-modified',
          'accept-events',
          'allow',
          'accept-patch',
          'vary',
        ])
          assert.equal(head.headers.get(name), get.headers.get(name), `${name} of ${path}`);
      }
      const missing = await fetch(`${url}/h/nope`, { method: 'HEAD' });
      assert.equal(missing.status, 404);
      assert.equal((await missing.arrayBuffer()).byteLength, 0);
    });

    test('PUT to a container path creates an empty container; a second PUT is 409', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      const first = await fetch(`${url}/c/`, { method: 'PUT' });
      assert.equal(first.status, 201);
      assert.match(first.headers.get('etag') ?? '', STRONG_ETAG);
      const listing = await fetch(`${url}/c/`);
      assert.equal(listing.headers.get('content-type'), 'application/json');
      assert.deepEqual(await listing.json(), { path: '/c/', members: [] });
      await expectProblem(await fetch(`${url}/c/`, { method: 'PUT' }), 409, 'CONTAINER_EXISTS');
      // An explicit empty JSON object is an empty container too.
      const withBody = await put(`${url}/d/`, '{}');
      assert.equal(withBody.status, 201);
      await expectProblem(await put(`${url}/e/`, '{"a":1}'), 400, 'CONTAINER_BODY');
    });

    test('writing /a/b/c creates /a/ and /a/b/, and each lists its members', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      assert.equal((await put(`${url}/a/b/c`, '1')).status, 201);
      assert.equal((await put(`${url}/a/b/d`, '2')).status, 201);
      assert.equal((await put(`${url}/a/z`, '3')).status, 201);
      const root = (await (await fetch(`${url}/`)).json()) as { members: string[] };
      assert.ok(root.members.includes('/a/'));
      assert.deepEqual(await (await fetch(`${url}/a/`)).json(), {
        path: '/a/',
        members: ['/a/b/', '/a/z'],
      });
      assert.deepEqual(await (await fetch(`${url}/a/b/`)).json(), {
        path: '/a/b/',
        members: ['/a/b/c', '/a/b/d'],
      });
      // A container's ETag changes with its membership.
      const before = (await fetch(`${url}/a/b/`, { method: 'HEAD' })).headers.get('etag');
      assert.equal((await fetch(`${url}/a/b/d`, { method: 'DELETE' })).status, 204);
      const after = await fetch(`${url}/a/b/`);
      assert.notEqual(after.headers.get('etag'), before);
      assert.deepEqual(await after.json(), { path: '/a/b/', members: ['/a/b/c'] });
    });

    test('a path cannot be both a resource and a container', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      await put(`${url}/x`, '1');
      await expectProblem(await put(`${url}/x/y`, '2'), 409);
      await expectProblem(await fetch(`${url}/x/`, { method: 'PUT' }), 409);
      await fetch(`${url}/k/`, { method: 'PUT' });
      await expectProblem(await put(`${url}/k`, '3'), 409);
      assert.equal((await fetch(`${url}/x/y`)).status, 404);
    });

    test('POST to a container creates a member: 201, Location, the member is listed', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      await fetch(`${url}/inbox/`, { method: 'PUT' });
      const res = await fetch(`${url}/inbox/`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'first',
      });
      assert.equal(res.status, 201);
      const location = res.headers.get('location') ?? '';
      assert.match(location, /^\/inbox\/[A-Za-z0-9._~-]+$/);
      assert.match(res.headers.get('etag') ?? '', STRONG_ETAG);
      const member = await fetch(new URL(location, url));
      assert.equal(await member.text(), 'first');
      assert.equal(member.headers.get('etag'), res.headers.get('etag'));
      assert.deepEqual(await (await fetch(`${url}/inbox/`)).json(), {
        path: '/inbox/',
        members: [location],
      });
    });

    test('POST honours Slug, sanitises it, and gives a repeated Slug a unique name', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      await fetch(`${url}/p/`, { method: 'PUT' });
      const post = async (slug: string) => {
        const res = await fetch(`${url}/p/`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Slug: slug },
          body: '{"n":1}',
        });
        assert.equal(res.status, 201);
        return res.headers.get('location') ?? '';
      };
      assert.equal(await post('hello'), '/p/hello');
      const again = await post('hello');
      assert.notEqual(again, '/p/hello');
      assert.match(again, /^\/p\/hello-[A-Za-z0-9]+$/);
      const third = await post('hello');
      assert.ok(third !== again && third !== '/p/hello');
      // RFC 5023: percent-encoded UTF-8; accents dropped, unsafe runs become '-'.
      assert.equal(await post('Cr%C3%A8me%20br%C3%BBl%C3%A9e'), '/p/Creme-brulee');
      // No way out of the container, no dot segments, no empty name.
      const escape = await post('../../etc/passwd');
      assert.match(escape, /^\/p\/[A-Za-z0-9._~-]+$/);
      assert.equal(escape, '/p/etc-passwd');
      assert.match(await post('..'), /^\/p\/[A-Za-z0-9]+$/);
      assert.match(await post('a/b?c#d'), /^\/p\/a-b-c-d$/);
      // A name taken by a container (`/p/sub/` blocks `/p/sub`) also gets a unique name.
      await fetch(`${url}/p/sub/`, { method: 'PUT' });
      assert.match(await post('sub'), /^\/p\/sub-[A-Za-z0-9]+$/);
      const long = await post('x'.repeat(500));
      assert.ok(long.length <= '/p/'.length + 64, 'a long Slug is cut');
      const members = (await (await fetch(`${url}/p/`)).json()) as { members: string[] };
      assert.equal(members.members.length, 10);
      for (const m of members.members) assert.ok(/^\/p\/[^/]+\/?$/.test(m), `${m} is a member`);
    });

    test('POST to a non-container is 405 with Allow, and creates nothing', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      await put(`${url}/doc`, '{"a":1}');
      const res = await fetch(`${url}/doc`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"b":2}',
      });
      await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
      const allow = res.headers.get('allow') ?? '';
      assert.ok(!allow.includes('POST'), `Allow: ${allow}`);
      assert.ok(allow.includes('PUT') && allow.includes('GET'));
      assert.deepEqual(await (await fetch(`${url}/doc`)).json(), { a: 1 });
    });

    test('POST to a missing container is 404', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      const res = await fetch(`${url}/none/`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: 'x',
      });
      await expectProblem(res, 404);
    });

    test('DELETE removes a resource (204), then it is gone (404); an empty container too', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      await put(`${url}/g/x`, 'x', 'text/plain');
      assert.equal((await fetch(`${url}/g/x`, { method: 'DELETE' })).status, 204);
      await expectProblem(await fetch(`${url}/g/x`), 404, 'NOT_FOUND');
      await expectProblem(await fetch(`${url}/g/x`, { method: 'DELETE' }), 404);
      assert.equal((await fetch(`${url}/g/`, { method: 'DELETE' })).status, 204);
      await expectProblem(await fetch(`${url}/g/`), 404);
    });

    test('OPTIONS and Allow name the methods of each kind of path', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      await put(`${url}/o/r`, '{}');
      const methods = async (path: string) => {
        const res = await fetch(`${url}${path}`, { method: 'OPTIONS' });
        assert.equal(res.status, 204);
        return (res.headers.get('allow') ?? '').split(/,\s*/).sort();
      };
      assert.deepEqual(await methods('/o/r'), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT']);
      assert.deepEqual(await methods('/o/'), ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
      assert.deepEqual(await methods('/'), ['GET', 'HEAD', 'OPTIONS', 'POST']);
      const get = await fetch(`${url}/o/r`);
      await get.arrayBuffer();
      assert.equal(get.headers.get('allow'), 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
    });

    test('percent-encoded paths are kept as sent; dot segments are resolved', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      assert.equal((await put(`${url}/enc/a%20b`, '"sp"')).status, 201);
      assert.equal(await (await fetch(`${url}/enc/a%20b`)).text(), '"sp"');
      assert.equal(await (await fetch(`${url}/enc/x/../a%20b`)).text(), '"sp"');
      assert.equal(await (await fetch(`${url}/enc/a%20b?query=ignored`)).text(), '"sp"');
      const listing = (await (await fetch(`${url}/enc/`)).json()) as { members: string[] };
      assert.deepEqual(listing.members, ['/enc/a%20b']);
    });

    test('a backslash is a byte of the path, never a separator', async (t) => {
      const { url, port } = await startTestServer(t, { store: kind });
      assert.equal((await put(`${url}/bs/a%5Cb`, '"one"')).status, 201);
      // Sent raw (fetch would percent-encode it): the same resource, not /bs/a/b.
      const raw = await rawRequest(
        port,
        'GET /bs/a\\b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      assert.equal(raw.status, 200, raw.head);
      assert.equal(raw.body, '"one"');
      assert.equal((await fetch(`${url}/bs/a/b`)).status, 404);
    });

    test('DSC-1 GET and HEAD advertise PREP with a media type in accept', async (t) => {
      const { url } = await startTestServer(t, { store: kind });
      await put(`${url}/adv`, utf8('{}'));
      for (const method of ['GET', 'HEAD']) {
        const res = await fetch(`${url}/adv`, { method });
        await res.arrayBuffer();
        assert.match(res.headers.get('accept-events') ?? '', /^"prep";accept=/);
        assert.match(res.headers.get('accept-events') ?? '', /message\/rfc822/);
        assert.match(res.headers.get('vary') ?? '', /Accept-Events/);
      }
    });
  });
}

test('MTH-1 MTH-2 write responses neither advertise nor serve notifications, even when asked', async (t) => {
  const { url } = await startTestServer(t);
  const asked = { 'Accept-Events': '"prep"' };
  await fetch(`${url}/m/`, { method: 'PUT', headers: asked });
  const responses = [
    await put(`${url}/m/doc`, '{"a":1}', 'application/json', asked),
    await fetch(`${url}/m/doc`, {
      method: 'PATCH',
      headers: { ...asked, 'Content-Type': 'application/merge-patch+json' },
      body: '{"b":2}',
    }),
    await fetch(`${url}/m/`, {
      method: 'POST',
      headers: { ...asked, 'Content-Type': 'text/plain' },
      body: 'x',
    }),
    await fetch(`${url}/m/doc`, { method: 'OPTIONS', headers: asked }),
    await fetch(`${url}/m/doc`, { method: 'DELETE', headers: asked }),
    await fetch(`${url}/m/doc`, { method: 'DELETE', headers: asked }), // a 404
  ];
  assert.deepEqual(
    responses.map((r) => r.status),
    [201, 204, 201, 204, 204, 404],
  );
  for (const res of responses) {
    await res.arrayBuffer();
    assert.equal(res.headers.get('events'), null, `no Events on ${res.status}`);
    assert.doesNotMatch(res.headers.get('accept-events') ?? '', /prep/i);
  }
});
