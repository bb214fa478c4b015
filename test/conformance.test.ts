import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

test('docs/conformance.md and the README table agree with docs/protocol.md and the test names', () => {
  const r = spawnSync(process.execPath, ['scripts/conformance.mjs'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('docs/protocol.md is the list of record: every area, each numbered from 1 without gaps, each ID with its text', async () => {
  // A plain .mjs without types: import it by a computed specifier and type what it exports.
  const script = '../scripts/conformance.mjs';
  const { protocolIds } = (await import(script)) as {
    protocolIds: () => Map<string, string>;
  };
  const ids = protocolIds();
  const byArea = new Map<string, number[]>();
  for (const [id, text] of ids) {
    assert.ok(text.length > 20, `${id} has its requirement text`);
    const [, area, n] = /^([A-Z0-9]+?)-(\d+)$/.exec(id)!;
    byArea.set(area!, [...(byArea.get(area!) ?? []), Number(n)]);
  }
  assert.deepEqual(
    [...byArea.keys()],
    ['HDR', 'MTH', 'DSC', 'REQ', 'ERR', 'RSP', 'N822', 'SEC', 'EXT', 'WES'],
  );
  for (const [area, numbers] of byArea)
    assert.deepEqual(
      numbers,
      numbers.map((_, i) => i + 1),
      `${area} numbered 1..${numbers.length}`,
    );
  // The text is read whole, across its continuation lines.
  assert.match(ids.get('RSP-7') ?? '', /both close delimiters/);
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
