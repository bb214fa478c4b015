import { createReplicator, type ReplicaProgress } from '@prep-live/client';
import { parseCommandLine, usageError } from './args.js';
import { DirectoryStorage } from './replicate-storage.js';
import { compareWithListing, describeDifferences, inStep } from './replica-check.js';
import { parseHeaderOptions } from './header-option.js';
import { cannotReach, isNetworkError } from './network-error.js';

const COMMAND = 'prep replicate';

const HELP = `Usage: prep replicate URL DIR [options]

Replicates a collection (a container URL, ending in /) into DIR with Web Event
Sourcing: loads a snapshot, reads the change feed from it, then keeps DIR current
(PREP notifications, else polling the feed). Resumes where it stopped; starts over
from a snapshot when its state is lost or the feed no longer has its position.

Options:
  --once          catch up, then exit
  --interval MS   how often to poll the feed (default 2000)
  --no-prep       do not subscribe with PREP; poll only
  --verify        once caught up, check the copy against the collection's paged
                  listing (every member and its ETag); exit 1 if it differs
  --header 'N: v' an extra request header (repeatable), sent to the collection's
                  origin only, e.g. 'Authorization: Bearer x'
  --quiet         no progress bar, no messages (the summary still goes to stdout)
  -h, --help      show this help
`;

/**
 * `prep replicate URL DIR`: maps flags to a {@link createReplicator} over a directory,
 * renders progress (a bar on a TTY, on stderr) and a one-line summary (stdout). Resolves
 * with the exit status: 0 done, 1 failed, 2 usage error.
 *
 * @example
 * ```ts
 * process.exitCode = await replicate(['http://localhost:8080/notes/', './mirror', '--once']);
 * ```
 */
export async function replicate(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    {
      name: COMMAND,
      positionals: true,
      help: HELP,
      options: {
        once: { type: 'boolean' },
        interval: { type: 'string' },
        'no-prep': { type: 'boolean' },
        verify: { type: 'boolean' },
        header: { type: 'string', multiple: true },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    argv,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const [url, dir, ...extra] = parsed.positionals;
  if (url === undefined || dir === undefined || extra.length > 0)
    return usageError(COMMAND, 'expected URL and DIR');
  let container: URL;
  try {
    container = new URL(url);
    if (container.protocol !== 'http:' && container.protocol !== 'https:') throw new Error();
  } catch {
    return usageError(COMMAND, `${JSON.stringify(url)} is not an http(s) URL`);
  }
  if (!container.pathname.endsWith('/'))
    return usageError(
      COMMAND,
      'a collection URL ends with "/"',
      `did you mean ${container.href}/?`,
    );
  const interval = v.interval === undefined ? 2000 : Number(v.interval);
  if (!Number.isInteger(interval) || interval < 10)
    return usageError(COMMAND, `--interval expects milliseconds (>= 10), got ${v.interval}`);

  const sendHeaders = parseHeaderOptions(v.header);
  if (typeof sendHeaders === 'string') return usageError(COMMAND, sendHeaders);

  const quiet = v.quiet === true;
  const bar = new ProgressBar(!quiet && process.stderr.isTTY === true);
  const say = (message: string) => {
    if (quiet) return;
    bar.clear();
    process.stderr.write(`prep replicate: ${message}\n`);
  };
  const storage = new DirectoryStorage(dir, container.pathname);
  const fetchWith = v.header ? withHeaders(sendHeaders, container.origin) : undefined;
  const replica = createReplicator({
    url: container.href,
    storage,
    ...(fetchWith ? { fetch: fetchWith } : {}),
    onProgress: (p) => bar.update(p),
    log: say,
  });
  const started = performance.now();
  const summary = (how: string) => {
    bar.clear();
    const s = replica.stats;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const from = s.resumed ? 'resumed' : s.snapshots > 0 ? 'from a snapshot' : 'up to date';
    process.stdout.write(
      `prep replicate: ${container.href} -> ${dir}: ${s.entities} entities (${from}), ` +
        `${s.entries} feed entries, ${s.gets} GETs, ${s.notifications} notifications, ${seconds} s${how}\n`,
    );
  };

  try {
    await replica.sync();
  } catch (e) {
    bar.clear();
    const message = isNetworkError(e) ? cannotReach(container.href, e) : (e as Error).message;
    process.stderr.write(`${COMMAND}: ${message}\n`);
    return 1;
  }
  if (v.verify === true) {
    try {
      // A write between catching up and the listing shows as a difference: catch up once
      // more before calling it one.
      let d = await compareWithListing(container.href, replica.state!, fetchWith);
      if (!inStep(d)) {
        await replica.sync();
        d = await compareWithListing(container.href, replica.state!, fetchWith);
      }
      const line = describeDifferences(d);
      if (!inStep(d)) {
        bar.clear();
        process.stderr.write(`${COMMAND}: ${line}\n`);
        return 1;
      }
      say(line);
    } catch (e) {
      bar.clear();
      const message = isNetworkError(e) ? cannotReach(container.href, e) : (e as Error).message;
      process.stderr.write(`${COMMAND}: --verify: ${message}\n`);
      return 1;
    }
  }
  if (v.once) {
    summary('');
    return 0;
  }
  say(`caught up; following ${container.href} (Ctrl-C to stop)`);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await replica.live({
      intervalMs: interval,
      prep: v['no-prep'] !== true,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  replica.stats.entities = Object.keys(replica.state?.entities ?? {}).length;
  summary(' (stopped)');
  return 0;
}

/**
 * `fetch` that adds `extra` to every request to `origin` (snapshot, feed, entities, PREP), and
 * to no other: credentials do not follow links elsewhere.
 */
function withHeaders(extra: Headers, origin: string): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (new URL(url).origin !== origin) return fetch(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : {}));
    for (const [name, value] of extra) if (!headers.has(name)) headers.set(name, value);
    return fetch(input, { ...init, headers });
  };
}

/** A one-line progress bar on stderr, redrawn in place; a no-op off a TTY. */
class ProgressBar {
  readonly #on: boolean;
  #shown = false;

  constructor(on: boolean) {
    this.#on = on;
  }

  update(p: ReplicaProgress): void {
    if (!this.#on) return;
    const width = 30;
    const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
    const filled = Math.round(ratio * width);
    const what = p.phase === 'snapshot' ? 'snapshot parts' : 'feed pages';
    process.stderr.write(
      `\r${p.phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} ${what}\x1b[K`,
    );
    this.#shown = true;
  }

  clear(): void {
    if (!this.#shown) return;
    process.stderr.write('\r\x1b[K');
    this.#shown = false;
  }
}
