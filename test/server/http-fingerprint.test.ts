/**
 * SEC-3: Accept-Events is a fingerprinting vector, so the server echoes nothing of what a
 * client sent: its own advertisement is the same bytes whatever the request asked for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { put } from '../helpers/http-checks.js';
import { startTestServer } from '../helpers/server.js';

test('SEC-3 the Accept-Events a server sends does not depend on the Accept-Events it received', async (t) => {
  const { url } = await startTestServer(t);
  await put(`${url}/doc`, '{"a":1}');
  const asked = [
    undefined,
    '"prep"',
    '"prep";accept=("message/rfc822";delta="application/json-patch+json");q=0.5, "other";x=1',
    '"prep";accept="text/turtle";fingerprint="abc123"',
    'garbage((',
  ];
  const seen = new Set<string>();
  for (const value of asked) {
    for (const method of ['HEAD', 'GET']) {
      const controller = new AbortController();
      const res = await fetch(`${url}/doc`, {
        method,
        headers: value === undefined ? {} : { 'Accept-Events': value },
        signal: controller.signal,
      });
      const advert = res.headers.get('accept-events');
      assert.ok(advert, `${method} ${value ?? '(none)'}: an advertisement`);
      assert.ok(
        !advert.includes('fingerprint') && !advert.includes('other') && !advert.includes('abc123'),
      );
      seen.add(advert);
      // No other response field repeats what the client sent either.
      for (const [name, v] of res.headers)
        if (value && value.length > 8) assert.ok(!v.includes(value), `${name} echoes the request`);
      controller.abort();
      await res.body?.cancel().catch(() => undefined);
    }
  }
  assert.deepEqual(
    [...seen],
    [
      '"prep";accept=("message/rfc822";delta=("application/json-patch+json" "application/merge-patch+json" "text/plain"))',
    ],
  );
});
