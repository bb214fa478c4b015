/**
 * `prep watch URL` as a child process against a live server: text, `--json` and `--live`
 * output for PUT, PATCH and DELETE, colour only on request, reconnects, every exit status
 * with its one line on stderr, and SIGINT closing the stream.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAdvertisingServer } from '../client/advertising-server.js';
import { nss } from '../client/fixtures.js';
import {
  eventually,
  runWatch,
  send,
  startPlainServer,
  startRawServer,
  startWatchServer,
  unusedPort,
  within,
} from './helpers.js';

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[/;

/** The JSON lines printed so far. */
function lines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Asserts that stderr holds exactly one line, and returns it. */
function oneLine(stderr: string): string {
  assert.match(
    stderr,
    /^prep watch: [^\n]+\n$/,
    `one line on stderr, got ${JSON.stringify(stderr)}`,
  );
  return stderr.trimEnd();
}

test('N822-4 prep watch prints the representation, then each PUT, PATCH (with its delta) and DELETE as text; exits 0 after the DELETE', async (t) => {
  const srv = await startWatchServer(t);
  const url = `${srv.url}/notes/doc`;
  assert.equal(await send('PUT', url, { title: 'first', n: 1 }), 201);
  const w = await runWatch(t, [url, '--delta', JSON_PATCH]);
  await w.waitFor(/"title": "first"/);
  assert.equal(await send('PUT', url, { title: 'second', n: 2 }), 204);
  await w.waitFor(/ PUT +event \S+ +ETag "/);
  assert.equal(
    await send('PATCH', url, [{ op: 'replace', path: '/n', value: 3 }], JSON_PATCH),
    204,
  );
  await w.waitFor(/ PATCH +event /);
  assert.equal(await send('DELETE', url), 204);
  assert.deepEqual(await w.exit(), { code: 0, signal: null });

  const out = w.stdout();
  assert.doesNotMatch(out, ANSI, 'no colour when stdout is not a terminal');
  const [head, ...rest] = out.split('\n');
  assert.match(
    head!,
    new RegExp(`^${url.replace(/[.?]/g, '\\$&')}  200  application/json  ETag "`),
  );
  assert.equal(rest.slice(0, 4).join('\n'), '{\n  "title": "first",\n  "n": 1\n}');
  const events = rest.filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
  assert.deepEqual(
    events.map((l) => l.split(/ +/)[1]),
    ['PUT', 'PATCH', 'DELETE'],
  );
  assert.match(events[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +PUT +event \S+ +ETag "[^"]+"$/);
  assert.match(events[2]!, /DELETE +event \S+$/);
  // The PATCH carries its delta (N822-8), shown under it.
  assert.match(
    out,
    / PATCH .*\n {2}delta application\/json-patch\+json\n {2}\[\{"op":"replace","path":"\/n","value":3\}\]\n/,
  );
  assert.equal(w.stderr(), 'prep watch: the resource was deleted\n');
});

test('N822-4 RSP-7 prep watch reads recorded node-solid-server 5.8.8 streams (no Event-ID) and exits 0 after the DELETE, without reconnecting', async (t) => {
  const srv = await startRawServer(t, (head) =>
    /^accept-events:/im.test(head) ? nss.document.raw : nss.liveGet.raw,
  );
  const url = `${srv.url}/notes/doc.ttl`;
  const plainText = await runWatch(t, [url]);
  assert.deepEqual(await plainText.exit(), { code: 0, signal: null });
  const out = plainText.stdout();
  assert.match(out.split('\n')[0]!, / {2}200 {2}text\/turtle$/);
  assert.match(out, /^<#it> <#is> "one" \.$/m);
  const events = out.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
  assert.deepEqual(events, [
    '2026-12-07T19:39:46Z  PUT   ',
    '2026-12-07T19:39:47Z  PATCH ',
    '2026-12-07T19:39:48Z  DELETE',
  ]);
  assert.equal(plainText.stderr(), 'prep watch: the resource was deleted\n');

  const json = await runWatch(t, [url, '--json']);
  assert.deepEqual(await json.exit(), { code: 0, signal: null });
  assert.deepEqual(
    lines(json.stdout()).map((l) => [l.kind, l.method ?? l.reason ?? null, l.eventId ?? null]),
    [
      ['representation', null, null],
      ['notification', 'PUT', null],
      ['notification', 'PATCH', null],
      ['notification', 'DELETE', null],
      ['end', 'deleted', null],
    ],
  );
  assert.equal(srv.heads.length, 2, 'one request per run: no reconnect into a 404');
});

test('N822-7 prep watch --live keeps a recorded node-solid-server JSON-LD document: a re-fetch per notification (no deltas), then the DELETE', async (t) => {
  const srv = await startRawServer(t, (head) =>
    /^accept-events:/im.test(head) ? nss.live.raw : nss.liveGet.raw,
  );
  const w = await runWatch(t, [`${srv.url}/notes/live.jsonld`, '--live', '--json']);
  assert.deepEqual(await w.exit(), { code: 0, signal: null });
  assert.deepEqual(
    lines(w.stdout()).map((l) => [l.kind, l.cause ?? l.reason, l.value ?? null]),
    [
      ['change', 'representation', { '@id': '#it', n: 1 }],
      ['change', 'refetch', { '@id': '#it', n: 2 }],
      ['change', 'delete', null],
      ['end', 'deleted', null],
    ],
  );
  assert.equal(srv.heads.length, 2, 'the stream and one plain GET');
  assert.doesNotMatch(srv.heads[1]!, /^accept-events:/im, 'the re-fetch asks for no stream');
});

test('DSC-1 N822-8 prep watch --delta auto asks for the first delta type the resource advertises (a HEAD first); --live too', async (t) => {
  const advertisement =
    '"prep";accept=("message/rfc822";delta=("application/xml-patch+xml" "application/merge-patch+json" "application/json-patch+json"))';
  const srv = await startAdvertisingServer(t, [advertisement]);
  const json = await runWatch(t, [srv.url, '--delta', 'auto', '--json', '--no-reconnect']);
  assert.deepEqual(await json.exit(), { code: 0, signal: null });
  const [rep, put, end] = lines(json.stdout());
  assert.equal(rep!.delta, MERGE_PATCH);
  assert.deepEqual(put!.delta, { type: MERGE_PATCH, body: { n: 2 } });
  assert.equal(end!.reason, 'expired');
  assert.deepEqual(
    srv.requests.map((r) => [r.method, r.delta]),
    [
      ['HEAD', undefined],
      ['GET', MERGE_PATCH],
    ],
  );

  const text = await runWatch(t, [srv.url, '--delta', 'auto', '--no-reconnect']);
  assert.deepEqual(await text.exit(), { code: 0, signal: null });
  assert.match(text.stdout().split('\n')[0]!, / {2}deltas application\/merge-patch\+json$/);

  const plainHead = await startAdvertisingServer(t, ['"prep";accept="message/rfc822"']);
  const none = await runWatch(t, [plainHead.url, '--delta', 'auto', '--no-reconnect']);
  assert.deepEqual(await none.exit(), { code: 0, signal: null });
  assert.match(none.stdout().split('\n')[0]!, / {2}no deltas advertised$/);

  const liveSrv = await startAdvertisingServer(t, [advertisement]);
  const w = await runWatch(t, [
    liveSrv.url,
    '--live',
    '--json',
    '--delta',
    'auto',
    '--no-reconnect',
  ]);
  assert.deepEqual(await w.exit(), { code: 0, signal: null });
  assert.deepEqual(
    lines(w.stdout()).map((l) => [l.kind, l.cause ?? l.reason, l.value ?? null]),
    [
      ['change', 'representation', { n: 1 }],
      ['change', 'delta', { n: 2 }],
      ['end', 'expired', null],
    ],
  );
});

test('N822-4 prep watch --json prints one JSON object per line: representation, notifications, end', async (t) => {
  const srv = await startWatchServer(t);
  const url = `${srv.url}/doc`;
  await send('PUT', url, { a: 1 });
  const w = await runWatch(t, [url, '--json', '--delta', MERGE_PATCH]);
  await w.waitFor(/"kind":"representation"/);
  await send('PUT', url, { a: 2 });
  await w.waitFor(/"method":"PUT"/);
  await send('PATCH', url, { b: true }, MERGE_PATCH);
  await w.waitFor(/"method":"PATCH"/);
  await send('DELETE', url);
  assert.deepEqual(await w.exit(), { code: 0, signal: null });
  assert.equal(w.stderr(), '');

  const got = lines(w.stdout());
  assert.deepEqual(
    got.map((l) => [l.kind, l.method ?? l.reason ?? null]),
    [
      ['representation', null],
      ['notification', 'PUT'],
      ['notification', 'PATCH'],
      ['notification', 'DELETE'],
      ['end', 'deleted'],
    ],
  );
  const [rep, put, patch, del, end] = got;
  assert.equal(rep!.url, url);
  assert.equal(rep!.status, 200);
  assert.equal(rep!.contentType, 'application/json');
  assert.deepEqual(rep!.body, { a: 1 });
  assert.equal(rep!.omitted, false);
  assert.match(String(rep!.etag), /^"/);
  for (const n of [put, patch, del]) {
    assert.equal(typeof n!.eventId, 'string');
    assert.ok(!Number.isNaN(Date.parse(String(n!.date))), 'an ISO date');
  }
  assert.notEqual(put!.etag, patch!.etag, 'each change has its ETag (N822-5)');
  assert.deepEqual(patch!.delta, { type: MERGE_PATCH, body: { b: true } });
  assert.equal(end!.lastEventId, del!.eventId);
});

test('prep watch colours its text only on a terminal or with FORCE_COLOR, never with NO_COLOR', async (t) => {
  const srv = await startWatchServer(t);
  const url = `${srv.url}/colour`;
  await send('PUT', url, { on: true, n: 1 });
  const forced = await runWatch(t, [url], { env: { FORCE_COLOR: '1' } });
  const vetoed = await runWatch(t, [url], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
  const json = await runWatch(t, [url, '--json'], { env: { FORCE_COLOR: '1' } });
  await forced.waitFor(/"on"/);
  await vetoed.waitFor(/"on"/);
  await json.waitFor(/"on"/);
  await send('DELETE', url);
  for (const w of [forced, vetoed, json]) assert.equal((await w.exit()).code, 0);
  assert.match(forced.stdout(), ANSI);
  assert.ok(forced.stdout().includes('\x1b[31mDELETE'), 'DELETE in red');
  assert.doesNotMatch(vetoed.stdout(), ANSI);
  assert.doesNotMatch(json.stdout(), ANSI, 'JSON lines are never coloured');
  // Without the escapes, the coloured text is the plain text.
  // eslint-disable-next-line no-control-regex
  assert.equal(forced.stdout().replace(/\x1b\[\d+m/g, ''), vetoed.stdout());
});

test('prep watch --live prints the whole document after each change, and --live --json one change per line', async (t) => {
  const srv = await startWatchServer(t);
  const url = `${srv.url}/live`;
  await send('PUT', url, { a: 1 });
  const text = await runWatch(t, [url, '--live']);
  const json = await runWatch(t, [url, '--live', '--json', '--delta', MERGE_PATCH]);
  await text.waitFor(/"a": 1/);
  await json.waitFor(/"kind":"change"/);
  await send('PATCH', url, { b: [1, 2] }, MERGE_PATCH);
  await text.waitFor(/"b": \[/);
  await json.waitFor(/"b":\[1,2\]/);
  await send('PUT', url, { c: 'three' });
  await text.waitFor(/"c": "three"/);
  await json.waitFor(/"c":"three"/);
  await send('DELETE', url);
  assert.deepEqual(await text.exit(), { code: 0, signal: null });
  assert.deepEqual(await json.exit(), { code: 0, signal: null });

  // Text: a header line, then the whole document, after each change.
  const docs = text
    .stdout()
    .split(/^\S+ {2}\S+.*\n/m)
    .filter((d) => d !== '')
    .map((d) => JSON.parse(d) as unknown);
  assert.deepEqual(docs, [{ a: 1 }, { a: 1, b: [1, 2] }, { c: 'three' }]);
  assert.match(text.stdout(), /\n\S+ {2}deleted {2}event \S+\n$/);
  assert.equal(text.stderr(), 'prep watch: the resource was deleted\n');

  const changes = lines(json.stdout());
  assert.deepEqual(
    changes.map((c) => [c.kind, c.value ?? null, c.deleted ?? null]),
    [
      ['change', { a: 1 }, false],
      ['change', { a: 1, b: [1, 2] }, false],
      ['change', { c: 'three' }, false],
      ['change', null, true],
      ['end', null, null],
    ],
  );
  assert.equal(changes[0]!.cause, 'representation');
  assert.equal(changes[1]!.cause, 'delta', 'the merge patch was applied, not re-fetched');
  assert.equal(changes.at(-1)!.reason, 'deleted');
});

test('prep watch reconnects with Last-Event-ID when the stream expires, and --no-reconnect exits 0 when it ends', async (t) => {
  const srv = await startWatchServer(t, { expires: 1 });
  const url = `${srv.url}/short`;
  await send('PUT', url, { v: 1 });
  const following = await runWatch(t, [url, '--json']);
  const once = await runWatch(t, [url, '--no-reconnect']);
  await following.waitFor(/"kind":"representation"/);
  await once.waitFor(/"v": 1/);
  // A change that falls between two of the one-second streams comes as the next
  // representation, not as a notification: change it until one arrives as a notification.
  for (let v = 2; !/"method":"PUT"/.test(following.stdout()); v++) {
    assert.ok(v < 20, `no PUT notification: ${following.stdout()}`);
    await send('PUT', url, { v });
    await eventually(
      () =>
        /"method":"PUT"/.test(following.stdout()) ||
        lines(following.stdout()).some((l) => (l.body as { v?: number } | undefined)?.v === v),
      `the change to v=${v}`,
    );
  }
  assert.deepEqual(await once.exit(), { code: 0, signal: null });
  assert.match(
    once.stderr(),
    /^prep watch: the stream ended( \(resume with --last-event-id \S+\))?\n$/,
  );
  // RSP-7: the server ends each stream after `expires`; the client comes back, resuming
  // after the last event it saw.
  const put = lines(following.stdout()).find((l) => l.kind === 'notification')!;
  const reconnect = await eventually(() => {
    const seen = lines(following.stdout());
    const at = seen.findIndex((l) => l.eventId === put.eventId);
    return seen.slice(at).find((l) => l.kind === 'reconnect');
  }, 'a reconnect after the PUT');
  assert.equal(reconnect.reason, 'expired');
  assert.equal(reconnect.lastEventId, put.eventId, 'resumes after the last event seen');
  // The resumed stream goes on: a change made now arrives as a notification, or, when it
  // falls between two connections, in the representation of the next one (RSP-5).
  await send('PUT', url, { v: 3 });
  await eventually(
    () =>
      lines(following.stdout()).filter((l) => l.method === 'PUT').length >= 2 ||
      lines(following.stdout()).some(
        (l) => l.kind === 'representation' && (l.body as { v?: number } | undefined)?.v === 3,
      ),
    'the change after the reconnect',
  );
  await send('DELETE', url);
  assert.deepEqual(await following.exit(), { code: 0, signal: null });
});

test('prep watch exits 4 with one line for a 404 (run through tsx, as watch-main.ts is)', async (t) => {
  const srv = await startWatchServer(t);
  const w = await runWatch(t, [`${srv.url}/nothing/here`], { tsx: true });
  assert.deepEqual(await w.exit(), { code: 4, signal: null });
  assert.equal(oneLine(w.stderr()), `prep watch: ${srv.url}/nothing/here: 404 Not Found`);
  assert.equal(w.stdout(), '');
});

test('prep watch exits 1 with one line when it cannot connect, or when the connection drops with --no-reconnect', async (t) => {
  const port = await unusedPort();
  const refused = await runWatch(t, [`http://127.0.0.1:${port}/x`]);
  const srv = await startWatchServer(t);
  await send('PUT', `${srv.url}/drop`, { d: 1 });
  const dropped = await runWatch(t, [`${srv.url}/drop`, '--no-reconnect']);
  await dropped.waitFor(/"d": 1/);
  srv.server.closeAllConnections();
  assert.deepEqual(await refused.exit(), { code: 1, signal: null });
  assert.match(
    oneLine(refused.stderr()),
    new RegExp(
      `^prep watch: cannot reach http://127\\.0\\.0\\.1:${port}/x: ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
    ),
  );
  assert.deepEqual(await dropped.exit(), { code: 1, signal: null });
  assert.match(oneLine(dropped.stderr()), /^prep watch: http:\S+\/drop: the connection was lost/);
});

test('ERR-3 prep watch exits 6 with one line when the server refuses notifications (Events status 406, 429)', async (t) => {
  const srv = await startWatchServer(t);
  await send('PUT', `${srv.url}/doc`, { x: 1 });
  // No notification format the server can send: 406.
  const format = await runWatch(t, [`${srv.url}/doc`, '--accept', 'application/x-nothing']);
  const limited = await startWatchServer(t, { limits: { maxPerClient: 0 } });
  await send('PUT', `${limited.url}/doc`, { x: 1 });
  // Over the per-client limit: 429 with Retry-After; the first connection has to work.
  const busy = await runWatch(t, [`${limited.url}/doc`, '--json']);
  assert.deepEqual(await format.exit(), { code: 6, signal: null });
  assert.match(
    oneLine(format.stderr()),
    /Events status 406 \(no acceptable notification format\)$/,
  );
  assert.deepEqual(await busy.exit(), { code: 6, signal: null });
  assert.match(oneLine(busy.stderr()), /Events status 429 .*; retry after 5 s$/);
  assert.equal(busy.stdout(), '');
});

test('HDR-5 prep watch exits 3 when the response has no Events field, 5 for a 5xx', async (t) => {
  const plain = await startPlainServer(t, (_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end('{"not":"prep"}');
  });
  const failing = await startPlainServer(t, (_req, res) => {
    res.statusCode = 503;
    res.end('down');
  });
  const absent = await runWatch(t, [`${plain}/x`]);
  const down = await runWatch(t, [`${failing}/x`]);
  assert.deepEqual(await absent.exit(), { code: 3, signal: null });
  assert.match(oneLine(absent.stderr()), /does not serve PREP notifications here/);
  assert.deepEqual(await down.exit(), { code: 5, signal: null });
  assert.equal(oneLine(down.stderr()), `prep watch: ${failing}/x: 503 Service Unavailable`);
});

test('REQ-2 prep watch sends --header, --delta and --last-event-id; "*" skips the body (RSP-5)', async (t) => {
  const seen: Array<Record<string, string | string[] | undefined>> = [];
  const recording = await startPlainServer(t, (req, res) => {
    seen.push(req.headers);
    res.statusCode = 404;
    res.end();
  });
  const asked = await runWatch(t, [
    `${recording}/x`,
    '--header',
    'Authorization: Bearer token',
    '--header',
    'X-Trace:  1 ',
    '--delta',
    JSON_PATCH,
    '--last-event-id',
    '7.abc',
  ]);
  assert.equal((await asked.exit()).code, 4);
  assert.equal(seen.length, 1, 'a 404 is not retried');
  const headers = seen[0]!;
  assert.equal(headers.authorization, 'Bearer token');
  assert.equal(headers['x-trace'], '1');
  assert.equal(headers['last-event-id'], '7.abc');
  assert.equal(
    headers['accept-events'],
    '"prep";accept=("message/rfc822";delta="application/json-patch+json")',
  );

  const srv = await startWatchServer(t);
  await send('PUT', `${srv.url}/resume`, { r: 1 });
  const resumed = await runWatch(t, [`${srv.url}/resume`, '--last-event-id', '*']);
  await resumed.waitFor(/body omitted/);
  assert.doesNotMatch(resumed.stdout(), /"r"/);
  await send('DELETE', `${srv.url}/resume`);
  assert.equal((await resumed.exit()).code, 0);
  assert.match(resumed.stdout(), /DELETE +event /);
});

test('prep watch exits 2 on a usage error, in one line, and 0 for --help', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /expected the URL/],
    [['ftp://example.org/x'], /not an http\(s\) URL/],
    [['http://127.0.0.1:1/x', '--bogus'], /unknown option --bogus/],
    [['http://127.0.0.1:1/x', '--header', 'no colon'], /--header expects 'Name: value'/],
    [['http://127.0.0.1:1/x', '--live', '--last-event-id', '3'], /--last-event-id does not go/],
    [['http://127.0.0.1:1/x', '--live', '--delta', 'text/plain'], /--live --delta: unknown type/],
  ];
  const runs = await Promise.all(cases.map(([args]) => runWatch(t, args)));
  const help = await runWatch(t, ['--help']);
  for (const [i, [args, message]] of cases.entries()) {
    const w = runs[i]!;
    assert.equal((await w.exit()).code, 2, args.join(' '));
    assert.match(w.stderr(), message, args.join(' '));
    oneLine(w.stderr());
  }
  assert.equal((await help.exit()).code, 0);
  const text = help.stdout();
  assert.match(text, /^Usage: prep watch URL \[options\]/);
  for (const flag of [
    '--json',
    '--live',
    '--delta',
    '--accept',
    '--header',
    '--last-event-id',
    '--no-reconnect',
    '-h, --help',
  ])
    assert.ok(text.includes(flag), `--help documents ${flag}`);
  for (const status of ['0', '1', '2', '3', '4', '5', '6', '130'])
    assert.match(
      text,
      new RegExp(`^ {2}${status} `, 'm'),
      `--help documents exit status ${status}`,
    );
});

test('RSP-8 SIGINT closes the stream: the server frees the subscription, prep watch exits 130', async (t) => {
  const srv = await startWatchServer(t);
  const url = `${srv.url}/ctrl-c`;
  await send('PUT', url, { c: 1 });
  const text = await runWatch(t, [url]);
  const json = await runWatch(t, [url, '--json']);
  const liveDoc = await runWatch(t, [url, '--live']);
  await text.waitFor(/"c": 1/);
  await json.waitFor(/"kind":"representation"/);
  await liveDoc.waitFor(/"c": 1/);
  const hub = srv.app.engine.hub;
  await eventually(() => hub.stats.subscriptions === 3, 'three open streams');
  for (const w of [text, json, liveDoc]) w.child.kill('SIGINT');
  for (const w of [text, json, liveDoc]) {
    assert.deepEqual(await w.exit(), { code: 130, signal: null });
    assert.equal(w.stderr(), '', 'an interrupt is not an error');
  }
  assert.deepEqual(lines(json.stdout()).at(-1), { kind: 'end', reason: 'closed' });
  await within(
    eventually(() => hub.stats.subscriptions === 0, 'the server to free the streams'),
    'the streams to close',
  );
});
