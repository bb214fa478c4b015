import {
  booleanType,
  choiceType,
  numberType,
  orWord,
  portType,
  postgresUrlType,
  textType,
  type SettingType,
} from './setting-types.js';

/**
 * One setting of `prep serve`: its flag (`--max-body`), which is also its key in a
 * configuration file (`"max-body": 1048576`), its environment variable, the kind of value it
 * takes, its default and one line of documentation. The library's own defaults are read from
 * here too (`DEFAULTS`), so a default is written once.
 */
export interface SettingSpec<T> {
  /** The flag without `--`, and the key in a configuration file. */
  flag: string;
  /** The environment variable that sets it. */
  env: string;
  type: SettingType<T>;
  /** Absent: unset unless given (`--database`, `--auth`, `--admin-port`, ...). */
  default?: T;
  /** One line for `--help` and the README: what it bounds or does. */
  doc: string;
  /** The `--help` section it is listed in. */
  group: SettingGroup;
}

/** The sections of `prep serve --help`, in order. */
export const SETTING_GROUPS = [
  'Listening',
  'Storage',
  'Requests',
  'Streams',
  'Subscription limits',
  'Writes and access',
  'Operations',
] as const;
export type SettingGroup = (typeof SETTING_GROUPS)[number];

/** Writes per second (`100`, `100/s`). */
const rateType: SettingType<number> = {
  ...numberType({ integer: false }),
  parse: (raw) =>
    numberType({ integer: false }).parse(typeof raw === 'string' ? raw.replace(/\/s$/, '') : raw),
  show: (v) => `${v}/s`,
};

const MiB = 1024 * 1024;

/**
 * Every setting of `prep serve`, in `--help` order. Adding one is adding an entry here: the
 * flag, the environment variable, the configuration key, `--help` and the README table
 * (`node scripts/settings-table.mjs`) follow from it; `src/cli/serve.ts` maps its value to an
 * option where it is one.
 */
export const SETTINGS = {
  port: {
    flag: 'port',
    env: 'PORT',
    type: portType,
    default: 8080,
    doc: 'port to listen on (0 picks a free port)',
    group: 'Listening',
  },
  host: {
    flag: 'host',
    env: 'HOST',
    type: textType('ADDR', 'an address'),
    default: '127.0.0.1',
    doc: 'address to listen on (0.0.0.0 or :: for every interface)',
    group: 'Listening',
  },
  http2: {
    flag: 'http2',
    env: 'PREP_HTTP2',
    type: booleanType,
    default: false,
    doc: 'HTTP/2 over TLS, HTTP/1.1 on the same port; needs --cert and --key',
    group: 'Listening',
  },
  h2c: {
    flag: 'h2c',
    env: 'PREP_H2C',
    type: booleanType,
    default: false,
    doc: 'HTTP/2 without TLS (prior knowledge), e.g. behind a proxy; HTTP/1.1 clients (curl, health checks) on the same port',
    group: 'Listening',
  },
  cert: {
    flag: 'cert',
    env: 'PREP_CERT',
    type: textType('FILE', 'a file name'),
    doc: 'TLS certificate chain (PEM), with --http2',
    group: 'Listening',
  },
  key: {
    flag: 'key',
    env: 'PREP_KEY',
    type: textType('FILE', 'a file name'),
    doc: 'TLS private key (PEM), with --http2',
    group: 'Listening',
  },
  workers: {
    flag: 'workers',
    env: 'PREP_WORKERS',
    type: orWord(numberType({ min: 1, max: 256 }), 'auto'),
    default: 1,
    doc: 'worker processes sharing the port and the log ("auto": one per core)',
    group: 'Listening',
  },
  data: {
    flag: 'data',
    env: 'PREP_DATA',
    type: textType('FILE', 'a file name'),
    default: './data/prep.db',
    doc: 'the SQLite database file',
    group: 'Storage',
  },
  database: {
    flag: 'database',
    env: 'PREP_DATABASE_URL',
    type: postgresUrlType,
    doc: 'PostgreSQL instead of SQLite; several nodes may share one database',
    group: 'Storage',
  },
  historyEvents: {
    flag: 'history-events',
    env: 'PREP_HISTORY_EVENTS',
    type: numberType(),
    default: 100_000,
    doc: 'events kept in the log for Last-Event-ID resume and the WES feed',
    group: 'Storage',
  },
  historyDays: {
    flag: 'history-days',
    env: 'PREP_HISTORY_DAYS',
    type: numberType({ integer: false }),
    default: 7,
    doc: 'and for at most this many days',
    group: 'Storage',
  },
  wesSnapshotMemory: {
    flag: 'wes-snapshot-memory',
    env: 'PREP_WES_SNAPSHOT_MEMORY',
    type: numberType({ arg: 'BYTES', unit: 'bytes' }),
    default: 128 * MiB,
    doc: 'WES snapshots held in memory, kept or being made, all containers together; the least recently used go first; one that cannot fit gets 503 (busy) or 507 (too large)',
    group: 'Storage',
  },
  maxBody: {
    flag: 'max-body',
    env: 'PREP_MAX_BODY',
    type: numberType({ arg: 'BYTES', unit: 'bytes' }),
    default: MiB,
    doc: 'largest request body (413)',
    group: 'Requests',
  },
  maxDeltaBytes: {
    flag: 'max-delta-bytes',
    env: 'PREP_MAX_DELTA_BYTES',
    type: numberType({ arg: 'BYTES', unit: 'bytes' }),
    // A JSON delta of 256 KiB costs some 20-40 ms here; of 1 MiB, over 100 ms (issue 15).
    default: 256 * 1024,
    doc: 'the delta size cap: a representation (before or after a change) larger than this gets no delta; the client re-fetches',
    group: 'Streams',
  },
  replayMaxEvents: {
    flag: 'replay-max-events',
    env: 'PREP_REPLAY_MAX_EVENTS',
    type: numberType(),
    default: 1000,
    doc: 'a Last-Event-ID replay with deltas reads at most this many events (to rebuild the states and replay); beyond, the client gets the current representation (RSP-5)',
    group: 'Streams',
  },
  replayMaxBytes: {
    flag: 'replay-max-bytes',
    env: 'PREP_REPLAY_MAX_BYTES',
    type: numberType({ arg: 'BYTES', unit: 'bytes' }),
    default: 16 * MiB,
    doc: 'and handles at most this many bytes of representation (each patch applied, each delta made)',
    group: 'Streams',
  },
  maxResource: {
    flag: 'max-resource',
    env: 'PREP_MAX_RESOURCE',
    type: numberType({ arg: 'BYTES', unit: 'bytes' }),
    doc: 'largest representation a write may leave, whatever its form: PUT, POST, JSON Patch, merge patch (413; default: --max-body)',
    group: 'Requests',
  },
  maxPatchOperations: {
    flag: 'max-patch-operations',
    env: 'PREP_MAX_PATCH_OPERATIONS',
    type: numberType(),
    // Each costs some 5 µs on a 1 MiB document: 2000 stay near 10 ms (issue 15).
    default: 2000,
    doc: 'operations in one JSON Patch (422 beyond)',
    group: 'Requests',
  },
  maxPatchTouchedBytes: {
    flag: 'max-patch-touched-bytes',
    env: 'PREP_MAX_PATCH_TOUCHED_BYTES',
    type: numberType({ arg: 'BYTES', unit: 'bytes' }),
    default: 128 * MiB,
    doc: 'bytes of the document one JSON Patch may move or copy: an array insert or removal moves every later element, 8 bytes each (422 beyond)',
    group: 'Requests',
  },
  listingPage: {
    flag: 'listing-page',
    env: 'PREP_LISTING_PAGE',
    type: numberType(),
    default: 100,
    doc: 'members per page of a paged container listing (GET /c/?limit=) when the request names no limit',
    group: 'Requests',
  },
  maxListingPage: {
    flag: 'max-listing-page',
    env: 'PREP_MAX_LISTING_PAGE',
    type: numberType(),
    default: 1000,
    doc: 'the largest limit a listing page honours (a larger one gets this many)',
    group: 'Requests',
  },
  maxPathDepth: {
    flag: 'max-path-depth',
    env: 'PREP_MAX_PATH_DEPTH',
    type: numberType(),
    default: 32,
    doc: 'most segments in a path: a write creates every missing container above its path (414 beyond)',
    group: 'Requests',
  },
  maxUrl: {
    flag: 'max-url',
    env: 'PREP_MAX_URL',
    type: numberType(),
    default: 4096,
    doc: 'longest request target in characters (414)',
    group: 'Requests',
  },
  maxHeaderBytes: {
    flag: 'max-header-bytes',
    env: 'PREP_MAX_HEADER_BYTES',
    type: numberType({ arg: 'BYTES', unit: 'bytes' }),
    default: 16 * 1024,
    doc: 'largest request head (431)',
    group: 'Requests',
  },
  headersTimeout: {
    flag: 'headers-timeout',
    env: 'PREP_HEADERS_TIMEOUT',
    type: numberType({ arg: 'MS', unit: 'ms' }),
    default: 10_000,
    doc: 'time allowed to send a request head (408)',
    group: 'Requests',
  },
  requestTimeout: {
    flag: 'request-timeout',
    env: 'PREP_REQUEST_TIMEOUT',
    type: numberType({ arg: 'MS', unit: 'ms' }),
    default: 30_000,
    doc: 'time allowed to send a whole request (408)',
    group: 'Requests',
  },
  expires: {
    flag: 'expires',
    env: 'PREP_EXPIRES',
    type: numberType({ arg: 'SECONDS', unit: 's' }),
    default: 3600,
    doc: 'lifetime of a notifications stream (Events: expires)',
    group: 'Streams',
  },
  keepAlive: {
    flag: 'keep-alive',
    env: 'PREP_KEEP_ALIVE',
    type: numberType({ arg: 'SECONDS', unit: 's' }),
    default: 30,
    doc: 'an empty digest part on idle streams after this long',
    group: 'Streams',
  },
  maxQueueBytes: {
    flag: 'max-queue-bytes',
    env: 'PREP_MAX_QUEUE_BYTES',
    type: numberType({ arg: 'BYTES', unit: 'bytes' }),
    default: MiB,
    doc: 'unsent bytes a stream may hold; a subscriber further behind is closed (it may resume)',
    group: 'Streams',
  },
  maxSubscriptions: {
    flag: 'max-subscriptions',
    env: 'PREP_MAX_SUBSCRIPTIONS',
    type: numberType(),
    default: 100_000,
    doc: 'open streams in total (Events status 503)',
    group: 'Subscription limits',
  },
  maxSubscriptionsPerClient: {
    flag: 'max-subscriptions-per-client',
    env: 'PREP_MAX_SUBSCRIPTIONS_PER_CLIENT',
    type: numberType(),
    default: 1000,
    doc: 'per client address (429)',
    group: 'Subscription limits',
  },
  maxSubscriptionsPerResource: {
    flag: 'max-subscriptions-per-resource',
    env: 'PREP_MAX_SUBSCRIPTIONS_PER_RESOURCE',
    type: numberType(),
    default: 50_000,
    doc: 'per resource (503)',
    group: 'Subscription limits',
  },
  maxSubscriptionsPerToken: {
    flag: 'max-subscriptions-per-token',
    env: 'PREP_MAX_SUBSCRIPTIONS_PER_TOKEN',
    type: numberType(),
    default: 1000,
    doc: 'per bearer token (429); a token\'s "maxSubscriptions" in --auth overrides it',
    group: 'Subscription limits',
  },
  maxIdenticalSubscriptions: {
    flag: 'max-identical-subscriptions',
    env: 'PREP_MAX_IDENTICAL_SUBSCRIPTIONS',
    type: numberType(),
    default: 8,
    doc: 'same token, address, resource and format (429; anonymous: only per client)',
    group: 'Subscription limits',
  },
  writeRate: {
    flag: 'write-rate',
    env: 'PREP_WRITE_RATE',
    type: orWord(rateType, 'off'),
    default: 100,
    doc: 'writes per second per client: the token, else the address (429 + Retry-After; "off" disables; a token\'s "writesPerMinute" overrides it)',
    group: 'Writes and access',
  },
  writeBurst: {
    flag: 'write-burst',
    env: 'PREP_WRITE_BURST',
    type: numberType({ min: 1 }),
    default: 200,
    doc: 'writes a client may make at once before the rate applies',
    group: 'Writes and access',
  },
  auth: {
    flag: 'auth',
    env: 'PREP_AUTH_FILE',
    type: textType('FILE', 'a file name'),
    doc: 'bearer tokens and their rights, JSON (docs/auth.md); re-read when it changes and on SIGHUP',
    group: 'Writes and access',
  },
  cors: {
    flag: 'cors',
    env: 'PREP_CORS',
    type: textType('ORIGIN', 'an origin, "*" or "off"'),
    default: '*',
    doc: 'Access-Control-Allow-Origin ("off" disables CORS)',
    group: 'Writes and access',
  },
  contentCsp: {
    flag: 'content-csp',
    env: 'PREP_CONTENT_CSP',
    type: textType('POLICY', 'a Content-Security-Policy or "off"'),
    default: 'sandbox',
    doc: 'Content-Security-Policy of stored content, so a stored page cannot script this origin ("off" sends none)',
    group: 'Writes and access',
  },
  contentNosniff: {
    flag: 'content-nosniff',
    env: 'PREP_CONTENT_NOSNIFF',
    type: choiceType(['on', 'off'] as const),
    default: 'on',
    doc: 'X-Content-Type-Options: nosniff on stored content',
    group: 'Writes and access',
  },
  adminPort: {
    flag: 'admin-port',
    env: 'PREP_ADMIN_PORT',
    type: portType,
    doc: 'serve /metrics, /healthz and /readyz on this port (off unless set; 0 picks one)',
    group: 'Operations',
  },
  adminHost: {
    flag: 'admin-host',
    env: 'PREP_ADMIN_HOST',
    type: textType('ADDR', 'an address'),
    default: '127.0.0.1',
    doc: 'address of the admin listener',
    group: 'Operations',
  },
  logFormat: {
    flag: 'log-format',
    env: 'PREP_LOG_FORMAT',
    type: choiceType(['text', 'json'] as const),
    default: 'text',
    doc: 'the request log: a line per request, or one JSON object per request (pino)',
    group: 'Operations',
  },
  quiet: {
    flag: 'quiet',
    env: 'PREP_QUIET',
    type: booleanType,
    default: false,
    doc: 'no request log',
    group: 'Operations',
  },
  drainTimeout: {
    flag: 'drain-timeout',
    env: 'PREP_DRAIN_TIMEOUT',
    type: numberType({ arg: 'SECONDS', unit: 's', integer: false }),
    default: 10,
    doc: 'on SIGTERM, how long in-flight requests get before every stream is closed and the process exits',
    group: 'Operations',
  },
} satisfies Record<string, SettingSpec<unknown>>;

/** The name of a setting in code (`maxBody`); its flag is `SETTINGS[key].flag`. */
export type SettingKey = keyof typeof SETTINGS;

/** The value a setting's type parses to. */
type ValueOf<S> = S extends { type: SettingType<infer T> } ? T : never;

/** Every setting's value; those without a default may be undefined. */
export type Settings = {
  [K in SettingKey]: (typeof SETTINGS)[K] extends { default: unknown }
    ? ValueOf<(typeof SETTINGS)[K]>
    : ValueOf<(typeof SETTINGS)[K]> | undefined;
};

/** The defaults, by key: what the library and the CLI use when nothing else is given. */
export const DEFAULTS = Object.fromEntries(
  Object.entries(SETTINGS).map(([key, spec]) => [
    key,
    'default' in spec ? (spec as { default: unknown }).default : undefined,
  ]),
) as Settings;

/** The settings in table order, with their keys. */
export function settingList(): Array<{ key: SettingKey } & SettingSpec<unknown>> {
  return (Object.keys(SETTINGS) as SettingKey[]).map((key) => ({
    key,
    ...(SETTINGS[key] as SettingSpec<unknown>),
  }));
}
