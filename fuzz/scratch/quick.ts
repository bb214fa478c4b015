import fc from 'fast-check';
import { PURE_TARGETS } from '../targets.js';
const n = Number(process.argv[2] ?? 2000);
const only = process.argv[3];
for (const t of PURE_TARGETS) {
  if (only && t.name !== only) continue;
  const { properties } = await t.open();
  for (const p of properties) {
    const t0 = performance.now();
    const r = await fc.check(p.make(), { numRuns: n });
    console.log(t.name, '|', p.name.slice(0, 60), '|', (performance.now() - t0).toFixed(0), 'ms', r.failed ? 'FAILED' : 'ok');
    if (r.failed) { console.log(fc.stringify(r.counterexample).slice(0, 2000)); console.log(String(r.errorInstance).slice(0, 2000)); }
  }
}
