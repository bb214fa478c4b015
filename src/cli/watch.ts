/**
 * `prep watch URL`: prints a resource, then each of its PREP notifications as it arrives.
 * Only maps flags to `subscribe()` / `live()` options and renders what they yield: text for
 * people (coloured on a terminal), JSON lines for scripts, or the whole document after each
 * change (`--live`).
 */
import { STATUS_CODES } from 'node:http';
import { DELTA_TYPES } from '@prep-live/client/core';
import { parseMediaType } from '@prep-live/client/core';
import {
  PrepSubscribeError,
  live,
  subscribe,
  type LiveChange,
  type LiveDeltaType,
  type LiveOptions,
  type LiveReconnectEvent,
  type NotificationItem,
  type PartItem,
  type ReconnectItem,
  type RepresentationItem,
  type SubscribeOptions,
} from '@prep-live/client';
import { oneOf, parseCommandLine, usageError } from './args.js';
import { parseHeaderOptions } from './header-option.js';
import { cannotReach, networkReason } from './network-error.js';

/**
 * The exit statuses of `prep watch` (also in its `--help`).
 *
 * @example
 * ```ts
 * import { WATCH_EXIT, watch } from './watch.js';
 *
 * if ((await watch(['http://localhost:8080/doc'])) === WATCH_EXIT.httpClient) console.log('4xx');
 * ```
 */
export const WATCH_EXIT = {
  /** The resource was deleted (RSP-7), or the stream ended with `--no-reconnect`. */
  ok: 0,
  /** Cannot connect, or the connection dropped with `--no-reconnect`. */
  network: 1,
  /** A usage error: unknown flag, bad URL, bad header. */
  usage: 2,
  /** Not a usable PREP response: no `Events` (HDR-5), a malformed stream, `--live` on non-JSON. */
  protocol: 3,
  /** The server answered 4xx (404 Not Found, ...). */
  httpClient: 4,
  /** The server answered 5xx. */
  httpServer: 5,
  /** The server refused notifications: an `Events` status other than 200 (ERR-2, ERR-3). */
  refused: 6,
  /** Interrupted (SIGINT, Ctrl-C), after closing the stream. */
  interrupted: 130,
  /** Terminated (SIGTERM), after closing the stream. */
  terminated: 143,
} as const;

const COMMAND = 'prep watch';

/** The delta types `--live` applies. */
const LIVE_DELTA_TYPES: readonly LiveDeltaType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
];

const HELP = `Usage: prep watch URL [options]

Prints the resource at URL, then each change as it happens (PREP notifications),
until the resource is deleted or you press Ctrl-C. When the stream expires or the
connection drops, reconnects on its own and resumes with Last-Event-ID.

Output (stdout; progress and errors go to stderr):
  (default)           the representation, then one block per notification: time,
                      method, event id, ETag, delta; coloured on a terminal (not
                      when piped or when NO_COLOR is set)
  --json              one JSON object per line for scripts, each with a "kind":
                      representation, notification, part, reconnect, end
  --live              the whole JSON document after each change (deltas applied,
                      re-fetched when needed); with --json, one "change" per line

Options:
  --delta TYPE        ask for deltas: application/json-patch+json,
                      application/merge-patch+json or text/plain (--live: the
                      first two; default application/json-patch+json); auto: the
                      first of those the resource advertises in Accept-Events (a
                      HEAD before the first request), else none
  --accept TYPE       a notification media type to ask for (repeatable; default
                      message/rfc822; not with --live)
  --header 'N: v'     an extra request header, e.g. 'Authorization: Bearer x'
                      (repeatable)
  --last-event-id ID  resume after this event (not with --live)
  --no-reconnect      stop when the stream ends or drops instead of reconnecting
  -h, --help          show this help

Exit status:
  0    the resource was deleted, or the stream ended with --no-reconnect
  1    network: cannot connect, or the connection dropped (--no-reconnect)
  2    usage error
  3    not a usable PREP response (no Events field, malformed stream;
       --live: not JSON)
  4    the server answered 4xx (e.g. 404 Not Found)
  5    the server answered 5xx
  6    the server refused notifications: Events status other than 200
       (406 no acceptable format, 429/503 over a limit, ...)
  130  interrupted (Ctrl-C), 143 terminated (SIGTERM): the stream is closed first
The first connection has to work: if it fails, prep watch exits at once with
one line on stderr. Later failures reconnect with backoff (unless --no-reconnect).
`;

/** What the flags ask for. */
interface WatchOptions {
  url: string;
  json: boolean;
  live: boolean;
  delta?: string;
  accept: string[];
  headers: Headers;
  lastEventId?: string;
  reconnect: boolean;
}

/**
 * `prep watch URL [options]`: subscribes to the resource and renders what arrives until it is
 * deleted, the stream ends (`--no-reconnect`), something fails, or SIGINT/SIGTERM. Resolves
 * with the exit status (see {@link WATCH_EXIT}); every failure writes one line to stderr.
 *
 * @example
 * ```ts
 * import { watch } from './watch.js';
 *
 * process.exitCode = await watch(['http://localhost:8080/notes/hello', '--json']);
 * ```
 */
export async function watch(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if (typeof parsed === 'number') return parsed;
  const options = parsed;
  const out = new Output(options.json);

  // SIGINT/SIGTERM close the stream (RSP-8); a second one does not wait any longer.
  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled !== undefined) process.exit(exitOfSignal(signalled));
    signalled = signal;
    controller.abort();
  };
  // A reader that went away (`prep watch URL | head -3`) is a normal way to stop.
  let gone = false;
  const onOutputError = (e: NodeJS.ErrnoException): void => {
    if (e.code !== 'EPIPE') throw e;
    gone = true;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', onOutputError);
  let outcome: Outcome;
  try {
    outcome = options.live
      ? await watchLive(options, out, controller.signal)
      : await watchStream(options, out, controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onOutputError);
  }
  if (signalled !== undefined) return exitOfSignal(signalled);
  if (gone) return WATCH_EXIT.ok;
  if (outcome.kind === 'failed') {
    const { code, message } = describeFailure(outcome.error, options.url, outcome.connected);
    out.error(message);
    return code;
  }
  return WATCH_EXIT.ok;
}

type Outcome = { kind: 'ended' } | { kind: 'failed'; error: unknown; connected: boolean };

/** Plain and `--json` output: every item of the subscription. */
async function watchStream(
  options: WatchOptions,
  out: Output,
  signal: AbortSignal,
): Promise<Outcome> {
  const subscribeOptions: SubscribeOptions = { headers: options.headers, signal };
  if (options.accept.length > 0) subscribeOptions.accept = options.accept;
  if (options.delta !== undefined) subscribeOptions.delta = options.delta;
  if (options.lastEventId !== undefined) subscribeOptions.lastEventId = options.lastEventId;
  if (!options.reconnect) subscribeOptions.reconnect = false;
  const subscription = subscribe(options.url, subscribeOptions);
  let connected = false;
  try {
    for await (const item of subscription) {
      switch (item.kind) {
        case 'representation':
          connected = true;
          // With --delta auto, which delta the resource's advertisement gave (or none).
          out.representation(
            options.url,
            item,
            options.delta === 'auto' ? (subscription.delta ?? null) : undefined,
          );
          break;
        case 'notification':
          out.notification(item);
          break;
        case 'part':
          out.part(item);
          break;
        case 'reconnect':
          // The first connection has to work: a typo'd URL or a server that is not there
          // should say so at once, not retry forever.
          if (!connected) return { kind: 'failed', error: item.error, connected };
          out.reconnect(item);
          break;
        case 'end':
          out.end(item.reason, subscription.lastEventId);
          return { kind: 'ended' };
      }
    }
    return { kind: 'ended' };
  } catch (error) {
    // Deleted while we were reconnecting: its DELETE notification went to nobody.
    const status = goneStatus(error);
    if (connected && status !== undefined) {
      out.gone(status, subscription.lastEventId);
      return { kind: 'ended' };
    }
    return { kind: 'failed', error, connected };
  } finally {
    subscription.close();
  }
}

/** `--live`: the whole document after each change, kept by `live()`. */
async function watchLive(
  options: WatchOptions,
  out: Output,
  signal: AbortSignal,
): Promise<Outcome> {
  const liveOptions: LiveOptions = { headers: options.headers, signal };
  if (options.delta !== undefined) liveOptions.delta = options.delta as LiveDeltaType;
  if (!options.reconnect) liveOptions.reconnect = false;
  const doc = live(options.url, liveOptions);
  let connected = false;
  let early: { error: unknown } | undefined;
  doc.onChange((change) => {
    connected = true;
    out.change(change);
  });
  doc.addEventListener('reconnect', (e) => {
    const info = (e as LiveReconnectEvent).info;
    if (!connected) {
      // As in the plain mode: the first connection has to work.
      early = { error: info.error };
      doc.close();
      return;
    }
    out.reconnect(info);
  });
  const reason = await doc.ended;
  if (early !== undefined) return { kind: 'failed', error: early.error, connected: false };
  if (reason === 'error') {
    const status = goneStatus(doc.error);
    if (connected && status !== undefined) {
      out.gone(status, doc.eventId);
      return { kind: 'ended' };
    }
    return { kind: 'failed', error: doc.error, connected };
  }
  out.end(reason, doc.eventId);
  return { kind: 'ended' };
}

/** The flags, checked; or the exit status of `--help` or a usage error. */
function parseOptions(argv: string[]): WatchOptions | number {
  const parsed = parseCommandLine(
    {
      name: COMMAND,
      positionals: true,
      help: HELP,
      options: {
        json: { type: 'boolean' },
        live: { type: 'boolean' },
        delta: { type: 'string' },
        accept: { type: 'string', multiple: true },
        header: { type: 'string', multiple: true },
        'last-event-id': { type: 'string' },
        'no-reconnect': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    argv,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const [url, ...extra] = parsed.positionals;
  if (url === undefined) return usage('expected the URL of a resource');
  if (extra.length > 0) return usage(`expected one URL, got ${parsed.positionals.length}`);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return usage(`${JSON.stringify(url)} is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    return usage(`${JSON.stringify(url)} is not an http(s) URL`);

  const headers = parseHeaderOptions(v.header);
  if (typeof headers === 'string') return usage(headers);
  for (const type of v.accept ?? []) {
    try {
      parseMediaType(type);
    } catch {
      return usage(
        `--accept expects a media type such as message/rfc822, got ${JSON.stringify(type)}`,
      );
    }
  }
  if (v.delta !== undefined) {
    // --live applies the delta itself: only the JSON formats make a document.
    // `auto`: the first type the resource advertises that can be applied (or none).
    const known = v.live ? [...LIVE_DELTA_TYPES, 'auto'] : [...DELTA_TYPES, 'text/x-diff', 'auto'];
    const delta = oneOf(COMMAND, v.live ? '--live --delta' : '--delta', v.delta, known);
    if (typeof delta === 'number') return delta;
  }
  if (v.live) {
    if (v.accept !== undefined) return usage('--accept does not go with --live');
    if (v['last-event-id'] !== undefined)
      return usage('--last-event-id does not go with --live (it keeps the whole document)');
  }
  const options: WatchOptions = {
    url: target.href,
    json: v.json === true,
    live: v.live === true,
    accept: v.accept ?? [],
    headers,
    reconnect: v['no-reconnect'] !== true,
  };
  if (v.delta !== undefined) options.delta = v.delta;
  if (v['last-event-id'] !== undefined) options.lastEventId = v['last-event-id'];
  return options;
}

/** 404 or 410: the resource is not there (any more). */
function goneStatus(error: unknown): number | undefined {
  if (!(error instanceof PrepSubscribeError) || error.code !== 'HTTP_STATUS') return undefined;
  return error.status === 404 || error.status === 410 ? error.status : undefined;
}

function usage(message: string): number {
  return usageError(COMMAND, message);
}

function exitOfSignal(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? WATCH_EXIT.terminated : WATCH_EXIT.interrupted;
}

// ---------------------------------------------------------------------------------------
// Failures: an exit status and one line.

/** What the notifications `status` values mean (ERR-2, ERR-3). */
const EVENTS_STATUS_MEANING: Record<number, string> = {
  403: 'this client may read the resource but not subscribe to it',
  406: 'no acceptable notification format',
  412: 'the resource cannot be watched in its current state',
  429: 'too many streams from this client',
  500: 'a server fault',
  503: 'the server is over its subscription limits',
};

/**
 * The exit status and the one-line message for why a watch failed.
 *
 * @example
 * ```ts
 * describeFailure(err, 'http://localhost:8080/x', false); // { code: 4, message: 'http://localhost:8080/x: 404 Not Found' }
 * ```
 */
export function describeFailure(
  error: unknown,
  url: string,
  connected: boolean,
): { code: number; message: string } {
  const line = (code: number, message: string) => ({
    code,
    message: message.replace(/\s+/g, ' ').trim(),
  });
  if (error instanceof PrepSubscribeError) {
    const status = error.status;
    const retry =
      error.retryAfterMs === undefined
        ? ''
        : `; retry after ${Math.ceil(error.retryAfterMs / 1000)} s`;
    switch (error.code) {
      case 'HTTP_STATUS': {
        const s = status ?? 0;
        const code =
          s >= 500 ? WATCH_EXIT.httpServer : s >= 400 ? WATCH_EXIT.httpClient : WATCH_EXIT.protocol;
        return line(code, `${url}: ${s} ${STATUS_CODES[s] ?? ''}${retry}`);
      }
      case 'EVENTS_STATUS': {
        const meaning = status === undefined ? undefined : EVENTS_STATUS_MEANING[status];
        return line(
          WATCH_EXIT.refused,
          `${url}: the server refused notifications: Events status ${status ?? '?'}${meaning ? ` (${meaning})` : ''}${retry}`,
        );
      }
      case 'NETWORK':
        return networkFailure(error, url, connected);
      case 'EVENTS_ABSENT':
        return line(
          WATCH_EXIT.protocol,
          `${url}: the server does not serve PREP notifications here (its ${status ?? ''} response has no Events field)`,
        );
      default:
        return line(WATCH_EXIT.protocol, `${url}: ${error.message}`);
    }
  }
  if (error instanceof TypeError || error === undefined)
    return networkFailure(error, url, connected);
  return line(
    WATCH_EXIT.network,
    `${url}: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
  );
}

function networkFailure(
  error: unknown,
  url: string,
  connected: boolean,
): { code: number; message: string } {
  const detail = networkReason(error);
  const message = connected
    ? `${url}: the connection was lost${detail ? `: ${detail}` : ''}`
    : cannotReach(url, error);
  return { code: WATCH_EXIT.network, message: message.replace(/\s+/g, ' ').trim() };
}

// ---------------------------------------------------------------------------------------
// Rendering

/** ANSI styles, or none. */
interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  magenta(s: string): string;
  cyan(s: string): string;
}

function createStyle(on: boolean): Style {
  const sgr =
    (open: number, close: number) =>
    (s: string): string =>
      on && s !== '' ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
  };
}

/**
 * Colour when the stream is a terminal, unless `NO_COLOR` is set (https://no-color.org);
 * `FORCE_COLOR` (not `0`) turns it on anyway.
 */
function colourFor(stream: NodeJS.WriteStream): boolean {
  const env = process.env;
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const METHOD_COLOUR: Record<string, keyof Style> = {
  PUT: 'blue',
  PATCH: 'yellow',
  POST: 'green',
  DELETE: 'red',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How a body is shown: a JSON value, text, or base64 when it is neither. */
type Body =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'binary'; base64: string; size: number };

function readBody(type: string | null | undefined, bytes: Uint8Array): Body {
  let essence: string;
  try {
    essence = type ? parseMediaType(type).essence : '';
  } catch {
    essence = '';
  }
  let text: string | undefined;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text !== undefined && (essence === 'application/json' || essence.endsWith('+json'))) {
    try {
      return { kind: 'json', value: JSON.parse(text) as unknown };
    } catch {
      // shown as text
    }
  }
  if (text !== undefined) return { kind: 'text', text };
  return { kind: 'binary', base64: Buffer.from(bytes).toString('base64'), size: bytes.length };
}

/** A body as a JSON-lines member: the value, the text, or base64 with `bodyEncoding`. */
function jsonBody(body: Body): { body: unknown; bodyEncoding?: 'base64' } {
  if (body.kind === 'json') return { body: body.value };
  if (body.kind === 'text') return { body: body.text };
  return { body: body.base64, bodyEncoding: 'base64' };
}

/** Renders what a watch sees, as text (coloured on a terminal) or as JSON lines. */
class Output {
  readonly #json: boolean;
  readonly #style: Style;
  readonly #errStyle: Style;

  constructor(json: boolean) {
    this.#json = json;
    this.#style = createStyle(!json && colourFor(process.stdout));
    this.#errStyle = createStyle(colourFor(process.stderr));
  }

  /** `delta`: with `--delta auto`, the delta type picked (`null`: none advertised). */
  representation(url: string, item: RepresentationItem, delta?: string | null): void {
    const type = item.headers.get('content-type') ?? undefined;
    const etag = item.headers.get('etag') ?? undefined;
    if (this.#json) {
      const line: Record<string, unknown> = {
        kind: 'representation',
        url,
        status: item.status,
        contentType: type,
        etag,
        lastModified: item.headers.get('last-modified') ?? undefined,
        omitted: item.omitted,
        delta,
      };
      if (!item.omitted) Object.assign(line, jsonBody(readBody(type, item.body)));
      this.#line(line);
      return;
    }
    const s = this.#style;
    const head = [s.bold(url), s.green(String(item.status))];
    if (type) head.push(type);
    if (etag) head.push(`${s.dim('ETag')} ${etag}`);
    if (delta !== undefined)
      head.push(delta === null ? s.dim('no deltas advertised') : `${s.dim('deltas')} ${delta}`);
    let text = `${head.join('  ')}\n`;
    text += item.omitted
      ? `${s.dim('(body omitted: nothing changed since the Last-Event-ID sent)')}\n`
      : this.#body(readBody(type, item.body), '');
    process.stdout.write(`${text}\n`);
  }

  notification(n: NotificationItem): void {
    if (this.#json) {
      const line: Record<string, unknown> = {
        kind: 'notification',
        method: n.method,
        date: n.date.toISOString(),
        eventId: n.eventId,
        etag: n.etag,
        contentLocation: n.contentLocation,
      };
      if (n.delta !== undefined)
        line.delta = { type: n.delta.type, ...jsonBody(readBody(n.delta.type, n.delta.body)) };
      this.#line(line);
      return;
    }
    const s = this.#style;
    const method = n.method.toUpperCase();
    const colour = METHOD_COLOUR[method];
    const head = [
      s.dim(isoSeconds(n.date)),
      s.bold(colour === undefined ? method.padEnd(6) : s[colour](method.padEnd(6))),
    ];
    if (n.contentLocation !== undefined) head.push(s.cyan(n.contentLocation));
    // node-solid-server sends no Event-ID: nothing to show, nothing to resume from.
    if (n.eventId !== undefined) head.push(`${s.dim('event')} ${n.eventId}`);
    if (n.etag !== undefined) head.push(`${s.dim('ETag')} ${n.etag}`);
    let text = `${head.join('  ')}\n`;
    if (n.delta !== undefined) {
      text += `  ${s.dim(`delta ${n.delta.type}`)}\n`;
      text += this.#body(readBody(n.delta.type, n.delta.body), '  ');
    }
    process.stdout.write(text);
  }

  part(p: PartItem): void {
    const body = readBody(p.type, p.raw);
    if (this.#json) {
      this.#line({
        kind: 'part',
        type: p.type,
        headers: Object.fromEntries(p.headers),
        ...jsonBody(body),
        error: p.error?.message,
      });
      return;
    }
    const s = this.#style;
    const note = p.error === undefined ? '' : `  ${s.red(p.error.message)}`;
    process.stdout.write(
      `${s.dim(isoSeconds(new Date()))}  ${s.bold('part')}  ${p.type}${note}\n${this.#body(body, '  ')}`,
    );
  }

  change(change: LiveChange<unknown>): void {
    if (this.#json) {
      this.#line({
        kind: 'change',
        cause: change.cause,
        eventId: change.eventId,
        etag: change.etag,
        deleted: change.deleted,
        value: change.value,
      });
      return;
    }
    const s = this.#style;
    const head = [
      s.dim(isoSeconds(new Date())),
      s.bold(change.deleted ? s.red('deleted') : change.cause),
    ];
    if (change.eventId !== undefined) head.push(`${s.dim('event')} ${change.eventId}`);
    if (change.etag !== undefined) head.push(`${s.dim('ETag')} ${change.etag}`);
    let text = `${head.join('  ')}\n`;
    if (!change.deleted) text += this.#body({ kind: 'json', value: change.value }, '');
    process.stdout.write(text);
  }

  reconnect(r: ReconnectItem): void {
    if (this.#json) {
      this.#line({
        kind: 'reconnect',
        attempt: r.attempt,
        delay: r.delay,
        reason: r.reason,
        lastEventId: r.lastEventId,
        error: r.error === undefined ? undefined : networkReason(r.error),
      });
      return;
    }
    const why =
      r.reason === 'expired'
        ? 'the stream ended'
        : r.reason === 'dropped'
          ? `the connection was lost (${networkReason(r.error) || 'network error'})`
          : `the server is unavailable (${networkReason(r.error) || 'try later'})`;
    const resume = r.lastEventId === undefined ? '' : `, resuming after event ${r.lastEventId}`;
    this.#status(`${why}; reconnecting in ${(r.delay / 1000).toFixed(1)} s${resume}`);
  }

  end(reason: 'deleted' | 'expired' | 'closed', lastEventId: string | undefined): void {
    if (this.#json) {
      this.#line({ kind: 'end', reason, lastEventId });
      return;
    }
    if (reason === 'deleted') this.#status('the resource was deleted');
    else if (reason === 'expired')
      this.#status(
        `the stream ended${lastEventId === undefined ? '' : ` (resume with --last-event-id ${lastEventId})`}`,
      );
  }

  /** The resource went away between two connections (a 404 or 410 on reconnecting). */
  gone(status: number, lastEventId: string | undefined): void {
    if (this.#json) {
      this.#line({ kind: 'end', reason: 'deleted', status, lastEventId });
      return;
    }
    this.#status(
      `the resource was deleted (${status} ${STATUS_CODES[status] ?? ''} on reconnecting)`,
    );
  }

  /** One line on stderr: why the watch failed. */
  error(message: string): void {
    process.stderr.write(`prep watch: ${message}\n`);
  }

  #status(message: string): void {
    process.stderr.write(`${this.#errStyle.dim(`prep watch: ${message}`)}\n`);
  }

  #line(value: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  #body(body: Body, indent: string): string {
    const s = this.#style;
    let text: string;
    if (body.kind === 'json') {
      // A delta fits on a line more often than not: keep it there when it does.
      const flat = JSON.stringify(body.value) ?? 'null';
      const json = indent !== '' && flat.length <= 100 ? flat : JSON.stringify(body.value, null, 2);
      text = highlightJson(json ?? 'null', s);
    } else if (body.kind === 'text') text = body.text.replace(/\n$/, '');
    else return `${indent}${s.dim(`(${body.size} bytes of binary data)`)}\n`;
    if (text === '') return '';
    return `${text
      .split('\n')
      .map((l) => indent + l)
      .join('\n')}\n`;
  }
}

/** `2025-01-02T03:04:05Z`: notification dates have whole seconds (HTTP-date, N822-4). */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

/** Colours a JSON text: keys, strings, numbers, literals. */
function highlightJson(text: string, s: Style): string {
  return text.replace(
    /("(?:[^"\\]|\\.)*")(\s*:)?|\b(true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
    (match, string: string | undefined, colon: string | undefined, literal: string | undefined) => {
      if (string !== undefined)
        return colon !== undefined ? s.cyan(string) + colon : s.green(string);
      if (literal !== undefined) return s.magenta(literal);
      return s.yellow(match);
    },
  );
}
