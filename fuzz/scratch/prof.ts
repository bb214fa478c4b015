import fc from 'fast-check';
import * as A from '../arbitraries.js';
import { applyDelta, PrepError, parseNotification } from '../../src/core/index.js';
const samples = fc.sample(A.deltaCase, { numRuns: 3000, seed: 1 });
const buckets = new Map<string, [number, number]>();
for (const c of samples) {
  const k = c.type.slice(0, 20) + (c.before.length > 1000 ? ' deep' : '');
  const t = performance.now();
  try { applyDelta(c.type, c.before, c.delta); } catch (e) { if (!(e instanceof PrepError)) throw e; }
  const dt = performance.now() - t;
  const b = buckets.get(k) ?? [0, 0]; b[0]++; b[1] += dt; buckets.set(k, b);
}
for (const [k, [n, ms]] of [...buckets].sort((a, b) => b[1][1] - a[1][1]).slice(0, 8)) console.log(k, n, ms.toFixed(0), 'ms total', (ms / n).toFixed(3));
let t = performance.now(); fc.sample(A.deltaCase, { numRuns: 3000, seed: 2 }); console.log('gen deltaCase', ((performance.now() - t) / 3).toFixed(0), 'us');
t = performance.now(); const ns = fc.sample(A.notificationInput(), { numRuns: 3000, seed: 2 }); console.log('gen notif', ((performance.now() - t) / 3).toFixed(0), 'us');
t = performance.now(); for (const b of ns) { try { parseNotification(b); } catch {} } console.log('parse notif', ((performance.now() - t) / 3).toFixed(0), 'us');
t = performance.now(); fc.sample(A.multipartInput, { numRuns: 3000, seed: 2 }); console.log('gen multipart', ((performance.now() - t) / 3).toFixed(0), 'us');
t = performance.now(); fc.sample(A.acceptEventsInput, { numRuns: 3000, seed: 2 }); console.log('gen ae', ((performance.now() - t) / 3).toFixed(0), 'us');
t = performance.now(); fc.sample(A.sfvInput('dictionary'), { numRuns: 3000, seed: 2 }); console.log('gen sfv dict', ((performance.now() - t) / 3).toFixed(0), 'us');
