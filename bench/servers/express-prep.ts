/**
 * express-prep 0.6.4 wired as its README documents (express 4, express-accept-events,
 * express-prep/event-id): the GET handler calls `res.events.prep.configure` then `send` for
 * the first `prep` entry of `Accept-Events`; the PUT handler sets the status and Event-ID,
 * ends the response, and a second handler `trigger`s the notification built from the
 * README's templates.
 *
 * The README sample needs small fixes to run, made here following the library's code:
 * `configure` takes `{ config }` (its code destructures an object; the README passes a
 * string, which silently falls back to the default), the body variable is `body` (the
 * sample writes an undefined `responseBody`), and the sample's `getContent`/`getMediaType`
 * are a Map of the resources written.
 *
 *   node --import tsx bench/servers/express-prep.ts   (as a child of bench/run.ts; it needs IPC)
 */
import express, { type Request, type Response } from 'express';
import acceptEvents from 'express-accept-events';
import prep from 'express-prep';
import eventID from 'express-prep/event-id';
import * as templates from 'express-prep/templates';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { serializeDictionary } from 'structured-headers';
import { serveBenchIpc } from './child.js';

/** What express-prep adds to the response (src/prep.js, src/event-id.js). */
interface PrepResponse extends Response {
  events: {
    prep: {
      configure(options: { config: string }): { protocol: string; status: number } | undefined;
      send(options: {
        body: unknown;
        headers: Record<string, string>;
        params: unknown;
      }): { protocol: string; status: number } | undefined;
      trigger(options: { generateNotification: (fields: Record<string, unknown>) => string }): void;
    };
  };
  setEventID(args?: string | { path: string; id: string }): string;
  _header: string;
}
type PrepRequest = Request & { acceptEvents?: Array<[string, unknown]> };

const state = new Map<string, { type: string; body: Buffer }>();
// express-prep's engine keeps one EventEmitter per path with a listener per subscriber;
// silence Node's "possible leak" warning past 10 (it only checks a count on each add).
EventEmitter.defaultMaxListeners = 0;

const app = express();
app.disable('x-powered-by');
app.use(acceptEvents, eventID, prep);

app.get('*', (req: PrepRequest, res) => {
  const r = res as PrepResponse;
  const held = state.get(req.path);
  if (!held) {
    res.status(404).end();
    return;
  }
  const body = held.body;
  const headers: Record<string, string> = { 'content-type': held.type };
  let failStatus = r.events.prep.configure({ config: 'accept=("message/rfc822")' });
  if (!failStatus) {
    for (const [protocol, params] of req.acceptEvents ?? []) {
      if (protocol === 'prep') {
        const eventsStatus = r.events.prep.send({ body, headers, params });
        if (!eventsStatus) return; // notifications are being sent
        failStatus ??= eventsStatus;
      }
    }
  }
  if (failStatus) headers.events = serializeDictionary(failStatus);
  res.setHeaders(new Headers(headers));
  res.write(body);
  res.end();
});

app.put(
  '*',
  express.raw({ type: '*/*', limit: '1mb' }),
  (req, res, next) => {
    const r = res as PrepResponse;
    state.set(req.path, {
      type: req.headers['content-type'] ?? 'application/octet-stream',
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    });
    res.statusCode = 200;
    res.setHeader('Event-ID', r.setEventID());
    res.end();
    next();
  },
  (req, res) => {
    const r = res as PrepResponse;
    function generateNotification(negotiatedFields: Record<string, unknown>): string {
      const header = templates.header(negotiatedFields);
      const body = templates.rfc822({
        date: /^Date: (.*?)$/m.exec(r._header)?.[1],
        method: req.method,
        eventID: res.getHeader('event-id'),
      });
      return `${header}\r\n${body}`;
    }
    r.events.prep.trigger({ generateNotification });
  },
);

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveBenchIpc({ url: `http://127.0.0.1:${port}` });
});
