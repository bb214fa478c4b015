/**
 * Deltas for `message/rfc822` notifications (N822-8): the difference between the
 * representation before and after an event, in the media type the client named in the
 * `delta` parameter. Deltas are a SHOULD (PATCH) or MAY (PUT, POST), so whenever one would
 * be wrong, big or slow to make, {@link createDelta} returns `undefined` and the server
 * sends the notification without a body; the client then re-fetches.
 */
import { PrepError } from '../errors.js';
import { applyJsonPatch, createJsonPatch, type ApplyJsonPatchOptions } from './json-patch.js';
import { applyMergePatch, createMergePatch } from './merge-patch.js';
import { applyTextDiff, createTextDiff } from './text-diff.js';

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
 * Bounds of {@link createDelta}; each exceeded bound means "no delta".
 *
 * @example
 * ```ts
 * import type { DeltaLimits } from './delta.js';
 *
 * const limits: DeltaLimits = { maxInputBytes: 4 * 1024 * 1024, maxCostMs: 20, maxDeltaRatio: 0.5 };
 * ```
 */
export interface DeltaLimits {
  /** Largest before or after body, in bytes, worth diffing. Default 1 MiB. */
  maxInputBytes?: number;
  /**
   * Time budget in milliseconds, default 100. Text diffing stops at it; a JSON delta is
   * not computed when parsing the two bodies used it up (the linear diff that follows may
   * overrun it by its own cost).
   */
  maxCostMs?: number;
  /**
   * Largest delta as a fraction of the new body, default 1: a delta must be smaller than
   * the representation it stands for, or the client might as well re-fetch.
   */
  maxDeltaRatio?: number;
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

// The shortest JSON Patch operation, `{"op":"remove","path":""}`, plus a comma: a patch of
// more operations than the new body's length / this is bigger than the body.
const MIN_OPERATION_BYTES = 26;

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
 * Makes the delta from `before` to `after` in the delta media type `type` (N822-8), or
 * returns `undefined` when the server should send no body and let the client re-fetch:
 * the type is unknown; the representations are not JSON (for the JSON types) or not UTF-8
 * text (for a unified diff), or their media types differ; a body exceeds
 * `limits.maxInputBytes`; a merge patch cannot express the change (a new `null`); the delta
 * is not smaller than the new body; or making it would take longer than `limits.maxCostMs`
 * (JSON: checked once both bodies are parsed; text: the diff stops at the deadline, and does
 * not start when the lines to compare are too many). The work is linear in the input size,
 * and the input size is bounded.
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
  const maxBytes = Math.ceil(after.body.length * (limits.maxDeltaRatio ?? 1)) - 1;
  const deadline = now() + (limits.maxCostMs ?? DEFAULT_MAX_COST_MS);
  try {
    let text: string | undefined;
    if (kind === 'text') {
      if (!isText(before.contentType) || !isText(after.contentType)) return undefined;
      text = createTextDiff(utf8KeepBom.decode(before.body), utf8KeepBom.decode(after.body), {
        timeoutMs: deadline - now(),
      });
    } else {
      if (!isJson(before.contentType) || !isJson(after.contentType)) return undefined;
      const a = JSON.parse(utf8.decode(before.body)) as unknown;
      const b = JSON.parse(utf8.decode(after.body)) as unknown;
      if (now() > deadline) return undefined;
      let patch: unknown;
      if (kind === 'json-patch') {
        patch = createJsonPatch(a, b, {
          maxOperations: Math.floor(maxBytes / MIN_OPERATION_BYTES),
        });
      } else {
        patch = createMergePatch(a, b);
      }
      if (patch === undefined) return undefined;
      text = JSON.stringify(patch);
    }
    // UTF-8 takes at least one byte per UTF-16 code unit: too long a string needs no encoding.
    if (text === undefined || text.length > maxBytes) return undefined;
    const body = encoder.encode(text);
    if (body.length > maxBytes) return undefined;
    const contentType = kind === 'text' ? `${name}; charset=utf-8` : name;
    return { contentType, body };
  } catch {
    // Not UTF-8, not JSON, nested too deeply for the recursion: no delta, the client
    // re-fetches. Never worse than a delta that is wrong.
    return undefined;
  }
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
