import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('docs/conformance.md and the README table agree with PROTOCOL.md and the test names', () => {
  const r = spawnSync(process.execPath, ['scripts/conformance.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the layer rule holds: src/core imports no node:* and no other layer', () => {
  const r = spawnSync(process.execPath, ['scripts/check-layers.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
