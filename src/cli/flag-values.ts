/**
 * Flag values shared by the commands that start a server (`prep serve`, `prep proxy`):
 * environment variables, numbers, database URLs in messages.
 */
import { usageError } from './args.js';

/** An environment variable; set but empty counts as unset (`HOST=` must not mean all interfaces). */
export function env(name: string): string | undefined {
  return process.env[name] || undefined;
}

/**
 * A flag's number; a value that is not one ends the process with status 2 (a usage error),
 * naming `command` and the flag.
 */
export function numberFlag(
  command: string,
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
      usageError(command, `--${name} expects ${what}${limit}, got ${JSON.stringify(value)}`),
    );
  }
  return n;
}

/** A database URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the PostgreSQL database';
  }
}
