import fc from 'fast-check';
import * as core from '../../src/core/index.ts';
const chars = fc.constantFrom(...'"();=,*?:@%-.0123456789abcAZ \t\\/'.split(''), 'é', '\u0000', '\r', '\n');
const s = fc.oneof(fc.string({ unit: chars, maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 30 }));
for (const [name, fn] of [
  ['list', (x: string) => core.parseList(x, { extended: true })],
  ['dict', (x: string) => core.parseDictionary(x, { extended: true })],
  ['item', (x: string) => core.parseItem(x, { extended: true })],
  ['listS', (x: string) => core.parseList(x)],
] as const) {
  const r = fc.check(fc.property(s, (x) => { try { fn(x); } catch (e) { if (!(e instanceof core.ParseError)) throw e; } }), { numRuns: 200000 });
  console.log(name, r.failed, r.counterexample);
}
const r2 = fc.check(fc.property(s, (x) => { const e = core.parseAcceptEvents(x); if (e) { const p = core.selectProtocol(e, ['prep']); if (p) core.negotiateNotifications(core.readNotificationAccept(p.fields), [{ type: 'message/rfc822', deltas: core.DELTA_TYPES }]); } core.parseEventsField(x, x); }), { numRuns: 200000 });
console.log('ae', r2.failed, r2.counterexample, r2.errorInstance);
const r3 = fc.check(fc.property(s, (x) => { try { core.parseMediaType(x); } catch (e) { if (!(e instanceof core.MediaTypeError)) throw e; } }), { numRuns: 200000 });
console.log('mt', r3.failed, r3.counterexample, r3.errorInstance);
const r4 = fc.check(fc.property(fc.uint8Array({maxLength: 200}), s, (b, x) => { for (const input of [b, new TextEncoder().encode(x)]) try { core.parseNotification(input); } catch (e) { if (!(e instanceof core.PrepError)) throw e; } }), { numRuns: 200000 });
console.log('notif', r4.failed, r4.counterexample, r4.errorInstance);
