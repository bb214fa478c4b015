import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ClusterPrimary, WORKER_SLOT_ENV } from '../server/app/cluster/primary.js';
import { WorkerLink, type WorkerChannel } from '../server/app/cluster/worker-link.js';
import { startHttp2Server } from '../server/app/http2-listener.js';
import { PostgresStore, SqliteStore, type Store } from '../store/index.js';
import { createWebPage } from '../server/app/web-page.js';
import { startServer, type ServerOptions } from '../server/index.js';
import { loadTokenPolicyFile, type TokenPolicyFile } from '../server/auth/index.js';
import type { Settings } from '../server/settings.js';
import { startAdminServer, type AdminServer } from '../server/ops/admin-server.js';
import { clusterAdmin } from '../server/ops/cluster-admin.js';
import { createServeLogger, type ServeLogger } from '../server/ops/logger.js';
import { PrepMetrics } from '../server/ops/metrics.js';
import { checkReadiness } from '../server/ops/readiness.js';
import {
  CONFIG_ENV,
  CONFIG_FLAG,
  SettingError,
  readConfigFile,
  resolveSettings,
  serveFlags,
  serveHelp,
  type ResolvedSettings,
  type SettingSource,
} from './serve-settings.js';
import { parseCommandLine, usageError } from './args.js';
import { env, redactUrl as redact } from './flag-values.js';

/** A usage error: one line on stderr, exit status 2. */
function usage(message: string): never {
  process.exit(usageError('prep serve', message));
}

/**
 * The settings from the flags, the environment and `--config FILE` (see `serve-settings.ts`),
 * or undefined once `--help` is printed. A usage error ends the process with status 2.
 */
function readSettings(argv: string[]): ResolvedSettings | undefined {
  const parsed = parseCommandLine(
    { name: 'prep serve', options: serveFlags(), positionals: false, help: serveHelp() },
    argv,
  );
  if (parsed === 0) return undefined; // --help
  if (typeof parsed === 'number') process.exit(parsed);
  const values: Record<string, string | boolean | undefined> = parsed.values;
  try {
    const configName = (values[CONFIG_FLAG] as string | undefined) ?? env(CONFIG_ENV);
    const file = configName !== undefined ? readConfigFile(configName) : undefined;
    return resolveSettings({ flags: values, env: process.env, ...(file ? { file } : {}) });
  } catch (e) {
    if (e instanceof SettingError) usage(e.message);
    throw e;
  }
}

const RANK: Record<SettingSource, number> = { flag: 3, env: 2, file: 1, default: 0 };

/** The library's options for these settings (what each setting means to the server). */
function serverOptions(s: Settings) {
  return {
    port: s.port,
    host: s.host,
    expires: s.expires,
    keepAliveMs: s.keepAlive * 1000,
    maxQueueBytes: s.maxQueueBytes,
    maxBodyBytes: s.maxBody,
    ...(s.maxResource !== undefined ? { maxResourceBytes: s.maxResource } : {}),
    maxPatchOperations: s.maxPatchOperations,
    maxPatchTouchedBytes: s.maxPatchTouchedBytes,
    maxPathDepth: s.maxPathDepth,
    deltaLimits: { maxInputBytes: s.maxDeltaBytes },
    replay: { maxEvents: s.replayMaxEvents, maxBytes: s.replayMaxBytes },
    wes: { snapshotMemoryBytes: s.wesSnapshotMemory },
    contentSecurity: {
      csp: s.contentCsp.trim() === 'off' ? (false as const) : s.contentCsp,
      nosniff: s.contentNosniff === 'on',
    },
    maxUrlLength: s.maxUrl,
    listing: { pageSize: Math.max(1, s.listingPage), maxPageSize: Math.max(1, s.maxListingPage) },
    maxHeaderBytes: s.maxHeaderBytes,
    headersTimeoutMs: s.headersTimeout,
    requestTimeoutMs: s.requestTimeout,
    limits: {
      maxSubscriptions: s.maxSubscriptions,
      maxPerClient: s.maxSubscriptionsPerClient,
      maxPerResource: s.maxSubscriptionsPerResource,
      maxPerPrincipal: s.maxSubscriptionsPerToken,
      maxIdentical: s.maxIdenticalSubscriptions,
    },
    // SEC-2: on by default here, with or without --auth (a public server takes writes).
    writeRate:
      s.writeRate === 'off' ? (false as const) : { perSecond: s.writeRate, burst: s.writeBurst },
    history: { maxEvents: s.historyEvents, maxAgeMs: s.historyDays * 24 * 3600_000 },
    corsOrigin: s.cors === 'off' ? (false as const) : s.cors,
  } satisfies Partial<ServerOptions>;
}

/** `prep serve`: settings to options, starts the server, drains on SIGTERM. */
export async function serve(argv: string[]): Promise<void> {
  // Every setting is checked before anything is opened: a usage error leaves no file behind.
  const resolved = readSettings(argv);
  if (!resolved) return;
  const { settings: s, sources } = resolved;
  if (s.listingPage > s.maxListingPage) usage('--listing-page must not exceed --max-listing-page');
  // --data wins over the environment's PostgreSQL URL, --database over everything.
  const databaseUrl =
    s.database !== undefined && RANK[sources.database] >= RANK[sources.data]
      ? s.database
      : undefined;
  const workers = s.workers === 'auto' ? availableParallelism() : s.workers;
  const slot = cluster.isWorker ? (env(WORKER_SLOT_ENV) ?? String(cluster.worker?.id)) : undefined;
  const log = createServeLogger(s.logFormat, {
    requests: !s.quiet,
    ...(slot !== undefined ? { base: { worker: Number(slot) } } : {}),
  });
  // A broken policy file stops the start, in one line that names the field.
  let auth: TokenPolicyFile | undefined;
  if (s.auth !== undefined) {
    try {
      auth = loadTokenPolicyFile(s.auth, { log: (line) => log.warn({}, line) });
    } catch (e) {
      usage(`--auth ${(e as Error).message.replace(/\s+/g, ' ')}`);
    }
  }
  const store: Store =
    databaseUrl !== undefined
      ? new PostgresStore({ url: databaseUrl })
      : new SqliteStore({ filename: s.data });
  const where = databaseUrl !== undefined ? redact(databaseUrl) : s.data;
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
    await servePrimary(workers, where, s, log);
    return;
  }
  await serveOne(s, { store, where, databaseUrl, auth, log });
}

/** One process that serves: alone, or a worker of `--workers`. */
async function serveOne(
  s: Settings,
  ctx: {
    store: Store;
    where: string;
    databaseUrl: string | undefined;
    auth: TokenPolicyFile | undefined;
    log: ServeLogger;
  },
): Promise<void> {
  const { store, where, databaseUrl, auth, log } = ctx;
  const link = cluster.isWorker ? new WorkerLink(process as unknown as WorkerChannel) : undefined;
  // The live web page at / (bundled with esbuild once, at start).
  let webPage;
  try {
    webPage = await createWebPage();
  } catch (e) {
    log.warn(
      {},
      `the web page could not be built, serving without it: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  // Metrics are kept only when someone reads them (the admin listener, the primary's).
  let metrics: PrepMetrics | undefined;
  let running;
  try {
    const common = {
      store,
      ...serverOptions(s),
      ...(webPage ? { preHandlers: [webPage] } : {}),
      // Several nodes on one PostgreSQL database: each follows the shared log (README).
      ...(databaseUrl !== undefined ? { follow: true } : {}),
      ...(ctx.auth ? { access: ctx.auth.policy } : {}),
      ...(link ? { admission: link.admission } : {}),
      logger: log,
      onRequest: (record: Parameters<ServeLogger['request']>[0]) => {
        log.request(record);
        metrics?.request(record);
      },
    };
    // SEC-4: HTTP/2 lets browsers open many streams over one connection.
    const h2 = { settings: { maxHeaderListSize: s.maxHeaderBytes } };
    running = s.h2c
      ? await startHttp2Server({ ...common, ...h2, h2c: true })
      : s.http2 && s.cert !== undefined && s.key !== undefined
        ? await startHttp2Server({
            ...common,
            ...h2,
            cert: readFileSync(s.cert),
            key: readFileSync(s.key),
          })
        : await startServer(common);
  } catch (e) {
    await store.close();
    process.stderr.write(`prep serve: cannot listen: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const { url, app } = running;
  let draining = false;
  const readiness = () =>
    checkReadiness({ events: app.events, history: app.history, draining: () => draining });
  if (s.adminPort !== undefined) {
    metrics = new PrepMetrics(
      { engine: app.engine, events: app.events, storeErrors: app.storeErrors },
      link ? { labels: { worker: env(WORKER_SLOT_ENV) ?? '0' } } : {},
    );
    const m = metrics;
    link?.reportWith(async () => ({
      metrics: await m.registry.getMetricsAsJSON(),
      readiness: { ...(await readiness()) },
    }));
  }
  let admin: AdminServer | undefined;
  if (s.adminPort !== undefined && !link) {
    const m = metrics!;
    admin = await startAdminServer({
      port: s.adminPort,
      host: s.adminHost,
      metrics: async () => ({ contentType: m.contentType, body: await m.metrics() }),
      readiness,
    }).catch((e: unknown) => {
      process.stderr.write(`prep serve: cannot listen on --admin-port: ${(e as Error).message}\n`);
      process.exit(1);
    });
  }
  if (link) {
    // A worker: the primary says where it listens, once.
    link.attach(app.events);
    link.listening(url);
  } else if (log.json) log.info({ url, database: where, admin: admin?.url }, `listening on ${url}`);
  else
    process.stdout.write(
      `prep serve: listening on ${url}  (database ${where})\n` +
        (admin ? `  admin: ${admin.url}  (/metrics, /healthz, /readyz)\n` : '') +
        `  open ${url}/ in a browser for the live web page\n` +
        `  try:  curl -N -H 'Accept-Events: "prep"' ${url}/\n` +
        `        curl -X PUT -H 'Content-Type: application/json' -d '{"hello":"world"}' ${url}/notes/hello\n`,
    );
  const drainMs = s.drainTimeout * 1000;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, `${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    draining = true;
    if (!link)
      log.info(
        { signal, drainTimeout: s.drainTimeout },
        `${signal}, closing streams and the database (draining for up to ${s.drainTimeout} s)`,
      );
    // Whatever happens below, the process is gone soon after the drain timeout.
    setTimeout(() => process.exit(1), drainMs + 3000).unref();
    void running
      .drain(drainMs)
      .then(async (settled) => {
        if (!settled)
          log.warn({}, `drain: cut short after ${s.drainTimeout} s; every stream closed anyway`);
        link?.close();
        await admin?.close();
        await store.close();
      })
      .then(
        () => process.exit(0),
        (e: unknown) => {
          log.error({ err: e }, 'unclean shutdown');
          process.exit(1);
        },
      );
  };
  // A worker is stopped by its primary (SIGTERM); the terminal's SIGINT reaches the primary too.
  process.on('SIGINT', () => (link ? undefined : stop('SIGINT')));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (auth) {
    const file = auth;
    process.on('SIGHUP', () => file.reload());
    if (!link && !log.json)
      process.stdout.write(
        `  access: bearer tokens from ${s.auth} (reloaded on change and SIGHUP)\n`,
      );
  }
}

/**
 * `--workers N`: this process forks N workers that serve (each runs `prep serve` with the
 * same flags, environment and --config, so they read the same settings), relays between them
 * and restarts them, serves the admin listener for all; SIGINT/SIGTERM drain them.
 */
async function servePrimary(
  workers: number,
  where: string,
  s: Settings,
  log: ServeLogger,
): Promise<void> {
  const primary = new ClusterPrimary({
    workers,
    log: (line) => log.warn({}, line),
    // Each worker drains within --drain-timeout; past it (and a margin) it is killed.
    drainTimeoutMs: (s.drainTimeout + 2) * 1000,
  });
  let admin: AdminServer | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (primary.stopping) {
      // A second signal: do not wait for the workers any longer.
      log.warn({ signal }, `${signal} again: exiting now`);
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }
    log.info({ signal }, `${signal}, draining every worker (up to ${s.drainTimeout} s)`);
    void primary
      .stop('SIGTERM')
      .then(() => admin?.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const url = await primary.start();
  if (s.adminPort !== undefined)
    admin = await startAdminServer({
      port: s.adminPort,
      host: s.adminHost,
      ...clusterAdmin(primary),
    });
  if (log.json)
    log.info({ url, database: where, workers, admin: admin?.url }, `listening on ${url}`);
  else
    process.stdout.write(
      `prep serve: listening on ${url}  (database ${where}, ${workers} workers)\n` +
        (admin ? `  admin: ${admin.url}  (/metrics, /healthz, /readyz)\n` : '') +
        `  open ${url}/ in a browser for the live web page\n`,
    );
}
