import { parseArgs } from 'node:util';
import { SqliteStore } from '../store/index.js';
import { startServer } from '../server/index.js';

const HELP = `Usage: prep serve [options]

Runs the PREP resource server on an embedded SQLite store. Every resource can be
watched live: GET it with  Accept-Events: "prep"

Options:
  --port N            port to listen on (env PORT; default 8080; 0 picks a free port)
  --host ADDR         address to listen on (env HOST; default 127.0.0.1)
  --data FILE         SQLite database file (env PREP_DATA; default ./data/prep.db)
  --expires SECONDS   how long a notifications stream lives (default 3600)
  --keep-alive SECONDS  empty digest part on idle streams after this long (default 30)
  --max-body BYTES    largest request body (default 1048576)
  --max-subscriptions N          open streams in total (default 100000)
  --max-subscriptions-per-client N  per client address (default 1000)
  --max-subscriptions-per-resource N  per resource (default 50000)
  --history-events N  events kept in the log for Last-Event-ID resume (default 100000)
  --history-days N    and for at most this many days (default 7)
  --cors ORIGIN       Access-Control-Allow-Origin (default *; "off" disables CORS)
  --quiet             no request log
  -h, --help          show this help
`;

function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(
      `prep serve: --${name} expects a non-negative number, got ${JSON.stringify(value)}\n`,
    );
    process.exit(2);
  }
  return n;
}

/** `prep serve`: maps flags to options, starts the server, shuts down cleanly. */
export async function serve(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        expires: { type: 'string' },
        'keep-alive': { type: 'string' },
        'max-body': { type: 'string' },
        'max-subscriptions': { type: 'string' },
        'max-subscriptions-per-client': { type: 'string' },
        'max-subscriptions-per-resource': { type: 'string' },
        'history-events': { type: 'string' },
        'history-days': { type: 'string' },
        cors: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`prep serve: ${(e as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(HELP);
    return;
  }
  const filename = v.data ?? process.env.PREP_DATA ?? './data/prep.db';
  const store = new SqliteStore({ filename });
  try {
    await store.open();
  } catch (e) {
    process.stderr.write(
      `prep serve: cannot open the database ${filename}: ${(e as Error).message}\n`,
    );
    process.exit(1);
  }
  const cors = v.cors ?? '*';
  let running;
  try {
    running = await startServer({
      store,
      port: intOption('port', v.port ?? process.env.PORT, 8080),
      host: v.host ?? process.env.HOST ?? '127.0.0.1',
      expires: intOption('expires', v.expires, 3600),
      keepAliveMs: intOption('keep-alive', v['keep-alive'], 30) * 1000,
      maxBodyBytes: intOption('max-body', v['max-body'], 1024 * 1024),
      limits: {
        maxSubscriptions: intOption('max-subscriptions', v['max-subscriptions'], 100_000),
        maxPerClient: intOption(
          'max-subscriptions-per-client',
          v['max-subscriptions-per-client'],
          1000,
        ),
        maxPerResource: intOption(
          'max-subscriptions-per-resource',
          v['max-subscriptions-per-resource'],
          50_000,
        ),
      },
      history: {
        maxEvents: intOption('history-events', v['history-events'], 100_000),
        maxAgeMs: intOption('history-days', v['history-days'], 7) * 24 * 3600_000,
      },
      corsOrigin: cors === 'off' ? false : cors,
      ...(v.quiet ? {} : { log: (line: string) => process.stdout.write(`${line}\n`) }),
    });
  } catch (e) {
    await store.close();
    process.stderr.write(`prep serve: cannot listen: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const { url } = running;
  process.stdout.write(
    `prep serve: listening on ${url}  (database ${filename})\n` +
      `  try:  curl -N -H 'Accept-Events: "prep"' ${url}/\n` +
      `        curl -X PUT -H 'Content-Type: application/json' -d '{"hello":"world"}' ${url}/notes/hello\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`prep serve: ${signal}, closing streams and the database\n`);
    void running
      .close()
      .then(() => store.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
