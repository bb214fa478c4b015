/**
 * SEC-4: cross-origin scripts may request notifications and read the PREP fields, where the
 * deployment allows them (`corsOrigin`), over a real node:http listener.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { put, subscribe } from '../helpers/http-checks.js';
import { startTestServer } from '../helpers/server.js';

const ORIGIN = 'https://app.example';

/** The comma-separated members of a header, lower-cased. */
function members(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

test('SEC-4 CORS preflight allows Accept-Events, Last-Event-ID, If-Match and Content-Type', async (t) => {
  const { url } = await startTestServer(t);
  await put(`${url}/doc`, '{}');
  for (const path of ['/doc', '/', '/not-yet']) {
    const res = await fetch(`${url}${path}`, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'accept-events, last-event-id',
      },
    });
    assert.ok(res.status === 200 || res.status === 204, `preflight of ${path}: ${res.status}`);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const allowed = members(res.headers.get('access-control-allow-headers'));
    for (const h of ['accept-events', 'last-event-id', 'if-match', 'if-none-match', 'content-type'])
      assert.ok(allowed.includes(h), `${h} in ${allowed.join(', ')}`);
    const methods = members(res.headers.get('access-control-allow-methods'));
    assert.ok(methods.includes('get'), `GET in ${methods.join(', ')}`);
    assert.ok(Number(res.headers.get('access-control-max-age')) > 0);
  }
  const resource = await fetch(`${url}/doc`, {
    method: 'OPTIONS',
    headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PATCH' },
  });
  const methods = members(resource.headers.get('access-control-allow-methods'));
  for (const m of ['put', 'patch', 'delete']) assert.ok(methods.includes(m), m);
});

test('SEC-4 CORS responses expose Events, Accept-Events and ETag, on streams and errors too', async (t) => {
  const { url } = await startTestServer(t);
  await put(`${url}/doc`, '{"a":1}');
  const exposed = (res: Response) => members(res.headers.get('access-control-expose-headers'));
  const expectExposed = (res: Response, what: string) => {
    assert.equal(res.headers.get('access-control-allow-origin'), '*', what);
    for (const h of ['events', 'accept-events', 'etag', 'last-modified', 'location'])
      assert.ok(exposed(res).includes(h), `${what} exposes ${h}`);
  };
  const get = await fetch(`${url}/doc`, { headers: { Origin: ORIGIN } });
  await get.arrayBuffer();
  expectExposed(get, 'GET');
  const written = await put(`${url}/doc`, '{"a":2}', 'application/json', { Origin: ORIGIN });
  expectExposed(written, 'PUT');
  const missing = await fetch(`${url}/missing`, { headers: { Origin: ORIGIN } });
  await missing.arrayBuffer();
  expectExposed(missing, 'a 404');
  const sub = await subscribe(t, `${url}/doc`, { Origin: ORIGIN });
  expectExposed(sub.response, 'the notifications response');
  // A GET asking for notifications that does not become a stream still gets them.
  for (const [path, acceptEvents] of [
    ['/missing', '"prep"'],
    ['/doc', '"not-prep"'],
  ] as const) {
    const res = await fetch(`${url}${path}`, {
      headers: { Origin: ORIGIN, 'Accept-Events': acceptEvents },
    });
    await res.arrayBuffer();
    expectExposed(res, `GET ${path} with Accept-Events: ${acceptEvents} (${res.status})`);
  }
  assert.match(sub.response.headers.get('events') ?? '', /protocol="prep"/);
});

test('SEC-4 CORS with a configured origin names that origin', async (t) => {
  const { url } = await startTestServer(t, { corsOrigin: ORIGIN });
  const res = await fetch(`${url}/`, { headers: { Origin: ORIGIN } });
  await res.arrayBuffer();
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
});

test('SEC-4 CORS off (corsOrigin: false) sends no CORS header at all', async (t) => {
  const { url } = await startTestServer(t, { corsOrigin: false });
  await put(`${url}/doc`, '{}');
  const responses = [
    await fetch(`${url}/doc`, { headers: { Origin: ORIGIN } }),
    await fetch(`${url}/doc`, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'accept-events',
      },
    }),
    await put(`${url}/doc`, '{"a":1}', 'application/json', { Origin: ORIGIN }),
    await fetch(`${url}/missing`, { headers: { Origin: ORIGIN } }),
  ];
  for (const res of responses) await res.arrayBuffer();
  const sub = await subscribe(t, `${url}/doc`, { Origin: ORIGIN });
  for (const res of [...responses, sub.response])
    for (const name of res.headers.keys())
      assert.ok(!name.startsWith('access-control-'), `${res.url} sent ${name}`);
  // Without CORS, OPTIONS still answers with Allow.
  assert.ok(responses[1]!.headers.get('allow'));
});
