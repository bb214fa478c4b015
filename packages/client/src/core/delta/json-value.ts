/**
 * Small JSON-value helpers shared by the JSON delta formats. JSON documents may carry keys
 * such as `__proto__` or `hasOwnProperty` as plain data; these helpers treat them as data
 * (own properties), never as the prototype or a method.
 */

/**
 * A JSON object: a plain object, not an array and not null.
 *
 * @example
 * ```ts
 * import { isJsonObject } from './json-value.js';
 *
 * isJsonObject({}); // true
 * isJsonObject([]); // false
 * ```
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep equality of JSON values (RFC 6902 §4.6 semantics: key order does not matter).
 *
 * @example
 * ```ts
 * import { jsonEqual } from './json-value.js';
 *
 * jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }); // true
 * jsonEqual({ hasOwnProperty: 1 }, { hasOwnProperty: 2 }); // false, no TypeError
 * ```
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}

/**
 * Sets an own enumerable property. A plain assignment to `__proto__` would replace the
 * prototype instead (prototype pollution); JSON.parse makes it an own key, and so do we.
 *
 * @example
 * ```ts
 * import { setOwn } from './json-value.js';
 *
 * const o: Record<string, unknown> = {};
 * setOwn(o, '__proto__', { polluted: true });
 * Object.keys(o); // ['__proto__'], and Object.prototype is untouched
 * ```
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}
