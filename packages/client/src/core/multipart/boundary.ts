/**
 * Multipart boundaries (RFC 2046 §5.1.1):
 *
 *     boundary := 0*69<bchars> bcharsnospace
 *     bchars := bcharsnospace / " "
 *     bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?"
 */
import { MultipartError } from './errors.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BCHARS_NO_SPACE = `${ALPHANUMERIC}'()+_,-./:=?`;

/**
 * Length of {@link createBoundary}'s boundaries: 32 of 62 symbols is about 190 random bits.
 *
 * @example
 * ```ts
 * createBoundary().length === BOUNDARY_LENGTH; // true
 * ```
 */
export const BOUNDARY_LENGTH = 32;

/**
 * A fresh random boundary: 32 letters and digits from `crypto.getRandomValues`.
 *
 * Letters and digits only (a subset of RFC 2046 bchars): the boundary is a token, so no
 * client can misread it whether or not `Content-Type` quotes it. Its randomness is what
 * keeps a body from containing the delimiter by chance; a shared PREP stream still checks
 * every body ({@link containsDelimiter}) because subscribers see the boundary.
 *
 * @example
 * ```ts
 * const boundary = createBoundary(); // e.g. 'q3Xr0mZ1fVbN8sTk2LhYc7WdPa9Ej4Gu'
 * const contentType = `multipart/mixed; boundary="${boundary}"`;
 * ```
 */
export function createBoundary(): string {
  const out: string[] = [];
  const random = new Uint8Array(BOUNDARY_LENGTH * 2);
  while (out.length < BOUNDARY_LENGTH) {
    globalThis.crypto.getRandomValues(random);
    for (const byte of random) {
      // 248 = 4 * 62: rejecting larger bytes keeps every symbol equally likely.
      if (byte < 248 && out.length < BOUNDARY_LENGTH) out.push(ALPHANUMERIC[byte % 62]!);
    }
  }
  return out.join('');
}

/**
 * True when `boundary` is a valid RFC 2046 boundary: 1 to 70 bchars, not ending in a space.
 *
 * @example
 * ```ts
 * isValidBoundary('simple boundary'); // true
 * isValidBoundary('ends with space '); // false
 * isValidBoundary('a"b'); // false
 * ```
 */
export function isValidBoundary(boundary: string): boolean {
  if (boundary.length < 1 || boundary.length > 70 || boundary.endsWith(' ')) return false;
  for (const c of boundary) if (c !== ' ' && !BCHARS_NO_SPACE.includes(c)) return false;
  return true;
}

/**
 * Throws unless `boundary` is a valid RFC 2046 boundary (what the encoder insists on).
 *
 * @throws {MultipartError} with code `MULTIPART_BOUNDARY`.
 * @example
 * ```ts
 * assertValidBoundary(createBoundary()); // fine
 * assertValidBoundary(''); // throws MultipartError MULTIPART_BOUNDARY
 * ```
 */
export function assertValidBoundary(boundary: string): void {
  if (!isValidBoundary(boundary))
    throw new MultipartError(
      'MULTIPART_BOUNDARY',
      `invalid multipart boundary ${JSON.stringify(boundary)}: expected 1 to 70 characters from RFC 2046 bchars (letters, digits, space and '()+_,-./:=?), not ending in a space`,
    );
}
