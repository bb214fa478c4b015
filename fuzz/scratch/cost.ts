import fc from 'fast-check';
import * as A from '../arbitraries.js';
const arbs: Record<string, fc.Arbitrary<unknown>> = { acceptEventsInput: A.acceptEventsInput, validAE: A.validAcceptEvents, sfvList: A.sfvInput('list'), deltaCase: A.deltaCase, multipartInput: A.multipartInput, notif: A.notificationInput(), json: A.json, jsonPatchCase: A.jsonPatchCase, events: A.eventsInput, offers: A.notificationOffers };
for (const [k, a] of Object.entries(arbs)) { const t = performance.now(); fc.sample(a, 2000); console.log(k, ((performance.now() - t) / 2000 * 1000).toFixed(0), 'us'); }
