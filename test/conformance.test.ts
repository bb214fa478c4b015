import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

test('docs/conformance.md and the README table agree with docs/protocol.md and the test names', () => {
  const r = spawnSync(process.execPath, ['scripts/conformance.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the layer rule holds: src/core imports no node:* and no other layer', () => {
  const r = spawnSync(process.execPath, ['scripts/check-layers.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('every error code used in src/ is listed in docs/errors.md', () => {
  const docs = readFileSync('docs/errors.md', 'utf8');
  const missing = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(
          /(?:PrepError|StoreError|HttpError[A-Za-z]*|MultipartError|PrepSubscribeError)\(\s*(?:\d+,\s*)?'([A-Z][A-Z0-9_]+)'/g,
        ))
          if (!docs.includes(`\`${m[1]}\``)) missing.add(m[1]!);
    }
  };
  walk('src');
  assert.deepEqual([...missing], []);
});
