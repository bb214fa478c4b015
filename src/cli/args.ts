/**
 * The command line of every `prep` command: `node:util` `parseArgs` underneath, with the
 * answers a person expects. `--help` prints the help; an unknown flag, a flag without its
 * value and a stray argument are one line on stderr naming the problem (and the closest known
 * flag), never Node's parser message or the whole help; exit status 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The flags of a command, as `parseArgs` takes them. */
export type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Exit status of a usage error, for every command. */
export const USAGE_EXIT = 2;

/** A command's name (`prep watch`), flags and help text. */
export interface CommandLine<O extends ParseArgsOptionsConfig> {
  /** As the user types it, for messages: `prep watch`. */
  name: string;
  /** The flags, as `parseArgs` takes them; include `help: { type: 'boolean', short: 'h' }`. */
  options: O;
  /** Whether the command takes positional arguments (URL, DIR). */
  positionals: boolean;
  /** Printed to stdout for `--help`. */
  help: string;
}

type StrictConfig<O extends ParseArgsOptionsConfig> = {
  args: string[];
  options: O;
  allowPositionals: boolean;
  strict: true;
};

/** The parsed flags and positionals, typed after the command's options. */
export type ParsedCommandLine<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<StrictConfig<O>>
>;

/**
 * Parses `argv` for `command`. Resolves to the flags, or to the exit status once it has
 * printed the help (0) or a one-line usage error (2).
 *
 * @example
 * ```ts
 * import { parseCommandLine } from './args.js';
 *
 * const parsed = parseCommandLine(
 *   {
 *     name: 'prep watch',
 *     options: { delta: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
 *     positionals: true,
 *     help: 'Usage: prep watch URL [options]\n',
 *   },
 *   ['http://127.0.0.1:8080/a', '--dleta', 'text/plain'],
 * ); // 2, after "prep watch: unknown option --dleta (did you mean --delta?)" on stderr
 * ```
 */
export function parseCommandLine<O extends ParseArgsOptionsConfig>(
  command: CommandLine<O>,
  argv: string[],
): ParsedCommandLine<O> | number {
  // A first, lenient pass reads the tokens, so each problem can be named in our words.
  const { tokens } = parseArgs({
    args: argv,
    options: command.options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const longOf = new Map<string, string>();
  for (const [name, option] of Object.entries(command.options)) {
    longOf.set(name, name);
    if (option.short !== undefined) longOf.set(option.short, name);
  }
  if (
    command.options.help !== undefined &&
    tokens.some((t) => t.kind === 'option' && longOf.get(t.name) === 'help')
  ) {
    process.stdout.write(command.help);
    return 0;
  }
  for (const token of tokens) {
    if (token.kind === 'positional' && !command.positionals)
      return usageError(command.name, `unexpected argument ${JSON.stringify(token.value)}`);
    if (token.kind !== 'option') continue;
    const name = longOf.get(token.name);
    if (name === undefined) {
      const near = token.rawName.startsWith('--')
        ? closestFlag(token.name, Object.keys(command.options))
        : undefined;
      return usageError(
        command.name,
        `unknown option ${token.rawName}`,
        near === undefined ? undefined : `did you mean --${near}?`,
      );
    }
    const type = command.options[name]!.type;
    if (type === 'boolean' && token.inlineValue === true)
      return usageError(command.name, `--${name} takes no value`);
    if (type === 'string' && (token.value === undefined || startsLikeFlag(token)))
      return usageError(command.name, `--${name} expects a value`);
  }
  try {
    return parseArgs({
      args: argv,
      options: command.options,
      allowPositionals: command.positionals,
      strict: true,
    });
  } catch (e) {
    // Not reached for the cases above; any other refusal still gets one line.
    return usageError(command.name, (e as Error).message.split(/[.\n]/)[0]!);
  }
}

/** `--delta --json`: the flag after a string flag is not its value. */
function startsLikeFlag(token: { value?: string | undefined; inlineValue?: boolean | undefined }) {
  return token.inlineValue === false && token.value?.startsWith('-') === true;
}

/**
 * Writes the one-line usage error (`prep watch: expected a URL (see prep watch --help)`) and
 * returns {@link USAGE_EXIT}. `hint` replaces the pointer to `--help`.
 *
 * @example
 * ```ts
 * import { usageError } from './args.js';
 *
 * process.exitCode = usageError('prep replicate', 'expected URL and DIR');
 * ```
 */
export function usageError(command: string, message: string, hint?: string): number {
  process.stderr.write(`${command}: ${message} (${hint ?? `see ${command} --help`})\n`);
  return USAGE_EXIT;
}

/**
 * The known name closest to `typed`, if it is close enough to be a typo: a unique name it is a
 * prefix of, else the nearest by edit distance (at most 2, and less than half its length).
 *
 * @example
 * ```ts
 * import { closestFlag } from './args.js';
 *
 * closestFlag('dleta', ['delta', 'accept', 'json']); // 'delta'
 * closestFlag('zzz', ['delta', 'accept', 'json']); // undefined
 * ```
 */
export function closestFlag(typed: string, known: readonly string[]): string | undefined {
  const prefixed = known.filter((name) => name.startsWith(typed));
  if (typed.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.ceil(typed.length / 2) - 1);
  for (const name of known) {
    const d = editDistance(typed, name);
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbours (`dleta` is one swap from `delta`). Written here rather than taken from a
 * package: a dozen lines, and the installed CLI keeps no dependency for it.
 */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * A media type flag's value that must be one of `known` (case-insensitive, parameters after
 * `;` aside): the value, or the exit status after a usage error that lists the known ones.
 *
 * @example
 * ```ts
 * import { oneOf } from './args.js';
 *
 * oneOf('prep watch', '--delta', 'text/html', ['application/json-patch+json', 'text/plain']);
 * // 2, after "prep watch: --delta: unknown type "text/html"; known: application/json-patch+json, text/plain"
 * ```
 */
export function oneOf(
  command: string,
  flag: string,
  value: string,
  known: readonly string[],
): string | number {
  const wanted = value.split(';')[0]!.trim().toLowerCase();
  if (known.some((k) => k.toLowerCase() === wanted)) return value;
  process.stderr.write(
    `${command}: ${flag}: unknown type ${JSON.stringify(value)}; known: ${known.join(', ')}\n`,
  );
  return USAGE_EXIT;
}
