// A stub PREP server that advertises delta types (DSC-1, HDR-2: `delta=(...)` in
// Accept-Events), as ours will: HEAD answers with the advertisement; a GET with
// Accept-Events streams `{"n":1}`, one PUT notification (to `{"n":2}`) carrying a delta in
// the type asked for, then both close delimiters (the stream expires). Each answer's
// advertisement is the next of `advertisements` (the last one repeats).
import type { TestContext } from 'node:test';
import { createDelta } from '../../packages/client/src/core/delta/index.js';
import {
  parseAcceptEvents,
  readNotificationAccept,
} from '../../packages/client/src/core/events/index.js';
import { startPlainServer } from '../helpers/plain-server.js';

export interface StubRequest {
  method: string;
  acceptEvents: string | undefined;
  /** The delta type the GET asked for (N822-1), if any. */
  delta: string | undefined;
}

const M = 'stub-mixed';
const D = 'stub-digest';
const enc = new TextEncoder();
const json = (v: unknown) => ({
  contentType: 'application/json',
  body: enc.encode(JSON.stringify(v)),
});

/** Starts the stub on 127.0.0.1:0; closed when the test ends. */
export async function startAdvertisingServer(
  t: TestContext,
  advertisements: readonly (string | undefined)[],
  options: { headStatus?: number } = {},
): Promise<{ url: string; requests: StubRequest[] }> {
  const requests: StubRequest[] = [];
  let answered = 0;
  const url = await startPlainServer(t, (req, res) => {
    const acceptEvents = req.headers['accept-events'] as string | undefined;
    const prep = parseAcceptEvents(acceptEvents)?.find((e) => e.protocol === 'prep');
    const rfc822 = (prep && readNotificationAccept(prep.fields))?.find(
      (r) => r.type === 'message' && r.subtype === 'rfc822',
    );
    const delta = rfc822?.params.get('delta');
    requests.push({ method: req.method ?? '', acceptEvents, delta });
    const advertisement = advertisements[Math.min(answered++, advertisements.length - 1)];
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (advertisement !== undefined) headers['accept-events'] = advertisement;
    if (req.method === 'HEAD') {
      res.writeHead(options.headStatus ?? 200, headers).end();
      return;
    }
    if (acceptEvents === undefined) {
      res.writeHead(200, headers).end('{"n":2}');
      return;
    }
    headers['content-type'] = `multipart/mixed; boundary="${M}"`;
    headers.events = 'protocol="prep", status=200, expires=60';
    res.writeHead(200, headers);
    res.write(
      `--${M}\r\nContent-Type: application/json\r\n\r\n{"n":1}\r\n` +
        `--${M}\r\nContent-Type: multipart/digest; boundary="${D}"\r\n\r\n--${D}`,
    );
    const made =
      delta === undefined ? undefined : createDelta(delta, json({ n: 1 }), json({ n: 2 }));
    const head = `Method: PUT\r\nDate: Mon, 07 Dec 2026 19:40:07 GMT\r\nEvent-ID: e${answered}\r\n`;
    const body = made
      ? `${head}Content-Type: ${made.contentType}\r\n\r\n${new TextDecoder().decode(made.body)}`
      : `${head}\r\n`;
    res.end(`\r\n\r\n${body}\r\n--${D}--\r\n--${M}--\r\n`);
  });
  return { url: `${url}/doc`, requests };
}
