/**
 * Resume on a container stream (issue #10, found while writing the crash test): a container's
 * subscribers hear of every member's changes (N822-6), and resume after the last Event-ID they
 * got (EXT-1), which is only safe if those notifications arrive in commit (seq) order. A
 * member write whose writer does not take its response is held (N822-3); a later write to
 * another member of the same container must then wait behind it, or the container subscriber
 * gets the later seq first, and one that resumes after it never gets the earlier one.
 *
 * The writer is made stuck as in test/server (a PUT pipelined behind a GET of a 12 MB
 * resource, not read), so the order is deterministic.
 *
 * The Announcer holds each event per channel: behind the held write, the later member's
 * change waits for the container's subscribers only; its own resource's subscribers get it
 * at once (test/server/prep-resume.test.ts checks that side).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stuckWriter } from '../helpers/raw-client.js';
import { startTestServer } from '../helpers/server.js';
import { type Subscriber } from '../helpers/subscriber.js';

const WITH_DELTA = '"prep";accept=("message/rfc822";delta="application/json-patch+json")';

test('EXT-1 N822-3 container stream: a member write held by a stuck writer is not overtaken by a later member write, so a resume after the last Event-ID loses nothing', async (t) => {
  // A stuck writer holds what waits behind it for writerStallMs, then is cut.
  const srv = await startTestServer(t, { writerStallMs: 1000 });
  const subscribers: Subscriber[] = [];
  try {
    assert.equal((await srv.put('/c/', '', { type: 'application/json' })).status, 201);
    const sub = await srv.subscribe('/c/', { headers: { 'Accept-Events': WITH_DELTA } });
    subscribers.push(sub);
    const { writer } = await stuckWriter(srv, '/c/a', '{"v":1}');
    assert.equal((await srv.put('/c/b', { v: 2 })).status, 201);
    const events = await srv.store.events({ afterSeq: 0, parent: '/c/' });
    const seqOf = (path: string) => events.find((e) => e.path === path)!.seq;
    assert.ok(seqOf('/c/a') < seqOf('/c/b'), '/c/a committed first');

    // The client takes the first notification it is sent, then goes away and resumes.
    const first = await sub.notification(15_000);
    sub.close();
    const resumed = await srv.subscribe('/c/', {
      headers: { 'Accept-Events': WITH_DELTA, 'Last-Event-ID': first.eventId },
    });
    subscribers.push(resumed);
    writer.resume();
    const rest = first.contentLocation === '/c/a' ? [await resumed.notification(15_000)] : [];
    writer.close();
    const got = [first, ...rest].map((n) => n.contentLocation);
    // In seq order, each once: /c/a then /c/b. A stream that sends /c/b first has a client
    // resume after /c/b's seq, and /c/a is never sent to it.
    assert.deepEqual(got, ['/c/a', '/c/b'], 'the container stream in commit order');
  } finally {
    for (const s of subscribers) s.close();
    await srv.stop();
  }
});
