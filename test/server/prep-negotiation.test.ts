/**
 * Discovery, methods and negotiation on the wire (DSC, MTH, HDR-4/5, REQ, ERR): who gets a
 * stream, who gets the plain response, and which `Events` goes with it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta, DELTA_TYPES } from '../../packages/client/src/core/delta/index.js';
import {
  parseAcceptEvents,
  readPrepAdvertisement,
} from '../../packages/client/src/core/events/index.js';
import { prepOf } from '../helpers/prep-body.js';
import { rawSubscribe, type RawResponse } from '../helpers/raw-client.js';
import { withServer, type TestServer } from '../helpers/server.js';

/** DSC-1, HDR-2: what a JSON resource advertises: the delta types JSON allows. */
const ADVERT =
  '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json" "text/plain"))';
const JSON_PATCH = 'application/json-patch+json';
const DOC = { title: 'hello', n: 1 };

/** A GET expected to be answered without a stream; fails (rather than hangs) on a stream. */
async function plainGet(
  srv: TestServer,
  path: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  const r = await srv.rawRequest({ method: 'GET', path, headers });
  assert.notEqual(r.get('content-type')?.startsWith('multipart/mixed'), true, 'not a stream');
  return r;
}

function listsPrep(value: string | undefined): boolean {
  if (value === undefined) return false;
  return (parseAcceptEvents(value) ?? []).some((e) => e.protocol.toLowerCase() === 'prep');
}

test('DSC-1 MTH-1 HDR-2 HEAD and GET advertise Accept-Events: "prep" with message/rfc822 and the delta types JSON allows', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', DOC);
    await srv.put('/c/', '');
    for (const path of ['/doc', '/c/']) {
      const head = await srv.rawRequest({ method: 'HEAD', path });
      assert.equal(head.status, 200);
      assert.equal(head.get('accept-events'), ADVERT);
      assert.equal(head.get('events'), undefined); // HDR-5: no Accept-Events, no Events
      const get = await plainGet(srv, path, {});
      assert.equal(get.status, 200);
      assert.equal(get.get('accept-events'), ADVERT);
      assert.equal(get.get('events'), undefined);
      // DSC-1: when prep is listed, `accept` names at least one media type.
      const entry = parseAcceptEvents(get.get('accept-events'))![0]!;
      assert.equal(entry.protocol, 'prep');
      assert.ok(entry.fields.has('accept'));
    }
    // HEAD with Accept-Events is no notifications request (MTH-2): no Events either.
    const head = await srv.rawRequest({
      method: 'HEAD',
      path: '/doc',
      headers: { 'Accept-Events': '"prep"' },
    });
    assert.equal(head.status, 200);
    assert.equal(head.get('events'), undefined);
    assert.equal(head.get('accept-events'), ADVERT);
  });
});

test('DSC-1 HDR-2 each media type advertises the delta types it allows: JSON three, UTF-8 text the unified diff, binary and other charsets none', async () => {
  const TEXT = '"prep";accept=("message/rfc822";delta="text/plain")';
  const NONE = '"prep";accept="message/rfc822"';
  const cases: Array<[path: string, type: string, body: string | Buffer, advert: string]> = [
    ['/ld', 'application/ld+json', '{"@id":"x"}', ADVERT],
    ['/txt', 'text/plain', 'hello\n', TEXT],
    ['/md', 'text/markdown; charset=utf-8', '# hi\n', TEXT],
    ['/xml', 'application/xml', '<a/>', TEXT],
    ['/latin1', 'text/plain; charset=iso-8859-1', 'caf\xe9', NONE],
    ['/png', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]), NONE],
    ['/bin', 'application/octet-stream', Buffer.from([0, 255, 0]), NONE],
  ];
  await withServer({}, async (srv) => {
    for (const [path, type, body] of cases)
      assert.equal((await srv.put(path, body, { type })).status, 201, path);
    for (const [path, , , advert] of cases) {
      for (const method of ['HEAD', 'GET']) {
        const r = await srv.rawRequest({ method, path });
        assert.equal(r.get('accept-events'), advert, `${method} ${path}`);
      }
      // Our client reads it back: the delta types, in the server's order.
      const read = readPrepAdvertisement(advert);
      assert.deepEqual(read, [
        {
          type: 'message/rfc822',
          deltas: advert === ADVERT ? [...DELTA_TYPES] : advert === NONE ? [] : ['text/plain'],
        },
      ]);
    }
    // RSP-3: a stream's head advertises the same as the plain GET.
    for (const [path, , , advert] of cases) {
      const sub = await srv.subscribe(path);
      assert.equal(sub.response.headers.get('accept-events'), advert, `stream of ${path}`);
      sub.close();
    }
  });
});

test('N822-8 REQ-4 ERR-3 a delta the resource cannot have is not offered: the stream goes without a delta (not 406), or with the next delta the client listed', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/t', 'one\n', { type: 'text/plain' });
    await srv.put('/png', Buffer.from([1, 2, 3]), { type: 'image/png' });
    const ask = (accept: string) => ({ headers: { 'Accept-Events': `"prep";accept=${accept}` } });
    // JSON Patch of a text document: message/rfc822 is still acceptable, without a delta.
    const noDelta = await srv.subscribe('/t', ask(`("message/rfc822";delta="${JSON_PATCH}")`));
    assert.equal(noDelta.events.status, 200, 'not 406: the format is acceptable');
    // The client listed JSON Patch first, the unified diff second: it gets the diff.
    const second = await srv.subscribe(
      '/t',
      ask(`("message/rfc822";delta="${JSON_PATCH}" "message/rfc822";delta="text/plain";q=0.5)`),
    );
    // A binary resource has no delta of any type.
    const binary = await srv.subscribe('/png', ask('("message/rfc822";delta="text/plain")'));
    assert.equal(binary.events.status, 200);
    assert.equal((await srv.put('/t', 'one\ntwo\n', { type: 'text/plain' })).status, 204);
    assert.equal((await srv.put('/png', Buffer.from([4, 5]), { type: 'image/png' })).status, 204);
    const [plain] = await noDelta.notifications(1);
    assert.equal(plain!.method, 'PUT');
    assert.equal(plain!.delta, undefined, 'N822-7: no delta was negotiated, so no body');
    const [diff] = await second.notifications(1);
    assert.equal(diff!.delta?.contentType, 'text/plain; charset=utf-8');
    const next = applyDelta('text/plain', new TextEncoder().encode('one\n'), diff!.delta.body);
    assert.equal(new TextDecoder().decode(next), 'one\ntwo\n');
    const [bin] = await binary.notifications(1);
    assert.equal(bin!.delta, undefined);
    // No accept at all that fits is still 406 (ERR-3).
    const refused = await srv.rawRequest({
      method: 'GET',
      path: '/t',
      headers: { 'Accept-Events': '"prep";accept="text/turtle"' },
    });
    assert.equal(refused.get('events'), 'protocol="prep", status=406');
  });
});

test('DSC-2 a missing resource serves no PREP and does not advertise it', async () => {
  await withServer({}, async (srv) => {
    for (const method of ['GET', 'HEAD']) {
      const r = await srv.rawRequest({ method, path: '/missing' });
      assert.equal(r.status, 404);
      assert.equal(listsPrep(r.get('accept-events')), false, method);
    }
  });
});

test('MTH-1 MTH-2 HDR-4 PUT, PATCH, POST, DELETE never carry Events or Accept-Events listing prep, even when asked', async () => {
  await withServer({}, async (srv) => {
    const ask = { 'Accept-Events': '"prep";accept="message/rfc822"' };
    const json = { ...ask, 'Content-Type': 'application/json' };
    const responses: Array<[string, RawResponse]> = [];
    const send = async (
      method: string,
      path: string,
      headers: Record<string, string>,
      body?: string,
    ) => {
      const r = await srv.rawRequest({
        method,
        path,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      responses.push([`${method} ${path} ${r.status}`, r]);
      return r;
    };
    assert.equal((await send('PUT', '/c/', ask)).status, 201);
    assert.equal((await send('PUT', '/c/a', json, JSON.stringify(DOC))).status, 201);
    assert.equal((await send('PUT', '/c/a', json, JSON.stringify(DOC))).status, 204);
    const patch = { ...ask, 'Content-Type': 'application/merge-patch+json' };
    assert.equal((await send('PATCH', '/c/a', patch, '{"n":2}')).status, 204);
    assert.equal((await send('POST', '/c/', json, '{"m":1}')).status, 201);
    assert.equal((await send('DELETE', '/c/a', ask)).status, 204);
    // Failures too.
    assert.equal((await send('PUT', '/c/b', { ...json, 'If-Match': '"nope"' }, '{}')).status, 412);
    assert.equal((await send('DELETE', '/c/zz', ask)).status, 404);
    assert.equal((await send('OPTIONS', '/c/', ask)).status, 204);
    for (const [what, r] of responses) {
      assert.equal(r.get('events'), undefined, `${what}: Events`);
      assert.equal(listsPrep(r.get('accept-events')), false, `${what}: Accept-Events`);
    }
  });
});

test('HDR-4 HDR-5 ERR-1 an unparsable Accept-Events is ignored: the plain response, no Events', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', DOC);
    for (const value of [
      '"prep',
      '"prep";accept=(',
      '"prep";;',
      '@@@',
      '"prep",,"x"',
      '"prep";accept="message/rfc822',
    ]) {
      const r = await plainGet(srv, '/doc', { 'Accept-Events': value });
      assert.equal(r.status, 200, value);
      assert.equal(r.get('events'), undefined, value);
      assert.equal(r.get('content-type'), 'application/json');
      assert.deepEqual(JSON.parse(r.body.toString()), DOC);
      assert.equal(r.get('accept-events'), ADVERT); // still advertised (DSC-1)
    }
  });
});

test('HDR-4 ERR-1 REQ-4 an unknown protocol, or prep with q=0: the plain response, no Events', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', DOC);
    for (const value of [
      '"other"',
      '"other";q=1, "prep";q=0',
      '"prep";q=0',
      '"braid", "sse";q=0.5',
    ]) {
      const r = await plainGet(srv, '/doc', { 'Accept-Events': value });
      assert.equal(r.status, 200, value);
      assert.equal(r.get('events'), undefined, value);
      assert.deepEqual(JSON.parse(r.body.toString()), DOC);
    }
  });
});

test('REQ-1 HDR-5 the minimal request Accept-Events: "prep" gets a stream with Events and no vary', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', DOC);
    const { response } = await rawSubscribe(srv, '/doc', { 'Accept-Events': '"prep"' });
    assert.equal(response.status, 200);
    // HDR-7: no `accept` asked, so none honoured: no vary="accept".
    assert.equal(response.get('events'), 'protocol="prep", status=200, expires=3600');
    assert.deepEqual(JSON.parse(prepOf(response).part1!.body.toString()), DOC);
  });
});

test('REQ-3 unknown prep event fields are ignored, never a 400', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', DOC);
    const { response } = await rawSubscribe(srv, '/doc', {
      'Accept-Events': '"prep";foo=1;bar="x";accept="message/rfc822";zzz=?1;deep=("a";b=1 c)',
    });
    assert.equal(response.status, 200);
    assert.equal(
      response.get('events'),
      'protocol="prep", status=200, expires=3600, vary="accept"',
    );
  });
});

test('REQ-4 the client\'s most preferred supported protocol wins: "other";q=1, "prep";q=0.5 → prep', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', DOC);
    for (const value of [
      '"other";q=1, "prep";q=0.5',
      '"other", "prep"',
      'prep',
      '"PREP";q=0.001',
    ]) {
      const { client, response } = await rawSubscribe(srv, '/doc', { 'Accept-Events': value });
      assert.equal(response.get('events')?.startsWith('protocol="prep", status=200'), true, value);
      client.close();
    }
  });
});

test('REQ-4 accept is matched like Accept: wildcards, q, the most specific range', async () => {
  await withServer({}, async (srv) => {
    await srv.put('/doc', DOC);
    const streams = [
      'accept="message/*"',
      'accept="*/*"',
      'accept=("text/turtle";q=1 "message/rfc822";q=0.5)',
      'accept=("application/ld+json" "*/*";q=0.1)',
      'accept=message/rfc822', // a token (Retrofit, HDR-7)
    ];
    for (const fields of streams) {
      const { client, response } = await rawSubscribe(srv, '/doc', {
        'Accept-Events': `"prep";${fields}`,
      });
      assert.equal(
        response.get('events'),
        'protocol="prep", status=200, expires=3600, vary="accept"',
        fields,
      );
      client.close();
    }
    // The most specific range has q=0: message/rfc822 is not acceptable, whatever */* says.
    for (const fields of ['accept=("message/rfc822";q=0 "*/*")', 'accept=("message/*";q=0)']) {
      const r = await plainGet(srv, '/doc', { 'Accept-Events': `"prep";${fields}` });
      assert.equal(r.get('events'), 'protocol="prep", status=406', fields);
    }
  });
});

test('ERR-3 ERR-4 HDR-5 an accept we cannot serve (text/turtle): the base response with Events status=406', async () => {
  await withServer({}, async (srv) => {
    const created = await srv.put('/doc', DOC);
    const r = await plainGet(srv, '/doc', { 'Accept-Events': '"prep";accept="text/turtle"' });
    assert.equal(r.status, 200); // ERR-4: the status line is the base's
    assert.equal(r.get('events'), 'protocol="prep", status=406');
    assert.equal(r.get('content-type'), 'application/json');
    assert.equal(r.get('etag'), created.headers.get('etag'));
    assert.deepEqual(JSON.parse(r.body.toString()), DOC);
  });
});

test('ERR-2 ERR-4 HDR-5 GET of a missing resource with Accept-Events: 404 with Events status=412', async () => {
  await withServer({}, async (srv) => {
    const r = await plainGet(srv, '/missing', { 'Accept-Events': '"prep"' });
    assert.equal(r.status, 404);
    assert.equal(r.get('events'), 'protocol="prep", status=412');
    assert.equal(r.get('content-type'), 'application/problem+json');
    // HDR-5: without Accept-Events, no Events.
    const plain = await plainGet(srv, '/missing', {});
    assert.equal(plain.status, 404);
    assert.equal(plain.get('events'), undefined);
    // HDR-4: an Accept-Events we ignore gets none either.
    const other = await plainGet(srv, '/missing', { 'Accept-Events': '"other"' });
    assert.equal(other.get('events'), undefined);
  });
});

test('ERR-2 ERR-4 a conditional GET that would be 304: 304 with Events status=412', async () => {
  await withServer({}, async (srv) => {
    const created = await srv.put('/doc', DOC);
    const etag = created.headers.get('etag')!;
    for (const condition of [
      { 'If-None-Match': etag },
      { 'If-Modified-Since': created.headers.get('last-modified')! },
    ]) {
      const r = await plainGet(srv, '/doc', { ...condition, 'Accept-Events': '"prep"' });
      assert.equal(r.status, 304);
      assert.equal(r.get('events'), 'protocol="prep", status=412');
      assert.equal(r.body.length, 0);
    }
    // A condition that does not hold: the stream.
    const { response } = await rawSubscribe(srv, '/doc', {
      'If-None-Match': '"other"',
      'Accept-Events': '"prep"',
    });
    assert.equal(response.status, 200);
    assert.equal(response.get('events')?.includes('status=200'), true);
  });
});
