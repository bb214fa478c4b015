import { readFileSync } from 'node:fs';
import { startProxy, type ProxyListenerOptions } from '../server/index.js';
import { PostgresStore, SqliteStore, type Store } from '../store/index.js';
import { parseCommandLine, usageError } from './args.js';
import { env, numberFlag, redactUrl } from './flag-values.js';
import { parseHeaderOptions } from './header-option.js';

const HELP = `Usage: prep proxy --upstream URL [options]

Stands in front of an existing HTTP API and adds live notifications (PREP) to it,
with no change to it. Requests are passed on and answered as the upstream answers
them. A GET with  Accept-Events: "prep"  on a watched path gets the upstream's
answer, then a notification for every change: writes that pass through the proxy,
changes --poll finds, and changes announced on the webhook.

Options:
  --upstream URL      the API, e.g. http://127.0.0.1:3000 (env PREP_UPSTREAM; required)
  --port N            port to listen on (env PORT; default 8080; 0 picks a free port)
  --host ADDR         address to listen on (env HOST; default 127.0.0.1)
  --watch GLOB        paths that serve notifications (repeat it; default every path).
                      * matches within a segment, ** any number of segments:
                      '/posts/**' is /posts and everything under it. A URL with a
                      query string is never watched.
  --collection GLOB   paths that are collections: a change to /a/b is told to the
                      subscribers of /a (Content-Location) when /a matches (repeat it;
                      default every path)
  --poll SECONDS      revalidate each watched resource that has subscribers this
                      often with a conditional GET, and notify what changed around the
                      proxy (default off)
  --poll-concurrency N  conditional GETs of a round at once (default 8)
  --notify-secret-file FILE  turns on the webhook POST /.well-known/prep/notify with
                      body {"path":"/posts/1","method":"PATCH"}; callers send
                      Authorization: Bearer <the file's content> (16+ characters)
  --notify-secret SECRET  the same, from the command line (env PREP_NOTIFY_SECRET;
                      the file keeps it out of the process list)
  --upstream-header 'Name: value'  a field of the proxy's own requests (polls,
                      webhook reads), e.g. a service credential (repeat it)
  --preserve-host     send the client's Host to the upstream (default: the upstream's;
                      the client's is in Forwarded and X-Forwarded-Host)
  --advertise         add Accept-Events to plain GETs and HEADs of watched paths
                      (DSC-1); off by default, so that a request without PREP in it is
                      answered exactly as the upstream answers it
  --read-after-write  after every write, GET the resource once, so that each event
                      holds its new state (WES feed bodies, deltas on resume); default:
                      only when the answer has no ETag or a subscriber asked for deltas
  --data FILE         SQLite event log (env PREP_DATA; default ./data/prep-proxy.db)
  --database URL      PostgreSQL instead: postgres://user@host:port/db
                      (env PREP_DATABASE_URL); several proxy nodes may share one
  --upstream-timeout MS  time the upstream has to send a response head (default
                      30000; then 504)
  --upstream-connections N  connections kept open to the upstream (default 256)
  --max-upstream-requests N  requests to the upstream in flight, waiting ones
                      included (default 1024; beyond it 503 + Retry-After)
  --max-body BYTES    largest request body passed on (default 1048576; 0: no bound)
  --max-base BYTES    largest upstream answer held back as a stream's part 1 (default
                      8388608; beyond it the answer goes out as is, Events status 503)
  --state-cache-bytes BYTES  representations kept as "the state before" for deltas
                      (default 67108864); one larger than 1/64 of it is not kept
  --state-cache-entries N  resources whose state and validators are kept (default 10000)
  --expires SECONDS   how long a notifications stream lives (default 3600)
  --keep-alive SECONDS  empty digest part on idle streams after this long (default 30)
  --max-url N         longest request target in characters (default 4096)
  --max-header-bytes BYTES  largest request head (default 16384)
  --headers-timeout MS  time allowed to send a request head (default 10000)
  --request-timeout MS  time allowed to send a whole request (default 30000)
  --max-subscriptions N          open streams in total (default 100000)
  --max-subscriptions-per-client N  per client address (default 1000)
  --max-subscriptions-per-resource N  per resource (default 50000)
  --history-events N  events kept in the log for Last-Event-ID resume (default 100000)
  --history-days N    and for at most this many days (default 7)
  --quiet             no request log
  -h, --help          show this help
`;

const NAME = 'prep proxy';

function usage(message: string): never {
  process.exit(usageError(NAME, message));
}

/** `prep proxy`: maps flags to options, starts the proxy, shuts down cleanly. */
export async function proxy(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(
    {
      name: NAME,
      positionals: false,
      help: HELP,
      options: {
        upstream: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        watch: { type: 'string', multiple: true },
        collection: { type: 'string', multiple: true },
        poll: { type: 'string' },
        'poll-concurrency': { type: 'string' },
        'notify-secret': { type: 'string' },
        'notify-secret-file': { type: 'string' },
        'upstream-header': { type: 'string', multiple: true },
        'preserve-host': { type: 'boolean' },
        advertise: { type: 'boolean' },
        'read-after-write': { type: 'boolean' },
        data: { type: 'string' },
        database: { type: 'string' },
        'upstream-timeout': { type: 'string' },
        'upstream-connections': { type: 'string' },
        'max-upstream-requests': { type: 'string' },
        'max-body': { type: 'string' },
        'max-base': { type: 'string' },
        'state-cache-bytes': { type: 'string' },
        'state-cache-entries': { type: 'string' },
        expires: { type: 'string' },
        'keep-alive': { type: 'string' },
        'max-url': { type: 'string' },
        'max-header-bytes': { type: 'string' },
        'headers-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        'max-subscriptions': { type: 'string' },
        'max-subscriptions-per-client': { type: 'string' },
        'max-subscriptions-per-resource': { type: 'string' },
        'history-events': { type: 'string' },
        'history-days': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    argv,
  );
  if (parsed === 0) return; // --help
  if (typeof parsed === 'number') process.exit(parsed);
  const v = parsed.values;
  const num = (name: string, value: string | undefined, fallback: number, integer = true) =>
    numberFlag(NAME, name, value, fallback, { integer });
  // Every flag is checked before anything is opened: a usage error leaves no file behind.
  const upstream = v.upstream ?? env('PREP_UPSTREAM');
  if (upstream === undefined)
    usage('--upstream URL is required: the API to stand in front of (http://host:port)');
  if (!/^https?:\/\/[^/]/.test(upstream)) usage('--upstream expects an http:// or https:// URL');
  for (const glob of [...(v.watch ?? []), ...(v.collection ?? [])])
    if (!glob.startsWith('/')) usage(`a path glob starts with /, got ${JSON.stringify(glob)}`);
  const fields = parseHeaderOptions(v['upstream-header']);
  if (typeof fields === 'string') usage(fields.replace('--header', '--upstream-header'));
  let notifySecret = v['notify-secret'] ?? env('PREP_NOTIFY_SECRET');
  if (v['notify-secret-file'] !== undefined) {
    try {
      notifySecret = readFileSync(v['notify-secret-file'], 'utf8').trim();
    } catch (e) {
      usage(`--notify-secret-file: ${(e as Error).message}`);
    }
  }
  if (notifySecret !== undefined && notifySecret.length < 16)
    usage('the notify secret must be at least 16 characters long');
  const filename = v.data ?? env('PREP_DATA') ?? './data/prep-proxy.db';
  const databaseUrl = v.database ?? (v.data === undefined ? env('PREP_DATABASE_URL') : undefined);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    usage('--database expects a postgres:// URL');
  const poll = v.poll === undefined ? undefined : num('poll', v.poll, 0, false);
  if (poll !== undefined && !(poll > 0)) usage('--poll expects a number of seconds above 0');
  const cacheBytes = num('state-cache-bytes', v['state-cache-bytes'], 64 * 1024 * 1024);
  const options: Omit<ProxyListenerOptions, 'store'> = {
    upstream,
    port: numberFlag(NAME, 'port', v.port ?? env('PORT'), 8080, { max: 65535 }),
    host: v.host ?? env('HOST') ?? '127.0.0.1',
    ...(v.watch ? { watch: v.watch } : {}),
    ...(v.collection ? { collections: v.collection } : {}),
    ...(poll !== undefined ? { pollIntervalMs: poll * 1000 } : {}),
    pollConcurrency: Math.max(1, num('poll-concurrency', v['poll-concurrency'], 8)),
    ...(notifySecret !== undefined ? { notifySecret } : {}),
    headers: [...fields],
    preserveHost: v['preserve-host'] === true,
    advertise: v.advertise === true,
    readAfterWrite: v['read-after-write'] === true,
    headTimeoutMs: num('upstream-timeout', v['upstream-timeout'], 30_000),
    maxSockets: Math.max(1, num('upstream-connections', v['upstream-connections'], 256)),
    maxRequests: Math.max(1, num('max-upstream-requests', v['max-upstream-requests'], 1024)),
    maxBodyBytes: num('max-body', v['max-body'], 1024 * 1024),
    maxBaseBytes: num('max-base', v['max-base'], 8 * 1024 * 1024),
    stateCache: {
      maxBytes: cacheBytes,
      maxEntryBytes: Math.floor(cacheBytes / 64),
      maxEntries: num('state-cache-entries', v['state-cache-entries'], 10_000),
    },
    expires: num('expires', v.expires, 3600),
    keepAliveMs: num('keep-alive', v['keep-alive'], 30) * 1000,
    maxUrlLength: num('max-url', v['max-url'], 4096),
    maxHeaderBytes: num('max-header-bytes', v['max-header-bytes'], 16 * 1024),
    headersTimeoutMs: num('headers-timeout', v['headers-timeout'], 10_000),
    requestTimeoutMs: num('request-timeout', v['request-timeout'], 30_000),
    limits: {
      maxSubscriptions: num('max-subscriptions', v['max-subscriptions'], 100_000),
      maxPerClient: num('max-subscriptions-per-client', v['max-subscriptions-per-client'], 1000),
      maxPerResource: num(
        'max-subscriptions-per-resource',
        v['max-subscriptions-per-resource'],
        50_000,
      ),
    },
    history: {
      maxEvents: num('history-events', v['history-events'], 100_000),
      maxAgeMs: num('history-days', v['history-days'], 7, false) * 24 * 3600_000,
    },
    onError: (line) => process.stderr.write(`${NAME}: ${line}\n`),
    ...(v.quiet ? {} : { log: (line: string) => process.stdout.write(`${line}\n`) }),
  };
  if (options.requestTimeoutMs! > 0 && options.headersTimeoutMs! > options.requestTimeoutMs!)
    usage('--headers-timeout must not exceed --request-timeout');

  const store: Store =
    databaseUrl !== undefined
      ? new PostgresStore({ url: databaseUrl })
      : new SqliteStore({ filename });
  const where = databaseUrl !== undefined ? redactUrl(databaseUrl) : filename;
  try {
    await store.open();
  } catch (e) {
    const reason = (e as Error).message.replace(/\s+/g, ' ').trim();
    process.stderr.write(`${NAME}: cannot open the event log ${where}: ${reason}\n`);
    await store.close().catch(() => undefined);
    process.exit(1);
  }
  let running;
  try {
    running = await startProxy({ ...options, store });
  } catch (e) {
    await store.close();
    process.stderr.write(`${NAME}: cannot start: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const { url } = running;
  process.stdout.write(
    `${NAME}: listening on ${url}, in front of ${upstream}  (event log ${where})\n` +
      `  try:  curl -N -H 'Accept-Events: "prep"' ${url}/<a path of the API>\n` +
      (poll !== undefined
        ? `  polling watched resources that have subscribers every ${poll} s\n`
        : '') +
      (notifySecret !== undefined ? `  webhook: POST ${url}/.well-known/prep/notify\n` : ''),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${NAME}: ${signal}, closing streams and the event log\n`);
    void running
      .close()
      .then(() => store.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`${NAME}: unclean shutdown: ${(e as Error).message}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
