/**
 * Cleanup of what a test opens (servers, stores, temp directories), run when the test (or,
 * for a file scope, the file) ends, last opened first, even when the test fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** Where cleanups go: a test's `TestContext`, or a `fileScope()`. */
export interface CleanupScope {
  after(fn: () => unknown): void;
}

const stacks = new WeakMap<CleanupScope, Array<() => unknown>>();

/**
 * Runs `fn` when `scope` ends, last registered first (node:test runs `t.after` hooks in
 * registration order; a server must close before its store, a store before its directory).
 */
export function defer(scope: CleanupScope, fn: () => unknown): void {
  let stack = stacks.get(scope);
  if (!stack) {
    const fns: Array<() => unknown> = [];
    stack = fns;
    stacks.set(scope, fns);
    scope.after(async () => {
      for (let f = fns.pop(); f; f = fns.pop()) await f();
    });
  }
  stack.push(fn);
}

/** A scope run by hand: `run()` cleans up what was registered, last first, once. */
export interface OwnedScope extends CleanupScope {
  run(): Promise<void>;
}

export function ownedScope(): OwnedScope {
  const fns: Array<() => unknown> = [];
  return {
    after: (fn) => void fns.push(fn),
    async run() {
      for (let f = fns.pop(); f; f = fns.pop()) await f();
    },
  };
}

/**
 * A scope for what a whole test file shares (a server started at the top of the file, or by
 * several tests): cleaned up by node:test's `after` hook of the file. Call it at the top level.
 */
export function fileScope(): CleanupScope {
  const scope = ownedScope();
  after(() => scope.run());
  return scope;
}

/** A scope cleaned up when `run` settles: for code that holds no TestContext. */
export async function withScope<T>(run: (scope: CleanupScope) => Promise<T>): Promise<T> {
  const scope = ownedScope();
  try {
    return await run(scope);
  } finally {
    await scope.run();
  }
}

/** A directory under the OS temp dir, removed when `scope` ends. */
export function tempDir(scope: CleanupScope, prefix = 'prep-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  defer(scope, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
