import fc from 'fast-check';
import * as core from '../../src/core/index.ts';
const enc = new TextEncoder();
function streamOf(chunks: Uint8Array[]) { let i = 0; return new ReadableStream<Uint8Array>({ pull(c) { const x = chunks[i++]; if (x) c.enqueue(x.slice()); else c.close(); } }); }
function split(all: Uint8Array, cuts: number[]) { const pts = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b); const out: Uint8Array[] = []; let f = 0; for (const p of [...pts, all.length]) { if (p > f) out.push(all.subarray(f, p)); f = Math.max(f, p); } return out; }
const B = 'b0undary';
const bodyChars = fc.constantFrom('a', '\r', '\n', '-', '--', '--b0undary', '\r\n--b0undary', 'x: y\r\n', ':', ' ', '\t', '\u0000', 'é');
const body = fc.string({ unit: bodyChars, maxLength: 20 });
const hname = fc.constantFrom('Content-Type', 'X', 'a b', '', 'é');
const part = fc.record({ headers: fc.array(fc.tuple(hname, fc.string({ unit: bodyChars, maxLength: 5 })), { maxLength: 3 }), body });
const doc = fc.array(part, { maxLength: 4 }).map((parts) => {
  let s = 'preamble\r\n';
  for (const p of parts) { s += `--${B}\r\n`; for (const [n, v] of p.headers) s += `${n}: ${v}\r\n`; s += '\r\n' + p.body + '\r\n'; }
  return s + `--${B}--\r\nepilogue`;
});
const mutation = fc.record({ at: fc.nat(), del: fc.nat({ max: 4 }), ins: fc.string({ unit: bodyChars, maxLength: 3 }) });
const input = fc.tuple(doc, fc.array(mutation, { maxLength: 4 })).map(([d, ms]) => { for (const m of ms) { const at = m.at % (d.length + 1); d = d.slice(0, at) + m.ins + d.slice(at + m.del); } return d; });
const modes = fc.array(fc.constantFrom('bytes', 'text', 'stream', 'skip', 'stop', 'nested'), { minLength: 8, maxLength: 8 });
async function consume(it: core.MultipartPartIterator, ms: string[], depth = 0) {
  let i = 0;
  for await (const p of it) {
    p.headers.forEach(() => {});
    const m = ms[i++ % ms.length];
    if (m === 'bytes') await p.bytes();
    else if (m === 'text') await p.text();
    else if (m === 'stream') { const r = p.body.getReader(); for (;;) { const { done } = await r.read(); if (done) break; } }
    else if (m === 'stop') break;
    else if (m === 'nested' && depth < 2) await consume(core.parseMultipart(p.body, B), ms, depth + 1);
  }
}
let n = 0;
const r = await fc.check(fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 6 }), modes, async (s, cuts, ms) => {
  const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
  try {
    let timer: any; 
    await Promise.race([consume(core.parseMultipart(streamOf(split(bytes, cuts)), B), ms), new Promise((_, rej) => { timer = setTimeout(() => rej(new Error('HANG')), 2000); })]);
    clearTimeout(timer);
  } catch (e) { if (!(e instanceof core.MultipartError)) throw e; }
  n++;
}), { numRuns: 100000 });
console.log(r.failed, r.counterexample && JSON.stringify(r.counterexample), r.errorInstance, n);
