// Fuzzing the PATCH appliers (RFC 6902, RFC 7396, unified diff; N822-8): a new JSON value or
// a PrepError with a 4xx status, inputs never mutated, no prototype ever polluted.
import { PURE_TARGETS } from '../../fuzz/targets.js';
import { fuzzTests, pick } from './helpers.js';

await fuzzTests(pick(PURE_TARGETS, 'json-patch', 'merge-patch', 'apply-delta'));
