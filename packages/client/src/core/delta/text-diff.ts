/**
 * Unified diff, the `text/plain` delta of PREP (N822-8; `text/x-diff` is an alias), made and
 * applied with the `diff` package (jsdiff). Lines are compared exactly: line ends (LF, CRLF,
 * a missing final newline) survive a round trip byte for byte.
 */
import { applyPatch, FILE_HEADERS_ONLY, formatPatch, parsePatch, structuredPatch } from 'diff';
import { PrepError } from '../errors.js';

/**
 * Options of {@link createTextDiff}.
 *
 * @example
 * ```ts
 * import { createTextDiff } from './text-diff.js';
 *
 * createTextDiff('a\nb\n', 'a\nc\n', { timeoutMs: 10, maxEditLength: 1000, context: 1 });
 * ```
 */
export interface TextDiffOptions {
  /** Give up (return `undefined`) after this many milliseconds of diffing. Default 50. */
  timeoutMs?: number;
  /** Give up when the edit script exceeds this many changed lines. Default: no limit. */
  maxEditLength?: number;
  /** Lines of context around each change. Default 3, as `diff -u`. */
  context?: number;
}

/**
 * Computes a unified diff (`--- a`, `+++ b`, `@@` hunks) from `before` to `after`, or
 * `undefined` when it would cost too much: jsdiff gives up under `timeoutMs` or
 * `maxEditLength` (its Myers algorithm costs O(N·D), so pathological inputs are cut short
 * instead of blocking the event loop), and a diff is not even started when the lines to
 * compare (those between the common head and tail) are too many to split within
 * `timeoutMs`.
 *
 * @example
 * ```ts
 * import { createTextDiff } from './text-diff.js';
 *
 * createTextDiff('a\nb\n', 'a\nc\n');
 * // '--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n'
 * ```
 */
export function createTextDiff(
  before: string,
  after: string,
  options: TextDiffOptions = {},
): string | undefined {
  const started = Date.now();
  const context = options.context ?? 3;
  // jsdiff tokenizes every line before its (abortable) Myers loop, at a few microseconds a
  // line and not abortable: 5 s for a 17 MB text with one change. A change is usually
  // local, so diff only the lines between the common prefix and suffix (plus context) and
  // shift the hunks back; the result is the same unified diff.
  const [cut, prefixLines, tail] = trimCommon(before, after, context);
  const timeoutMs = options.timeoutMs ?? 50;
  // What is left is tokenized unabortably: refuse when that alone would overrun the budget.
  const lines =
    countLines(before, cut, before.length - tail) + countLines(after, cut, after.length - tail);
  if (lines * LINE_COST_MS > timeoutMs - (Date.now() - started)) return undefined;
  const patch = structuredPatch(
    'a',
    'b',
    before.slice(cut, before.length - tail),
    after.slice(cut, after.length - tail),
    undefined,
    undefined,
    {
      context,
      timeout: Math.max(0, timeoutMs - (Date.now() - started)),
      ...(options.maxEditLength === undefined ? {} : { maxEditLength: options.maxEditLength }),
    },
  );
  if (patch === undefined) return undefined;
  for (const hunk of patch.hunks) {
    hunk.oldStart += prefixLines;
    hunk.newStart += prefixLines;
  }
  return formatPatch(patch, FILE_HEADERS_ONLY);
}

/**
 * The unified diff that rebuilds a whole text: one hunk removing every line of `before` and
 * adding every line of `after` (`\ No newline at end of file` where a text does not end in a
 * newline). Linear, with no diffing: what a subscriber gets when no smaller diff exists or
 * diffing would cost too much (N822-8).
 *
 * @example
 * ```ts
 * import { createTextReplacement } from './text-diff.js';
 *
 * createTextReplacement('a\nb\n', 'c\n');
 * // '--- a\n+++ b\n@@ -1,2 +1,1 @@\n-a\n-b\n+c\n'
 * ```
 */
export function createTextReplacement(before: string, after: string): string {
  const old = hunkLines(before, '-');
  const added = hunkLines(after, '+');
  return formatPatch(
    {
      oldFileName: 'a',
      newFileName: 'b',
      oldHeader: undefined,
      newHeader: undefined,
      hunks: [
        {
          oldStart: 1,
          oldLines: old.count,
          newStart: 1,
          newLines: added.count,
          lines: [...old.lines, ...added.lines],
        },
      ],
    },
    FILE_HEADERS_ONLY,
  );
}

/** `text`'s lines as jsdiff writes them in a hunk: prefixed, `\r` kept, the end marked. */
function hunkLines(text: string, prefix: string): { lines: string[]; count: number } {
  if (text === '') return { lines: [], count: 0 };
  const parts = text.split('\n');
  const complete = parts.at(-1) === '';
  if (complete) parts.pop();
  const lines = parts.map((line) => prefix + line);
  if (!complete) lines.push('\\ No newline at end of file');
  return { lines, count: parts.length };
}

// jsdiff's line tokenizer costs 2–5 µs a line here; 1 µs is the optimistic estimate, so only
// diffs that could not possibly finish in time are refused.
const LINE_COST_MS = 0.001;

function countLines(s: string, from: number, to: number): number {
  let n = 1;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The common head and tail of two texts in whole lines, less `context` lines on each side:
 * `[head length, lines in the head, tail length]`, the same for both texts.
 */
function trimCommon(a: string, b: string, context: number): [number, number, number] {
  const max = Math.min(a.length, b.length);
  let p = 0;
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  // Back to the start of the line holding the first difference, then `context` lines more.
  let cut = p === 0 ? 0 : a.lastIndexOf('\n', p - 1) + 1;
  for (let k = 0; k < context && cut > 0; k++) cut = cut < 2 ? 0 : a.lastIndexOf('\n', cut - 2) + 1;
  let prefixLines = 0;
  for (let i = a.indexOf('\n'); i >= 0 && i < cut; i = a.indexOf('\n', i + 1)) prefixLines++;

  const limit = max - cut;
  let s = 0;
  while (s < limit && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  // Forward to the first line start inside the common tail, then `context` lines more.
  let start = a.indexOf('\n', a.length - s);
  start = start < 0 ? a.length : start + 1;
  for (let k = 0; k < context && start < a.length; k++) {
    const nl = a.indexOf('\n', start);
    start = nl < 0 ? a.length : nl + 1;
  }
  return [cut, prefixLines, a.length - start];
}

/**
 * Applies a unified diff of one file to `before`, with no fuzz and no line-end conversion.
 * Throws a {@link PrepError} `PATCH_MALFORMED` (400) when `diff` is not a unified diff of
 * one file, and `PATCH_CONFLICT` (409) when its context or removed lines do not match
 * `before` (the text changed meanwhile).
 *
 * @example
 * ```ts
 * import { applyTextDiff } from './text-diff.js';
 *
 * applyTextDiff('a\nb\n', '--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n'); // 'a\nc\n'
 * ```
 */
export function applyTextDiff(before: string, diff: string): string {
  let result: string | false;
  try {
    const patches = parsePatch(diff);
    if (patches.length !== 1) {
      throw new PrepError('PATCH_MALFORMED', 'unified diff: expected the diff of one file', {
        status: 400,
      });
    }
    result = applyPatch(before, patches[0]!, { fuzzFactor: 0, autoConvertLineEndings: false });
  } catch (e) {
    if (e instanceof PrepError) throw e;
    throw new PrepError('PATCH_MALFORMED', `unified diff: ${(e as Error).message}`, {
      status: 400,
      cause: e,
    });
  }
  if (result === false) {
    throw new PrepError('PATCH_CONFLICT', 'unified diff: a hunk does not match the text', {
      status: 409,
    });
  }
  return result;
}
