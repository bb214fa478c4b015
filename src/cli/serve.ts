import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ClusterPrimary } from '../server/app/cluster/primary.js';
import { WorkerLink, type WorkerChannel } from '../server/app/cluster/worker-link.js';
import { startHttp2Server } from '../server/app/http2-listener.js';
import { PostgresStore, SqliteStore, type Store } from '../store/index.js';
import { createWebPage } from '../server/app/web-page.js';
import { startServer } from '../server/index.js';
import { loadTokenPolicyFile, type TokenPolicyFile } from '../server/auth/index.js';
import { parseCommandLine, usageError } from './args.js';

const HELP = `Usage: prep serve [options]

Runs the PREP resource server on an embedded SQLite store. Every resource can be
watched live: GET it with  Accept-Events: "prep"

Options:
  --port N            port to listen on (env PORT; default 8080; 0 picks a free port)
  --host ADDR         address to listen on (env HOST; default 127.0.0.1)
  --data FILE         SQLite database file (env PREP_DATA; default ./data/prep.db)
  --database URL      PostgreSQL instead of SQLite: postgres://user@host:port/db
                      (env PREP_DATABASE_URL); several nodes may share one database
  --expires SECONDS   how long a notifications stream lives (default 3600)
  --keep-alive SECONDS  empty digest part on idle streams after this long (default 30)
  --max-body BYTES    largest request body (default 1048576)
  --max-delta-bytes BYTES  the delta size cap: a representation (before or after a
                      change) larger than this gets no delta; the client re-fetches
                      (default 1048576)
  --listing-page N    members per page of a paged container listing (GET /c/?limit=)
                      when the request names no limit (default 100)
  --max-listing-page N  the largest limit a listing page honours (default 1000)
  --max-url N         longest request target in characters (default 4096)
  --max-header-bytes BYTES  largest request head (default 16384)
  --headers-timeout MS  time allowed to send a request head (default 10000)
  --request-timeout MS  time allowed to send a whole request (default 30000)
  --max-subscriptions N          open streams in total (default 100000)
  --max-subscriptions-per-client N  per client address (default 1000)
  --max-subscriptions-per-resource N  per resource (default 50000)
  --max-subscriptions-per-token N  per bearer token (default 1000; a token's
                      "maxSubscriptions" in the --auth file overrides it)
  --max-identical-subscriptions N  same token, address, resource and format
                      (default 8; anonymous clients: only the per-client bound)
  --write-rate N      writes (PUT, PATCH, POST, DELETE) per second per client: the
                      token, else the address (default 100; "off" disables; a token's
                      "writesPerMinute" overrides it); beyond it 429 + Retry-After
  --write-burst N     writes a client may make at once before the rate applies
                      (default 200)
  --auth FILE         bearer tokens and their rights, JSON (env PREP_AUTH_FILE; see
                      docs/auth.md); re-read when it changes and on SIGHUP
  --history-events N  events kept in the log for Last-Event-ID resume (default 100000)
  --history-days N    and for at most this many days (default 7)
  --cors ORIGIN       Access-Control-Allow-Origin (default *; "off" disables CORS)
  --http2             HTTP/2 over TLS (HTTP/1.1 clients are served on the same port);
                      needs --cert FILE and --key FILE (PEM)
  --h2c               HTTP/2 without TLS (prior knowledge), e.g. behind a proxy;
                      HTTP/1.1 clients (curl, health checks) on the same port
  --workers N|auto    serve from N processes on this machine ("auto": one per core;
                      env PREP_WORKERS; default 1). They share the port and the log
                      (SQLite or PostgreSQL): a write through any reaches every
                      subscriber. The subscription limits hold across workers; the
                      write rate is per worker. SIGTERM closes every stream cleanly.
  --quiet             no request log
  -h, --help          show this help
`;

/** An environment variable; set but empty counts as unset (`HOST=` must not mean all interfaces). */
function env(name: string): string | undefined {
  return process.env[name] || undefined;
}

/** A flag's number; a value that is not one ends the process with status 2 (a usage error). */
function numberOption(
  name: string,
  value: string | undefined,
  fallback: number,
  { integer = true, max = Number.MAX_SAFE_INTEGER } = {},
): number {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max || (integer && !Number.isInteger(n))) {
    const what = integer ? 'a non-negative integer' : 'a non-negative number';
    const limit = max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : '';
    process.exit(
      usageError('prep serve', `--${name} expects ${what}${limit}, got ${JSON.stringify(value)}`),
    );
  }
  return n;
}

/** `prep serve`: maps flags to options, starts the server, shuts down cleanly. */
export async function serve(argv: string[]): Promise<void> {
  const parsed = parseCommandLine(
    {
      name: 'prep serve',
      positionals: false,
      help: HELP,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        database: { type: 'string' },
        expires: { type: 'string' },
        'keep-alive': { type: 'string' },
        'max-body': { type: 'string' },
        'max-delta-bytes': { type: 'string' },
        'max-url': { type: 'string' },
        'listing-page': { type: 'string' },
        'max-listing-page': { type: 'string' },
        'max-header-bytes': { type: 'string' },
        'headers-timeout': { type: 'string' },
        'request-timeout': { type: 'string' },
        'max-subscriptions': { type: 'string' },
        'max-subscriptions-per-client': { type: 'string' },
        'max-subscriptions-per-resource': { type: 'string' },
        'max-subscriptions-per-token': { type: 'string' },
        'max-identical-subscriptions': { type: 'string' },
        'write-rate': { type: 'string' },
        'write-burst': { type: 'string' },
        auth: { type: 'string' },
        'history-events': { type: 'string' },
        'history-days': { type: 'string' },
        cors: { type: 'string' },
        quiet: { type: 'boolean' },
        http2: { type: 'boolean' },
        h2c: { type: 'boolean' },
        cert: { type: 'string' },
        key: { type: 'string' },
        workers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    },
    argv,
  );
  if (parsed === 0) return; // --help
  if (typeof parsed === 'number') process.exit(parsed);
  const v = parsed.values;
  // Every flag is checked before anything is opened: a usage error leaves no file behind.
  const filename = v.data ?? env('PREP_DATA') ?? './data/prep.db';
  // --data wins over the environment's PostgreSQL URL, --database over everything.
  const databaseUrl = v.database ?? (v.data === undefined ? env('PREP_DATABASE_URL') : undefined);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    process.stderr.write('prep serve: --database expects a postgres:// URL\n');
    process.exit(2);
  }
  const cors = v.cors ?? '*';
  const options = {
    port: numberOption('port', v.port ?? env('PORT'), 8080, { max: 65535 }),
    host: v.host ?? env('HOST') ?? '127.0.0.1',
    expires: numberOption('expires', v.expires, 3600),
    keepAliveMs: numberOption('keep-alive', v['keep-alive'], 30) * 1000,
    maxBodyBytes: numberOption('max-body', v['max-body'], 1024 * 1024),
    deltaLimits: {
      maxInputBytes: numberOption('max-delta-bytes', v['max-delta-bytes'], 1024 * 1024),
    },
    maxUrlLength: numberOption('max-url', v['max-url'], 4096),
    listing: {
      pageSize: Math.max(1, numberOption('listing-page', v['listing-page'], 100)),
      maxPageSize: Math.max(1, numberOption('max-listing-page', v['max-listing-page'], 1000)),
    },
    maxHeaderBytes: numberOption('max-header-bytes', v['max-header-bytes'], 16 * 1024),
    headersTimeoutMs: numberOption('headers-timeout', v['headers-timeout'], 10_000),
    requestTimeoutMs: numberOption('request-timeout', v['request-timeout'], 30_000),
    limits: {
      maxSubscriptions: numberOption('max-subscriptions', v['max-subscriptions'], 100_000),
      maxPerClient: numberOption(
        'max-subscriptions-per-client',
        v['max-subscriptions-per-client'],
        1000,
      ),
      maxPerResource: numberOption(
        'max-subscriptions-per-resource',
        v['max-subscriptions-per-resource'],
        50_000,
      ),
      maxPerPrincipal: numberOption(
        'max-subscriptions-per-token',
        v['max-subscriptions-per-token'],
        1000,
      ),
      maxIdentical: numberOption(
        'max-identical-subscriptions',
        v['max-identical-subscriptions'],
        8,
      ),
    },
    // SEC-2: on by default here, with or without --auth (a public server takes writes).
    writeRate:
      v['write-rate']?.trim() === 'off'
        ? (false as const)
        : {
            perSecond: numberOption('write-rate', v['write-rate']?.replace(/\/s$/, ''), 100, {
              integer: false,
            }),
            burst: Math.max(1, numberOption('write-burst', v['write-burst'], 200)),
          },
    history: {
      maxEvents: numberOption('history-events', v['history-events'], 100_000),
      maxAgeMs:
        numberOption('history-days', v['history-days'], 7, { integer: false }) * 24 * 3600_000,
    },
    corsOrigin: cors === 'off' ? (false as const) : cors,
  };
  if (options.listing.pageSize > options.listing.maxPageSize) {
    process.stderr.write('prep serve: --listing-page must not exceed --max-listing-page\n');
    process.exit(2);
  }
  if (options.requestTimeoutMs > 0 && options.headersTimeoutMs > options.requestTimeoutMs) {
    process.stderr.write('prep serve: --headers-timeout must not exceed --request-timeout\n');
    process.exit(2);
  }
  if (v.h2c && (v.http2 || v.cert || v.key)) {
    process.stderr.write(
      'prep serve: --h2c is HTTP/2 without TLS: it takes no --http2, --cert or --key\n',
    );
    process.exit(2);
  }
  if (v.http2 && (!v.cert || !v.key)) {
    process.stderr.write('prep serve: --http2 needs --cert FILE and --key FILE (PEM)\n');
    process.exit(2);
  }
  const workersValue = v.workers ?? env('PREP_WORKERS');
  const workers =
    workersValue?.trim() === 'auto'
      ? availableParallelism()
      : numberOption('workers', workersValue, 1, { max: 256 });
  if (workers < 1) {
    process.stderr.write('prep serve: --workers expects a number from 1 to 256, or auto\n');
    process.exit(2);
  }
  // A broken policy file stops the start, in one line that names the field.
  const authFile = v.auth ?? env('PREP_AUTH_FILE');
  let auth: TokenPolicyFile | undefined;
  if (authFile !== undefined) {
    try {
      auth = loadTokenPolicyFile(authFile, {
        log: (line) => process.stderr.write(`prep serve: ${line}\n`),
      });
    } catch (e) {
      process.stderr.write(`prep serve: --auth ${(e as Error).message.replace(/\s+/g, ' ')}\n`);
      process.exit(2);
    }
  }
  const store: Store =
    databaseUrl !== undefined
      ? new PostgresStore({ url: databaseUrl })
      : new SqliteStore({ filename });
  const where = databaseUrl !== undefined ? redact(databaseUrl) : filename;
  try {
    await store.open();
  } catch (e) {
    const reason = (e as Error).message.replace(/\s+/g, ' ').trim();
    process.stderr.write(`prep serve: cannot open the database ${where}: ${reason}\n`);
    await store.close().catch(() => undefined);
    process.exit(1);
  }
  if (workers > 1 && cluster.isPrimary) {
    // The database is created and migrated once, here; the workers open it themselves.
    await store.close();
    await servePrimary(workers, where, v.quiet === true);
    return;
  }
  const link = cluster.isWorker ? new WorkerLink(process as unknown as WorkerChannel) : undefined;
  // The live web page at / (bundled with esbuild once, at start).
  let webPage;
  try {
    webPage = await createWebPage();
  } catch (e) {
    process.stderr.write(
      `prep serve: the web page could not be built, serving without it: ${(e as Error).message.split('\n')[0]}\n`,
    );
  }
  let running;
  try {
    const common = {
      store,
      ...options,
      ...(webPage ? { preHandlers: [webPage] } : {}),
      // Several nodes on one PostgreSQL database: each follows the shared log (README).
      ...(databaseUrl !== undefined ? { follow: true } : {}),
      ...(auth ? { access: auth.policy } : {}),
      ...(link ? { admission: link.admission } : {}),
      ...(v.quiet ? {} : { log: (line: string) => process.stdout.write(`${line}\n`) }),
    };
    // SEC-4: HTTP/2 lets browsers open many streams over one connection.
    running = v.h2c
      ? await startHttp2Server({ ...common, h2c: true })
      : v.http2 && v.cert && v.key
        ? await startHttp2Server({
            ...common,
            cert: readFileSync(v.cert),
            key: readFileSync(v.key),
          })
        : await startServer(common);
  } catch (e) {
    await store.close();
    process.stderr.write(`prep serve: cannot listen: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const { url } = running;
  if (link) {
    // A worker: the primary says where it listens, once.
    link.attach(running.app.events);
    link.listening(url);
  } else
    process.stdout.write(
      `prep serve: listening on ${url}  (database ${where})\n` +
        `  open ${url}/ in a browser for the live web page\n` +
        `  try:  curl -N -H 'Accept-Events: "prep"' ${url}/\n` +
        `        curl -X PUT -H 'Content-Type: application/json' -d '{"hello":"world"}' ${url}/notes/hello\n`,
    );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    link?.close();
    if (!link) process.stdout.write(`prep serve: ${signal}, closing streams and the database\n`);
    void running
      .close()
      .then(() => store.close())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          process.stderr.write(`prep serve: unclean shutdown: ${(e as Error).message}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (auth) {
    const file = auth;
    process.on('SIGHUP', () => file.reload());
    if (!link)
      process.stdout.write(
        `  access: bearer tokens from ${authFile} (reloaded on change and SIGHUP)\n`,
      );
  }
}

/**
 * `--workers N`: this process forks N workers that serve (each runs `prep serve` with the
 * same flags), relays between them and restarts them; SIGINT/SIGTERM stop them cleanly.
 */
async function servePrimary(workers: number, where: string, quiet: boolean): Promise<void> {
  const log = (line: string) => process.stderr.write(`prep serve: ${line}\n`);
  const primary = new ClusterPrimary({ workers, log });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: do not wait for the workers any longer.
      process.exit(1);
    }
    stopping = true;
    if (!quiet) process.stdout.write(`prep serve: ${signal}, closing every worker's streams\n`);
    void primary.stop('SIGTERM').then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const url = await primary.start();
  process.stdout.write(
    `prep serve: listening on ${url}  (database ${where}, ${workers} workers)\n` +
      `  open ${url}/ in a browser for the live web page\n`,
  );
}

/** A database URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the PostgreSQL database';
  }
}
