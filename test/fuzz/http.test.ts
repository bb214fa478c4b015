// Fuzzing the server with whole raw HTTP requests over node:net (port 0, loopback): valid
// answers below 500, 4xx as problem+json, no hang, a GET answered after every batch, and a
// consistent store at the end; over the memory store and over SQLite.
import { test } from 'node:test';
import fc from 'fast-check';
import { httpTarget } from '../../fuzz/http-target.js';

const RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 30);

for (const kind of ['memory', 'sqlite'] as const) {
  test(`HTTP fuzz over the ${kind} store`, async (t) => {
    const harness = await httpTarget(`http-${kind}`, kind, RUNS).openHarness();
    let closed = false;
    t.after(async () => {
      if (!closed) await harness.close().catch(() => undefined);
    });
    for (const p of harness.properties) {
      await t.test(p.name, async () => {
        await fc.assert(p.make(), { numRuns: p.weight > 1 ? RUNS : Math.ceil(RUNS / 3) });
      });
    }
    await t.test(
      'SEC-2 RSP-8 after the run: every resource GETs as stored, every stream is released',
      async () => {
        closed = true;
        await harness.close();
      },
    );
  });
}
