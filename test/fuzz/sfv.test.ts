// Fuzzing the Structured Field parser (RFC 9651 and HDR-2): any input throws only
// ParseError, and whatever parses re-serializes and re-parses to the same value.
import { PURE_TARGETS } from '../../fuzz/targets.js';
import { fuzzTests, pick } from './helpers.js';

await fuzzTests(pick(PURE_TARGETS, 'sfv-list', 'sfv-dictionary', 'sfv-item'));
