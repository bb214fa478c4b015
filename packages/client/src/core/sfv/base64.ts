/**
 * Base64 (RFC 4648 §4) for sf-binary, without `Buffer` (the core runs in browsers) and
 * without `atob`/`btoa` string round trips. Internal: not re-exported.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const EQUALS = 0x3d;

/**
 * Decodes `s.slice(start, end)`, which holds only base64 characters and "=".
 * Returns the bytes, or the offset of the first character that makes it invalid.
 *
 * Lenient where RFC 9651 §4.2.7 says parsers SHOULD NOT fail: missing "=" padding and
 * non-zero pad bits. Strict elsewhere, like WHATWG forgiving-base64 (`atob`): "=" only
 * as one or two final characters that complete a multiple of four.
 */
export function decodeBase64(s: string, start: number, end: number): Uint8Array | number {
  let dataEnd = end;
  if ((end - start) % 4 === 0) {
    if (dataEnd > start && s.charCodeAt(dataEnd - 1) === EQUALS) dataEnd--;
    if (dataEnd > start && s.charCodeAt(dataEnd - 1) === EQUALS) dataEnd--;
  }
  const n = dataEnd - start;
  if (n % 4 === 1) return dataEnd;
  const out = new Uint8Array((n >> 2) * 3 + (n % 4 === 0 ? 0 : (n % 4) - 1));
  let o = 0;
  let bits = 0;
  let acc = 0;
  for (let p = start; p < dataEnd; p++) {
    const v = DECODE[s.charCodeAt(p)] ?? -1;
    if (v < 0) return p; // "=" before the end
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  return out;
}

/** Encodes bytes as padded base64 (RFC 9651 §4.1.8). */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out +=
      ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (i + 1 === n) {
    const v = bytes[i]! << 16;
    out += `${ALPHABET[v >> 18]!}${ALPHABET[(v >> 12) & 63]!}==`;
  } else if (i + 2 === n) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[v >> 18]!}${ALPHABET[(v >> 12) & 63]!}${ALPHABET[(v >> 6) & 63]!}=`;
  }
  return out;
}
