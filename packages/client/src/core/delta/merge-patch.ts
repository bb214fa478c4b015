/**
 * JSON Merge Patch (RFC 7396), `application/merge-patch+json`. Our own: the npm
 * `json-merge-patch` generator emits `null` for a member whose new value is null, which
 * RFC 7396 reads as "delete", so the null is silently lost on apply.
 */
import { PrepError } from '../errors.js';
import { isJsonObject, jsonEqual, setOwn } from './json-value.js';

/**
 * Computes a merge patch that turns `before` into `after`: changed and added members,
 * `null` for removed ones, arrays and other non-objects replaced whole. Returns `undefined`
 * when no merge patch can express the change: `after` has a `null` member value where the
 * patch would have to carry it (RFC 7396 §1: null means "remove"). Nulls inside arrays, and
 * null members left untouched, are fine; so is a value nested too deeply to walk. The patch
 * may share values with `after`.
 *
 * This diff is also the merge patch that rebuilds the whole document, less what it can leave
 * out (N822-8): a non-object `after` is sent whole (RFC 7396 §2: it replaces the target);
 * for objects, a patch object merges member by member, so even a rebuild must name each
 * removed member, at every depth, with `null`, which is what the diff does, and may skip
 * unchanged members. What no merge patch can express: a `null` member value (new or
 * changed), and the order of members (a merge keeps the target's order and appends new
 * members), so a merge patch gives the new document as a JSON value, not its key order.
 *
 * @example
 * ```ts
 * import { createMergePatch } from './merge-patch.js';
 *
 * createMergePatch({ a: 1, b: 2, c: [1] }, { a: 1, c: [1, 2], d: true }); // { b: null, c: [1, 2], d: true }
 * createMergePatch({ a: 1 }, { a: null }); // undefined: a null value cannot be sent
 * ```
 */
export function createMergePatch(before: unknown, after: unknown): unknown {
  let patch: unknown;
  try {
    patch = diff(before, after);
  } catch (e) {
    if (e instanceof RangeError) return undefined; // nested deeper than the stack
    throw e;
  }
  if (patch === INEXPRESSIBLE) return undefined;
  if (patch === UNCHANGED) {
    // An empty object patch keeps an object target; any other target needs itself
    // (applying {} to an array would turn it into {}).
    return isJsonObject(before) ? {} : after;
  }
  return patch;
}

/**
 * Applies a merge patch (RFC 7396 §2): a patch object merges member by member (`null`
 * removes), anything else replaces the target. Changes neither input; the result shares
 * unchanged members with `target` and non-object values with `patch`, so clone it before
 * mutating it. Keys such as `__proto__` are kept as plain data. Throws a {@link PrepError}
 * `PATCH_UNPROCESSABLE` (422) only for values nested too deeply to walk.
 *
 * @example
 * ```ts
 * import { applyMergePatch } from './merge-patch.js';
 *
 * applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } });
 * // { a: 'z', c: { d: 'e' } }
 * ```
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  try {
    return merge(target, patch);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new PrepError('PATCH_UNPROCESSABLE', 'merge patch: the values nest too deeply', {
        status: 422,
        cause: e,
      });
    }
    throw e;
  }
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result: Record<string, unknown> = {};
  if (isJsonObject(target)) for (const key of Object.keys(target)) setOwn(result, key, target[key]);
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else {
      // hasOwn: an absent `__proto__` member must read as absent, not as Object.prototype.
      const current = Object.hasOwn(result, key) ? result[key] : undefined;
      setOwn(result, key, merge(current, value));
    }
  }
  return result;
}

const UNCHANGED = Symbol('unchanged');
const INEXPRESSIBLE = Symbol('inexpressible');

function diff(before: unknown, after: unknown): unknown {
  if (!isJsonObject(after)) return jsonEqual(before, after) ? UNCHANGED : after;
  // A patch object applied to a non-object target starts from {} and drops null members.
  if (!isJsonObject(before)) return hasNullMember(after) ? INEXPRESSIBLE : after;
  const patch: Record<string, unknown> = {};
  let changed = false;
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) {
      setOwn(patch, key, null);
      changed = true;
    }
  }
  for (const key of Object.keys(after)) {
    const value = after[key];
    if (Object.hasOwn(before, key)) {
      const old = before[key];
      if (value === null) {
        if (old === null) continue;
        return INEXPRESSIBLE; // would have to set a member to null
      }
      const sub = diff(old, value);
      if (sub === UNCHANGED) continue;
      if (sub === INEXPRESSIBLE) return INEXPRESSIBLE;
      setOwn(patch, key, sub);
    } else {
      if (value === null || hasNullMember(value)) return INEXPRESSIBLE;
      setOwn(patch, key, value);
    }
    changed = true;
  }
  return changed ? patch : UNCHANGED;
}

/** A null member anywhere in nested objects (arrays are opaque to merge patch). */
function hasNullMember(value: unknown): boolean {
  if (!isJsonObject(value)) return false;
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === null || hasNullMember(v)) return true;
  }
  return false;
}
