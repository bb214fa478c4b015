import fc from 'fast-check';
import http from 'node:http';
import { requestSpec, encodeRequest, isWellFormed } from '../arbitraries.js';
import { exchange } from '../raw-http.js';
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')); });
const codes = new Map<string, number>(); const examples = new Map<string, string>();
server.on('clientError', (err: any, socket) => { const k = String(err.code); codes.set(k, (codes.get(k) ?? 0) + 1); socket.destroy(); });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as any).port;
const specs = fc.sample(requestSpec, 600);
let wf = 0;
for (const s of specs) {
  if (isWellFormed(s)) wf++;
  const before = new Map(codes);
  await exchange(port, encodeRequest(s), { timeoutMs: 3000, method: s.method, halfCloseAfterMs: 200 });
  for (const [k, v] of codes) if ((before.get(k) ?? 0) !== v && !examples.has(k)) examples.set(k, Buffer.from(encodeRequest(s)).toString('latin1').slice(0, 300));
}
console.log('wellFormed', wf, [...codes].sort((a, b) => b[1] - a[1]));
for (const [k, v] of examples) console.log(k, JSON.stringify(v));
server.close();
