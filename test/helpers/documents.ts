/** Small documents the tests write. */

export const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** A JSON document of `n` keys, big enough for a one-key delta to be smaller than it. */
export function bigDoc(n = 40, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) doc[`key${i}`] = `value number ${i}`;
  return { ...doc, ...extra };
}
