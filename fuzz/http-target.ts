/**
 * The HTTP fuzz target: whole raw requests against a live server on 127.0.0.1, port 0.
 *
 * Every exchange must end in well-formed responses, each below 500, every 4xx an
 * `application/problem+json` document; or in a closed connection when the request could not
 * be parsed. Nothing may hang: requests left incomplete on purpose are half-closed after a
 * moment, others must be answered (or cut) within the server's own timeouts. After every
 * batch a plain GET must answer promptly; at the end every stored resource must GET as the
 * store holds it, and every stream the fuzzer opened must have been released (RSP-8).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startServer, type RunningServer } from '../src/server/index.js';
import { MemoryStore, SqliteStore, isContainerPath, type Store } from '../src/store/index.js';
import {
  SEED_RESOURCES,
  applyEdits,
  encodeRequest,
  isWellFormed,
  latin1,
  patchRequestSpec,
  requestSpec,
  soup,
  type RequestSpec,
} from './arbitraries.js';
import { exchange, header, type Exchange } from './raw-http.js';
import type { FuzzProperty, FuzzTarget, OpenTarget } from './targets.js';

/** The server's own slow-client bounds, short so that a fuzz run does not wait on them. */
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 1000;
/** Past this, an exchange with neither an answer nor a close is a hang (server timeouts + much slack for a loaded machine). */
const EXCHANGE_TIMEOUT_MS = Number(process.env.FUZZ_HTTP_TIMEOUT_MS ?? 15_000);
/** A request left incomplete on purpose is half-closed after this long without an answer. */
const HALF_CLOSE_MS = 300;
/** "Promptly" for the plain GET after each batch (wall clock, so with slack for a loaded machine). */
const RESPONSIVE_MS = Number(process.env.FUZZ_HTTP_RESPONSIVE_MS ?? 5000);

/** Counters of a run, for the long run's report. */
export interface HttpStats {
  requests: number;
  byStatus: Record<string, number>;
  /** Problem answers by status and code. */
  byCode: Record<string, number>;
  /** Connections closed with no response (unparsable heads, CONNECT, half-closed requests). */
  closedUnanswered: number;
  /** PREP notifications responses opened (and dropped). */
  streams: number;
  /** 4xx answers node:http wrote itself (not problem+json): 400 without Host, 417 for Expect. */
  nodeOwn: Record<string, number>;
  /** Error answers to a HEAD that carried a body (then closed the connection). */
  headWithBody: number;
  slowestMs: number;
}

interface Sent {
  /** For messages: the start of the request. */
  preview: string;
  method: string;
  /** A well-formed request, which must get an answer. */
  mustAnswer: boolean;
  /** The structured spec, when the head was not mutated (for MTH-1/MTH-2 checks). */
  spec?: RequestSpec;
}

/** Raw byte inputs: noise, soups of HTTP fragments, byte-mutated requests. */
const rawInput = fc.record({
  bytes: fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }) },
    {
      weight: 3,
      arbitrary: soup(
        [
          'GET ',
          'PUT ',
          'PATCH ',
          '/ ',
          '/a ',
          'HTTP/1.1',
          '\r\n',
          '\n',
          ': ',
          'Host: x',
          'Content-Length: 3',
          'Transfer-Encoding: chunked',
          '0\r\n\r\n',
          '{}',
          ' ',
          '\u0000',
          '\u00ff',
          'Accept-Events: "prep"',
        ],
        40,
      ).map(latin1),
    },
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          requestSpec,
          fc.array(
            fc.record({
              kind: fc.constantFrom('insert', 'delete', 'replace', 'duplicate', 'truncate', 'swap'),
              at: fc.nat(),
              len: fc.nat({ max: 8 }),
              text: fc.constantFrom(
                '\r\n',
                '\n',
                ' ',
                ':',
                '\u0000',
                '\u00ff',
                'x',
                '0',
                '\r\n\r\n',
                'chunked',
              ),
            }),
            { minLength: 1, maxLength: 4 },
          ),
        )
        .map(([spec, edits]) =>
          latin1(applyEdits(Buffer.from(encodeRequest(spec)).toString('latin1'), edits)),
        ),
    },
  ),
  halfClose: fc.boolean(),
});

function preview(bytes: Uint8Array): string {
  return JSON.stringify(Buffer.from(bytes.subarray(0, 300)).toString('latin1'));
}

/** The method a server would read from the start of the bytes (for HEAD's bodiless answer). */
function methodOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 16)).toString('latin1').split(' ')[0] ?? '';
}

/** A tiny, non-cryptographic pick from a list by a number. */
function pick<T>(list: readonly T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[n % list.length];
}

class Harness {
  readonly stats: HttpStats = {
    requests: 0,
    byStatus: {},
    byCode: {},
    closedUnanswered: 0,
    streams: 0,
    nodeOwn: {},
    headWithBody: 0,
    slowestMs: 0,
  };
  readonly #eventIds: string[] = [];
  readonly #etags: string[] = [];

  constructor(
    readonly running: RunningServer,
    readonly store: Store,
  ) {}

  get port(): number {
    return this.running.port;
  }

  /** Fills `@event:N` and `@etag:N` placeholders with ids and tags the server really has. */
  async refreshIds(): Promise<void> {
    const last = await this.store.lastSeq();
    this.#eventIds.length = 0;
    for (let seq = Math.max(1, last - 20); seq <= last; seq++)
      this.#eventIds.push(this.running.app.history.eventId(seq));
    this.#etags.length = 0;
    for (const r of SEED_RESOURCES) {
      const got = await this.store.get(r.path);
      if (got) this.#etags.push(got.etag);
    }
  }

  resolve(spec: RequestSpec): RequestSpec {
    const headers = spec.headers.map(([n, v]): [string, string] => {
      const m = /^@(event|etag):(\d+)$/.exec(v);
      if (!m) return [n, v];
      const found =
        m[1] === 'event' ? pick(this.#eventIds, Number(m[2])) : pick(this.#etags, Number(m[2]));
      return [n, found ?? v];
    });
    return { ...spec, headers };
  }

  async send(bytes: Uint8Array, sent: Sent, halfClose: boolean): Promise<void> {
    this.stats.requests++;
    const ex = await exchange(this.port, bytes, {
      timeoutMs: EXCHANGE_TIMEOUT_MS,
      method: sent.method,
      ...(halfClose ? { halfCloseAfterMs: HALF_CLOSE_MS } : {}),
    });
    this.stats.slowestMs = Math.max(this.stats.slowestMs, ex.ms);
    this.check(ex, sent);
  }

  check(ex: Exchange, sent: Sent): void {
    const where = `request ${sent.preview}`;
    assert.equal(ex.invalid, undefined, `not a valid HTTP response (${ex.invalid}) to ${where}`);
    assert.ok(!ex.timedOut, `no answer and no close within ${EXCHANGE_TIMEOUT_MS} ms: ${where}`);
    const finals = ex.responses.filter((r) => r.status >= 200);
    if (finals.length === 0) {
      assert.ok(
        !sent.mustAnswer,
        `a well-formed request got no answer (connection closed): ${where}`,
      );
      this.stats.closedUnanswered++;
    }
    for (const r of ex.responses) {
      this.stats.byStatus[r.status] = (this.stats.byStatus[r.status] ?? 0) + 1;
      assert.ok(
        r.status < 500,
        `${r.status} ${r.reason} to ${where}: ${r.body.toString('utf8').slice(0, 500)}`,
      );
      if (r.status < 200) assert.equal(r.status, 100, `interim ${r.status} to ${where}`);
      if (r.status < 400) continue;
      const type = header(r, 'content-type');
      if (type === undefined && (r.status === 400 || r.status === 417) && r.body.length === 0) {
        // node:http's own answers, written before any handler runs: 400 to an HTTP/1.1
        // request without Host (requireHostHeader), 417 to an Expect it does not know.
        const key = `${r.status} ${r.status === 400 ? 'no Host' : 'Expect'}`;
        this.stats.nodeOwn[key] = (this.stats.nodeOwn[key] ?? 0) + 1;
        continue;
      }
      if (r.headBody) this.stats.headWithBody++;
      assert.equal(
        type,
        'application/problem+json',
        `${r.status} without problem+json to ${where}`,
      );
      if (r.body.length === 0) continue; // HEAD
      const problem = JSON.parse(r.body.toString('utf8')) as {
        status?: unknown;
        code?: unknown;
        title?: unknown;
      };
      assert.equal(problem.status, r.status, `problem status to ${where}`);
      assert.match(String(problem.code), /^[A-Z][A-Z0-9_]+$/, `problem code to ${where}`);
      const key = `${r.status} ${String(problem.code)}`;
      this.stats.byCode[key] = (this.stats.byCode[key] ?? 0) + 1;
      assert.equal(typeof problem.title, 'string');
    }
    const first = finals[0];
    if (first === undefined) return;
    if (first.stream) {
      this.stats.streams++;
      assert.equal(sent.method, 'GET', `a notifications stream for ${where}`);
      assert.match(
        header(first, 'content-type') ?? '',
        /^multipart\/mixed; *boundary=/,
        `stream Content-Type to ${where}`,
      );
    }
    const spec = sent.spec;
    if (spec !== undefined) {
      // MTH-2: Events only on a GET that asked with Accept-Events; MTH-1: PREP advertised on GET/HEAD only.
      const askedEvents = spec.headers.some(([n]) => n.toLowerCase() === 'accept-events');
      if (header(first, 'events') !== undefined)
        assert.ok(spec.method === 'GET' && askedEvents, `Events on the answer to ${where}`);
      if (/prep/i.test(header(first, 'accept-events') ?? ''))
        assert.ok(
          spec.method === 'GET' || spec.method === 'HEAD',
          `Accept-Events: prep on the answer to ${where}`,
        );
    }
  }

  /** A plain GET of the root must answer 200 promptly. */
  async assertResponsive(): Promise<void> {
    const started = performance.now();
    const res = await fetch(`${this.running.url}/`, { signal: AbortSignal.timeout(RESPONSIVE_MS) });
    await res.arrayBuffer();
    assert.equal(res.status, 200, 'GET / after a batch');
    const ms = performance.now() - started;
    assert.ok(ms < RESPONSIVE_MS, `GET / took ${ms.toFixed(0)} ms after a batch`);
  }

  /** Every resource the store holds GETs as stored; every container lists its members. */
  async assertConsistent(): Promise<number> {
    let checked = 0;
    const visit = async (path: string): Promise<void> => {
      const stored = await this.store.get(path);
      assert.ok(stored, `${path} is listed but not stored`);
      const res = await fetch(`${this.running.url}${path}`, {
        signal: AbortSignal.timeout(RESPONSIVE_MS * 2),
      });
      const body = new Uint8Array(await res.arrayBuffer());
      assert.equal(res.status, 200, `GET ${path}`);
      assert.equal(res.headers.get('etag'), stored.etag, `ETag of ${path}`);
      checked++;
      if (!isContainerPath(path)) {
        assert.deepStrictEqual(body, new Uint8Array(stored.body), `body of ${path}`);
        return;
      }
      const members = (await this.store.members(path)) ?? [];
      const listing = JSON.parse(new TextDecoder().decode(body)) as { members?: unknown };
      assert.deepStrictEqual(
        listing.members,
        members.map((m) => m.path),
        `listing of ${path}`,
      );
      for (const m of members) await visit(m.path);
    };
    await visit('/');
    return checked;
  }

  /** RSP-8: once their connections are gone, no subscription is held for them. */
  async assertStreamsReleased(): Promise<void> {
    const hub = this.running.app.engine.hub;
    const deadline = Date.now() + 5000;
    while (hub.stats.subscriptions > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(
      hub.stats.subscriptions,
      0,
      'subscriptions left after every stream connection closed',
    );
  }
}

/** Options of {@link httpTarget}'s properties. */
export interface HttpScale {
  /** Requests sent at once in one run. */
  batch: number;
}

/**
 * The HTTP target over a store of the given kind. `open()` starts the server and seeds it;
 * `close()` checks the state and stops everything.
 */
export function httpTarget(
  name: string,
  kind: 'memory' | 'sqlite',
  defaultCount: number,
  scale: HttpScale = { batch: 6 },
): FuzzTarget & { openHarness(): Promise<OpenTarget & { stats: HttpStats }> } {
  const openHarness = async (): Promise<OpenTarget & { stats: HttpStats }> => {
    const dir = kind === 'sqlite' ? mkdtempSync(join(tmpdir(), 'prep-fuzz-')) : undefined;
    const store: Store = dir
      ? new SqliteStore({ filename: join(dir, 'fuzz.db') })
      : new MemoryStore();
    await store.open();
    const running = await startServer({
      store,
      port: 0,
      host: '127.0.0.1',
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    // Seeds the store, and puts back what the fuzzer deleted, so that later requests
    // (PATCH above all) find resources to work on.
    const seed = async () => {
      for (const r of SEED_RESOURCES) {
        if (await store.get(r.path)) continue;
        const res = await fetch(`${running.url}${r.path}`, {
          method: 'PUT',
          headers: { 'Content-Type': r.contentType },
          body: Buffer.from(r.body, 'latin1'),
          signal: AbortSignal.timeout(RESPONSIVE_MS),
        });
        await res.arrayBuffer();
        // A fuzzed PUT may have made the twin (`/c` for `/c/`) or a parent a non-container.
        assert.ok(res.status < 500, `seeding ${r.path}: ${res.status}`);
      }
    };
    await seed();
    const h = new Harness(running, store);
    await h.refreshIds();
    let batches = 0;
    const afterBatch = async () => {
      await h.assertResponsive();
      if (++batches % 10 === 0) {
        await seed();
        await h.refreshIds();
      }
    };

    const properties: FuzzProperty[] = [
      {
        name: 'HTTP structured requests: odd methods, targets, headers and framing get a valid answer below 500 (4xx as problem+json) or a close, never a hang',
        weight: 4,
        inputsPerRun: (1 + scale.batch) / 2,
        runsPerBatch: 10,
        make: () =>
          fc.asyncProperty(
            fc.array(
              fc.oneof(
                { weight: 3, arbitrary: requestSpec },
                { weight: 1, arbitrary: patchRequestSpec },
              ),
              { minLength: 1, maxLength: scale.batch },
            ),
            async (specs) => {
              await Promise.all(
                specs.map((raw) => {
                  const spec = h.resolve(raw);
                  const bytes = encodeRequest(spec);
                  const wellFormed = isWellFormed(spec);
                  const sent: Sent = {
                    preview: preview(bytes),
                    method: spec.headEdits.length === 0 ? spec.method : methodOf(bytes),
                    mustAnswer: wellFormed && spec.method !== 'CONNECT',
                  };
                  if (spec.headEdits.length === 0) sent.spec = spec;
                  return h.send(bytes, sent, !wellFormed);
                }),
              );
              await afterBatch();
            },
          ),
      },
      {
        name: 'HTTP raw bytes: noise and byte-mutated requests get a valid answer below 500 or a close, within the server timeouts',
        weight: 1,
        inputsPerRun: (1 + scale.batch) / 2,
        runsPerBatch: 10,
        make: () =>
          fc.asyncProperty(
            fc.array(rawInput, { minLength: 1, maxLength: scale.batch }),
            async (inputs) => {
              await Promise.all(
                inputs.map(({ bytes, halfClose }) => {
                  return h.send(
                    bytes,
                    { preview: preview(bytes), method: methodOf(bytes), mustAnswer: false },
                    halfClose,
                  );
                }),
              );
              await afterBatch();
            },
          ),
      },
    ];

    return {
      properties,
      stats: h.stats,
      inputs: () => h.stats.requests,
      async close() {
        try {
          await h.assertResponsive();
          await h.assertStreamsReleased();
          await h.assertConsistent();
        } finally {
          await running.close();
          await store.close();
          if (dir) rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  };
  return { name, defaultCount, open: openHarness, openHarness };
}
