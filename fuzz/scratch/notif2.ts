import { parseNotification } from '../../src/core/index.js';
const enc = new TextEncoder();
for (const n of [60000, 70000, 80000]) {
  const bytes = enc.encode('Method: PUT\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: 1\r\nX-A: a\r\n' + ' x\r\n'.repeat(n));
  const t = performance.now();
  parseNotification(bytes);
  console.log(n, bytes.length, (performance.now() - t).toFixed(1), 'ms');
}
