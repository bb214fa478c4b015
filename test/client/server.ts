// Our server on port 0 for the client's integration tests, and a writer that uses its own
// connection per request (so cutting the server's connections never hits a write).
import http from 'node:http';
import type { RunningServer, ServerOptions } from '../../src/server/index.js';
import { withServer as withTestServer } from '../helpers/server.js';
import type { FetchFunction } from '../../packages/client/src/client/index.js';
import type { SeenRequest } from './helpers.js';

/** Our server over a fresh in-memory store for the length of `run` (the shared harness). */
export function withServer(
  options: Omit<ServerOptions, 'store' | 'port' | 'host'>,
  run: (running: RunningServer) => Promise<void>,
): Promise<void> {
  return withTestServer(options, (srv) => run(srv.running));
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Keeps connections for writes when no test cuts them. */
export const keepAlive = new http.Agent({ keepAlive: true });

/** One request, on a fresh connection unless an agent is given. */
export function request(
  method: string,
  url: string,
  body?: string,
  headers: Record<string, string> = {},
  agent: http.Agent | false = false,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const putJson = (url: string, value: unknown) =>
  request('PUT', url, JSON.stringify(value), { 'content-type': 'application/json' });

/** The global fetch, with every request recorded. */
export function recordingFetch(): { fetch: FetchFunction; requests: SeenRequest[] } {
  const requests: SeenRequest[] = [];
  const fetch: FetchFunction = (input, init) => {
    requests.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
    });
    return globalThis.fetch(input, init);
  };
  return { fetch, requests };
}
