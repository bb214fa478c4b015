// Fuzzing Accept-Events negotiation (HDR-1, HDR-4, REQ-4), the Events field (HDR-3, HDR-6)
// and media types: no input makes them throw anything undocumented, and what they choose is
// among what was offered.
import { PURE_TARGETS } from '../../fuzz/targets.js';
import { RUNS, fuzzTests, pick } from './helpers.js';

await fuzzTests(pick(PURE_TARGETS, 'accept-events'), Math.ceil(RUNS / 2));
await fuzzTests(pick(PURE_TARGETS, 'events-field', 'media-type'));
