/**
 * The settings of `prep serve` from where an operator gives them: flags, the environment and a
 * configuration file (`--config FILE`, JSON, the flags' names as keys), over the defaults of
 * the settings table (`src/server/settings.ts`). Precedence: flags > environment > file >
 * defaults. A bad value or an unknown key is refused in one line that names it.
 */
import { readFileSync } from 'node:fs';
import {
  SETTING_GROUPS,
  settingList,
  type SettingKey,
  type Settings,
  type SettingSpec,
} from '../server/settings.js';

/** Where a setting's value came from. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

/** A setting that cannot be used; the message is one line naming the flag, variable or key. */
export class SettingError extends Error {
  override name = 'SettingError';
}

/** What `resolveSettings` reads. */
export interface SettingInputs {
  /** Parsed flags by flag name (the values `parseCommandLine` gives): strings, or true for a boolean flag. */
  flags: Readonly<Record<string, string | boolean | undefined>>;
  env: Readonly<Record<string, string | undefined>>;
  /** A configuration file already read (`readConfigFile`). */
  file?: ConfigFile;
}

/** A configuration file: its name (for messages) and its parsed JSON. */
export interface ConfigFile {
  name: string;
  values: unknown;
}

/** Resolved settings and where each came from. */
export interface ResolvedSettings {
  settings: Settings;
  sources: Record<SettingKey, SettingSource>;
}

/** The flag and environment variable of the configuration file itself. */
export const CONFIG_FLAG = 'config';
export const CONFIG_ENV = 'PREP_CONFIG';

/**
 * Reads `--config FILE`: JSON, one object whose keys are the flags' names.
 *
 * @example
 * ```ts
 * const file = readConfigFile('/etc/prep/prep.json');
 * const { settings } = resolveSettings({ flags: {}, env: process.env, file });
 * ```
 */
export function readConfigFile(name: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(name, 'utf8');
  } catch (e) {
    throw new SettingError(
      `--config ${name}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  try {
    return { name, values: JSON.parse(text) as unknown };
  } catch (e) {
    throw new SettingError(`--config ${name}: not JSON (${(e as Error).message})`);
  }
}

/**
 * Every setting from the flags, the environment, the file and the defaults, in that order of
 * precedence; throws a `SettingError` naming the first bad or unknown one. An environment
 * variable set but empty counts as unset (`HOST=` must not mean every interface).
 *
 * @example
 * ```ts
 * resolveSettings({ flags: { port: '9000' }, env: { PORT: '8000' } }).settings.port; // 9000
 * ```
 */
export function resolveSettings(inputs: SettingInputs): ResolvedSettings {
  const fileValues = fileEntries(inputs.file);
  const settings: Record<string, unknown> = {};
  const sources = {} as Record<SettingKey, SettingSource>;
  for (const spec of settingList()) {
    const flag = inputs.flags[spec.flag];
    const env = inputs.env[spec.env] || undefined;
    let value: unknown;
    let source: SettingSource;
    if (flag !== undefined) {
      value = parseOrThrow(spec, flag, `--${spec.flag}`);
      source = 'flag';
    } else if (env !== undefined) {
      value = parseOrThrow(spec, env, spec.env);
      source = 'env';
    } else if (fileValues.has(spec.flag)) {
      value = parseOrThrow(spec, fileValues.get(spec.flag), `${inputs.file!.name}: "${spec.flag}"`);
      source = 'file';
    } else {
      value = spec.default;
      source = 'default';
    }
    settings[spec.key] = value;
    sources[spec.key] = source;
  }
  const resolved = { settings: settings as Settings, sources };
  checkTogether(resolved.settings);
  return resolved;
}

/** The file's keys and values; a key that is no setting's flag is refused. */
function fileEntries(file: ConfigFile | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!file) return out;
  const { name, values } = file;
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new SettingError(`${name}: expected a JSON object whose keys are the flags' names`);
  const known = new Set(settingList().map((s) => s.flag));
  for (const [key, value] of Object.entries(values)) {
    if (!known.has(key))
      throw new SettingError(
        `${name}: unknown key ${JSON.stringify(key)} (the keys are the flags' names, see prep serve --help)`,
      );
    out.set(key, value);
  }
  return out;
}

function parseOrThrow(spec: SettingSpec<unknown>, raw: unknown, where: string): unknown {
  const value = spec.type.parse(raw);
  if (value === undefined)
    throw new SettingError(`${where} expects ${spec.type.expects}, got ${JSON.stringify(raw)}`);
  return value;
}

/** Settings that only make sense together. */
function checkTogether(s: Settings): void {
  if (s.requestTimeout > 0 && s.headersTimeout > s.requestTimeout)
    throw new SettingError('--headers-timeout must not exceed --request-timeout');
  if (s.h2c && (s.http2 || s.cert !== undefined || s.key !== undefined))
    throw new SettingError('--h2c is HTTP/2 without TLS: it takes no --http2, --cert or --key');
  if (s.http2 && (s.cert === undefined || s.key === undefined))
    throw new SettingError('--http2 needs --cert FILE and --key FILE (PEM)');
}

/** The flags `parseCommandLine` takes: one per setting, `--config` and `--help`. */
export function serveFlags(): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  const flags: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const s of settingList()) flags[s.flag] = { type: s.type.arg === '' ? 'boolean' : 'string' };
  flags[CONFIG_FLAG] = { type: 'string' };
  flags.help = { type: 'boolean', short: 'h' };
  return flags;
}

const HELP_HEAD = `Usage: prep serve [options]

Runs the PREP resource server on an embedded SQLite store. Every resource can be
watched live: GET it with  Accept-Events: "prep"

Every setting is a flag, an environment variable, or a key of the --config file
(JSON; the keys are the flags' names: {"port": 8080, "max-body": 1048576}).
Flags win over the environment, which wins over the file. SIGTERM drains: /readyz
turns 503, in-flight writes finish, every stream closes cleanly, then it exits.
`;

const COLUMN = 34;

/** `prep serve --help`, from the settings table. */
export function serveHelp(): string {
  const lines: string[] = [HELP_HEAD];
  for (const group of SETTING_GROUPS) {
    lines.push(`${group}:`);
    for (const s of settingList().filter((x) => x.group === group)) {
      const left = `  --${s.flag}${s.type.arg ? ` ${s.type.arg}` : ''}`;
      const facts = [
        ...(s.default !== undefined && s.default !== false
          ? [`default ${s.type.show(s.default)}`]
          : []),
        `env ${s.env}`,
      ].join('; ');
      lines.push(...columns(left, `${s.doc} (${facts})`));
    }
    lines.push('');
  }
  lines.push(
    ...columns(`  --${CONFIG_FLAG} FILE`, `read settings from a JSON file (env ${CONFIG_ENV})`),
  );
  lines.push(...columns('  -h, --help', 'show this help'), '');
  return lines.join('\n');
}

/** `left` then `text` wrapped to 80 columns in the right-hand column. */
function columns(left: string, text: string): string[] {
  const width = 80 - COLUMN;
  const words = text.split(' ');
  const out: string[] = [];
  let line = '';
  for (const w of words) {
    if (line !== '' && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  out.push(line);
  const first =
    left.length < COLUMN ? left.padEnd(COLUMN) + out[0] : `${left}\n${' '.repeat(COLUMN)}${out[0]}`;
  return [first, ...out.slice(1).map((l) => ' '.repeat(COLUMN) + l)];
}

/** The README's table of settings (between `<!-- settings:start -->` and `<!-- settings:end -->`). */
export function settingsMarkdown(): string {
  // GitHub tables split cells on `|`, even inside code spans, unless it is escaped.
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const rows = settingList().map((s) => {
    const flag = `\`--${s.flag}${s.type.arg ? ` ${s.type.arg}` : ''}\``;
    const value =
      s.default === undefined
        ? '—'
        : s.default === false
          ? 'off'
          : typeof s.default === 'string'
            ? `\`${s.type.show(s.default)}\``
            : s.type.show(s.default);
    return `| ${cell(flag)} | \`${s.env}\` | ${cell(value)} | ${cell(s.doc)} |`;
  });
  return [
    '| flag / key | environment | default | what |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
