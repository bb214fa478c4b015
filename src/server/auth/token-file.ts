import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { PrepError } from '@prep-live/client/core';
import { TokenPolicy, parseTokenPolicyConfig, type TokenPolicyConfig } from './token-policy.js';

/**
 * Reads and checks a policy file (docs/auth.md); throws a `PrepError` `AUTH_CONFIG` with one
 * line naming the file and what is wrong with it.
 *
 * @example
 * ```ts
 * const policy = new TokenPolicy(readTokenPolicyFile('./auth.json'));
 * ```
 */
export function readTokenPolicyFile(file: string): TokenPolicyConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PrepError('AUTH_CONFIG', `${file}: cannot read: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PrepError('AUTH_CONFIG', `${file}: not valid JSON: ${(e as Error).message}`);
  }
  try {
    return parseTokenPolicyConfig(json);
  } catch (e) {
    throw new PrepError('AUTH_CONFIG', `${file}: ${(e as Error).message}`);
  }
}

/** Options of {@link loadTokenPolicyFile}. */
export interface TokenPolicyFileOptions {
  /** Re-read the file when it changes (fs.watch). Default true. */
  watch?: boolean;
  /** Changes within this long are read once. Default 200 ms. */
  debounceMs?: number;
  /** One line per reload, and per reload error (the old policy is kept then). */
  log?: (line: string) => void;
}

/** A policy kept in step with its file. */
export interface TokenPolicyFile {
  policy: TokenPolicy;
  /** Re-reads the file now (SIGHUP); on an error keeps the old policy and logs. True if reloaded. */
  reload(): boolean;
  /** Stops watching. */
  close(): void;
}

/**
 * Loads a policy file (throws `AUTH_CONFIG` when it is invalid) and re-reads it when it
 * changes. A reload that fails keeps the old policy and logs one line; one that succeeds
 * fires the policy's `onChange`, so streams whose rights were revoked close.
 *
 * @example
 * ```ts
 * const auth = loadTokenPolicyFile('./auth.json', { log: console.error });
 * process.on('SIGHUP', () => auth.reload());
 * const app = createResourceServer({ store, access: auth.policy });
 * ```
 */
export function loadTokenPolicyFile(
  file: string,
  options: TokenPolicyFileOptions = {},
): TokenPolicyFile {
  const policy = new TokenPolicy(readTokenPolicyFile(file));
  const log = options.log ?? (() => undefined);
  const reload = (): boolean => {
    try {
      policy.reload(readTokenPolicyFile(file));
    } catch (e) {
      log(`auth: ${(e as Error).message.replace(/\s+/g, ' ')} (keeping the previous policy)`);
      return false;
    }
    log(`auth: reloaded ${file}`);
    return true;
  };
  let watcher: FSWatcher | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (options.watch !== false) {
    // The directory, not the file: editors save by renaming a new file over the old one,
    // which ends a watch on the file itself.
    const path = resolve(file);
    const name = basename(path);
    const debounce = options.debounceMs ?? 200;
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed.toString() !== name) return;
        clearTimeout(timer);
        timer = setTimeout(reload, debounce);
        timer.unref();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      // No watching here (some file systems): SIGHUP still reloads.
    }
  }
  return {
    policy,
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
