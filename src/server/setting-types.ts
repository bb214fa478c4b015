/**
 * The kinds of value a setting of `prep serve` takes (see `settings.ts`): each parses what a
 * flag, an environment variable or a configuration file gives, says in a few words what it
 * expects (for the one-line error that names the key), and shows a value for `--help` and
 * the README.
 */
export interface SettingType<T> {
  /** The placeholder in `--help`: `N`, `SECONDS`, `FILE`, ... (empty for a boolean). */
  readonly arg: string;
  /** What a good value is, for errors: "a non-negative integer". */
  readonly expects: string;
  /** The value, or undefined when `raw` is not one (the caller names the key). */
  parse(raw: unknown): T | undefined;
  /** A value as `--help` and the README show it: `1 MiB`, `30 s`. */
  show(value: T): string;
}

/** A decimal number from a flag (text) or a file (a JSON number); NaN when it is neither. */
function numeric(raw: unknown): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(raw)) return Number(raw);
  return NaN;
}

/** Thousands grouped with a space, as the docs write them: `100 000`. */
function grouped(n: number): string {
  return n >= 10_000 ? n.toLocaleString('en-US').replace(/,/g, ' ') : String(n);
}

interface NumberOptions {
  integer?: boolean;
  min?: number;
  max?: number;
  /** The placeholder in `--help`. Default `N`. */
  arg?: string;
  /** How a value shows: a unit after it, or bytes in KiB/MiB. */
  unit?: 's' | 'ms' | 'bytes';
}

/** A number in `[min, max]` (default: non-negative), an integer unless `integer: false`. */
export function numberType(options: NumberOptions = {}): SettingType<number> {
  const { integer = true, min = 0, max = Number.MAX_SAFE_INTEGER, unit } = options;
  const kind = integer ? 'integer' : 'number';
  const range =
    max < Number.MAX_SAFE_INTEGER
      ? `${min === 0 ? 'a non-negative' : `an`} ${kind} ${min === 0 ? 'up to' : `from ${min} to`} ${max}`
      : min === 0
        ? `a non-negative ${kind}`
        : `${kind === 'integer' ? 'an integer' : 'a number'} of at least ${min}`;
  return {
    arg: options.arg ?? 'N',
    expects: range,
    parse(raw) {
      const n = numeric(raw);
      if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
        return undefined;
      return n;
    },
    show(n) {
      if (unit === 'bytes') {
        if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
        if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
        return `${grouped(n)} bytes`;
      }
      return unit ? `${grouped(n)} ${unit}` : grouped(n);
    },
  };
}

/** A TCP port, 0 to 65535 (0 picks a free one). */
export const portType: SettingType<number> = { ...numberType({ max: 65535 }), arg: 'PORT' };

/** Text, not empty. */
export function textType(arg: string, expects = 'a non-empty string'): SettingType<string> {
  return {
    arg,
    expects,
    parse: (raw) => (typeof raw === 'string' && raw.trim() !== '' ? raw : undefined),
    show: (v) => v,
  };
}

/** On or off: a flag without value; `true`/`false` in a file; `1`, `true`, `0`, `false` in the environment. */
export const booleanType: SettingType<boolean> = {
  arg: '',
  expects: 'true or false',
  parse(raw) {
    if (typeof raw === 'boolean') return raw;
    if (typeof raw !== 'string') return undefined;
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
    return undefined;
  },
  show: (v) => (v ? 'on' : 'off'),
};

/** One of a few words. */
export function choiceType<W extends string>(words: readonly W[]): SettingType<W> {
  return {
    arg: words.join('|'),
    expects: words.map((w) => JSON.stringify(w)).join(' or '),
    parse: (raw) =>
      typeof raw === 'string' && (words as readonly string[]).includes(raw.trim())
        ? (raw.trim() as W)
        : undefined,
    show: (v) => v,
  };
}

/** `inner`'s values, or a word that stands for something else (`off`, `auto`). */
export function orWord<T, W extends string>(
  inner: SettingType<T>,
  word: W,
  arg = `${inner.arg}|${word}`,
): SettingType<T | W> {
  return {
    arg,
    expects: `${inner.expects}, or ${JSON.stringify(word)}`,
    parse: (raw) =>
      typeof raw === 'string' && raw.trim() === word ? word : (inner.parse(raw) ?? undefined),
    show: (v) => (v === word ? word : inner.show(v as T)),
  };
}

/** A `postgres://` or `postgresql://` URL. */
export const postgresUrlType: SettingType<string> = {
  arg: 'URL',
  expects: 'a postgres:// URL',
  parse: (raw) =>
    typeof raw === 'string' && /^postgres(ql)?:\/\//.test(raw.trim()) ? raw.trim() : undefined,
  show: (v) => v,
};
