/**
 * Multipart decoding throughput, side by side with `meros` in the same run.
 *
 * The workload is a long PREP-like stream: 20 000 small `message/rfc822` notifications
 * (≈110 bytes each) in a digest. It is fed in 64 KiB chunks (a busy stream read in bulk)
 * and one write per chunk (a live stream, RSP-6: every write ends at a delimiter).
 *
 * meros cannot read nested multiparts nor a part before the next one starts, so the
 * comparison runs on a bare top-level `multipart/digest` (as in PREP draft -00); the real
 * nested PREP body (`multipart/mixed` around the digest) is measured for us alone.
 *
 *     node --import tsx bench/multipart.ts
 */
import { meros } from 'meros/browser';
import { pathToFileURL } from 'node:url';
import {
  createMultipartEncoder,
  encodeDigestPart,
  encodePrepClose,
  encodePrepHead,
  parseMultipart,
  type PrepBoundaries,
} from '../packages/client/src/core/multipart/index.js';

/** One row of results. */
export interface MultipartBenchResult {
  name: string;
  mbPerSec?: number;
  partsPerSec?: number;
  baseline?: string;
  baselinePartsPerSec?: number;
  /** Ours divided by the baseline (parts per second); above 1 is faster. */
  ratio?: number;
  /** Anything worth knowing about the row, e.g. a baseline that decoded wrong. */
  note?: string;
}

const PARTS = 20_000;
const BOUNDARIES: PrepBoundaries = {
  mixed: 'Zt8Kq2mVb7RxN4cLw1PjH6sYf3GdA9eU',
  digest: 'Qa5Wr8Ty1Ui4Op7As2Df6Gh9Jk3Lz0Xc',
};

function message(i: number): string {
  return (
    `Method: PATCH\r\nDate: Sat, 01 Apr 2023 10:11:12 GMT\r\nEvent-ID: ev-${i}\r\n` +
    `ETag: "etag-${i.toString(16)}"\r\n\r\n`
  );
}

/** Writes of a bare digest stream (`--D`, parts, close), as a server would emit them. */
function digestWrites(): Uint8Array[] {
  const enc = createMultipartEncoder(BOUNDARIES.digest);
  const writes = [enc.open()];
  for (let i = 0; i < PARTS; i++) writes.push(enc.part([], message(i)));
  writes.push(enc.close());
  return writes;
}

/** Writes of a full PREP body: part 1, the digest in part 2, both close delimiters. */
function prepWrites(): Uint8Array[] {
  const writes = [encodePrepHead(BOUNDARIES, [['Content-Type', 'text/plain']], 'Hello World!')];
  for (let i = 0; i < PARTS; i++) writes.push(encodeDigestPart(BOUNDARIES, [], message(i)));
  writes.push(encodePrepClose(BOUNDARIES));
  return writes;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function rechunk(writes: readonly Uint8Array[], size: number): Uint8Array[] {
  const all = concat(writes);
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size));
  return out;
}

function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  });
}

/** Bodies behind a `Response`, as both parsers meet them with `fetch`. */
function responseOf(chunks: readonly Uint8Array[], contentType: string): Response {
  return new Response(streamOf(chunks), { headers: { 'Content-Type': contentType } });
}

async function oursFlat(chunks: readonly Uint8Array[]): Promise<number> {
  const res = responseOf(chunks, `multipart/digest; boundary="${BOUNDARIES.digest}"`);
  let n = 0;
  for await (const part of parseMultipart(res.body!, BOUNDARIES.digest)) {
    void part.headers;
    if ((await part.text()).length > 0) n++;
  }
  return n;
}

async function oursPrep(chunks: readonly Uint8Array[]): Promise<number> {
  const res = responseOf(chunks, `multipart/mixed; boundary="${BOUNDARIES.mixed}"`);
  const parts = parseMultipart(res.body!, BOUNDARIES.mixed);
  const first = await parts.next();
  if (first.done) throw new Error('no part 1');
  await first.value.text();
  const second = await parts.next();
  if (second.done) throw new Error('no part 2');
  let n = 0;
  for await (const part of parseMultipart(second.value.body, BOUNDARIES.digest)) {
    void part.headers;
    if ((await part.text()).length > 0) n++;
  }
  await parts.return();
  return n;
}

async function merosFlat(chunks: readonly Uint8Array[]): Promise<number> {
  const res = responseOf(chunks, `multipart/digest; boundary="${BOUNDARIES.digest}"`);
  const parts = await meros<string>(res);
  if (parts instanceof Response) throw new Error('meros did not see a multipart body');
  let n = 0;
  // meros's types resolve through its package root; spell out the part shape it yields.
  for await (const part of parts as AsyncIterable<{ headers: object; body: string }>) {
    void part.headers;
    if (part.body.length > 0) n++;
  }
  return n;
}

type Run = (chunks: readonly Uint8Array[]) => Promise<number>;

/**
 * Median timing (ms) of each contender, runs interleaved (A B A B ...) after a warm-up so
 * that JIT and GC drift hit both alike, and the parts each decoded. Ours must decode every
 * part; meros merges two parts whenever a delimiter straddles two chunks (it prefers a
 * delimiter found inside the new chunk), so its count is reported instead.
 */
async function timeAll(
  contenders: ReadonlyArray<{ run: Run; chunks: readonly Uint8Array[]; strict: boolean }>,
  runs = 11,
): Promise<Array<{ ms: number; parts: number }>> {
  const times = contenders.map(() => [] as number[]);
  const parts = contenders.map(() => 0);
  for (let r = -2; r < runs; r++) {
    for (const [k, c] of contenders.entries()) {
      const t0 = performance.now();
      const n = await c.run(c.chunks);
      const ms = performance.now() - t0;
      if (c.strict && n !== PARTS) throw new Error(`decoded ${n} parts, expected ${PARTS}`);
      parts[k] = n;
      if (r >= 0) times[k]!.push(ms);
    }
  }
  return times.map((t, k) => {
    t.sort((a, b) => a - b);
    return { ms: t[t.length >> 1]!, parts: parts[k]! };
  });
}

/**
 * Runs the multipart benchmarks; each row compares with meros where meros can run.
 *
 * @example
 * ```ts
 * for (const row of await benchMultipart()) console.log(row.name, row.ratio);
 * ```
 */
export async function benchMultipart(): Promise<MultipartBenchResult[]> {
  const flat = digestWrites();
  const prep = prepWrites();
  const flatBytes = flat.reduce((n, c) => n + c.length, 0);
  const prepBytes = prep.reduce((n, c) => n + c.length, 0);
  const rows: MultipartBenchResult[] = [];
  const feeds: Array<[string, readonly Uint8Array[], readonly Uint8Array[]]> = [
    ['64 KiB chunks', rechunk(flat, 64 * 1024), rechunk(prep, 64 * 1024)],
    ['one write per chunk', flat, prep],
  ];
  for (const [feed, flatChunks, prepChunks] of feeds) {
    const [ours, theirs, nested] = await timeAll([
      { run: oursFlat, chunks: flatChunks, strict: true },
      { run: merosFlat, chunks: flatChunks, strict: false },
      { run: oursPrep, chunks: prepChunks, strict: true },
    ]);
    // Both read the same bytes: rates are per part written, whatever meros made of them.
    const partsPerSec = (PARTS / ours!.ms) * 1000;
    const baselinePartsPerSec = (PARTS / theirs!.ms) * 1000;
    const row: MultipartBenchResult = {
      name: `digest, ${PARTS} parts, ${feed}`,
      mbPerSec: flatBytes / 1e6 / (ours!.ms / 1000),
      partsPerSec,
      baseline: 'meros',
      baselinePartsPerSec,
      ratio: partsPerSec / baselinePartsPerSec,
    };
    if (theirs!.parts !== PARTS)
      row.note = `meros returned ${theirs!.parts} of ${PARTS} parts (merges parts at chunk edges)`;
    rows.push(row);
    rows.push({
      name: `PREP mixed+digest, ${PARTS} parts, ${feed}`,
      mbPerSec: prepBytes / 1e6 / (nested!.ms / 1000),
      partsPerSec: (PARTS / nested!.ms) * 1000,
    });
  }
  return rows;
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined ? '' : n.toFixed(digits);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchMultipart();
  console.table(
    rows.map((r) => ({
      benchmark: r.name,
      'MB/s': fmt(r.mbPerSec, 1),
      'parts/s': fmt(r.partsPerSec),
      baseline: r.baseline ?? '',
      'baseline parts/s': fmt(r.baselinePartsPerSec),
      ratio: fmt(r.ratio, 2),
    })),
  );
  for (const r of rows) if (r.note) console.log(`${r.name}: ${r.note}`);
}
