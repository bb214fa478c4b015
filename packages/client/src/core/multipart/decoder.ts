/**
 * The streaming multipart decoder (RFC 2046 §5.1), built for PREP: a part is handed over
 * as soon as its header block is complete, and its body ends as soon as the next
 * delimiter `CRLF--B` has arrived, without waiting for any later byte (RSP-6). A PREP
 * digest never ends while notifications flow, so parsers that hold a part back until the
 * next one starts (meros, @remix-run/multipart-parser) cannot read it live.
 *
 * Design: pull-driven. Nothing is read from the source until the consumer asks for the
 * next part or for body bytes, so backpressure is the consumer's. One parser serves both
 * the part iterator and the part bodies; an internal lock orders their reads.
 *
 * Liberal in what it accepts (PROTOCOL.md): any multipart subtype (also the bare
 * `multipart/digest` of PREP draft -00), bare-LF line ends, transport padding, preamble
 * and epilogue, folded header lines.
 */
import { MultipartError } from './errors.js';
import { createNeedle, indexOfNeedle, LF, partialNeedleStart, type Needle } from './search.js';

/**
 * One part of a multipart body, handed over once its header block is complete.
 *
 * @example
 * ```ts
 * declare const body: ReadableStream<Uint8Array>; // a response body
 * for await (const part of parseMultipart(body, boundary)) {
 *   const type = part.headers.get('content-type') ?? defaultPartContentType('mixed');
 *   console.log(type, await part.text());
 * }
 * ```
 */
export interface MultipartPart {
  /** The part's header fields (empty when the part has none, e.g. a `message/rfc822` digest part). */
  readonly headers: Headers;
  /**
   * The part body, streamed; it closes as soon as the part's closing delimiter arrives.
   * Read it (or start reading it) before asking for the next part: a body nobody has
   * started to read is discarded when the iterator moves on.
   */
  readonly body: ReadableStream<Uint8Array>;
  /** The whole body (resolves when the closing delimiter arrives). */
  bytes(): Promise<Uint8Array>;
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
}

/**
 * The parts of a multipart body, in order. `return()` (also `break` in `for await`) stops
 * parsing and cancels the source.
 *
 * @example
 * ```ts
 * declare const body: ReadableStream<Uint8Array>; // a response body
 * const parts: MultipartPartIterator = parseMultipart(body, boundary);
 * const first = await parts.next();
 * await parts.return(); // done with this response
 * ```
 */
export interface MultipartPartIterator extends AsyncIterableIterator<MultipartPart> {
  return(): Promise<IteratorResult<MultipartPart>>;
}

/**
 * Options of {@link parseMultipart}.
 *
 * @example
 * ```ts
 * declare const body: ReadableStream<Uint8Array>; // a response body
 * parseMultipart(body, boundary, { maxHeaderBytes: 8 * 1024 });
 * ```
 */
export interface ParseMultipartOptions {
  /** Largest header block of a part, in bytes, before `MULTIPART_HEADER`. Default 64 KiB. */
  maxHeaderBytes?: number;
}

/**
 * Default for {@link ParseMultipartOptions.maxHeaderBytes}: 64 KiB.
 *
 * @example
 * ```ts
 * declare const body: ReadableStream<Uint8Array>; // a response body
 * parseMultipart(body, boundary, { maxHeaderBytes: DEFAULT_MAX_HEADER_BYTES / 8 });
 * ```
 */
export const DEFAULT_MAX_HEADER_BYTES = 64 * 1024;

/**
 * The media type of a part without `Content-Type` (RFC 2046 §5.1.1, §5.1.5):
 * `message/rfc822` inside a `multipart/digest`, else `text/plain`. In PREP the default
 * notification format is thus the digest default (RSP-4).
 *
 * @example
 * ```ts
 * declare const part: MultipartPart; // a part of a multipart/digest
 * const type = part.headers.get('content-type') ?? defaultPartContentType('digest');
 * ```
 */
export function defaultPartContentType(multipartSubtype: string): string {
  return multipartSubtype.toLowerCase() === 'digest' ? 'message/rfc822' : 'text/plain';
}

const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const DASH = 0x2d;
const COLON = 0x3a;

// Parser states.
const PREAMBLE = 0;
const AFTER_DELIMITER = 1;
const HEADERS = 2;
const BODY = 3;
const DONE = 4;

// tchar (RFC 9110 §5.6.2), indexed by byte.
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

const utf8 = new TextDecoder();
const decodeUtf8 = (bytes: Uint8Array): string => utf8.decode(bytes);
const noop = (): void => {};
const DONE_RESULT: IteratorReturnResult<undefined> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * What happens to a part body's bytes:
 * - `idle`: nobody asked for them yet (dropped if the iterator moves on);
 * - `stream`: `body` was handed out (enqueued while locked by a reader, else dropped);
 * - `collect`: `bytes()`/`text()` gathers them;
 * - `dropping`: `body` was handed out but never locked when the iterator moved on;
 * - `cancelled`: the consumer cancelled `body`;
 * - `dropped`: the body ended (or failed) with nobody reading it.
 */
type BodyMode = 'idle' | 'stream' | 'collect' | 'dropping' | 'cancelled' | 'dropped';

interface BodyState {
  mode: BodyMode;
  ended: boolean;
  error: Error | undefined;
  chunks: Uint8Array[];
  controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  stream: ReadableStream<Uint8Array> | undefined;
}

/** Source errors may be any value; the parser stores and throws Errors only. */
function asError(cause: unknown): Error {
  return cause instanceof Error
    ? cause
    : new Error(`the multipart source failed: ${String(cause)}`, { cause });
}

function discarded(): MultipartError {
  return new MultipartError(
    'MULTIPART_DISCARDED',
    'this part body was discarded: the iterator moved past the part (or was closed) before anyone read the body',
  );
}

function isValidDecoderBoundary(boundary: string): boolean {
  // Liberal: any printable ASCII (RFC 2046 bchars is the encoder's rule), 1 to 256 long.
  if (boundary.length < 1 || boundary.length > 256) return false;
  for (let i = 0; i < boundary.length; i++) {
    const c = boundary.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(to, i + 8192)));
  }
  return out;
}

function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Parses a multipart body as a stream of parts. Subtype-agnostic: pass the `boundary`
 * parameter of the `Content-Type` (see `parseMediaType`).
 *
 * A part is yielded as soon as its header block is complete; its body ends as soon as
 * its closing delimiter arrives (RSP-6). Nested multiparts work on a body that is still
 * streaming: `parseMultipart(part.body, innerBoundary)`. Returning from the iterator
 * (`break` in `for await`) cancels the source.
 *
 * @throws {MultipartError} `MULTIPART_BOUNDARY` (synchronously) for an unusable boundary.
 *   The iterator and part bodies reject with `MULTIPART_TRUNCATED` when the source ends
 *   before the close delimiter, `MULTIPART_HEADER` for a malformed or oversized header
 *   block, `MULTIPART_BOUNDARY` when a delimiter is followed by neither a line break nor
 *   `--`.
 * @example
 * ```ts
 * const res = await fetch(url, { headers: { 'Accept-Events': '"prep"' } });
 * const mixed = parseMediaType(res.headers.get('content-type')!).parameters.get('boundary')!;
 * const parts = parseMultipart(res.body!, mixed);
 * const representation = (await parts.next()).value as MultipartPart;
 * console.log(await representation.text());
 * const digest = (await parts.next()).value as MultipartPart;
 * const inner = parseMediaType(digest.headers.get('content-type')!).parameters.get('boundary')!;
 * for await (const notification of parseMultipart(digest.body, inner)) {
 *   console.log(await notification.text()); // as soon as the server wrote it
 * }
 * ```
 */
export function parseMultipart(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  options: ParseMultipartOptions = {},
): MultipartPartIterator {
  if (!isValidDecoderBoundary(boundary))
    throw new MultipartError(
      'MULTIPART_BOUNDARY',
      `invalid multipart boundary ${JSON.stringify(boundary)}: expected 1 to 256 printable ASCII characters`,
    );
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 1)
    throw new RangeError(`maxHeaderBytes must be a positive integer, got ${maxHeaderBytes}`);
  return new MultipartParser(body.getReader(), boundary, maxHeaderBytes);
}

class MultipartParser implements MultipartPartIterator {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #boundary: string;
  /** `LF--boundary`: found in both `CRLF--B` and bare-LF `LF--B`. */
  readonly #needle: Needle;
  readonly #maxHeaderBytes: number;

  /**
   * Pending bytes are `#buf[#start, #buf.length)`. `#buf` is a view of `#storage` (which
   * may have spare room to append small chunks in place), or a source chunk itself.
   * Bytes handed to consumers are views into these buffers, so a written byte is never
   * overwritten: appends only fill spare room, and compaction allocates afresh.
   */
  #storage: Uint8Array;
  #buf: Uint8Array;
  #start = 0;
  /** Stream offset of `#buf[0]`, for error messages. */
  #consumed = -1;
  #eof = false;

  #state = PREAMBLE;
  /** HEADERS: scan position and current line start, relative to `#start`. */
  #headerScan = 0;
  #headerLineStart = 0;
  /** BODY: `#buf[#start]` is the LF that ended the header block (see #scanBody). */
  #bodyLeadingLF = false;

  /** False while in the preamble, where a `--B` without a line break is just text. */
  #seenPart = false;
  /** The part whose body is being read, until its closing delimiter. */
  #part: BodyState | undefined;
  #error: Error | undefined;
  #finished = false;
  /** One operation at a time; the rest wait in `#waiting`, in order. */
  #busy = false;
  readonly #waiting: Array<() => void> = [];

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>, boundary: string, max: number) {
    this.#reader = reader;
    this.#boundary = boundary;
    this.#needle = createNeedle(boundary);
    this.#maxHeaderBytes = max;
    // A virtual LF before the first byte, so a delimiter at the very start is matched
    // by the same `LF--B` search as every later one. The preamble is discarded anyway.
    this.#storage = this.#buf = Uint8Array.of(LF);
  }

  [Symbol.asyncIterator](): MultipartPartIterator {
    return this;
  }

  next(): Promise<IteratorResult<MultipartPart>> {
    return this.#run(this.#nextPartStep);
  }

  /** Stops parsing and cancels the source; a body still being read errors `MULTIPART_DISCARDED`. */
  return(): Promise<IteratorResult<MultipartPart>> {
    if (!this.#finished && this.#error === undefined) {
      this.#finish();
      const part = this.#part;
      this.#part = undefined;
      if (part) this.#failPart(part, discarded());
      // Resolves a read pending in #run with `done`, which ends that operation.
      this.#reader.cancel().catch(noop);
    }
    return Promise.resolve(DONE_RESULT);
  }

  /**
   * Runs a parser operation: `step` works on buffered bytes and returns its result, or
   * undefined when it needs more. When nothing else runs and the bytes are there (the
   * usual case: a chunk holds whole parts) it completes without waiting on anything;
   * otherwise it queues behind earlier operations and reads the source as needed.
   */
  #run<T>(step: () => T | undefined): Promise<T> {
    if (!this.#busy) {
      try {
        const result = step();
        if (result !== undefined) return Promise.resolve(result);
      } catch (err) {
        return Promise.reject(this.#failed(err));
      }
    }
    return this.#runLater(step);
  }

  /** The slow path of `#run`: waits its turn, then reads the source until `step` completes. */
  async #runLater<T>(step: () => T | undefined): Promise<T> {
    if (this.#busy) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#busy = true;
    try {
      for (;;) {
        const result = step();
        if (result !== undefined) return result;
        if (!(await this.#fill())) {
          const last = step(); // after return(), steps report the end
          if (last !== undefined) return last;
          throw this.#truncated();
        }
      }
    } catch (err) {
      if (this.#finished && this.#error === undefined) {
        const last = step(); // return() was called meanwhile: end quietly
        if (last !== undefined) return last;
      }
      throw this.#failed(err);
    } finally {
      // Hand over directly, so no newcomer overtakes a waiting operation.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#busy = false;
    }
  }

  #finish(): void {
    this.#finished = true;
    this.#state = DONE;
  }

  // ---------------------------------------------------------------------------------
  // Reading the source

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    for (;;) {
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#eof = true;
        return false;
      }
      if (!(value instanceof Uint8Array))
        throw new TypeError('a multipart source must yield Uint8Array chunks');
      if (value.length === 0) continue;
      this.#append(value);
      return true;
    }
  }

  #append(chunk: Uint8Array): void {
    const end = this.#buf.length;
    const live = end - this.#start;
    if (live === 0) {
      this.#consumed += end;
      this.#storage = this.#buf = chunk;
      this.#start = 0;
      return;
    }
    if (this.#storage.length - end >= chunk.length) {
      this.#storage.set(chunk, end);
      this.#buf = this.#storage.subarray(0, end + chunk.length);
      return;
    }
    const need = live + chunk.length;
    // Room to grow while a header block accumulates from small chunks (amortized O(n)),
    // none when a big chunk follows a few held-back bytes.
    const storage = new Uint8Array(Math.max(need, live * 2, 256));
    storage.set(this.#buf.subarray(this.#start), 0);
    storage.set(chunk, live);
    this.#consumed += this.#start;
    this.#storage = storage;
    this.#buf = storage.subarray(0, need);
    this.#start = 0;
  }

  #offset(index: number): number {
    return this.#consumed + index;
  }

  #truncated(): MultipartError {
    const at = this.#offset(this.#buf.length);
    const where =
      this.#state === PREAMBLE
        ? `before the first delimiter --${this.#boundary}`
        : this.#state === AFTER_DELIMITER
          ? 'right after a delimiter, before its line break or closing "--"'
          : this.#state === HEADERS
            ? 'inside a part header block'
            : 'inside a part body';
    return new MultipartError(
      'MULTIPART_TRUNCATED',
      `the multipart stream ended ${where}, without the close delimiter --${this.#boundary}--`,
      at,
    );
  }

  /** Records a fatal error, fails the current part, releases the source; returns the error to throw. */
  #failed(cause: unknown): Error {
    const err = asError(cause);
    if (this.#error === undefined && !this.#finished) {
      this.#error = err;
      this.#finish();
      const part = this.#part;
      this.#part = undefined;
      if (part) this.#failPart(part, err);
      this.#reader.cancel(err).catch(noop);
    }
    return this.#error ?? err;
  }

  #failPart(part: BodyState, err: Error): void {
    if (part.ended) return;
    part.ended = true;
    part.error = err;
    if (part.mode === 'stream' || part.mode === 'dropping') part.controller?.error(err);
    else if (part.mode === 'idle') part.mode = 'dropped';
  }

  // ---------------------------------------------------------------------------------
  // The iterator

  /** One step of `next()`; an arrow function so `#run` can call it unbound. */
  readonly #nextPartStep = (): IteratorResult<MultipartPart> | undefined => {
    if (this.#error !== undefined) throw this.#error;
    if (this.#finished) return DONE_RESULT;
    const current = this.#part;
    if (current) {
      // Finish the current body first: deliver it to whoever reads it, else drop it.
      while (!current.ended) {
        const chunk = this.#scanBody();
        if (chunk.length === 0 && this.#state === BODY) return undefined;
        this.#deliver(current, chunk, false);
      }
      this.#part = undefined;
    }
    const part = this.#advance();
    if (part === 'need') return undefined;
    if (part === 'done') {
      this.#finish();
      // The close delimiter is all we need; the epilogue is of no interest (RFC 2046).
      this.#reader.cancel().catch(noop);
      return DONE_RESULT;
    }
    return { done: false, value: part };
  };

  /** Runs the state machine on buffered bytes up to the next part, the end, or a need for more. */
  #advance(): Part | 'done' | 'need' {
    for (;;) {
      switch (this.#state) {
        case PREAMBLE: {
          const b = this.#buf;
          const hit = indexOfNeedle(b, this.#needle, this.#start, b.length);
          if (hit === -1) {
            // Drop the preamble but a possible delimiter start.
            this.#start = partialNeedleStart(b, this.#needle, this.#start, b.length);
            return 'need';
          }
          this.#start = hit + this.#needle.bytes.length;
          this.#state = AFTER_DELIMITER;
          break;
        }
        case AFTER_DELIMITER: {
          const r = this.#afterDelimiter();
          if (r === 'need') return 'need';
          if (r === 'close') return 'done';
          break;
        }
        case HEADERS: {
          const part = this.#headers();
          if (part === undefined) return 'need';
          return part;
        }
        default:
          return 'done';
      }
    }
  }

  /**
   * After `--B`: transport padding (SP / HTAB) then a line break starts a part; `--`
   * closes the multipart. Anything else is not a delimiter: in the preamble RFC 2046 says
   * to keep looking; after a part it is an error, because the part has already been
   * ended (we do not wait for the bytes after a delimiter, RSP-6).
   */
  #afterDelimiter(): 'need' | 'close' | 'part' | 'other' {
    const b = this.#buf;
    const end = b.length;
    let i = this.#start;
    if (i >= end) return 'need';
    if (b[i] === DASH) {
      if (i + 1 >= end) return 'need';
      if (b[i + 1] === DASH) {
        this.#start = i + 2;
        this.#state = DONE;
        return 'close';
      }
    } else {
      while (i < end && (b[i] === SP || b[i] === HTAB)) i++;
      this.#start = i;
      if (i >= end) return 'need';
      let lineEnd = -1;
      if (b[i] === LF) lineEnd = i + 1;
      else if (b[i] === CR) {
        if (i + 1 >= end) return 'need';
        if (b[i + 1] === LF) lineEnd = i + 2;
      }
      if (lineEnd !== -1) {
        this.#start = lineEnd;
        this.#state = HEADERS;
        this.#headerScan = 0;
        this.#headerLineStart = 0;
        return 'part';
      }
    }
    if (!this.#seenPart) {
      this.#state = PREAMBLE;
      return 'other';
    }
    throw new MultipartError(
      'MULTIPART_BOUNDARY',
      `expected a line break or "--" after the delimiter --${this.#boundary}, found ${JSON.stringify(String.fromCharCode(b[i]!))}`,
      this.#offset(i),
    );
  }

  /** Finds the blank line that ends a header block and parses it; undefined when more bytes are needed. */
  #headers(): Part | undefined {
    const b = this.#buf;
    const s = this.#start;
    const end = b.length;
    let lineStart = s + this.#headerLineStart;
    let lf = b.indexOf(LF, s + this.#headerScan);
    while (lf !== -1) {
      const contentEnd = lf > lineStart && b[lf - 1] === CR ? lf - 1 : lf;
      if (contentEnd === lineStart) {
        // The blank line: the block is [s, lineStart).
        if (lf + 1 - s > this.#maxHeaderBytes) throw this.#tooLarge(s);
        const pairs = parseHeaderBlock(b, s, lineStart, this.#consumed);
        // Keep the blank line's LF: it may also be the first byte of the next delimiter
        // (a part with headers and no body at all, `H CRLF CRLF --B`).
        this.#start = lf;
        this.#bodyLeadingLF = true;
        this.#state = BODY;
        this.#seenPart = true;
        const state: BodyState = {
          mode: 'idle',
          ended: false,
          error: undefined,
          chunks: [],
          controller: undefined,
          stream: undefined,
        };
        this.#part = state;
        return new Part(this, state, pairs);
      }
      lineStart = lf + 1;
      lf = b.indexOf(LF, lineStart);
    }
    if (end - s > this.#maxHeaderBytes) throw this.#tooLarge(s);
    this.#headerScan = end - s;
    this.#headerLineStart = lineStart - s;
    return undefined;
  }

  #tooLarge(s: number): MultipartError {
    return new MultipartError(
      'MULTIPART_HEADER',
      `a part header block is larger than maxHeaderBytes (${this.#maxHeaderBytes})`,
      this.#offset(s),
    );
  }

  // ---------------------------------------------------------------------------------
  // Part bodies

  /**
   * Takes the next body bytes that are certainly body: up to the delimiter when it has
   * arrived (then the state moves on), else all but a possible delimiter start (and a
   * trailing CR, which may belong to a `CRLF--B`). May return an empty array.
   */
  #scanBody(): Uint8Array {
    const b = this.#buf;
    const s = this.#start;
    const needle = this.#needle;
    const bodyStart = this.#bodyLeadingLF ? s + 1 : s;
    const hit = indexOfNeedle(b, needle, s, b.length);
    if (hit !== -1) {
      let bodyEnd = hit;
      if (bodyEnd > bodyStart && b[bodyEnd - 1] === CR) bodyEnd--;
      if (bodyEnd < bodyStart) bodyEnd = bodyStart;
      this.#start = hit + needle.bytes.length;
      this.#state = AFTER_DELIMITER;
      this.#bodyLeadingLF = false;
      return b.subarray(bodyStart, bodyEnd);
    }
    let hold = partialNeedleStart(b, needle, s, b.length);
    if (hold > bodyStart && b[hold - 1] === CR) hold--;
    if (hold <= bodyStart) return b.subarray(bodyStart, bodyStart);
    this.#start = hold;
    this.#bodyLeadingLF = false;
    return b.subarray(bodyStart, hold);
  }

  /** Hands body bytes to the part's reader, or drops them; `ended` follows the parser state. */
  #deliver(part: BodyState, chunk: Uint8Array, fromReader: boolean): void {
    const ended = this.#state !== BODY;
    switch (part.mode) {
      case 'stream':
        if (fromReader || part.stream!.locked) {
          if (chunk.length > 0) part.controller!.enqueue(chunk);
          if (ended) part.controller!.close();
        } else {
          // Handed out, but nobody reads it: drop the rest, and say so to a late reader.
          part.mode = 'dropping';
          if (ended) part.controller!.error(discarded());
        }
        break;
      case 'dropping':
        if (ended) part.controller!.error(discarded());
        break;
      case 'collect':
        if (chunk.length > 0) part.chunks.push(chunk);
        break;
      case 'idle':
        // No error object yet: building one (with its stack) per skipped part is costly.
        if (ended) part.mode = 'dropped';
        break;
      default:
        break;
    }
    if (ended) part.ended = true;
  }

  /**
   * Delivers the body bytes already buffered to `part` right away, when no other
   * operation runs (the fast path of `bytes()`). Never reads the source.
   */
  pumpBuffered(part: BodyState): void {
    if (this.#busy || part.ended || this.#error !== undefined) return;
    while (!part.ended) {
      const chunk = this.#scanBody();
      if (chunk.length === 0 && this.#state === BODY) return;
      this.#deliver(part, chunk, true);
    }
    this.#part = undefined;
  }

  /**
   * Delivers at least one body chunk, or the end, to `part` (which a reader is waiting
   * on). Called by the body stream's `pull` and by `bytes()`.
   */
  pump(part: BodyState): Promise<true> {
    return this.#run((): true | undefined => {
      if (part.ended) return true;
      if (this.#error !== undefined) throw this.#error;
      const chunk = this.#scanBody();
      if (chunk.length === 0 && this.#state === BODY) return undefined;
      this.#deliver(part, chunk, true);
      if (part.ended) this.#part = undefined;
      return true;
    });
  }
}

/** Parses a complete header block `bytes[from, to)` (lines end in LF or CRLF). */
function parseHeaderBlock(
  bytes: Uint8Array,
  from: number,
  to: number,
  consumed: number,
): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let lineStart = from;
  while (lineStart < to) {
    let lf = bytes.indexOf(LF, lineStart);
    if (lf === -1 || lf > to) lf = to;
    const lineEnd = lf > lineStart && bytes[lf - 1] === CR ? lf - 1 : lf;
    const bad = (why: string): MultipartError =>
      new MultipartError('MULTIPART_HEADER', `malformed part header: ${why}`, consumed + lineStart);
    const first = bytes[lineStart]!;
    if (first === SP || first === HTAB) {
      // obs-fold (RFC 5322 §2.2.3): a continuation of the previous field's value.
      const last = pairs[pairs.length - 1];
      if (!last) throw bad('the block starts with a folded line');
      const more = trimmedValue(bytes, lineStart, lineEnd, bad);
      last[1] = last[1] === '' ? more : more === '' ? last[1] : `${last[1]} ${more}`;
      lineStart = lf + 1;
      continue;
    }
    let colon = lineStart;
    while (colon < lineEnd && TCHAR[bytes[colon]!] === 1) colon++;
    if (colon === lineStart) throw bad('expected a field name');
    if (colon === lineEnd || bytes[colon] !== COLON)
      throw bad(
        colon === lineEnd ? 'a line without ":"' : `expected ":" right after the field name`,
      );
    const name = latin1(bytes, lineStart, colon);
    pairs.push([name, trimmedValue(bytes, colon + 1, lineEnd, bad)]);
    lineStart = lf + 1;
  }
  return pairs;
}

function trimmedValue(
  bytes: Uint8Array,
  from: number,
  to: number,
  bad: (why: string) => MultipartError,
): string {
  while (from < to && (bytes[from] === SP || bytes[from] === HTAB)) from++;
  while (to > from && (bytes[to - 1] === SP || bytes[to - 1] === HTAB)) to--;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    // What the Fetch `Headers` class refuses; other bytes pass as obs-text.
    if (c === 0 || c === CR) throw bad(c === 0 ? 'a NUL byte in a value' : 'a bare CR in a value');
  }
  return latin1(bytes, from, to);
}

class Part implements MultipartPart {
  readonly #parser: MultipartParser;
  readonly #state: BodyState;
  readonly #pairs: ReadonlyArray<readonly [string, string]>;
  #headers: Headers | undefined;

  constructor(
    parser: MultipartParser,
    state: BodyState,
    pairs: ReadonlyArray<readonly [string, string]>,
  ) {
    this.#parser = parser;
    this.#state = state;
    this.#pairs = pairs;
  }

  get headers(): Headers {
    if (this.#headers === undefined) {
      // Built on first use: many consumers of a PREP digest never look at the (empty) part headers.
      const headers = new Headers();
      for (const [name, value] of this.#pairs) headers.append(name, value);
      this.#headers = headers;
    }
    return this.#headers;
  }

  get body(): ReadableStream<Uint8Array> {
    const s = this.#state;
    if (s.stream) return s.stream;
    if (s.mode === 'idle') {
      s.mode = 'stream';
      s.stream = new ReadableStream<Uint8Array>(
        {
          start: (controller) => {
            s.controller = controller;
          },
          pull: () => this.#parser.pump(s).then(noop),
          cancel: () => {
            if (!s.ended) s.mode = 'cancelled';
          },
        },
        // Pull only while a reader waits: the source is read at the consumer's pace.
        { highWaterMark: 0 },
      );
    } else {
      const reason =
        s.error ??
        (s.mode === 'dropped'
          ? discarded()
          : new TypeError('the part body was already used (bytes() or text())'));
      s.stream = new ReadableStream<Uint8Array>({
        start: (controller) => controller.error(reason),
      });
    }
    return s.stream;
  }

  bytes(): Promise<Uint8Array> {
    const s = this.#state;
    if (s.mode === 'idle') {
      s.mode = 'collect';
      // Usually the whole body is buffered already: then no promise needs to wait.
      this.#parser.pumpBuffered(s);
      if (!s.ended) return this.#collect();
      return s.error === undefined ? Promise.resolve(this.#collected()) : Promise.reject(s.error);
    }
    if (s.mode === 'stream' && !s.stream!.locked) return this.#readAll(s.stream!);
    return Promise.reject(
      s.error ??
        (s.mode === 'dropped' ? discarded() : new TypeError('the part body was already used')),
    );
  }

  async #collect(): Promise<Uint8Array> {
    const s = this.#state;
    while (!s.ended) await this.#parser.pump(s);
    if (s.error !== undefined) throw s.error;
    return this.#collected();
  }

  #collected(): Uint8Array {
    const chunks = this.#state.chunks;
    this.#state.chunks = [];
    return chunks.length === 0 ? new Uint8Array(0) : concatChunks(chunks);
  }

  async #readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    return chunks.length === 0 ? new Uint8Array(0) : concatChunks(chunks);
  }

  text(): Promise<string> {
    return this.bytes().then(decodeUtf8);
  }
}
