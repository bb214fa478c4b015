import fc from 'fast-check';
import * as core from '../../src/core/index.ts';
const key = fc.oneof(fc.constantFrom('a','b','','__proto__','constructor','prototype','-','0','1','length','~','/','toString'), fc.string({maxLength:3}));
const json = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.string({maxLength:3}), fc.array(tie('v'), {maxLength:3}), fc.dictionary(key, tie('v'), {maxKeys:3})),
})).v;
const ptr = fc.oneof(fc.array(key, {maxLength: 4}).map((ks) => ks.map((k) => '/' + k.replace(/~/g,'~0').replace(/\//g,'~1')).join('')), fc.string({maxLength: 8}), fc.constantFrom('/__proto__/x', '/constructor/prototype/x', '/a/constructor/prototype', '~', '/~2', ''));
const op = fc.record({ op: fc.constantFrom('add','remove','replace','move','copy','test','x'), path: ptr, from: ptr, value: json }, { requiredKeys: ['op'] });
const patch = fc.oneof(fc.array(op, {maxLength: 6}), json);
const before = JSON.stringify(Object.getOwnPropertyNames(Object.prototype).sort());
let n = 0, ok = 0;
const r = fc.check(fc.property(json, patch, (doc0, p0) => {
  const doc = JSON.parse(JSON.stringify(doc0)); const p = JSON.parse(JSON.stringify(p0));
  const snap = JSON.stringify(doc); const psnap = JSON.stringify(p);
  try { const out = core.applyJsonPatch(doc, p); JSON.stringify(out); ok++; } catch (e) { if (!(e instanceof core.PrepError) || ![400,409,422].includes(e.status!)) throw e; }
  try { core.applyMergePatch(doc, p); } catch (e) { if (!(e instanceof core.PrepError)) throw e; }
  try { core.applyDelta('application/json-patch+json', new TextEncoder().encode(snap), new TextEncoder().encode(psnap)); } catch (e) { if (!(e instanceof core.PrepError)) throw e; }
  if (JSON.stringify(doc) !== snap || JSON.stringify(p) !== psnap) throw new Error('mutated');
  if (JSON.stringify(Object.getOwnPropertyNames(Object.prototype).sort()) !== before || ({} as any).x !== undefined) throw new Error('polluted');
  n++;
}), { numRuns: 200000 });
console.log(r.failed, r.counterexample && JSON.stringify(r.counterexample), r.errorInstance, n, ok);
