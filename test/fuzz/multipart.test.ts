// Fuzzing the multipart decoder (RSP-4, RSP-6) and the notification parser (N822-4..8):
// only MultipartError / PrepError come out, nothing hangs, intact inputs decode intact.
import { PURE_TARGETS } from '../../fuzz/targets.js';
import { RUNS, fuzzTests, pick } from './helpers.js';

await fuzzTests(pick(PURE_TARGETS, 'notification'));
await fuzzTests(pick(PURE_TARGETS, 'multipart'), Math.ceil(RUNS / 2));
