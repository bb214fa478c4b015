/** Helpers shared by the field readers of this folder; not part of the public API. */
import { Token, joinFieldLines } from '../sfv/index.js';
import type { BareItem } from '../sfv/index.js';

/**
 * One field value from what a header API hands us: a combined value, the separate field
 * lines (RFC 9110 §5.3), or nothing. `undefined` means the field is absent.
 */
export function fieldValue(
  value: string | readonly string[] | null | undefined,
): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return value.length === 0 ? undefined : joinFieldLines([...value]);
}

/**
 * The text of an sf-string or sf-token, else `undefined`. Draft -03 wants strings where
 * the reference code and NSS also send tokens (digest §5.8): we read both.
 */
export function textOf(value: BareItem): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Token) return value.value;
  return undefined;
}
