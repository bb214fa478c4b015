/**
 * What the WES tests do to a server: requests over a keep-alive agent, a random workload on a
 * collection, and the check that a replica equals the server's collection.
 */
import http from 'node:http';
import type { Store } from '../../src/store/index.js';
import { random } from '../helpers/random.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/**
 * One request over node:http with a keep-alive agent (several times faster here than fetch
 * for small writes, which keeps the workloads quick).
 */
export function request(
  url: string,
  method: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined) h['Content-Length'] = Buffer.byteLength(body);
    const req = http.request(url, { method, agent, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A PUT of JSON; returns the status. */
export async function put(base: string, path: string, value: unknown): Promise<number> {
  const r = await request(base + path, 'PUT', JSON.stringify(value), {
    'Content-Type': 'application/json',
  });
  return r.status;
}

/** A PATCH; returns the status. */
export async function patch(
  base: string,
  path: string,
  type: 'application/json-patch+json' | 'application/merge-patch+json',
  doc: unknown,
): Promise<number> {
  const r = await request(base + path, 'PATCH', JSON.stringify(doc), { 'Content-Type': type });
  return r.status;
}

/** A DELETE; returns the status. */
export async function del(base: string, path: string): Promise<number> {
  return (await request(base + path, 'DELETE')).status;
}

/** A POST of JSON to a container; returns the new member's path. */
export async function post(base: string, container: string, value: unknown): Promise<string> {
  const r = await request(base + container, 'POST', JSON.stringify(value), {
    'Content-Type': 'application/json',
  });
  const location = r.headers.location;
  return typeof location === 'string' ? location : '';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Asserts that a replica (its state and its bytes) equals the server's collection exactly:
 * the same members, and for each the same bytes, ETag and media type.
 */
export async function replicaDiff(
  store: Store,
  container: string,
  entities: Record<string, { etag?: string; contentType: string }>,
  read: (path: string) => Promise<Uint8Array | undefined>,
): Promise<string[]> {
  const problems: string[] = [];
  const members = ((await store.members(container)) ?? []).filter((m) => !m.path.endsWith('/'));
  const want = new Set(members.map((m) => m.path));
  for (const path of Object.keys(entities))
    if (!want.has(path)) problems.push(`${path}: in the replica, not on the server`);
  for (const m of members) {
    const r = await store.get(m.path);
    if (!r) continue;
    const e = entities[m.path];
    if (!e) {
      problems.push(`${m.path}: missing from the replica`);
      continue;
    }
    if (e.etag !== r.etag) problems.push(`${m.path}: ETag ${e.etag} != ${r.etag}`);
    if (e.contentType !== r.contentType)
      problems.push(`${m.path}: type ${e.contentType} != ${r.contentType}`);
    const bytes = await read(m.path);
    if (!bytes || Buffer.compare(Buffer.from(bytes), Buffer.from(r.body)) !== 0)
      problems.push(`${m.path}: bytes differ`);
  }
  return problems;
}

export { random };

/**
 * A random workload on the members of `container`: PUT, PATCH (JSON Patch appends and merge
 * patches, neither idempotent-looking to a replica that applies one twice), DELETE and POST,
 * `total` operations over `concurrency` workers. `done()` says how many have finished.
 */
export function workload(
  base: string,
  container: string,
  options: { total: number; concurrency?: number; seed?: number; names?: number },
): { done: () => number; finished: Promise<void> } {
  const rnd = random(options.seed ?? 1);
  const names = options.names ?? 60;
  let started = 0;
  let done = 0;
  const pick = () => `${container}m${Math.floor(rnd() * names)}`;
  async function one(): Promise<void> {
    const r = rnd();
    const path = pick();
    if (r < 0.35) await put(base, path, { v: Math.floor(rnd() * 1e6), list: [] });
    else if (r < 0.5)
      await patch(base, path, 'application/json-patch+json', [
        { op: 'add', path: '/list/-', value: Math.floor(rnd() * 100) },
      ]);
    else if (r < 0.65)
      await patch(base, path, 'application/merge-patch+json', { v: Math.floor(rnd() * 1e6) });
    else if (r < 0.8) await del(base, path);
    else await post(base, container, { v: Math.floor(rnd() * 1e6), list: [] });
  }
  async function worker(): Promise<void> {
    while (started < options.total) {
      started++;
      await one();
      done++;
    }
  }
  const finished = Promise.all(
    Array.from({ length: options.concurrency ?? 8 }, () => worker()),
  ).then(() => undefined);
  return { done: () => done, finished };
}
