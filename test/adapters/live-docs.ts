/**
 * What every running documents app must do (the examples' JSON documents at /docs/<name>,
 * in any adapter and runtime): a PUT reaches subscribers, with a delta where they asked for
 * one (N822-8); a DELETE ends their streams right after its notification (RSP-7); every
 * delimiter ends a chunk or frame (RSP-6). Used by examples.test.ts and workers.test.ts.
 */
import assert from 'node:assert/strict';
import { applyDelta } from '../../packages/client/src/core/delta/index.js';
import { bigDoc } from '../helpers/documents.js';
import { assertDelimitersEndPieces, prepOf, waitNotifications } from './behaviour.js';
import type { TestClient } from './clients.js';

export async function assertLiveDocs(client: TestClient, output: () => string): Promise<void> {
  const json = { 'Content-Type': 'application/json' };
  const doc0 = bigDoc();
  const created = await client.request('PUT', '/docs/hello', {
    headers: json,
    body: JSON.stringify(doc0),
  });
  assert.equal(created.status, 201, output());
  const s = await client.open('/docs/hello', { 'Accept-Events': '"prep"' });
  assert.equal(s.status, 200);
  await s.waitFor(() => prepOf(s).digest !== undefined, 'the opening of the stream');
  assert.deepEqual(JSON.parse(prepOf(s).part1!.body.toString()), doc0);
  const merge = 'application/merge-patch+json';
  const d = await client.open('/docs/hello', {
    'Accept-Events': `"prep";accept=("message/rfc822";delta="${merge}")`,
  });
  await d.waitFor(() => prepOf(d).digest !== undefined, 'the opening of the delta stream');
  const doc1 = { ...doc0, key2: 'changed' };
  const updated = await client.request('PUT', '/docs/hello', {
    headers: json,
    body: JSON.stringify(doc1),
  });
  assert.equal(updated.status, 204);
  const [n] = await waitNotifications(s, 1);
  assert.equal(n!.method, 'PUT');
  assert.equal(n!.etag, updated.headers.etag);
  // N822-8: the delta turns part 1 into the new state.
  const [withDelta] = await waitNotifications(d, 1);
  assert.equal(withDelta!.delta?.contentType, merge);
  const applied = applyDelta(merge, prepOf(d).part1!.body, withDelta!.delta.body);
  assert.deepEqual(JSON.parse(Buffer.from(applied).toString()), doc1);
  // RSP-7: a DELETE ends the delta stream right after its notification.
  assert.equal((await client.request('DELETE', '/docs/hello')).status, 204);
  await d.waitFor(() => d.complete && prepOf(d).closed, 'the end of the stream on DELETE');
  assert.deepEqual(
    prepOf(d).notifications.map((x) => x.method),
    ['PUT', 'DELETE'],
  );
  assertDelimitersEndPieces(d, [prepOf(d).mixed, prepOf(d).digest!]);
}
