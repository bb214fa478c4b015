/**
 * Byte search for multipart delimiters, shared by the encoder and the decoder.
 *
 * The needle is always `LF "--" boundary`: a CRLF delimiter contains it, and so does a
 * bare-LF one, so one search finds both. Boyer–Moore–Horspool: a table lookup on the byte
 * under the needle's last position skips up to the needle's length at a time, so a part
 * costs a handful of steps instead of one call per line break.
 */

/**
 * The line feed every needle starts with.
 *
 * @example
 * ```ts
 * bytes.indexOf(LF);
 * ```
 */
export const LF = 0x0a;

/**
 * A delimiter needle with its Horspool skip table.
 *
 * @example
 * ```ts
 * const needle: Needle = createNeedle('b');
 * needle.bytes; // \n--b
 * ```
 */
export interface Needle {
  /** `"\n--" + boundary` as bytes. */
  readonly bytes: Uint8Array;
  /** For each byte value, how far the needle may move when that byte is under its end. */
  readonly skip: Uint16Array;
}

/**
 * Builds the needle `"\n--" + boundary` (ASCII, checked by the callers).
 *
 * @example
 * ```ts
 * const needle = createNeedle('b');
 * ```
 */
export function createNeedle(boundary: string): Needle {
  const n = boundary.length + 3;
  const bytes = new Uint8Array(n);
  bytes[0] = LF;
  bytes[1] = 0x2d;
  bytes[2] = 0x2d;
  for (let i = 0; i < boundary.length; i++) bytes[i + 3] = boundary.charCodeAt(i);
  const skip = new Uint16Array(256).fill(n);
  for (let i = 0; i < n - 1; i++) skip[bytes[i]!] = n - 1 - i;
  return { bytes, skip };
}

/**
 * Index of the first full needle in `bytes[from, to)`, or -1.
 *
 * @example
 * ```ts
 * indexOfNeedle(new TextEncoder().encode('x\r\n--b'), createNeedle('b'), 0, 6); // 2
 * ```
 */
export function indexOfNeedle(bytes: Uint8Array, needle: Needle, from: number, to: number): number {
  const pattern = needle.bytes;
  const skip = needle.skip;
  const last = pattern.length - 1;
  const lastByte = pattern[last]!;
  for (let i = from; i + last < to;) {
    const c = bytes[i + last]!;
    if (c === lastByte) {
      let j = last - 1;
      while (j >= 0 && bytes[i + j] === pattern[j]) j--;
      if (j < 0) return i;
    }
    i += skip[c]!;
  }
  return -1;
}

/**
 * The first index `k` in `bytes[from, to)` where `bytes[k, to)` is a proper prefix of
 * the needle (a delimiter that the next chunk may complete), or `to` when there is none.
 * Only the last `needle length - 1` bytes can start such a prefix.
 *
 * @example
 * ```ts
 * partialNeedleStart(new TextEncoder().encode('x\r\n-'), createNeedle('b'), 0, 4); // 2
 * ```
 */
export function partialNeedleStart(
  bytes: Uint8Array,
  needle: Needle,
  from: number,
  to: number,
): number {
  const pattern = needle.bytes;
  let k = bytes.indexOf(LF, Math.max(from, to - pattern.length + 1));
  while (k !== -1 && k < to) {
    let j = 1;
    while (k + j < to && bytes[k + j] === pattern[j]) j++;
    if (k + j === to) return k;
    k = bytes.indexOf(LF, k + 1);
  }
  return to;
}
