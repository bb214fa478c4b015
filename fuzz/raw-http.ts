/**
 * A raw HTTP/1.1 client for the fuzzers: sends bytes as they are over `node:net` and reads
 * back whatever comes, strictly: every byte the server sends must belong to a well-formed
 * response (status line, header block, a body framed by Content-Length or chunked encoding,
 * or by the connection's close). A PREP notifications response never ends; it is recognised
 * from its head and the connection is then dropped.
 */
import net from 'node:net';

/** One response read off the wire. */
export interface RawResponse {
  status: number;
  reason: string;
  /** Header lines in order, names as sent. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** A PREP notifications response (`Events` with status=200): its body was not read to the end. */
  stream: boolean;
  /** A body on the answer to a HEAD (only accepted on a closing connection). */
  headBody?: boolean;
}

/** What one exchange produced. */
export interface Exchange {
  /** Complete responses (interim 1xx ones included), in order. */
  responses: RawResponse[];
  /** Whether the server closed (or reset) the connection. */
  closed: boolean;
  /** Whether the exchange hit `timeoutMs` with the connection still open and nothing complete. */
  timedOut: boolean;
  /** Bytes the server sent that are not a well-formed response. */
  invalid?: string;
  /** How long the exchange took. */
  ms: number;
}

export interface ExchangeOptions {
  /** Hard limit: past it, an exchange with no complete response is a hang. */
  timeoutMs: number;
  /** The first request's method (a HEAD response has no body). */
  method: string;
  /** With nothing received after this long, half-close our side (for requests left incomplete on purpose). */
  halfCloseAfterMs?: number;
  /** After a complete response on a live connection, how long to wait for more (pipelined) ones. */
  graceMs?: number;
}

/** Reads a header value, case-insensitively; several lines are joined with ", ". */
export function header(res: RawResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  const values = res.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(', ');
}

/** Incremental response parser: feed it bytes, it yields responses or says what is wrong. */
class ResponseReader {
  #buf: Buffer = Buffer.alloc(0);
  readonly responses: RawResponse[] = [];
  invalid: string | undefined;
  /** The head of a response whose body runs to the connection's close. */
  #untilClose: RawResponse | undefined;
  #first = true;

  constructor(readonly firstMethod: string) {}

  push(chunk: Buffer): void {
    if (this.invalid !== undefined) return;
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    this.#parse();
  }

  /** The connection closed: a body that runs to the close ends here. */
  end(): void {
    if (this.invalid !== undefined) return;
    if (this.#untilClose) {
      this.#untilClose.body = this.#buf;
      this.responses.push(this.#untilClose);
      this.#untilClose = undefined;
      this.#buf = Buffer.alloc(0);
    } else if (this.#buf.length > 0) {
      this.invalid = `the connection closed inside a response: ${JSON.stringify(this.#buf.subarray(0, 200).toString('latin1'))}`;
    }
  }

  /** Whether a final (non-1xx) response is complete. */
  get complete(): boolean {
    return this.responses.some((r) => r.status >= 200);
  }

  /** Whether the latest final response asked for the connection to close, or is a stream. */
  get ended(): boolean {
    const last = this.responses.at(-1);
    if (!last) return false;
    return last.stream || /\bclose\b/i.test(header(last, 'connection') ?? '');
  }

  #fail(why: string): void {
    this.invalid = why;
  }

  #parse(): void {
    while (this.invalid === undefined && this.#untilClose === undefined && this.#buf.length > 0) {
      const buf = this.#buf;
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd === -1) {
        if (!'HTTP/1.'.startsWith(buf.subarray(0, 7).toString('latin1')))
          this.#fail(
            `not a status line: ${JSON.stringify(buf.subarray(0, 80).toString('latin1'))}`,
          );
        else if (buf.length > 64 * 1024) this.#fail('a response head over 64 KiB');
        return;
      }
      const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] ([1-9]\d\d) ([^\r\n]*)$/.exec(lines[0]!);
      if (!m) return this.#fail(`not a status line: ${JSON.stringify(lines[0])}`);
      const headers: Array<[string, string]> = [];
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(line.slice(0, colon)))
          return this.#fail(`a malformed response header line: ${JSON.stringify(line)}`);
        const value = line.slice(colon + 1).trim();
        if (/[\0\r\n]/.test(value))
          return this.#fail(`a control character in ${JSON.stringify(line)}`);
        headers.push([line.slice(0, colon), value]);
      }
      const res: RawResponse = {
        status: Number(m[1]),
        reason: m[2]!,
        headers,
        body: Buffer.alloc(0),
        stream: false,
      };
      const isFirstFinal = this.#first && res.status >= 200;
      const rest = buf.subarray(headEnd + 4);
      const lengths = headers
        .filter(([n]) => n.toLowerCase() === 'content-length')
        .map(([, v]) => v);
      const te = header(res, 'transfer-encoding');
      if (lengths.length > 1)
        return this.#fail(`several Content-Length fields: ${lengths.join(' | ')}`);
      if (lengths.length === 1 && te !== undefined)
        return this.#fail('both Content-Length and Transfer-Encoding');
      if (res.status < 200) {
        // Interim (100 Continue): no body, the final response follows.
        this.responses.push(res);
        this.#buf = rest;
        continue;
      }
      if (isFirstFinal) this.#first = false;
      const events = header(res, 'events') ?? '';
      if (res.status === 200 && /status=200\b/.test(events)) {
        // A notifications stream: runs until `expires`; the head is what we check.
        res.stream = true;
        res.body = rest;
        this.responses.push(res);
        this.#buf = Buffer.alloc(0);
        return;
      }
      const noBody =
        res.status === 204 || res.status === 304 || (isFirstFinal && this.firstMethod === 'HEAD');
      const closing = /\bclose\b/i.test(header(res, 'connection') ?? '');
      if (noBody && closing && lengths.length === 1 && rest.length >= Number(lengths[0])) {
        // An error answer written before the method was known (node:http's clientError path)
        // carries its body even for a HEAD; the connection closes after it, so no framing is lost.
        res.body = rest.subarray(0, Number(lengths[0]));
        res.headBody = true;
        this.responses.push(res);
        this.#buf = rest.subarray(res.body.length);
        continue;
      }
      if (noBody) {
        this.responses.push(res);
        this.#buf = rest;
        continue;
      }
      if (te !== undefined) {
        if (!/^chunked$/i.test(te.trim()))
          return this.#fail(`an unexpected Transfer-Encoding: ${te}`);
        const decoded = decodeChunked(rest);
        if ('need' in decoded) return;
        if ('error' in decoded) return this.#fail(decoded.error);
        res.body = decoded.body;
        this.responses.push(res);
        this.#buf = rest.subarray(decoded.used);
        continue;
      }
      if (lengths.length === 1) {
        if (!/^\d+$/.test(lengths[0]!)) return this.#fail(`a bad Content-Length: ${lengths[0]}`);
        const n = Number(lengths[0]);
        if (rest.length < n) return;
        res.body = rest.subarray(0, n);
        this.responses.push(res);
        this.#buf = rest.subarray(n);
        continue;
      }
      // No framing: the body runs to the close.
      this.#untilClose = res;
      this.#buf = rest;
      return;
    }
  }
}

type Chunked = { body: Buffer; used: number } | { need: true } | { error: string };

/** Decodes a complete chunked body; `need` when more bytes must come, `error` when malformed. */
function decodeChunked(bytes: Buffer): Chunked {
  const parts: Buffer[] = [];
  const need = { need: true } as const;
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1)
      return bytes.length - at > 1024 ? { error: 'a chunk size line over 1 KiB' } : need;
    const sizeText = bytes.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText))
      return { error: `a bad chunk size line: ${JSON.stringify(sizeText)}` };
    const size = parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailers, then the blank line.
      const end = bytes.indexOf('\r\n', at);
      if (end === -1) return need;
      if (end === at) return { body: Buffer.concat(parts), used: at + 2 };
      const trailersEnd = bytes.indexOf('\r\n\r\n', at);
      if (trailersEnd === -1) return need;
      return { body: Buffer.concat(parts), used: trailersEnd + 4 };
    }
    if (bytes.length < at + size + 2) return need;
    parts.push(bytes.subarray(at, at + size));
    if (bytes[at + size] !== 0x0d || bytes[at + size + 1] !== 0x0a)
      return { error: 'a chunk not followed by CRLF' };
    at += size + 2;
  }
}

/**
 * Sends `request` on a new connection to 127.0.0.1:`port` and reads the answer. Resolves
 * once the server closed the connection, or a final response came and the connection stayed
 * quiet for `graceMs` (then we close it), or `timeoutMs` passed.
 */
export function exchange(
  port: number,
  request: Uint8Array,
  options: ExchangeOptions,
): Promise<Exchange> {
  const started = performance.now();
  const graceMs = options.graceMs ?? 25;
  return new Promise((resolve) => {
    const reader = new ResponseReader(
      options.method.toUpperCase() === 'HEAD' ? 'HEAD' : options.method,
    );
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let settled = false;
    let closed = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    let halfClose: ReturnType<typeof setTimeout> | undefined;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(hard);
      clearTimeout(grace);
      clearTimeout(halfClose);
      socket.destroy();
      const out: Exchange = {
        responses: reader.responses,
        closed,
        timedOut,
        ms: performance.now() - started,
      };
      if (reader.invalid !== undefined) out.invalid = reader.invalid;
      resolve(out);
    };
    const hard = setTimeout(() => finish(!reader.complete), options.timeoutMs);
    const armGrace = () => {
      clearTimeout(grace);
      if (reader.invalid !== undefined || reader.ended) return finish(false);
      if (reader.complete) grace = setTimeout(() => finish(false), graceMs);
    };
    if (options.halfCloseAfterMs !== undefined) {
      halfClose = setTimeout(() => {
        if (!reader.complete && !closed) socket.end();
      }, options.halfCloseAfterMs);
    }
    socket.on('data', (chunk: Buffer) => {
      clearTimeout(halfClose);
      reader.push(chunk);
      armGrace();
    });
    socket.on('error', () => undefined); // a reset is a close; 'close' follows
    socket.on('end', () => {
      // The server closed its side: nothing more can come; a body framed by the close ends here.
      closed = true;
      reader.end();
      finish(false);
    });
    socket.on('close', () => {
      closed = true;
      reader.end();
      finish(false);
    });
    socket.write(request);
  });
}
