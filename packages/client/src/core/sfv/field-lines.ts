/**
 * Combines the field lines of one field into one field value, as RFC 9110 §5.3 allows
 * and RFC 9651 §4.2 expects for Lists and Dictionaries: joined with ", ".
 *
 * @example
 * ```ts
 * import { joinFieldLines, parseList } from './index.js';
 * parseList(joinFieldLines(['"prep"', '"other"'])); // two members
 * ```
 */
export function joinFieldLines(lines: readonly string[]): string {
  return lines.join(', ');
}
