import { parseNotification, PrepError } from '../../src/core/index.js';
const enc = new TextEncoder();
for (let rep = 0; rep < 2; rep++)
for (const n of [50000, 100000, 200000, 400000]) {
  for (const [name, unit] of [['fold', ' x\r\n'], ['lines', 'a:b\n'], ['blank-ish', '\r\r\n']] as const) {
    const bytes = enc.encode('Method: PUT\r\n' + unit.repeat(n));
    const t = performance.now();
    try { parseNotification(bytes); } catch (e) { if (!(e instanceof PrepError)) throw e; }
    if (rep) console.log(n, name, bytes.length, (performance.now() - t).toFixed(1), 'ms');
  }
}
