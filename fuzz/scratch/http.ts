import fc from 'fast-check';
import { httpTarget } from '../http-target.js';
const n = Number(process.argv[2] ?? 30);
const kind = (process.argv[3] ?? 'memory') as 'memory' | 'sqlite';
const t = httpTarget('http', kind, 100, { batch: 8 });
const open = await t.openHarness();
for (const p of open.properties) {
  const t0 = performance.now();
  const r = await fc.check(p.make(), { numRuns: n });
  console.log(p.name.slice(0, 50), (performance.now() - t0).toFixed(0), 'ms', r.failed ? 'FAILED' : 'ok');
  if (r.failed) { console.log(fc.stringify(r.counterexample).slice(0, 3000)); console.log(String(r.errorInstance).slice(0, 3000)); }
}
try { await open.close(); console.log('close ok'); } catch (e) { console.log('close failed', e); }
console.log(JSON.stringify(open.stats));
