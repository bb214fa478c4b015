import fc from 'fast-check';
import * as core from '../../src/core/index.ts';
const enc = new TextEncoder();
const lineChars = fc.constantFrom('a','b','\n','\n','\r\n',' ','-','+','@','@@ -1,1 +1,1 @@\n','--- a\n','+++ b\n','\\ No newline at end of file\n', '@@ -1,99999999 +1,1 @@\n', ',', '0', '9');
const txt = fc.string({unit: lineChars, maxLength: 30});
let slow = 0;
const r = fc.check(fc.property(txt, txt, (a, d) => {
  const t = performance.now();
  try { core.applyDelta('text/plain', enc.encode(a), enc.encode(d)); } catch (e) { if (!(e instanceof core.PrepError) || !(e.status! >= 400 && e.status! < 500)) throw e; }
  const dt = performance.now() - t; if (dt > slow) slow = dt;
}), { numRuns: 100000 });
console.log(r.failed, r.counterexample && JSON.stringify(r.counterexample), r.errorInstance, slow);
const diffOk = fc.check(fc.property(txt, txt, (a, b) => {
  const d = core.createTextDiff(a, b); if (d === undefined) return;
  const out = core.applyTextDiff(a, d); if (out !== b) throw new Error('roundtrip ' + JSON.stringify([a,b,d,out]));
}), { numRuns: 50000 });
console.log(diffOk.failed, diffOk.counterexample && JSON.stringify(diffOk.counterexample), diffOk.errorInstance);
