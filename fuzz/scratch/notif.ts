import { parseNotification, PrepError } from '../../src/core/index.js';
const enc = new TextEncoder();
for (const n of [5000, 20000, 50000, 100000]) {
  for (const [name, unit] of [['fold', ' x\r\n'], ['fold-lf', ' x\n'], ['lines', 'a:b\n'], ['blank-ish', '\r\r\n']] as const) {
    const bytes = enc.encode('Method: PUT\r\n' + unit.repeat(n));
    const t = performance.now();
    try { parseNotification(bytes); } catch (e) { if (!(e instanceof PrepError)) throw e; }
    console.log(n, name, bytes.length, (performance.now() - t).toFixed(1), 'ms');
  }
}
