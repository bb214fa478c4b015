/**
 * Errors of the multipart codec. Every error carries a stable `code` (listed in
 * `docs/errors.md`) so callers branch on the code, never on the message.
 */

/**
 * - `MULTIPART_BOUNDARY`: a boundary that RFC 2046 does not allow, or a delimiter followed by
 *   something other than a line break or `--`.
 * - `MULTIPART_HEADER`: a part header that is malformed, too large, or (when encoding) would
 *   allow header injection.
 * - `MULTIPART_BODY`: (encoding) a part body that contains the boundary delimiter.
 * - `MULTIPART_TRUNCATED`: the stream ended before the close delimiter.
 * - `MULTIPART_DISCARDED`: a part body read after the parser moved past it (the consumer
 *   went on to the next part without reading it) or after the parser was closed.
 *
 * @example
 * ```ts
 * const retry = (code: MultipartErrorCode): boolean => code === 'MULTIPART_TRUNCATED';
 * ```
 */
export type MultipartErrorCode =
  | 'MULTIPART_BOUNDARY'
  | 'MULTIPART_HEADER'
  | 'MULTIPART_BODY'
  | 'MULTIPART_TRUNCATED'
  | 'MULTIPART_DISCARDED';

/**
 * A multipart stream or part that is not well-formed, or cannot be made well-formed.
 *
 * @example
 * ```ts
 * declare const body: ReadableStream<Uint8Array>; // a response body
 * declare function reconnect(): void;
 * try {
 *   for await (const part of parseMultipart(body, boundary)) await part.text();
 * } catch (err) {
 *   if (err instanceof MultipartError && err.code === 'MULTIPART_TRUNCATED') reconnect();
 *   else throw err;
 * }
 * ```
 */
export class MultipartError extends SyntaxError {
  /** Stable code; see {@link MultipartErrorCode}. */
  readonly code: MultipartErrorCode;
  /** Byte offset into the decoded stream where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(code: MultipartErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'MultipartError';
    this.code = code;
    this.offset = offset;
  }
}
