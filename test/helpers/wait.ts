/**
 * Waiting in tests: hang guards and polling, never timing assertions (a test that waits
 * longer than WAIT_MS fails saying what it waited for).
 */

/** How long a helper waits for something before failing the test (never a timing assertion). */
export const WAIT_MS = 10_000;

/** Resolves `promise`, or rejects after `ms` saying what was awaited (a hang guard only). */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  // The loser must not become an unhandled rejection once the test has moved on.
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every few milliseconds until it returns a value other than undefined/false. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets `n` turns of the event loop pass (timers excluded). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}
