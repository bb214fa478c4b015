/**
 * The fuzz targets: for every parser of the core, properties that hold on any input. Each
 * target is a few named properties; `test/fuzz/*.test.ts` runs them a few hundred times,
 * `fuzz/run.ts` a million times. A property fails on an undocumented error type, a call
 * slower than {@link SLOW_CALL_MS} (a hang or a super-linear parse), or a broken invariant.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MediaTypeError,
  MultipartError,
  ParseError,
  PrepError,
  applyDelta,
  applyJsonPatch,
  applyMergePatch,
  checkEventsResponse,
  createJsonPatch,
  createMergePatch,
  encodeDigestPart,
  encodePrepClose,
  encodePrepHead,
  formatMediaType,
  negotiateNotifications,
  parseAcceptEvents,
  parseAcceptValue,
  parseDictionary,
  parseEventsField,
  parseItem,
  parseList,
  parseMediaType,
  parseMultipart,
  parseNotification,
  readNotificationAccept,
  selectProtocol,
  serializeDictionary,
  serializeEventsField,
  serializeItem,
  serializeList,
  serializeNotification,
  type MediaRange,
  type MultipartPartIterator,
  type Notification,
  type ParseOptions,
  type SerializeOptions,
} from '../packages/client/src/core/index.js';
import {
  POLLUTION_DOCS,
  POLLUTION_MERGE_PATCHES,
  POLLUTION_PATCHES,
  acceptEventsInput,
  anyString,
  applyEdits,
  bigAcceptEventsInput,
  bigMediaTypeInput,
  bigMultipartInput,
  bigNotificationInput,
  bigSfvInput,
  chunkCuts,
  deepDeltaCase,
  deltaCase,
  eventsInput,
  json,
  jsonPatchCase,
  latin1,
  mediaTypeInput,
  multipartInput,
  notificationInput,
  notificationModel,
  notificationOffers,
  partReadings,
  responseDate,
  sfDictionary,
  sfItem,
  sfList,
  sfvInput,
  split,
  streamOf,
  validEventsModel,
  validMultipart,
  type PartReading,
} from './arbitraries.js';

/**
 * A call that uses more CPU than this fails its property (FUZZ_SLOW_MS overrides it). CPU time,
 * not wall time, so that a loaded machine does not fail a parser; loose on purpose: it catches
 * quadratic blow-ups and near-hangs, not GC pauses.
 */
export const SLOW_CALL_MS = Number(process.env.FUZZ_SLOW_MS ?? 1000);
/** The CPU bound of the "big input" properties (inputs up to about 500 KB); FUZZ_SLOW_BIG_MS overrides it. */
export const SLOW_BIG_MS = Number(process.env.FUZZ_SLOW_BIG_MS ?? 3000);
/** An async decode that has not settled after this long (wall clock) is a hang. */
export const HANG_MS = Number(process.env.FUZZ_HANG_MS ?? 10_000);

/** Most CPU one call used, per label: reported by the long run. */
export const slowest = new Map<string, number>();

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function record(label: string, ms: number, limitMs: number): void {
  if (ms > (slowest.get(label) ?? 0)) slowest.set(label, ms);
  if (ms > limitMs) assert.fail(`${label} used ${ms.toFixed(0)} ms of CPU (limit ${limitMs} ms)`);
}

/** Runs `fn`, failing when it uses more than `limitMs` of CPU ({@link SLOW_CALL_MS} by default). */
export function timed<T>(label: string, fn: () => T, limitMs = SLOW_CALL_MS): T {
  const c0 = process.cpuUsage();
  try {
    return fn();
  } finally {
    // Also after an error: a slow failure is still slow.
    record(label, cpuMs(c0), limitMs);
  }
}

/**
 * Awaits `promise`, failing when it has not settled after {@link HANG_MS} (wall clock), or
 * when the process used more than `limitMs` of CPU meanwhile.
 */
export async function settles<T>(
  label: string,
  promise: Promise<T>,
  limitMs = SLOW_CALL_MS,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const c0 = process.cpuUsage();
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${label} hung: not settled after ${HANG_MS} ms`)),
          HANG_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    record(label, cpuMs(c0), limitMs);
  }
}

/** Rethrows anything that is not the documented error type. */
function expectOnly<E extends Error>(
  e: unknown,
  type: abstract new (...args: never[]) => E,
  what: string,
): E {
  if (e instanceof type) return e;
  const detail = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  assert.fail(`${what} threw something other than ${type.name}: ${detail}`);
}

/** One named property of a target. */
export interface FuzzProperty {
  /** What it checks: the test name. */
  name: string;
  /** Its share of the target's count in the long run. */
  weight: number;
  /** Inputs one run feeds in (the HTTP properties send a batch). Default 1. */
  inputsPerRun?: number;
  /** Runs in `npm test`, when the default would take too long (big inputs). */
  testRuns?: number;
  /** Runs per batch of the long run, when one run is costly (each batch reports progress). */
  runsPerBatch?: number;
  /** A fresh fast-check property. */
  make(): fc.IRawProperty<unknown[], boolean>;
}

/** A fuzz target: one parser (or applier, or the server) and its properties. */
export interface FuzzTarget {
  name: string;
  /** Inputs in the long run unless `--count` says otherwise. */
  defaultCount: number;
  /** Opens what the properties need (the HTTP server); pure targets need nothing. */
  open(): Promise<OpenTarget>;
}

export interface OpenTarget {
  properties: FuzzProperty[];
  /** Checks left for the end (the server's state) and releases everything. */
  close(): Promise<void>;
  /** Inputs fed so far, when a run feeds a variable number (HTTP batches). */
  inputs?(): number;
  /** Counters worth reporting. */
  stats?: unknown;
}

function property<Ts extends unknown[]>(
  name: string,
  weight: number,
  make: () => fc.IRawProperty<Ts, boolean>,
  testRuns?: number,
): FuzzProperty {
  const p: FuzzProperty = {
    name,
    weight,
    make,
  };
  if (testRuns !== undefined) {
    p.testRuns = testRuns;
    p.runsPerBatch = 10;
  }
  return p;
}

/** Weight of the big-input properties: about 500 of a million runs (each costs up to a second). */
const BIG_WEIGHT = 0.005;
const BIG_TEST_RUNS = 3;

/** Inputs of up to about 500 KB go through `fn` within {@link SLOW_BIG_MS}: no super-linear parse. */
function bigInputs<T>(
  name: string,
  label: string,
  input: fc.Arbitrary<T>,
  fn: (input: T) => void,
): FuzzProperty {
  return property(
    `${name}: inputs of up to 500 KB are read in linear time`,
    BIG_WEIGHT,
    () => fc.property(input, (value) => timed(`${label} (big)`, () => fn(value), SLOW_BIG_MS)),
    BIG_TEST_RUNS,
  );
}

function pure(name: string, properties: FuzzProperty[], defaultCount = 1_000_000): FuzzTarget {
  return {
    name,
    defaultCount,
    open: () => Promise.resolve({ properties, close: () => Promise.resolve() }),
  };
}

// ---------------------------------------------------------------------------------------
// Object.prototype pollution

const PROTOTYPES: ReadonlyArray<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
];
const pristine = PROTOTYPES.map(([, proto]) => Reflect.ownKeys(proto).length);

/** Fails when any built-in prototype gained (or lost) a property. */
export function assertNoPollution(): void {
  PROTOTYPES.forEach(([name, proto], i) => {
    assert.equal(Reflect.ownKeys(proto).length, pristine[i], `${name} was modified`);
  });
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype.polluted');
}

// ---------------------------------------------------------------------------------------
// Structured Field Values

type SfvType = 'list' | 'dictionary' | 'item';

const PARSERS: Record<SfvType, (s: string, o: ParseOptions) => unknown> = {
  list: parseList,
  dictionary: parseDictionary,
  item: parseItem,
};
const SERIALIZERS: Record<SfvType, (v: never, o: SerializeOptions) => string> = {
  list: serializeList,
  dictionary: serializeDictionary,
  item: serializeItem,
};

/** Parses, or returns the ParseError (anything else fails the property). */
function tryParse(
  type: SfvType,
  input: string,
  extended: boolean,
): { value: unknown } | ParseError {
  try {
    return { value: timed(`sfv-${type}`, () => PARSERS[type](input, { extended })) };
  } catch (e) {
    const err = expectOnly(e, ParseError, `parse ${type}`);
    assert.equal(err.code, 'SFV_PARSE');
    assert.ok(
      Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= input.length,
      `offset ${err.offset} of ${input.length}`,
    );
    return err;
  }
}

function model(type: SfvType, extended: boolean): fc.Arbitrary<unknown> {
  if (type === 'list') return sfList(extended);
  if (type === 'dictionary') return sfDictionary(extended);
  return sfItem(extended);
}

function sfvTarget(type: SfvType): FuzzTarget {
  const serialize = (v: unknown, extended: boolean) => SERIALIZERS[type](v as never, { extended });
  return pure(`sfv-${type}`, [
    property(
      `HDR-1 HDR-2 ${type}: any input throws only ParseError; what parses re-serializes and re-parses equal`,
      9,
      () =>
        fc.property(sfvInput(type), (input) => {
          const strict = tryParse(type, input, false);
          const extended = tryParse(type, input, true);
          // HDR-2 only adds syntax: what strict RFC 9651 reads, the extended parser reads alike.
          if (!(strict instanceof ParseError)) {
            assert.ok(!(extended instanceof ParseError), 'strict parses but extended fails');
            assert.deepStrictEqual(extended.value, strict.value);
          }
          for (const [parsed, ext] of [
            [strict, false],
            [extended, true],
          ] as const) {
            if (parsed instanceof ParseError) continue;
            const text = serialize(parsed.value, ext);
            const again = tryParse(type, text, ext);
            assert.ok(!(again instanceof ParseError), `re-parse of ${JSON.stringify(text)} failed`);
            assert.deepStrictEqual(again.value, parsed.value);
            assert.equal(serialize(again.value, ext), text);
          }
        }),
    ),
    property(`HDR-2 ${type}: generated values serialize and parse back equal`, 1, () =>
      fc.property(
        fc.oneof(
          model(type, false).map((m) => [false, m] as const),
          model(type, true).map((m) => [true, m] as const),
        ),
        ([extended, value]) => {
          const text = serialize(value, extended);
          const parsed = tryParse(type, text, extended);
          assert.ok(!(parsed instanceof ParseError), `${JSON.stringify(text)} did not parse`);
          assert.deepStrictEqual(parsed.value, value);
        },
      ),
    ),
    bigInputs(`${type}`, `sfv-${type}`, bigSfvInput, (input) => {
      for (const extended of [false, true]) {
        try {
          PARSERS[type](input, { extended });
        } catch (e) {
          expectOnly(e, ParseError, `parse ${type}`);
        }
      }
    }),
  ]);
}

// ---------------------------------------------------------------------------------------
// Accept-Events negotiation (HDR-1, HDR-4, REQ-1, REQ-3, REQ-4, HDR-7)

function checkRanges(ranges: MediaRange[] | undefined): void {
  if (ranges === undefined) return;
  assert.ok(ranges.length > 0, 'an empty range list is reported as undefined');
  for (const r of ranges) {
    assert.ok(r.q >= 0 && r.q <= 1, `q ${r.q}`);
    assert.equal(r.type, r.type.toLowerCase());
    assert.equal(r.subtype, r.subtype.toLowerCase());
    assert.ok(!(r.type === '*' && r.subtype !== '*'), '*/subtype is not a range');
    assert.ok(!r.params.has('q'));
  }
}

const supportedSets = fc.constantFrom(['prep'], ['PREP'], ['prep', 'other'], [], ['other']);

const acceptEvents = pure('accept-events', [
  property(
    'HDR-4 REQ-4 Accept-Events: any value is parsed or ignored, never throws; the protocol and the notification format chosen are among those offered',
    8,
    () =>
      fc.property(
        acceptEventsInput,
        supportedSets,
        notificationOffers,
        (value, supported, offers) => {
          const entries = timed('accept-events', () => parseAcceptEvents(value));
          // HDR-4: ignored exactly when the field is not a Structured Field List (HDR-2 syntax).
          const joined =
            typeof value === 'string' ? value : value.length === 0 ? undefined : value.join(', ');
          if (joined !== undefined) {
            let parses = true;
            try {
              parseList(joined, { extended: true });
            } catch {
              parses = false;
            }
            assert.equal(entries !== undefined, parses, 'ignored iff not a List');
          }
          if (entries === undefined) return;
          for (const e of entries) {
            assert.equal(e.protocol, e.protocol.toLowerCase());
            assert.ok(e.q >= 0 && e.q <= 1, `q ${e.q}`);
            assert.ok(!e.fields.has('q'), 'q is the weight, not an event field');
          }
          const known = new Set(supported.map((p) => p.toLowerCase()));
          const candidates = entries.filter((e) => e.q > 0 && known.has(e.protocol));
          const chosen = selectProtocol(entries, supported);
          if (candidates.length === 0) assert.equal(chosen, undefined);
          else {
            // REQ-4: the highest q, then the client's order.
            const best = Math.max(...candidates.map((e) => e.q));
            assert.equal(
              chosen,
              candidates.find((e) => e.q === best),
            );
          }
          for (const e of entries) {
            const ranges = timed('accept-events', () => readNotificationAccept(e.fields));
            checkRanges(ranges);
            const choice = timed('accept-events', () => negotiateNotifications(ranges, offers));
            if (choice === undefined) {
              if (ranges === undefined)
                assert.equal(offers.length, 0, 'no default although offers exist');
              continue;
            }
            assert.equal(choice.varyAccept, ranges !== undefined);
            const offer = offers.find((o) => o.type === choice.type);
            assert.ok(offer, `chose ${choice.type}, which is not offered`);
            if (choice.delta !== undefined)
              assert.ok(
                offers.some((o) => o.type === choice.type && o.deltas?.includes(choice.delta!)),
                `delta ${choice.delta} not offered with ${choice.type}`,
              );
          }
        },
      ),
  ),
  property('REQ-4 accept values: any Accept-style text gives sane media ranges', 2, () =>
    fc.property(
      fc.oneof(anyString, mediaTypeInput, fc.array(mediaTypeInput, { maxLength: 3 })),
      notificationOffers,
      (value, offers) => {
        const ranges = timed('accept-events', () => parseAcceptValue(value));
        for (const r of ranges) assert.ok(r.q >= 0 && r.q <= 1);
        checkRanges(ranges.length === 0 ? undefined : ranges);
        const choice = negotiateNotifications(ranges, offers);
        if (choice) assert.ok(offers.some((o) => o.type === choice.type));
      },
    ),
  ),
  bigInputs('HDR-4 Accept-Events', 'accept-events', bigAcceptEventsInput, (value) => {
    const entries = parseAcceptEvents(value) ?? [];
    const prep = selectProtocol(entries, ['prep']);
    if (prep)
      negotiateNotifications(readNotificationAccept(prep.fields), [{ type: 'message/rfc822' }]);
    parseAcceptValue(value);
  }),
]);

// ---------------------------------------------------------------------------------------
// Events (HDR-3, HDR-5, HDR-6, RSP-1)

const events = pure('events-field', [
  property(
    'HDR-3 HDR-6 Events: any value reads as a sane field or as not understood, never throws',
    8,
    () =>
      fc.property(eventsInput, responseDate, fc.boolean(), (value, date, requested) => {
        const parsed = timed('events-field', () => parseEventsField(value, date));
        if (parsed !== undefined) {
          assert.equal(parsed.protocol, parsed.protocol.toLowerCase());
          assert.ok(
            Number.isInteger(parsed.status) && parsed.status >= 100 && parsed.status <= 999,
            `status ${parsed.status}`,
          );
          if (parsed.expires !== undefined)
            assert.ok(
              parsed.expires >= 0 && Number.isFinite(parsed.expires),
              `expires ${parsed.expires}`,
            );
          if (parsed.expiresAt !== undefined)
            assert.ok(
              !Number.isNaN(parsed.expiresAt.getTime()),
              `expiresAt is an Invalid Date (expires ${parsed.expires})`,
            );
          for (const v of parsed.vary ?? []) assert.ok(v !== '' && v === v.toLowerCase());
        }
        const check = timed('events-field', () =>
          checkEventsResponse({
            requestedPrep: requested,
            eventsHeader: value,
            responseDate: typeof date === 'string' ? date : null,
          }),
        );
        if (check.ok) {
          assert.ok(requested);
          assert.equal(check.events.protocol, 'prep');
          assert.equal(check.events.status, 200);
        }
      }),
  ),
  property('RSP-1 Events: what we send reads back as sent', 1, () =>
    fc.property(validEventsModel, (model) => {
      const text = serializeEventsField(model);
      const parsed = parseEventsField(text);
      assert.ok(parsed, text);
      const expected: Record<string, unknown> = {
        protocol: model.protocol.toLowerCase(),
        status: model.status,
      };
      if (model.expires !== undefined) expected.expires = model.expires;
      if (model.vary !== undefined) expected.vary = model.vary;
      assert.deepStrictEqual({ ...parsed }, expected);
    }),
  ),
  bigInputs('HDR-3 Events', 'events-field', bigSfvInput, (value) => {
    parseEventsField(value, 'Thu, 07 Nov 2024 14:13:48 GMT');
    checkEventsResponse({ requestedPrep: true, eventsHeader: value });
  }),
]);

// ---------------------------------------------------------------------------------------
// Media types

const mediaType = pure('media-type', [
  property(
    'media types: any value throws only MediaTypeError; what parses formats and parses back equal',
    1,
    () =>
      fc.property(mediaTypeInput, (value) => {
        let parsed;
        try {
          parsed = timed('media-type', () => parseMediaType(value));
        } catch (e) {
          const err = expectOnly(e, MediaTypeError, 'parseMediaType');
          assert.ok(err.offset >= 0 && err.offset <= value.length, `offset ${err.offset}`);
          return;
        }
        assert.equal(parsed.essence, `${parsed.type}/${parsed.subtype}`);
        assert.equal(parsed.essence, parsed.essence.toLowerCase());
        const text = formatMediaType(parsed);
        assert.deepStrictEqual(parseMediaType(text), parsed);
      }),
  ),
  bigInputs('media types', 'media-type', bigMediaTypeInput, (value) => {
    try {
      parseMediaType(value);
    } catch (e) {
      expectOnly(e, MediaTypeError, 'parseMediaType');
    }
  }),
]);

// ---------------------------------------------------------------------------------------
// Notifications (N822-4..8)

function normalizedNotification(n: Notification): Notification {
  const out: Notification = { method: n.method, date: n.date, eventId: n.eventId };
  if (n.etag !== undefined) out.etag = n.etag;
  if (n.contentLocation !== undefined) out.contentLocation = n.contentLocation;
  if (n.delta !== undefined)
    out.delta = { contentType: n.delta.contentType, body: Uint8Array.from(n.delta.body) };
  if (n.extraHeaders !== undefined && n.extraHeaders.length > 0)
    out.extraHeaders = n.extraHeaders.map(([a, b]) => [a, b]);
  return out;
}

const notification = pure('notification', [
  property('N822-4 notifications: any bytes parse or throw PrepError NOTIFICATION_INVALID', 8, () =>
    fc.property(notificationInput(), (bytes) => {
      const copy = bytes.slice();
      try {
        const n = timed('notification', () => parseNotification(bytes));
        assert.ok(n.method.length > 0 && n.eventId.length > 0);
        assert.ok(!Number.isNaN(n.date.getTime()));
      } catch (e) {
        assert.equal(expectOnly(e, PrepError, 'parseNotification').code, 'NOTIFICATION_INVALID');
      }
      assert.deepStrictEqual(bytes, copy, 'the input was modified');
    }),
  ),
  property('N822-4..8 notifications: what we serialize parses back equal', 2, () =>
    fc.property(notificationModel, (model) => {
      const parsed = parseNotification(serializeNotification(model));
      assert.deepStrictEqual(normalizedNotification(parsed), normalizedNotification(model));
    }),
  ),
  bigInputs('N822-4 notifications', 'notification', bigNotificationInput, (bytes) => {
    try {
      parseNotification(bytes);
    } catch (e) {
      expectOnly(e, PrepError, 'parseNotification');
    }
  }),
]);

// ---------------------------------------------------------------------------------------
// Multipart

/** Reads a multipart body the way `readings` says; returns the parts it read whole. */
async function consume(
  parts: MultipartPartIterator,
  boundary: string,
  readings: readonly PartReading[],
  depth = 0,
): Promise<Array<{ headers: Array<[string, string]>; body?: Uint8Array }>> {
  const out: Array<{ headers: Array<[string, string]>; body?: Uint8Array }> = [];
  let i = 0;
  for await (const part of parts) {
    const reading = readings[i++ % readings.length]!;
    const headers = reading === 'skip' ? [] : [...part.headers.entries()];
    switch (reading) {
      case 'bytes':
        out.push({ headers, body: await part.bytes() });
        break;
      case 'text':
        await part.text();
        out.push({ headers });
        break;
      case 'stream': {
        const reader = part.body.getReader();
        const chunks: Uint8Array[] = [];
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          chunks.push(r.value);
        }
        out.push({ headers, body: Uint8Array.from(chunks.flatMap((c) => [...c])) });
        break;
      }
      case 'nested':
        // A nested multipart read while the outer one still streams (RSP-4, RSP-6).
        if (depth < 2)
          await consume(parseMultipart(part.body, boundary), boundary, readings, depth + 1);
        out.push({ headers });
        break;
      case 'stop':
        await parts.return();
        return out;
      default:
        out.push({ headers });
    }
  }
  return out;
}

/** Decodes and consumes; only MultipartError may come out, and it must come out in time. */
async function decodeOrMultipartError(
  bytes: Uint8Array,
  boundary: string,
  cuts: readonly number[],
  readings: readonly PartReading[],
  limitMs = SLOW_CALL_MS,
): Promise<void> {
  try {
    const parts = parseMultipart(streamOf(split(bytes, cuts)), boundary);
    await settles(
      limitMs === SLOW_CALL_MS ? 'multipart' : 'multipart (big)',
      consume(parts, boundary, readings),
      limitMs,
    );
  } catch (e) {
    expectOnly(e, MultipartError, 'parseMultipart');
  }
}

/** PREP bodies (RSP-4): part 1, then a digest of notifications, as the server writes them. */
const prepBody = fc
  .record({
    mixed: fc.stringMatching(/^[0-9A-Za-z]{4,12}$/),
    digest: fc.stringMatching(/^[0-9A-Za-z]{4,12}$/),
    body: fc.uint8Array({ maxLength: 40 }),
    notifications: fc.array(notificationModel, { maxLength: 3 }),
  })
  .filter((c) => !c.mixed.startsWith(c.digest) && !c.digest.startsWith(c.mixed))
  .map((c) => {
    const boundaries = { mixed: c.mixed, digest: c.digest };
    const chunks: Uint8Array[] = [];
    try {
      chunks.push(
        encodePrepHead(boundaries, [['Content-Type', 'application/octet-stream']], c.body),
      );
    } catch {
      chunks.push(encodePrepHead(boundaries, [['Content-Type', 'text/plain']], 'x'));
    }
    const sent: Notification[] = [];
    for (const n of c.notifications) {
      try {
        chunks.push(encodeDigestPart(boundaries, [], serializeNotification(n)));
        sent.push(n);
      } catch (e) {
        // A delta body that holds a delimiter cannot be framed: the encoder refuses it.
        expectOnly(e, MultipartError, 'encodeDigestPart');
      }
    }
    chunks.push(encodePrepClose(boundaries));
    return { ...boundaries, text: Buffer.concat(chunks).toString('latin1'), sent };
  });

/** Reads a PREP body: part 1, then the digest's notifications (as a client does). */
async function readPrep(
  bytes: Uint8Array,
  mixed: string,
  digest: string,
  cuts: readonly number[],
): Promise<Notification[]> {
  const parts = parseMultipart(streamOf(split(bytes, cuts)), mixed);
  const seen: Notification[] = [];
  const first = await parts.next();
  if (first.done) return seen;
  await first.value.bytes();
  const second = await parts.next();
  if (second.done) return seen;
  for await (const part of parseMultipart(second.value.body, digest)) {
    try {
      seen.push(parseNotification(await part.bytes()));
    } catch (e) {
      if (e instanceof MultipartError) throw e;
      expectOnly(e, PrepError, 'parseNotification');
    }
  }
  await parts.next();
  return seen;
}

const multipart = pure('multipart', [
  property(
    'RSP-4 RSP-6 multipart: any body, cut anyhow, read anyhow, rejects only with MultipartError and never hangs',
    6,
    () =>
      fc.asyncProperty(
        multipartInput,
        chunkCuts,
        partReadings,
        async ({ boundary, bytes }, cuts, readings) => {
          await decodeOrMultipartError(bytes, boundary, cuts, readings);
        },
      ),
  ),
  property(
    'RSP-4 multipart: a well-formed body decodes to the parts it was made of, however it is cut',
    2,
    () =>
      fc.asyncProperty(validMultipart, chunkCuts, fc.boolean(), async (c, cuts, stream) => {
        const parts = parseMultipart(streamOf(split(latin1(c.text), cuts)), c.boundary);
        const read = await settles(
          'multipart',
          consume(parts, c.boundary, [stream ? 'stream' : 'bytes']),
        );
        assert.equal(read.length, c.parts.length);
        read.forEach((part, i) => {
          const spec = c.parts[i]!;
          assert.deepStrictEqual(part.headers, [...new Headers(spec.headers).entries()]);
          assert.deepStrictEqual(part.body, latin1(spec.body));
        });
      }),
  ),
  property(
    'RSP-4 N822-4 PREP bodies: mutated ones reject only with MultipartError; intact ones give every notification',
    2,
    () =>
      fc.asyncProperty(
        prepBody,
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.option(
          fc.array(
            fc.record({
              kind: fc.constantFrom('insert', 'delete', 'replace', 'truncate'),
              at: fc.nat(),
              len: fc.nat({ max: 4 }),
              text: fc.constantFrom('-', '\r\n', '--', 'x', ':'),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          { nil: undefined },
        ),
        async (c, cuts, edits) => {
          const text = edits === undefined ? c.text : applyEdits(c.text, edits);
          let seen: Notification[];
          try {
            seen = await settles('multipart', readPrep(latin1(text), c.mixed, c.digest, cuts));
          } catch (e) {
            expectOnly(e, MultipartError, 'PREP body');
            assert.notEqual(
              edits,
              undefined,
              `an intact PREP body failed: ${(e as Error).message}`,
            );
            return;
          }
          if (edits === undefined)
            assert.deepStrictEqual(
              seen.map(normalizedNotification),
              c.sent.map(normalizedNotification),
            );
        },
      ),
  ),
  property(
    'RSP-6 multipart: bodies of up to 500 KB are read in linear time',
    BIG_WEIGHT,
    () =>
      fc.asyncProperty(
        bigMultipartInput,
        chunkCuts,
        partReadings,
        async (bytes, cuts, readings) => {
          await decodeOrMultipartError(
            bytes,
            'b',
            cuts.map((c) => c * 997),
            readings,
            SLOW_BIG_MS,
          );
        },
      ),
    BIG_TEST_RUNS,
  ),
]);

// ---------------------------------------------------------------------------------------
// PATCH appliers (RFC 6902, RFC 7396, unified diff)

const snapshot = (v: unknown): string => JSON.stringify(v);

function expectPatchError(e: unknown, what: string, statuses: readonly number[]): PrepError {
  const err = expectOnly(e, PrepError, what);
  assert.ok(
    err.status !== undefined && statuses.includes(err.status),
    `${what}: ${err.code} with status ${err.status}`,
  );
  return err;
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string };

function patchOutcome(fn: () => unknown, what: string): Outcome {
  try {
    const value = timed(what, fn);
    assert.doesNotThrow(() => JSON.stringify(value), 'the result is not serializable');
    return { ok: true, value };
  } catch (e) {
    return { ok: false, code: expectPatchError(e, what, [400, 409, 422]).code };
  }
}

const jsonPatch = pure('json-patch', [
  property(
    'RFC 6902 JSON Patch: any patch on any document gives JSON or PrepError 400/409/422, changes neither input, pollutes nothing',
    8,
    () =>
      fc.property(jsonPatchCase, ({ doc, patch }) => {
        const before = [snapshot(doc), snapshot(patch)];
        const outcome = patchOutcome(() => applyJsonPatch(doc, patch), 'json-patch');
        assert.deepStrictEqual([snapshot(doc), snapshot(patch)], before, 'an input was modified');
        assertNoPollution();
        // In place (what applyDelta does on freshly parsed values) must agree.
        const inPlace = patchOutcome(
          () =>
            applyJsonPatch(JSON.parse(before[0]!) as unknown, JSON.parse(before[1]!) as unknown, {
              mutate: true,
            }),
          'json-patch',
        );
        assertNoPollution();
        assert.deepStrictEqual(inPlace, outcome);
      }),
  ),
  property(
    'RFC 6902 JSON Patch: __proto__ and constructor/prototype paths never reach a prototype',
    1,
    () =>
      fc.property(
        fc.constantFrom(...POLLUTION_PATCHES),
        fc.constantFrom(...POLLUTION_DOCS),
        fc.boolean(),
        (patch, doc, mutate) => {
          patchOutcome(
            () =>
              applyJsonPatch(JSON.parse(doc) as unknown, JSON.parse(patch) as unknown, { mutate }),
            'json-patch',
          );
          assertNoPollution();
        },
      ),
  ),
  property(
    'RFC 6902 JSON Patch: a generated patch turns the first document into the second',
    1,
    () =>
      fc.property(json, json, (a, b) => {
        const patch = createJsonPatch(a, b);
        if (patch !== undefined) assert.deepStrictEqual(applyJsonPatch(a, patch), b);
      }),
  ),
]);

const mergePatch = pure('merge-patch', [
  property(
    'RFC 7396 merge patch: any patch on any document gives JSON, idempotently, changes neither input, pollutes nothing',
    8,
    () =>
      fc.property(
        json,
        fc.oneof(
          json,
          jsonPatchCase.map((c) => c.patch),
        ),
        (doc, patch) => {
          const before = [snapshot(doc), snapshot(patch)];
          const once = patchOutcome(() => applyMergePatch(doc, patch), 'merge-patch');
          assert.deepStrictEqual([snapshot(doc), snapshot(patch)], before, 'an input was modified');
          assertNoPollution();
          if (!once.ok) return;
          // RFC 7396: applying the same patch twice changes nothing more.
          assert.deepStrictEqual(applyMergePatch(once.value, patch), once.value);
          if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
            assert.deepStrictEqual(once.value, patch);
          else
            for (const [k, v] of Object.entries(patch))
              if (v === null)
                assert.ok(!Object.hasOwn(once.value as object, k), `member ${k} not removed`);
        },
      ),
  ),
  property('RFC 7396 merge patch: __proto__ and constructor members stay data', 1, () =>
    fc.property(
      fc.constantFrom(...POLLUTION_MERGE_PATCHES),
      fc.constantFrom(...POLLUTION_DOCS),
      (patch, doc) => {
        patchOutcome(
          () => applyMergePatch(JSON.parse(doc) as unknown, JSON.parse(patch) as unknown),
          'merge-patch',
        );
        assertNoPollution();
      },
    ),
  ),
  property(
    'RFC 7396 merge patch: a generated patch turns the first document into the second',
    1,
    () =>
      fc.property(json, json, (a, b) => {
        const patch = createMergePatch(a, b);
        if (patch !== undefined) assert.deepStrictEqual(applyMergePatch(a, patch), b);
      }),
  ),
]);

const delta = pure('apply-delta', [
  property(
    'N822-8 applyDelta: any type, representation and delta give bytes or a PrepError with a 4xx status',
    1,
    () =>
      fc.property(deltaCase, ({ type, before, delta: patch }) => {
        const copies = [before.slice(), patch.slice()];
        try {
          const out = timed('apply-delta', () => applyDelta(type, before, patch));
          assert.ok(out instanceof Uint8Array);
          if (/json/i.test(type)) JSON.parse(new TextDecoder().decode(out));
        } catch (e) {
          expectPatchError(e, 'applyDelta', [400, 409, 415, 422]);
        }
        assert.deepStrictEqual([before, patch], copies, 'an input was modified');
        assertNoPollution();
      }),
  ),
  property(
    'N822-8 applyDelta: documents and patches nested 20 000 deep give a result or 4xx, never a RangeError',
    BIG_WEIGHT,
    () =>
      fc.property(deepDeltaCase, ({ type, before, delta: patch }) => {
        try {
          timed('apply-delta (deep)', () => applyDelta(type, before, patch), SLOW_BIG_MS);
        } catch (e) {
          expectPatchError(e, 'applyDelta', [400, 409, 415, 422]);
        }
      }),
    BIG_TEST_RUNS,
  ),
]);

/** Every pure target, in the order the long run takes them. */
export const PURE_TARGETS: readonly FuzzTarget[] = [
  sfvTarget('list'),
  sfvTarget('dictionary'),
  sfvTarget('item'),
  acceptEvents,
  events,
  mediaType,
  notification,
  multipart,
  jsonPatch,
  mergePatch,
  delta,
];
