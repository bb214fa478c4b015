/**
 * JSON Patch (RFC 6902), `application/json-patch+json`: generation with fast-json-patch's
 * `compare`, application with its `applyOperation`, behind our own RFC 6902 checks.
 *
 * Why not `applyPatch(doc, patch, true)` as is: with validation on it deep-clones the whole
 * document for every `move`/`copy` (20 moves on a 6 MB document took 2 s here), builds
 * every error message with the whole document pretty-printed in it (13 MB for a failing
 * `test` on a 6 MB document), its `test` throws a TypeError for values with a key named
 * `hasOwnProperty`, and its `move` silently appends past the end of an array. So each
 * operation is checked here first (path syntax, existence, array bounds, `test` equality,
 * the prototype ban), and fast-json-patch only performs the mutation, with its
 * prototype-pollution ban left on.
 */
// fast-json-patch is CommonJS with an ESM build behind "module": only the default import is
// the same object under Node (cjs-module-lexer finds no `compare` named export) and bundlers.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { PrepError } from '../errors.js';
import { isJsonObject, jsonEqual } from './json-value.js';

/**
 * One RFC 6902 operation.
 *
 * @example
 * ```ts
 * import type { JsonPatchOperation } from './json-patch.js';
 *
 * const op: JsonPatchOperation = { op: 'replace', path: '/title', value: 'New' };
 * ```
 */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/**
 * Limits of {@link createJsonPatch}.
 *
 * @example
 * ```ts
 * import { createJsonPatch } from './json-patch.js';
 *
 * createJsonPatch([1, 2, 3], [0, 1, 2, 3], { maxOperations: 2 }); // undefined: 4 operations
 * ```
 */
export interface CreateJsonPatchLimits {
  /** Give up (return `undefined`) when the patch has more operations. Default: no limit. */
  maxOperations?: number;
}

/**
 * Options of {@link applyJsonPatch}.
 *
 * @example
 * ```ts
 * import { applyJsonPatch } from './json-patch.js';
 *
 * const doc = JSON.parse('{"n":1}') as unknown; // ours alone: patch it in place
 * applyJsonPatch(doc, [{ op: 'replace', path: '/n', value: 2 }], { mutate: true, maxCopyBytes: 1 << 20 });
 * ```
 */
export interface ApplyJsonPatchOptions {
  /**
   * Bytes (of serialized JSON) that `copy` operations may duplicate in total, default
   * 16 MiB: without a bound, a few dozen `copy` operations of a member into itself double
   * the document each time.
   */
  maxCopyBytes?: number;
  /**
   * Operations the patch may have, default unlimited; more: `PATCH_TOO_COMPLEX` (422) before
   * any is applied.
   */
  maxOperations?: number;
  /**
   * Bytes of the document the whole patch may move or copy, default unlimited: an `add` or
   * `remove` inside an array moves every later element (counted as 8 bytes each, a
   * reference), a `move` does both, a `copy` duplicates its value (its JSON length). Beyond
   * it: `PATCH_TOO_COMPLEX` (422). A few thousand inserts at the front of a long array cost
   * seconds without it.
   */
  maxTouchedBytes?: number;
  /**
   * Patch `doc` in place and share the patch's values instead of copying both first.
   * Only for a document and patch the caller owns and no longer needs (e.g. both just
   * parsed); the result may still be a new value (a patch of the root). Default `false`.
   */
  mutate?: boolean;
}

const DEFAULT_MAX_COPY_BYTES = 16 * 1024 * 1024;
const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
// RFC 6901 §4: array index, no leading zeros.
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * Computes a JSON Patch that turns `before` into `after` (as fast-json-patch `compare` does:
 * objects by key, arrays index by index, so an element inserted at the front rewrites every
 * later index). Returns `undefined` when the patch would exceed `limits.maxOperations`, would
 * touch a key that {@link applyJsonPatch} refuses (`__proto__`, `constructor/prototype`), or
 * the values nest too deeply to walk.
 * The patch shares nothing with its inputs.
 *
 * @example
 * ```ts
 * import { createJsonPatch } from './json-patch.js';
 *
 * createJsonPatch({ a: 1, b: [1] }, { a: 2, b: [1, 2] });
 * // [{ op: 'add', path: '/b/1', value: 2 }, { op: 'replace', path: '/a', value: 2 }]
 * ```
 */
export function createJsonPatch(
  before: unknown,
  after: unknown,
  limits: CreateJsonPatchLimits = {},
): JsonPatchOperation[] | undefined {
  const ops = diffJson(before, after, limits);
  return typeof ops === 'string' ? undefined : (clone(ops) as JsonPatchOperation[]);
}

/**
 * Limits of {@link diffJson}.
 */
export interface DiffJsonLimits extends CreateJsonPatchLimits {
  /**
   * Give up once the patch, serialized, would surely be longer than this many characters
   * (a lower bound is tallied as operations are found, so the walk stops early).
   */
  maxChars?: number;
}

/**
 * {@link createJsonPatch} without the copy, saying why there is no patch: `'too-deep'` (the
 * values nest deeper than the stack: no JSON delta can be applied to them either) or
 * `'not-expressed'` (over `limits.maxOperations` or `limits.maxChars`, or a banned path; a
 * replace of the root still does it). The operations share values with `after`.
 *
 * Our own walk, not fast-json-patch's `compare`, which yields the same operations in the
 * same order: `compare` deep-copies every value it puts in the patch and cannot stop early,
 * so a change that rewrites a 100 000-item array cost a copy of every item before the patch
 * was found too big (N822-8 asks for bounded work).
 *
 * @example
 * ```ts
 * import { diffJson } from './json-patch.js';
 *
 * diffJson([1, 2, 3], [0, 1, 2, 3], { maxOperations: 2 }); // 'not-expressed'
 * ```
 */
export function diffJson(
  before: unknown,
  after: unknown,
  limits: DiffJsonLimits = {},
): JsonPatchOperation[] | 'too-deep' | 'not-expressed' {
  const state: DiffState = {
    ops: [],
    chars: 2,
    maxOperations: limits.maxOperations ?? Number.POSITIVE_INFINITY,
    maxChars: limits.maxChars ?? Number.POSITIVE_INFINITY,
  };
  try {
    if (
      isContainer(before) &&
      isContainer(after) &&
      Array.isArray(before) === Array.isArray(after)
    ) {
      walk(before, after, '', state);
    } else if (!jsonEqual(before, after)) {
      // One replace of the root, also for an object that became an array.
      push(state, { op: 'replace', path: '', value: after });
    }
  } catch (e) {
    if (e === OVER_BUDGET) return 'not-expressed';
    if (e instanceof RangeError) return 'too-deep';
    throw e;
  }
  for (const op of state.ops) if (isBannedPath(op.path)) return 'not-expressed';
  return state.ops;
}

interface DiffState {
  ops: JsonPatchOperation[];
  /** A lower bound of the patch's serialized length so far. */
  chars: number;
  maxOperations: number;
  maxChars: number;
}

/** Thrown to unwind the walk once the patch is surely too big (no stack trace: cheap). */
class OverBudget extends Error {
  constructor() {
    super('over budget');
  }
}
const OVER_BUDGET = new OverBudget();
// `{"op":"replace","path":"","value":}` and a comma; `remove` is shorter still.
const OPERATION_CHARS = 24;

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/** fast-json-patch's `_generate`: old keys last to first, then the new keys in order. */
function walk(old: Container, cur: Container, path: string, s: DiffState): void {
  if (Array.isArray(old)) {
    const next = cur as unknown[];
    for (let i = old.length - 1; i >= 0; i--) {
      if (i < next.length) compareMember(old[i], next[i], path, String(i), s);
      else push(s, { op: 'remove', path: `${path}/${i}` });
    }
    for (let i = old.length; i < next.length; i++) {
      push(s, { op: 'add', path: `${path}/${i}`, value: next[i] });
    }
    return;
  }
  const next = cur as Record<string, unknown>;
  const oldKeys = Object.keys(old);
  for (let t = oldKeys.length - 1; t >= 0; t--) {
    const key = oldKeys[t]!;
    if (Object.hasOwn(next, key)) compareMember(old[key], next[key], path, key, s);
    else push(s, { op: 'remove', path: `${path}/${escapeToken(key)}` });
  }
  for (const key of Object.keys(next)) {
    if (!Object.hasOwn(old, key)) {
      push(s, { op: 'add', path: `${path}/${escapeToken(key)}`, value: next[key] });
    }
  }
}

/** Compares member `key` of the values at `parent`; its path is built only when needed. */
function compareMember(a: unknown, b: unknown, parent: string, key: string, s: DiffState): void {
  if (a === b) return;
  if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
    walk(a, b, `${parent}/${escapeToken(key)}`, s);
  } else {
    push(s, { op: 'replace', path: `${parent}/${escapeToken(key)}`, value: b });
  }
}

function push(s: DiffState, op: JsonPatchOperation): void {
  s.ops.push(op);
  s.chars += OPERATION_CHARS + op.path.length + ('value' in op ? minChars(op.value) : 0);
  if (s.ops.length > s.maxOperations || s.chars > s.maxChars) throw OVER_BUDGET;
}

/** A lower bound of `JSON.stringify(value).length`, in constant time. */
function minChars(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (typeof value === 'number') return 1;
  if (typeof value === 'boolean') return 4;
  return value === null ? 4 : 2;
}

function escapeToken(key: string): string {
  return key.includes('~') || key.includes('/')
    ? key.replaceAll('~', '~0').replaceAll('/', '~1')
    : key;
}

/**
 * The JSON Patch that rebuilds a whole document: one `replace` of the root (`""`, RFC 6901)
 * whose value is `jsonText`, a JSON text (spliced in as is, not re-serialized). What a
 * subscriber gets when no smaller patch exists (N822-8).
 *
 * @example
 * ```ts
 * import { replaceRootPatch } from './json-patch.js';
 *
 * replaceRootPatch('{"n":2}'); // '[{"op":"replace","path":"","value":{"n":2}}]'
 * ```
 */
export function replaceRootPatch(jsonText: string): string {
  return `[{"op":"replace","path":"","value":${jsonText}}]`;
}

/**
 * Applies a JSON Patch (RFC 6902) to a JSON document and returns the new document, without
 * changing `doc` or `patch` (unless `options.mutate`). Atomic: on error nothing is returned.
 *
 * Throws a {@link PrepError} naming the failing operation (index, op, path) and why:
 * - `PATCH_MALFORMED` (400): not a patch document (not an array, unknown `op`, missing or
 *   invalid `path`/`from`/`value`);
 * - `PATCH_CONFLICT` (409): a `test` operation failed;
 * - `PATCH_UNPROCESSABLE` (422): a well-formed patch that does not apply to this document
 *   (missing path, array index out of range, a move into its own child, a `__proto__` or
 *   `constructor/prototype` path);
 * - `PATCH_TOO_COMPLEX` (422): more work than allowed (`maxOperations`, `maxTouchedBytes`,
 *   `maxCopyBytes`).
 *
 * @example
 * ```ts
 * import { applyJsonPatch } from './json-patch.js';
 *
 * applyJsonPatch({ a: 1 }, [
 *   { op: 'test', path: '/a', value: 1 },
 *   { op: 'add', path: '/b', value: [true] },
 * ]); // { a: 1, b: [true] }
 * ```
 */
export function applyJsonPatch(
  doc: unknown,
  patch: unknown,
  options: ApplyJsonPatchOptions = {},
): unknown {
  if (!Array.isArray(patch)) {
    throw new PrepError('PATCH_MALFORMED', 'JSON Patch: the patch document is not an array', {
      status: 400,
    });
  }
  const maxOperations = options.maxOperations ?? Infinity;
  if (patch.length > maxOperations) {
    throw new PrepError(
      'PATCH_TOO_COMPLEX',
      `JSON Patch: ${patch.length} operations; at most ${maxOperations} are allowed`,
      { status: 422 },
    );
  }
  const state: ApplyState = {
    copied: 0,
    maxCopyBytes: options.maxCopyBytes ?? DEFAULT_MAX_COPY_BYTES,
    touched: 0,
    maxTouchedBytes: options.maxTouchedBytes ?? Infinity,
  };
  try {
    let document = options.mutate === true ? doc : clone(doc);
    const ops: unknown[] = options.mutate === true ? patch : (clone(patch) as unknown[]);
    for (let i = 0; i < ops.length; i++) document = applyOne(document, ops[i], i, state);
    return document;
  } catch (e) {
    // Our recursion (and fast-json-patch's) ends in a RangeError on absurdly deep values.
    if (e instanceof RangeError) {
      throw new PrepError('PATCH_UNPROCESSABLE', 'JSON Patch: the document nests too deeply', {
        status: 422,
        cause: e,
      });
    }
    throw e;
  }
}

interface ApplyState {
  copied: number;
  maxCopyBytes: number;
  /** Bytes moved or copied so far (`maxTouchedBytes`). */
  touched: number;
  maxTouchedBytes: number;
}

/** What one array element costs to move: a reference. */
const ELEMENT_BYTES = 8;

/** Counts `bytes` moved or copied by operation `i`; past the bound, `PATCH_TOO_COMPLEX`. */
function touch(state: ApplyState, bytes: number, i: number, raw: Record<string, unknown>): void {
  state.touched += bytes;
  if (state.touched > state.maxTouchedBytes) {
    throw new PrepError(
      'PATCH_TOO_COMPLEX',
      message(
        i,
        raw,
        `the patch moves or copies more than ${state.maxTouchedBytes} bytes of the document`,
      ),
      { status: 422 },
    );
  }
}

/**
 * The elements an insert (`extra` 0) or a removal (`extra` 1) at `tokens` moves: those after
 * its index, when its parent is an array; 0 otherwise.
 */
function shifted(doc: unknown, tokens: string[], extra: 0 | 1): number {
  if (tokens.length === 0) return 0;
  const parent = resolve(doc, tokens, tokens.length - 1);
  if (!parent.found || !Array.isArray(parent.value)) return 0;
  const last = tokens[tokens.length - 1]!;
  if (!ARRAY_INDEX.test(last)) return 0;
  return Math.max(0, parent.value.length - Number(last) - extra);
}

function applyOne(doc: unknown, raw: unknown, i: number, state: ApplyState): unknown {
  if (!isJsonObject(raw)) throw malformed(i, raw, 'the operation is not an object');
  const op = raw.op;
  if (typeof op !== 'string' || !OPS.has(op)) {
    throw malformed(i, raw, 'op is not one of add, remove, replace, move, copy, test');
  }
  const path = raw.path;
  if (typeof path !== 'string') throw malformed(i, raw, 'path is missing or not a string');
  const tokens = parsePointer(path);
  if (tokens === undefined) throw malformed(i, raw, 'path is not a JSON Pointer (RFC 6901)');
  if ((op === 'add' || op === 'replace' || op === 'test') && raw.value === undefined) {
    throw malformed(i, raw, 'value is missing');
  }
  let fromTokens: string[] | undefined;
  if (op === 'move' || op === 'copy') {
    if (typeof raw.from !== 'string') throw malformed(i, raw, 'from is missing or not a string');
    fromTokens = parsePointer(raw.from);
    if (fromTokens === undefined) throw malformed(i, raw, 'from is not a JSON Pointer (RFC 6901)');
    if (isBanned(fromTokens)) throw unprocessable(i, raw, 'from names a banned key');
  }
  // Kept from fast-json-patch (banPrototypeModifications): refuse these paths outright.
  if (isBanned(tokens)) {
    throw unprocessable(i, raw, 'path names __proto__ or constructor/prototype, refused');
  }

  switch (op) {
    case 'test': {
      const target = resolve(doc, tokens, tokens.length);
      if (!target.found) throw unprocessable(i, raw, `${target.why}`);
      if (!jsonEqual(target.value, raw.value)) {
        throw new PrepError('PATCH_CONFLICT', message(i, raw, 'test failed: the value differs'), {
          status: 409,
        });
      }
      return doc;
    }
    case 'remove':
    case 'replace': {
      if (tokens.length === 0) {
        if (op === 'remove') throw unprocessable(i, raw, 'cannot remove the whole document');
        return raw.value;
      }
      const target = resolve(doc, tokens, tokens.length);
      if (!target.found) throw unprocessable(i, raw, target.why);
      if (op === 'remove') touch(state, shifted(doc, tokens, 1) * ELEMENT_BYTES, i, raw);
      return mutate(doc, op === 'remove' ? { op, path } : { op, path, value: raw.value });
    }
    case 'add':
      return add(doc, tokens, path, raw.value, i, raw, state);
    case 'move': {
      const from = raw.from as string;
      const source = resolve(doc, fromTokens!, fromTokens!.length);
      if (!source.found) throw unprocessable(i, raw, `from: ${source.why}`);
      if (from === path) return doc;
      // RFC 6902 §4.4: from must not be a proper prefix of path (a move into its own child).
      if (isPrefix(fromTokens!, tokens)) {
        throw unprocessable(i, raw, 'cannot move a value into one of its own children');
      }
      // Remove first, then check the add against the document as it now is: removing an
      // array element shifts the indexes after it (fast-json-patch skips this check).
      touch(state, shifted(doc, fromTokens!, 1) * ELEMENT_BYTES, i, raw);
      const removed = jsonpatch.applyOperation(doc, { op: 'remove', path: from }, false, true, true)
        .removed as unknown;
      return add(doc, tokens, path, removed, i, raw, state);
    }
    case 'copy': {
      const source = resolve(doc, fromTokens!, fromTokens!.length);
      if (!source.found) throw unprocessable(i, raw, `from: ${source.why}`);
      const text = JSON.stringify(source.value);
      state.copied += text.length;
      if (state.copied > state.maxCopyBytes) {
        throw new PrepError(
          'PATCH_TOO_COMPLEX',
          message(i, raw, `copies exceed ${state.maxCopyBytes} bytes in total`),
          { status: 422 },
        );
      }
      touch(state, text.length, i, raw);
      return add(doc, tokens, path, JSON.parse(text), i, raw, state);
    }
  }
  throw malformed(i, raw, 'unknown op'); // unreachable: OPS was checked above
}

function add(
  doc: unknown,
  tokens: string[],
  path: string,
  value: unknown,
  i: number,
  raw: Record<string, unknown>,
  state: ApplyState,
): unknown {
  if (tokens.length === 0) return value; // RFC 6902 §4.1: add at the root replaces it
  const parent = resolve(doc, tokens, tokens.length - 1);
  if (!parent.found) throw unprocessable(i, raw, parent.why);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent.value)) {
    // RFC 6902 §4.1: an index up to the length, or "-" for the end.
    if (last !== '-' && !(ARRAY_INDEX.test(last) && Number(last) <= parent.value.length)) {
      throw unprocessable(i, raw, `array index ${last} is out of range or not an index`);
    }
  } else if (!isJsonObject(parent.value)) {
    throw unprocessable(i, raw, 'the parent is not an object or array');
  }
  touch(state, shifted(doc, tokens, 0) * ELEMENT_BYTES, i, raw);
  return mutate(doc, { op: 'add', path, value });
}

// Validation off here: applyOne has done RFC 6902's checks. Prototype ban stays on.
function mutate(doc: unknown, op: Operation): unknown {
  return jsonpatch.applyOperation(doc, op, false, true, true).newDocument;
}

type Resolved = { found: true; value: unknown } | { found: false; why: string };

function resolve(doc: unknown, tokens: string[], count: number): Resolved {
  let current = doc;
  for (let k = 0; k < count; k++) {
    const token = tokens[k]!;
    if (Array.isArray(current)) {
      if (!ARRAY_INDEX.test(token) || Number(token) >= current.length) {
        return { found: false, why: `${pointer(tokens, k + 1)} does not exist` };
      }
      current = current[Number(token)] as unknown;
    } else if (isJsonObject(current) && Object.hasOwn(current, token)) {
      current = current[token];
    } else {
      return { found: false, why: `${pointer(tokens, k + 1)} does not exist` };
    }
  }
  return { found: true, value: current };
}

/** RFC 6901: "" is the root, else "/"-separated tokens with ~1 for "/" and ~0 for "~". */
function parsePointer(path: string): string[] | undefined {
  if (path === '') return [];
  if (path[0] !== '/') return undefined;
  const tokens = path.slice(1).split('/');
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.includes('~')) {
      if (/~(?![01])/.test(t)) return undefined;
      tokens[k] = t.replaceAll('~1', '/').replaceAll('~0', '~');
    }
  }
  return tokens;
}

function pointer(tokens: string[], count: number): string {
  let s = '';
  for (let k = 0; k < count; k++) {
    s += '/' + tokens[k]!.replaceAll('~', '~0').replaceAll('/', '~1');
  }
  return s;
}

function isPrefix(prefix: string[], tokens: string[]): boolean {
  if (prefix.length >= tokens.length) return false;
  for (let k = 0; k < prefix.length; k++) if (prefix[k] !== tokens[k]) return false;
  return true;
}

function isBanned(tokens: string[]): boolean {
  for (let k = 0; k < tokens.length; k++) {
    if (tokens[k] === '__proto__') return true;
    if (tokens[k] === 'prototype' && k > 0 && tokens[k - 1] === 'constructor') return true;
  }
  return false;
}

function isBannedPath(path: string): boolean {
  return path.includes('__proto__') || path.includes('constructor/prototype');
}

function clone(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

function message(i: number, raw: unknown, why: string): string {
  const r = isJsonObject(raw) ? raw : {};
  const op = typeof r.op === 'string' ? short(r.op) : '?';
  const path = typeof r.path === 'string' ? ` ${short(r.path)}` : '';
  const from =
    typeof r.from === 'string' && (op === 'move' || op === 'copy') ? ` from ${short(r.from)}` : '';
  return `JSON Patch operation ${i} (${op}${path}${from}): ${why}`;
}

// Messages end up in logs and problem details: keep client-supplied strings short.
function short(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function malformed(i: number, raw: unknown, why: string): PrepError {
  return new PrepError('PATCH_MALFORMED', message(i, raw, why), { status: 400 });
}

function unprocessable(i: number, raw: unknown, why: string): PrepError {
  return new PrepError('PATCH_UNPROCESSABLE', message(i, raw, why), { status: 422 });
}
