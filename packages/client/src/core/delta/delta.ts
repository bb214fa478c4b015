/**
 * Deltas for `message/rfc822` notifications (N822-8): the difference between the
 * representation before and after an event, in the media type the client named in the
 * `delta` parameter. A client that asked for a delta gets one with every change it can be
 * made for: the computed difference when it is smaller, else one that rebuilds the whole
 * document in the same format. {@link createDelta} returns `undefined` (the server sends the
 * notification without a body, the client re-fetches) only when the delta type does not fit
 * the representation, a body is over the size cap, or the format cannot say it.
 */
import { PrepError } from '../errors.js';
import {
  applyJsonPatch,
  diffJson,
  replaceRootPatch,
  type ApplyJsonPatchOptions,
} from './json-patch.js';
import { applyMergePatch, createMergePatch } from './merge-patch.js';
import { applyTextDiff, createTextDiff, createTextReplacement } from './text-diff.js';

/**
 * The delta media types we make and apply. `text/plain` is a unified diff; `text/x-diff` is
 * accepted as an alias of it.
 *
 * @example
 * ```ts
 * import { DELTA_TYPES } from './delta.js';
 *
 * DELTA_TYPES.includes('application/merge-patch+json'); // true
 * ```
 */
export const DELTA_TYPES: readonly string[] = Object.freeze([
  'application/json-patch+json',
  'application/merge-patch+json',
  'text/plain',
]);

/**
 * A representation (or a delta): its media type and its bytes.
 *
 * @example
 * ```ts
 * import type { Representation } from './delta.js';
 *
 * const rep: Representation = { contentType: 'application/json', body: new TextEncoder().encode('{}') };
 * ```
 */
export interface Representation {
  contentType: string;
  body: Uint8Array;
}

/**
 * Bounds of {@link createDelta}.
 *
 * @example
 * ```ts
 * import type { DeltaLimits } from './delta.js';
 *
 * const limits: DeltaLimits = { maxInputBytes: 4 * 1024 * 1024, maxCostMs: 20 };
 * ```
 */
export interface DeltaLimits {
  /**
   * The delta size cap: the largest before or after body, in bytes, a delta is made for.
   * Default 1 MiB. Beyond it the notification goes without a delta and the client re-fetches.
   */
  maxInputBytes?: number;
  /**
   * Time budget for finding a small delta, in milliseconds, default 100. Text diffing stops
   * at it, and a JSON Patch is not searched for when parsing the two bodies used it up; the
   * delta is then the one that rebuilds the whole document (linear, no search).
   */
  maxCostMs?: number;
}

const DEFAULT_MAX_INPUT_BYTES = 1024 * 1024;
const DEFAULT_MAX_COST_MS = 100;

type Kind = 'json-patch' | 'merge-patch' | 'text';

const KINDS: ReadonlyMap<string, Kind> = new Map([
  ['application/json-patch+json', 'json-patch'],
  ['application/merge-patch+json', 'merge-patch'],
  ['text/plain', 'text'],
  ['text/x-diff', 'text'],
]);

const encoder = new TextEncoder();
const utf8 = new TextDecoder('utf-8', { fatal: true });
// A byte order mark is part of the text a diff must reproduce.
const utf8KeepBom = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Whether `type` (a media type, parameters ignored) is a delta type we support: one of
 * {@link DELTA_TYPES} or `text/x-diff`.
 *
 * @example
 * ```ts
 * import { isDeltaType } from './delta.js';
 *
 * isDeltaType('Application/JSON-Patch+JSON'); // true
 * isDeltaType('text/x-diff'); // true
 * isDeltaType('application/xml-patch+xml'); // false
 * ```
 */
export function isDeltaType(type: string): boolean {
  return KINDS.has(essence(type));
}

/**
 * The delta types of `candidates` (default {@link DELTA_TYPES}), in their order, that a
 * representation of media type `contentType` can have, as {@link createDelta} makes them:
 * JSON (`application/json`, `+json`, `text/json`) takes JSON Patch, merge patch and the
 * unified diff (it is UTF-8 text too); other UTF-8 text takes the unified diff
 * (`text/plain`, `text/x-diff`); anything else (binary, another charset) none. What a
 * resource advertises (DSC-1, HDR-2) and negotiation offers it.
 *
 * @example
 * ```ts
 * import { deltaTypesFor } from './delta.js';
 *
 * deltaTypesFor('application/ld+json');
 * // ['application/json-patch+json', 'application/merge-patch+json', 'text/plain']
 * deltaTypesFor('text/markdown; charset=utf-8'); // ['text/plain']
 * deltaTypesFor('text/plain; charset=iso-8859-1'); // []
 * deltaTypesFor('image/png'); // []
 * ```
 */
export function deltaTypesFor(
  contentType: string,
  candidates: readonly string[] = DELTA_TYPES,
): string[] {
  const json = isJson(contentType);
  const text = json || isText(contentType);
  return candidates.filter((type) => {
    const kind = KINDS.get(essence(type));
    return kind === 'text' ? text : kind !== undefined && json;
  });
}

/**
 * Makes the delta from `before` to `after` in the delta media type `type` (N822-8): the
 * computed difference when it is smaller, else the delta that rebuilds the whole document in
 * the same format (JSON Patch: one `replace` of the root `""`; unified diff: one hunk
 * replacing every line; a merge patch is never bigger than its rebuild, see
 * `createMergePatch`). Applied with {@link applyDelta} to `before`, it gives `after`: the
 * same bytes for a unified diff, the same JSON value for the JSON types.
 *
 * Returns `undefined`, and the server sends the notification without a body so that the
 * client re-fetches, only when no delta of this type fits: the type is unknown; the
 * representations are not JSON (for the JSON types) or not UTF-8 text (for a unified
 * diff), or their media types differ; a body is over the size cap `limits.maxInputBytes`;
 * a merge patch cannot express the change (a new `null` member); the JSON nests too deeply
 * to walk. The work is linear in the input size, and the input size is bounded: the search
 * for a small delta stops at `limits.maxCostMs` and the rebuild is sent instead.
 *
 * The result's `contentType` is the requested type (`text/plain` and `text/x-diff` with
 * `; charset=utf-8`), ready for the notification's `Content-Type`.
 *
 * @example
 * ```ts
 * import { createDelta } from './delta.js';
 *
 * const enc = new TextEncoder();
 * const json = (v: unknown) => ({ contentType: 'application/json', body: enc.encode(JSON.stringify(v)) });
 * const before = { title: 'Hello', tags: ['a', 'b', 'c'], body: 'long text...' };
 * const delta = createDelta('application/merge-patch+json', json(before), json({ ...before, title: 'Hi' }));
 * new TextDecoder().decode(delta?.body); // '{"title":"Hi"}'
 * const small = createDelta('application/json-patch+json', json({ n: 1 }), json({ n: 2 }));
 * new TextDecoder().decode(small?.body); // '[{"op":"replace","path":"","value":{"n":2}}]'
 * ```
 */
export function createDelta(
  type: string,
  before: Representation,
  after: Representation,
  limits: DeltaLimits = {},
): Representation | undefined {
  const name = essence(type);
  const kind = KINDS.get(name);
  if (kind === undefined) return undefined;
  const maxInput = limits.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
  if (before.body.length > maxInput || after.body.length > maxInput) return undefined;
  // A representation of another media type is another document: no delta between them.
  if (essence(before.contentType) !== essence(after.contentType)) return undefined;
  const deadline = now() + (limits.maxCostMs ?? DEFAULT_MAX_COST_MS);
  try {
    let text: string | undefined;
    if (kind === 'text') {
      if (!isText(before.contentType) || !isText(after.contentType)) return undefined;
      text = textDelta(utf8KeepBom.decode(before.body), utf8KeepBom.decode(after.body), deadline);
    } else {
      if (!isJson(before.contentType) || !isJson(after.contentType)) return undefined;
      const afterText = utf8.decode(after.body);
      const a = JSON.parse(utf8.decode(before.body)) as unknown;
      const b = JSON.parse(afterText) as unknown;
      text = kind === 'json-patch' ? jsonPatchDelta(a, b, afterText, deadline) : mergeDelta(a, b);
    }
    if (text === undefined) return undefined;
    const contentType = kind === 'text' ? `${name}; charset=utf-8` : name;
    return { contentType, body: encoder.encode(text) };
  } catch {
    // Not UTF-8, not JSON, nested too deeply for the recursion: no delta, the client
    // re-fetches. Never worse than a delta that is wrong.
    return undefined;
  }
}

function jsonPatchDelta(a: unknown, b: unknown, afterText: string, deadline: number): string {
  const rebuild = replaceRootPatch(afterText);
  if (now() > deadline) return rebuild;
  const ops = diffJson(a, b, { maxChars: rebuild.length });
  // Too deep for compare() is too deep for the client's JSON.stringify too: no delta.
  if (ops === 'too-deep') throw new RangeError('nested too deeply');
  if (ops === 'not-expressed') return rebuild;
  const patch = JSON.stringify(ops);
  return patch.length < rebuild.length ? patch : rebuild;
}

function mergeDelta(a: unknown, b: unknown): string | undefined {
  // Linear, and never bigger than a rebuild (see createMergePatch): no budget to check.
  const patch = createMergePatch(a, b);
  return patch === undefined ? undefined : JSON.stringify(patch);
}

function textDelta(before: string, after: string, deadline: number): string {
  const diff = createTextDiff(before, after, { timeoutMs: deadline - now() });
  // A rebuild holds both texts whole: a diff no longer than that needs no comparison.
  if (diff !== undefined && diff.length <= before.length + after.length) return diff;
  const rebuild = createTextReplacement(before, after);
  return diff !== undefined && diff.length < rebuild.length ? diff : rebuild;
}

/**
 * Bounds of the work of {@link applyDelta} (a server applying a client's PATCH sets them):
 * those of a JSON Patch (`PATCH_TOO_COMPLEX` beyond them, `PATCH_UNPROCESSABLE` beyond the
 * copy bound). A merge patch's work is linear in the document and the patch.
 *
 * @example
 * ```ts
 * import type { ApplyDeltaLimits } from './delta.js';
 *
 * const limits: ApplyDeltaLimits = { maxOperations: 10_000, maxTouchedBytes: 1 << 27 };
 * ```
 */
export type ApplyDeltaLimits = Pick<
  ApplyJsonPatchOptions,
  'maxOperations' | 'maxTouchedBytes' | 'maxCopyBytes'
>;

/**
 * Applies a delta of media type `type` to the bytes of the representation it was made from
 * and returns the new representation's bytes; what a client does to keep its live copy.
 * JSON results are serialized compactly (`JSON.stringify`), so they equal the server's
 * bytes only when the server serializes the same way; a unified diff reproduces them
 * exactly.
 *
 * Throws a {@link PrepError}: `DELTA_UNSUPPORTED` (415) for an unknown type;
 * `PATCH_MALFORMED` (400) for a delta that is not valid for its type;
 * `PATCH_CONFLICT` (409) or `PATCH_UNPROCESSABLE` (422) when it does not apply to `before`
 * (including a `before` that is not JSON or not UTF-8).
 *
 * @example
 * ```ts
 * import { applyDelta } from './delta.js';
 *
 * const enc = new TextEncoder();
 * const next = applyDelta(
 *   'application/json-patch+json',
 *   enc.encode('{"n":1}'),
 *   enc.encode('[{"op":"replace","path":"/n","value":2}]'),
 * );
 * new TextDecoder().decode(next); // '{"n":2}'
 * ```
 */
export function applyDelta(
  type: string,
  before: Uint8Array,
  delta: Uint8Array,
  limits: ApplyDeltaLimits = {},
): Uint8Array {
  const kind = KINDS.get(essence(type));
  if (kind === undefined) {
    throw new PrepError(
      'DELTA_UNSUPPORTED',
      `delta: unsupported delta type ${JSON.stringify(type)}`,
      {
        status: 415,
      },
    );
  }
  if (kind === 'text') {
    const text = decode(utf8KeepBom, before, 'PATCH_UNPROCESSABLE', 'the representation');
    const diff = decode(utf8KeepBom, delta, 'PATCH_MALFORMED', 'the delta');
    return encoder.encode(applyTextDiff(text, diff));
  }
  const doc = parseJson(before, 'PATCH_UNPROCESSABLE', 'the representation');
  const patch = parseJson(delta, 'PATCH_MALFORMED', 'the delta');
  let result: unknown;
  try {
    result =
      kind === 'json-patch'
        ? applyJsonPatch(doc, patch, { ...limits, mutate: true })
        : applyMergePatch(doc, patch);
    return encoder.encode(JSON.stringify(result));
  } catch (e) {
    if (e instanceof RangeError) {
      throw new PrepError('PATCH_UNPROCESSABLE', 'delta: the document nests too deeply', {
        status: 422,
        cause: e,
      });
    }
    throw e;
  }
}

function parseJson(bytes: Uint8Array, code: string, what: string): unknown {
  const text = decode(utf8, bytes, code, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new PrepError(code, `delta: ${what} is not JSON`, { status: statusOf(code), cause: e });
  }
}

function decode(decoder: TextDecoder, bytes: Uint8Array, code: string, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    throw new PrepError(code, `delta: ${what} is not UTF-8`, { status: statusOf(code), cause: e });
  }
}

function statusOf(code: string): number {
  return code === 'PATCH_MALFORMED' ? 400 : 422;
}

/** The media type without parameters, lower case (RFC 9110 §8.3.1: case-insensitive). */
function essence(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function isJson(contentType: string): boolean {
  const e = essence(contentType);
  return (
    (e === 'application/json' || e.endsWith('+json') || e === 'text/json') && isUtf8(contentType)
  );
}

function isText(contentType: string): boolean {
  const e = essence(contentType);
  const textual =
    e.startsWith('text/') ||
    e === 'application/json' ||
    e.endsWith('+json') ||
    e === 'application/xml' ||
    e.endsWith('+xml') ||
    e === 'application/javascript' ||
    e === 'application/ecmascript';
  return textual && isUtf8(contentType);
}

/** No charset, or one whose bytes are UTF-8 (US-ASCII is a subset). */
function isUtf8(contentType: string): boolean {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  if (m === null) return true;
  const charset = m[1]!.toLowerCase();
  return charset === 'utf-8' || charset === 'utf8' || charset === 'us-ascii';
}

function now(): number {
  return performance.now();
}
