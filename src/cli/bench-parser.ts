/**
 * An incremental, allocation-light reader of one notifications response as it arrives on a
 * raw socket: the response head, then the body (HTTP/1.1 chunked, or raw until close), in
 * which it finds every `Event-ID:` line of the notifications. It does not parse the
 * multipart structure: a load generator only needs to know which notifications arrived, and
 * it must cost far less per delivery than the server it measures.
 *
 * Lines split across chunks or reads are handled: the few bytes that may start a match are
 * carried over to the next read.
 */

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;
/** A line longer than this is not an Event-ID line we can use; it is dropped. */
const MAX_LINE = 1024;

enum State {
  Head,
  Size,
  SizeExt,
  Data,
  DataEnd,
  Raw,
  Done,
  Error,
}

/**
 * Reads one response.
 *
 * @example
 * ```ts
 * const scanner = new ResponseScanner();
 * const ids: string[] = [];
 * socket.on('data', (b) => { scanner.push(b, ids); for (const id of ids) seen(id); ids.length = 0; });
 * ```
 */
export class ResponseScanner {
  /** The status code once the head arrived; 0 before. */
  status = 0;
  /** The raw head (status line and fields), once it arrived. */
  head = '';
  /** Set when the body framing was broken, or the head too large. */
  error: string | undefined;
  /** Body bytes seen (without chunk framing). */
  bodyBytes = 0;
  #state: State = State.Head;
  #headParts: Buffer[] | null = [];
  #headLength = 0;
  #remaining = 0;
  #size = 0;
  #carry: Buffer | null = null;
  readonly #needle: Buffer;

  constructor(needle = 'Event-ID:') {
    this.#needle = NEEDLES.get(needle) ?? Buffer.from(needle, 'latin1');
  }

  /** Whether the body ended (last chunk) or the stream is unusable. */
  get finished(): boolean {
    return this.#state === State.Done || this.#state === State.Error;
  }

  /**
   * Feeds bytes as they arrived (the buffer may be reused by the caller afterwards); appends
   * the value of every complete `Event-ID` line to `ids`.
   */
  push(buf: Buffer, ids: string[]): void {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.#state) {
        case State.Head:
          i = this.#readHead(buf, i);
          break;
        case State.Size: {
          const c = buf[i++]!;
          if (c === 0x0a) {
            if (this.#size === 0) this.#state = State.Done;
            else {
              this.#remaining = this.#size;
              this.#state = State.Data;
            }
          } else if (c === 0x0d) {
            // the CR before the LF
          } else if (c === 0x3b || c === 0x20 || c === 0x09) this.#state = State.SizeExt;
          else {
            const v = hexValue(c);
            if (v < 0 || this.#size > 0x7ffffff) this.#fail('bad chunk size');
            else this.#size = this.#size * 16 + v;
          }
          break;
        }
        case State.SizeExt: {
          const lf = buf.indexOf(0x0a, i);
          if (lf < 0) return;
          i = lf;
          this.#state = State.Size;
          break;
        }
        case State.Data: {
          const take = Math.min(this.#remaining, n - i);
          this.#scan(buf, i, i + take, ids);
          this.bodyBytes += take;
          this.#remaining -= take;
          i += take;
          if (this.#remaining === 0) this.#state = State.DataEnd;
          break;
        }
        case State.DataEnd: {
          const lf = buf.indexOf(0x0a, i);
          if (lf < 0) return;
          i = lf + 1;
          this.#size = 0;
          this.#state = State.Size;
          break;
        }
        case State.Raw:
          this.#scan(buf, i, n, ids);
          this.bodyBytes += n - i;
          i = n;
          break;
        case State.Done:
        case State.Error:
          return;
      }
    }
  }

  #fail(reason: string): void {
    this.error = reason;
    this.#state = State.Error;
  }

  #readHead(buf: Buffer, start: number): number {
    const parts = this.#headParts!;
    const piece = start === 0 ? buf : buf.subarray(start);
    // Search the new bytes plus the last 3 of the previous ones for CRLF CRLF.
    let whole: Buffer;
    if (parts.length === 0) whole = piece;
    else whole = Buffer.concat([...parts, piece]);
    const from = Math.max(0, this.#headLength - 3);
    const end = whole.indexOf(HEAD_END, from);
    if (end < 0) {
      parts.length = 0;
      parts.push(Buffer.from(whole)); // copy: the caller may reuse its buffer
      this.#headLength = whole.length;
      if (whole.length > MAX_HEAD) this.#fail('response head too large');
      return buf.length;
    }
    this.head = whole.toString('latin1', 0, end);
    this.#headParts = null;
    this.status = Number(this.head.slice(9, 12)) || -1;
    const lower = this.head.toLowerCase();
    const te = /\r\ntransfer-encoding:([^\r]*)/.exec(lower)?.[1] ?? '';
    this.#state = te.includes('chunked') ? State.Size : State.Raw;
    // Bytes of `whole` past the head: those that came from `piece` continue in `buf`.
    const consumedFromPiece = end + 4 - (whole.length - piece.length);
    return start + consumedFromPiece;
  }

  /** Finds needle lines in buf[start, end). */
  #scan(buf: Buffer, start: number, end: number, ids: string[]): void {
    let view: Buffer;
    if (this.#carry) {
      view = Buffer.concat([this.#carry, buf.subarray(start, end)]);
      this.#carry = null;
    } else view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    const needle = this.#needle;
    const len = view.length;
    let i = 0;
    for (;;) {
      const k = view.indexOf(needle, i);
      if (k < 0) break;
      const from = k + needle.length;
      const cr = view.indexOf(0x0d, from);
      if (cr < 0) {
        // The line is not complete yet: keep it for the next read (bounded).
        if (len - k <= MAX_LINE) this.#carry = Buffer.from(view.subarray(k));
        return;
      }
      ids.push(view.toString('latin1', from, cr).trim());
      i = cr + 1;
    }
    // A needle may start in the last bytes: carry the longest tail that is a prefix of it.
    const max = Math.min(needle.length - 1, len - i);
    for (let t = max; t > 0; t--) {
      if (view[len - t] !== needle[0]) continue;
      let ok = true;
      for (let j = 1; j < t; j++)
        if (view[len - t + j] !== needle[j]) {
          ok = false;
          break;
        }
      if (ok) {
        this.#carry = Buffer.from(view.subarray(len - t));
        return;
      }
    }
  }
}

const NEEDLES = new Map([['Event-ID:', Buffer.from('Event-ID:', 'latin1')]]);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
