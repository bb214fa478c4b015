import fc from 'fast-check';
import { httpTarget } from '../http-target.js';
const n = Number(process.argv[2] ?? 30);
const t = httpTarget('http', 'memory', 100, { batch: 8 });
const open = await t.openHarness();
const p = open.properties[0]!;
const t0 = performance.now();
const r = await fc.check(p.make(), { numRuns: n });
console.log((performance.now() - t0).toFixed(0), 'ms', r.failed ? 'FAILED' : 'ok');
if (r.failed) { console.log(fc.stringify(r.counterexample).slice(0, 3000)); console.log(String(r.errorInstance).slice(0, 3000)); }
try { await open.close(); console.log('close ok'); } catch (e) { console.log('close failed', e); }
console.log(JSON.stringify(open.stats));
