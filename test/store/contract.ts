// The behaviour every Store implementation must have. Each implementation's test file calls
// storeContract() once; a store passes when every test here passes for it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { isPrepError } from '../../packages/client/src/core/errors.js';
import {
  canListen,
  type Change,
  type PutChange,
  type Resource,
  type Store,
  type StoredEvent,
  type WriteRequest,
} from '../../src/store/index.js';
import { checkConcurrentBatch } from './batch.js';

/**
 * Options of {@link storeContract}.
 *
 * @example
 * ```ts
 * storeContract('sqlite', create, { reopen: async (s) => { await s.close(); return open(file) } });
 * ```
 */
export interface StoreContractOptions {
  /**
   * Closes `store` and opens the same database again (a new instance for a durable store).
   * Default: `close()` then `open()` on the same instance.
   */
  reopen?: (store: Store) => Promise<Store>;
  /** When set, every test is registered but skipped with this one-line reason. */
  skip?: string;
  /**
   * Opens another instance on the same database as `store` (another process, as far as the
   * store can tell): the tests of origins, `listen` and marks need it.
   */
  twin?: (store: Store) => Promise<Store>;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null | undefined): string => new TextDecoder().decode(b ?? undefined);

/** A PUT (or POST with createOnly) of `body` at `path`. */
function put(
  path: string,
  body: string | Uint8Array,
  opts: {
    contentType?: string;
    method?: 'PUT' | 'POST' | 'PATCH';
    status?: number;
    createOnly?: boolean;
    target?: string;
    patch?: { body: Uint8Array; type: string };
    onCurrent?: (current: Resource | undefined) => void;
  } = {},
): WriteRequest {
  return {
    path: opts.target ?? path,
    apply(current): Change {
      opts.onCurrent?.(current);
      const change: Change = {
        op: 'put',
        path,
        contentType: opts.contentType ?? 'text/plain',
        body: typeof body === 'string' ? enc(body) : body,
        event: { method: opts.method ?? 'PUT', status: opts.status ?? (current ? 200 : 201) },
      };
      if (opts.createOnly) change.createOnly = true;
      if (opts.patch) {
        change.event.body = opts.patch.body;
        change.event.bodyType = opts.patch.type;
      }
      return change;
    },
  };
}

function del(path: string): WriteRequest {
  return {
    path,
    apply: () => ({ op: 'delete', path, event: { method: 'DELETE', status: 204 } }),
  };
}

async function etagOf(store: Store, path: string): Promise<string> {
  const r = await store.get(path);
  assert.ok(r, `${path} exists`);
  return r.etag;
}

/** What must be unchanged after a failed write: the log and the resources named. */
async function snapshot(store: Store, paths: string[]) {
  return {
    lastSeq: await store.lastSeq(),
    events: await store.events(),
    resources: await Promise.all(paths.map((p) => store.get(p))),
  };
}

/**
 * Registers the store contract as node:test tests named `<name>: …`. `create` returns a new,
 * open, empty store each time; the tests close it.
 *
 * @example
 * ```ts
 * storeContract('memory', async () => {
 *   const s = new MemoryStore();
 *   await s.open();
 *   return s;
 * });
 * ```
 */
export function storeContract(
  name: string,
  create: () => Promise<Store>,
  options: StoreContractOptions = {},
): void {
  const reopen =
    options.reopen ??
    (async (s: Store) => {
      await s.close();
      await s.open();
      return s;
    });

  const skip = options.skip ?? false;
  const withStore = (title: string, fn: (store: Store) => Promise<void>): void => {
    test(`${name}: ${title}`, { skip }, async () => {
      const store = await create();
      try {
        await fn(store);
      } finally {
        await store.close();
      }
    });
  };

  withStore('a new store holds only the root container and an empty log', async (store) => {
    const root = await store.get('/');
    assert.ok(root);
    assert.equal(root.contentType, 'application/json');
    assert.equal(root.body.byteLength, 0);
    assert.match(root.etag, /^"[^"]+"$/);
    assert.deepEqual(await store.members('/'), []);
    assert.equal(await store.lastSeq(), 0);
    assert.equal(await store.oldestSeq(), 1);
    assert.deepEqual(await store.events(), []);
    assert.equal(await store.lastEvent('/', { members: true }), undefined);
  });

  withStore('put then get: body, content type, strong ETag, Last-Modified', async (store) => {
    const t0 = Date.now();
    const result = await store.write(put('/a', 'hello', { contentType: 'text/plain' }));
    const t1 = Date.now();
    const r = await store.get('/a');
    assert.ok(r);
    assert.equal(r.path, '/a');
    assert.equal(r.contentType, 'text/plain');
    assert.equal(dec(r.body), 'hello');
    assert.match(r.etag, /^"[\x21\x23-\x7e]+"$/, 'a strong, quoted entity tag');
    assert.ok(r.lastModified >= t0 && r.lastModified <= t1, 'Last-Modified is the commit time');
    assert.equal(result.before, undefined);
    assert.deepEqual(result.after, r);
    assert.equal(result.events.length, 1);
    const [e] = result.events as [StoredEvent];
    assert.deepEqual(
      { ...e, body: dec(e.body) },
      {
        seq: e.seq,
        time: r.lastModified,
        origin: store.origin,
        method: 'PUT',
        status: 201,
        path: '/a',
        parent: '/',
        etag: r.etag,
        parentEtag: await etagOf(store, '/'),
        contentType: 'text/plain',
        body: 'hello',
      },
    );
    assert.equal(await store.get('/b'), undefined);
  });

  withStore('ETag: identical content keeps it; other bytes or type change it', async (store) => {
    const first = await store.write(put('/a', 'x'));
    const e1 = await etagOf(store, '/a');
    const lm1 = (await store.get('/a'))?.lastModified;
    await sleep(5);
    const same = await store.write(put('/a', 'x'));
    assert.equal(await etagOf(store, '/a'), e1);
    assert.equal((await store.get('/a'))?.lastModified, lm1, 'unchanged content, unchanged date');
    assert.deepEqual(same.before, same.after);
    // The PUT still succeeded, so it is still announced; the parent's membership did not change.
    const [e] = same.events as [StoredEvent];
    assert.ok(e.seq > (first.events[0] as StoredEvent).seq);
    assert.equal(e.etag, e1);
    assert.equal(e.parentEtag, null);

    await store.write(put('/a', 'y'));
    const e2 = await etagOf(store, '/a');
    assert.notEqual(e2, e1);
    await store.write(put('/a', 'y', { contentType: 'application/json' }));
    const e3 = await etagOf(store, '/a');
    assert.notEqual(e3, e2, 'the same bytes as another media type are another representation');
    await store.write(put('/a', 'x'));
    assert.equal(await etagOf(store, '/a'), e1, 'the tag is derived from the content');
    await store.write(put('/b', 'x'));
    assert.equal(await etagOf(store, '/b'), e1);
  });

  withStore('missing parent containers are created, each announced as PUT 201', async (store) => {
    const rootBefore = await etagOf(store, '/');
    const { events } = await store.write(put('/a/b/c', 'deep'));
    assert.deepEqual(
      events.map((e) => [e.method, e.status, e.path, e.parent]),
      [
        ['PUT', 201, '/a/', '/'],
        ['PUT', 201, '/a/b/', '/a/'],
        ['PUT', 201, '/a/b/c', '/a/b/'],
      ],
    );
    const [ea, eb, ec] = events as [StoredEvent, StoredEvent, StoredEvent];
    assert.ok(ea.seq < eb.seq && eb.seq < ec.seq);
    for (const e of [ea, eb]) {
      assert.equal(e.contentType, 'application/json');
      assert.deepEqual(e.body, new Uint8Array(0));
    }
    for (const p of ['/a/', '/a/b/']) {
      const c = await store.get(p);
      assert.ok(c);
      assert.equal(c.contentType, 'application/json');
      assert.equal(c.body.byteLength, 0);
    }
    // Each event carries the parent's tag as of that event; the last one is the current tag.
    assert.notEqual(await etagOf(store, '/'), rootBefore);
    assert.equal(ea.parentEtag, await etagOf(store, '/'));
    assert.equal(eb.parentEtag, await etagOf(store, '/a/'));
    assert.equal(ec.parentEtag, await etagOf(store, '/a/b/'));
    assert.notEqual(ea.etag, await etagOf(store, '/a/'), '/a/ changed again when /a/b/ was added');
    assert.deepEqual(await store.events(), events);
  });

  withStore(
    'checkCreate sees each container the write would create, top down; a throw refuses the whole write',
    async (store) => {
      await store.write(put('/a/x', 'here'));
      const seen: string[] = [];
      const lastSeq = await store.lastSeq();
      const refused = new Error('may not create /a/b/c/');
      const request = put('/a/b/c/d', 'deep');
      await assert.rejects(
        store.write({
          path: request.path,
          apply: (current) => ({
            ...(request.apply(current) as PutChange),
            checkCreate: (p: string) => {
              seen.push(p);
              if (p === '/a/b/c/') throw refused;
            },
          }),
        }),
        (e) => e === refused,
      );
      assert.deepEqual(seen, ['/a/b/', '/a/b/c/'], 'existing /a/ is not asked about');
      assert.equal(await store.lastSeq(), lastSeq, 'nothing was appended');
      assert.equal(await store.get('/a/b/'), undefined, 'nothing was created');
      const fine = await store.write({
        path: request.path,
        apply: (current) => ({
          ...(request.apply(current) as PutChange),
          checkCreate: () => undefined,
        }),
      });
      assert.equal(fine.events.length, 3);
    },
  );

  withStore(
    'lastStateEvent: the newest PUT, POST or DELETE of a path at or before a seq, never a PATCH',
    async (store) => {
      assert.equal(typeof store.lastStateEvent, 'function', 'our stores implement it');
      const lastState = (path: string, seq: number) => store.lastStateEvent!(path, seq);
      const patch = (body: string) =>
        put('/s/a', body, {
          method: 'PATCH',
          patch: { body: enc('{}'), type: 'application/merge-patch+json' },
        });
      const s1 = (await store.write(put('/s/a', 'one'))).events.at(-1)!.seq;
      const p1 = (await store.write(patch('one+'))).events.at(-1)!.seq;
      await store.write(put('/s/b', 'other'));
      const s2 = (await store.write(put('/s/a', 'two'))).events.at(-1)!.seq;
      const p2 = (await store.write(patch('two+'))).events.at(-1)!.seq;
      const d = (await store.write(del('/s/a'))).events.at(-1)!.seq;
      const at = async (seq: number) => (await lastState('/s/a', seq))?.seq;
      assert.equal(await at(s1 - 1), undefined);
      assert.equal(await at(s1), s1);
      assert.equal(await at(p1), s1, 'a PATCH is not a state');
      assert.equal(await at(s2 - 1), s1, 'another path is not it');
      assert.equal(await at(p2), s2);
      assert.equal(await at(d), d);
      assert.equal(await at(Number.MAX_SAFE_INTEGER), d);
      assert.equal(dec((await lastState('/s/a', p2))?.body), 'two');
      // Pruned events are not held.
      await store.prune({ maxEvents: 2 });
      assert.equal(await at(p2), undefined);
    },
  );

  withStore('a container is written with op put and an empty body only', async (store) => {
    const { events } = await store.write(put('/e/', new Uint8Array(0)));
    assert.deepEqual(
      events.map((e) => [e.method, e.status, e.path, e.contentType]),
      [['PUT', 201, '/e/', 'application/json']],
    );
    assert.deepEqual(await store.members('/e/'), []);
    const tag = await etagOf(store, '/e/');
    const again = await store.write(put('/e/', new Uint8Array(0)));
    assert.equal(await etagOf(store, '/e/'), tag, 'no membership change, no new tag');
    assert.equal(again.events[0]?.etag, tag);
    const before = await snapshot(store, ['/e/']);
    await assert.rejects(store.write(put('/e/', 'not empty')), {
      name: 'StoreError',
      code: 'STORE_INVALID',
      status: 400,
    });
    assert.deepEqual(await snapshot(store, ['/e/']), before);
  });

  withStore('malformed paths and changes fail with STORE_INVALID', async (store) => {
    for (const p of ['', 'a', '/a//b', '/a/./b', '/a/../b', '/a?q', '/a#f', '/a\nb']) {
      await assert.rejects(store.write(put(p, 'x')), { code: 'STORE_INVALID', status: 400 }, p);
    }
    // The calling code's mistake, not the client's: no status, so the server answers 500.
    await assert.rejects(store.write(put('/p', 'x', { method: 'PATCH' })), (e) => {
      assert.equal((e as { code?: string }).code, 'STORE_INVALID');
      assert.equal((e as { status?: number }).status, undefined);
      return true;
    });
    assert.equal(await store.lastSeq(), 0);
  });

  withStore('members: direct members sorted by path, without bodies', async (store) => {
    await store.write(put('/c/b', 'b'));
    await store.write(put('/c/a', 'a', { contentType: 'application/json' }));
    await store.write(put('/c/d/e', 'e'));
    await store.write(put('/other', 'o'));
    const members = await store.members('/c/');
    assert.ok(members);
    assert.deepEqual(
      members.map((m) => m.path),
      ['/c/a', '/c/b', '/c/d/'],
    );
    const a = await store.get('/c/a');
    assert.ok(a);
    assert.deepEqual(members[0], {
      path: '/c/a',
      contentType: 'application/json',
      etag: a.etag,
      lastModified: a.lastModified,
    });
    assert.deepEqual(
      (await store.members('/'))?.map((m) => m.path),
      ['/c/', '/other'],
    );
    assert.deepEqual(await store.members('/c/d/'), [
      {
        path: '/c/d/e',
        contentType: 'text/plain',
        etag: await etagOf(store, '/c/d/e'),
        lastModified: (await store.get('/c/d/e'))?.lastModified,
      },
    ]);
    assert.equal(await store.members('/nope/'), undefined);
    assert.equal(await store.members('/c/a'), undefined);
  });

  withStore('members are sorted by code point (UTF-8 byte order)', async (store) => {
    // U+FF5E sorts before U+1F600 by code point, after it by UTF-16 code unit.
    const names = ['\u{1F600}', '\uFF5E', 'a', 'Z', 'é'];
    for (const n of names) await store.write(put(`/s/${n}`, n));
    assert.deepEqual(
      (await store.members('/s/'))?.map((m) => m.path),
      ['/s/Z', '/s/a', '/s/é', '/s/\uFF5E', '/s/\u{1F600}'],
    );
  });

  withStore(
    'members pages by path: after (exclusive) and limit page through the same list, in order, each member once',
    async (store) => {
      // Code points above U+FFFF too: pages follow code point order, as the whole list does.
      const names = ['a', 'b', 'b0', 'c/', 'Z', 'é', '\uFF5E', '\u{1F600}', 'zz'];
      for (const n of names) await store.write(put(`/p/${n}${n.endsWith('/') ? 'x' : ''}`, n));
      const all = ((await store.members('/p/')) ?? []).map((m) => m.path);
      assert.equal(all.length, names.length);
      for (const limit of [1, 2, 3, 4, 100]) {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.members('/p/', { after, limit });
          assert.ok(page, 'the container is there');
          assert.ok(page.length <= limit, `limit ${limit}`);
          seen.push(...page.map((m) => m.path));
          if (page.length < limit) break;
          after = page.at(-1)!.path;
        }
        assert.deepEqual(seen, all, `limit ${limit}`);
      }
      // A page holds the members' metadata, as the whole list does.
      assert.deepEqual(await store.members('/p/', { after: '/p/a', limit: 1 }), [
        (await store.members('/p/'))!.find((m) => m.path === '/p/b'),
      ]);
      // `after` need not be a member: the page starts after where it would sort.
      assert.deepEqual(
        (await store.members('/p/', { after: '/p/b00', limit: 2 }))?.map((m) => m.path),
        ['/p/c/', '/p/zz'],
      );
      assert.deepEqual(await store.members('/p/', { after: '/p/\u{1F600}' }), []);
      assert.deepEqual(await store.members('/p/', { after: '/q' }), []);
      assert.deepEqual((await store.members('/p/', { after: '/' }))?.length, names.length);
      // limit 0 (or below) is an empty page of a container that exists; not finite: no bound.
      assert.deepEqual(await store.members('/p/', { limit: 0 }), []);
      assert.deepEqual(await store.members('/p/', { limit: -3 }), []);
      assert.equal((await store.members('/p/', { limit: Infinity }))?.length, names.length);
      assert.equal((await store.members('/p/', { limit: 2.9 }))?.length, 2);
      // An empty container, and none at all, as without a query.
      await store.write(put('/e/', ''));
      assert.deepEqual(await store.members('/e/', { after: '/e/a', limit: 5 }), []);
      assert.equal(await store.members('/nope/', { limit: 5 }), undefined);
      assert.equal(await store.members('/p/a', { limit: 5 }), undefined);
    },
  );

  withStore("a container's ETag changes with its membership only", async (store) => {
    await store.write(put('/c/a', 'one'));
    const t0 = await etagOf(store, '/c/');
    const lm0 = (await store.get('/c/'))?.lastModified;
    await sleep(5);
    await store.write(put('/c/a', 'two'));
    assert.equal(await etagOf(store, '/c/'), t0, 'a member changed, the membership did not');
    assert.equal((await store.get('/c/'))?.lastModified, lm0);
    const added = await store.write(put('/c/z', 'z'));
    const t1 = await etagOf(store, '/c/');
    assert.notEqual(t1, t0);
    assert.equal(added.events[0]?.parentEtag, t1);
    assert.ok(((await store.get('/c/'))?.lastModified ?? 0) > (lm0 ?? Infinity));
    const removed = await store.write(del('/c/z'));
    const t2 = await etagOf(store, '/c/');
    assert.ok(t2 !== t0 && t2 !== t1, 'a tag is never reissued for another membership');
    assert.equal(removed.events[0]?.parentEtag, t2);
  });

  withStore('POST: apply reads the container, the event is about the new member', async (store) => {
    await store.write(put('/inbox/', new Uint8Array(0)));
    let seen: Resource | undefined;
    const post = (id: string): WriteRequest =>
      put(`/inbox/${id}`, `msg ${id}`, {
        target: '/inbox/',
        method: 'POST',
        status: 201,
        createOnly: true,
        onCurrent: (c) => (seen = c),
      });
    const { events, before, after } = await store.write(post('1'));
    assert.equal(seen?.path, '/inbox/');
    assert.equal(seen?.contentType, 'application/json');
    assert.equal(before, undefined);
    assert.equal(after?.path, '/inbox/1');
    assert.deepEqual(
      events.map((e) => [e.method, e.status, e.path, e.parent, e.parentEtag, dec(e.body)]),
      [['POST', 201, '/inbox/1', '/inbox/', await etagOf(store, '/inbox/'), 'msg 1']],
    );
  });

  withStore(
    'createOnly on an existing path fails with STORE_EXISTS, changes nothing',
    async (store) => {
      await store.write(put('/inbox/1', 'first', { createOnly: true, method: 'POST' }));
      const before = await snapshot(store, ['/inbox/', '/inbox/1']);
      await assert.rejects(
        store.write(put('/inbox/1', 'second', { createOnly: true, method: 'POST' })),
        { name: 'StoreError', code: 'STORE_EXISTS', status: 409 },
      );
      // A PrepError like every other coded error, so the server maps it the same way.
      await assert.rejects(store.write(put('/inbox/1', 'x', { createOnly: true })), (e) =>
        isPrepError(e, 'STORE_EXISTS'),
      );
      assert.deepEqual(await snapshot(store, ['/inbox/', '/inbox/1']), before);
    },
  );

  withStore('delete removes the resource and announces DELETE', async (store) => {
    await store.write(put('/d/x', 'bye', { contentType: 'text/plain' }));
    const old = await store.get('/d/x');
    const { events, before, after } = await store.write(del('/d/x'));
    assert.equal(await store.get('/d/x'), undefined);
    assert.deepEqual(before, old);
    assert.equal(after, undefined);
    assert.deepEqual(await store.members('/d/'), []);
    const [e] = events as [StoredEvent];
    assert.equal(events.length, 1);
    assert.deepEqual(
      { ...e, seq: 0, time: 0 },
      {
        seq: 0,
        time: 0,
        origin: store.origin,
        method: 'DELETE',
        status: 204,
        path: '/d/x',
        parent: '/d/',
        etag: null,
        parentEtag: await etagOf(store, '/d/'),
        contentType: null,
        body: null,
      },
    );
    const before2 = await snapshot(store, ['/d/']);
    await assert.rejects(store.write(del('/d/x')), { code: 'STORE_NOT_FOUND', status: 404 });
    assert.deepEqual(await snapshot(store, ['/d/']), before2);
  });

  withStore('deleting a non-empty container fails with STORE_NOT_EMPTY (409)', async (store) => {
    await store.write(put('/n/m', 'member'));
    const before = await snapshot(store, ['/n/', '/n/m']);
    await assert.rejects(store.write(del('/n/')), {
      name: 'StoreError',
      code: 'STORE_NOT_EMPTY',
      status: 409,
    });
    assert.deepEqual(await snapshot(store, ['/n/', '/n/m']), before);
    await store.write(del('/n/m'));
    const { events } = await store.write(del('/n/'));
    assert.equal(await store.get('/n/'), undefined);
    assert.deepEqual(await store.members('/'), []);
    assert.equal(events[0]?.parentEtag, await etagOf(store, '/'));
    await assert.rejects(store.write(del('/')), { code: 'STORE_INVALID', status: 405 });
  });

  withStore(
    'nothing under a non-container; /a and /a/ never both (STORE_CONFLICT)',
    async (store) => {
      await store.write(put('/f', 'file'));
      await store.write(put('/k/x', 'member'));
      const paths = ['/f', '/f/', '/f/g', '/k', '/k/', '/k/x'];
      const before = await snapshot(store, paths);
      for (const p of ['/f/g', '/f/g/h', '/f/', '/k']) {
        await assert.rejects(store.write(put(p, p.endsWith('/') ? '' : 'x')), {
          name: 'StoreError',
          code: 'STORE_CONFLICT',
          status: 409,
        });
      }
      assert.deepEqual(await snapshot(store, paths), before);
    },
  );

  withStore('a failed write changes nothing and announces nothing', async (store) => {
    await store.write(put('/p/q', 'one'));
    const original = await store.get('/p/q');
    const paths = ['/', '/p/', '/p/q', '/x/', '/x/y/', '/x/y/z'];
    const before = await snapshot(store, paths);

    class PreconditionFailed extends Error {
      code = 'PRECONDITION_FAILED';
    }
    const err = new PreconditionFailed('If-Match failed');
    let seen: Resource | undefined;
    await assert.rejects(
      store.write({
        path: '/p/q',
        apply(current) {
          seen = current;
          throw err;
        },
      }),
      (e) => e === err,
      'the error of apply() propagates unchanged',
    );
    assert.deepEqual(seen, original, 'apply() got the current resource');
    assert.deepEqual(await snapshot(store, paths), before);

    // apply() that would have created parents, then fails.
    await assert.rejects(
      store.write({
        path: '/x/y/z',
        apply: (current) => {
          assert.equal(current, undefined);
          throw new RangeError('no');
        },
      }),
      RangeError,
    );
    // A change the store refuses after apply() returned, with parents still to create.
    await store.write(put('/x', 'a file named like the container'));
    const before2 = await snapshot(store, paths);
    await assert.rejects(store.write(put('/x/y/z', 'z')), { code: 'STORE_CONFLICT' });
    assert.deepEqual(await snapshot(store, paths), before2);
  });

  withStore(
    'events: one per commit, seq strictly increasing, time never decreasing',
    async (store) => {
      const appended: StoredEvent[] = [];
      const t0 = Date.now();
      for (const r of [
        put('/l/1', '1'),
        put('/l/2', '2'),
        put('/l/1', '1b'),
        del('/l/2'),
        put('/m/n/o', 'o'),
      ]) {
        appended.push(...(await store.write(r)).events);
      }
      const t1 = Date.now();
      const all = await store.events();
      assert.deepEqual(all, appended, 'the log holds exactly what the writes returned');
      for (let i = 1; i < all.length; i++) {
        const [prev, cur] = [all[i - 1] as StoredEvent, all[i] as StoredEvent];
        assert.ok(cur.seq > prev.seq, 'seq strictly increases');
        assert.ok(cur.time >= prev.time, 'time never decreases');
      }
      for (const e of all) assert.ok(e.time >= t0 && e.time <= t1);
      const last = all.at(-1) as StoredEvent;
      assert.equal(await store.lastSeq(), last.seq);
      assert.equal(await store.oldestSeq(), (all[0] as StoredEvent).seq);
      for (const e of all) assert.deepEqual(await store.eventBySeq(e.seq), e);
      assert.equal(await store.eventBySeq(last.seq + 1), undefined);
      assert.equal(await store.eventBySeq(0), undefined);
    },
  );

  withStore(
    'events query: by path, by parent, both at once, after a seq, limited',
    async (store) => {
      await store.write(put('/q/a', 'a'));
      await store.write(put('/q/b', '{"v":1}', { contentType: 'application/json' }));
      await store.write(put('/q/sub/c', 'c'));
      await store.write(put('/r/x', 'x'));
      await store.write(del('/q/a'));
      const patch = enc('{"v":2}');
      const patched = await store.write(
        put('/q/b', '{"v":2}', {
          contentType: 'application/json',
          method: 'PATCH',
          status: 200,
          patch: { body: patch, type: 'application/merge-patch+json' },
        }),
      );
      const show = (es: StoredEvent[]) => es.map((e) => `${e.method} ${e.path}`);

      assert.deepEqual(show(await store.events({ path: '/q/a' })), ['PUT /q/a', 'DELETE /q/a']);
      assert.deepEqual(show(await store.events({ parent: '/q/' })), [
        'PUT /q/a',
        'PUT /q/b',
        'PUT /q/sub/',
        'DELETE /q/a',
        'PATCH /q/b',
      ]);
      // A container subscriber: the container itself or any direct member, in one query.
      const container = await store.events({ path: '/q/', parent: '/q/' });
      assert.deepEqual(show(container), [
        'PUT /q/',
        'PUT /q/a',
        'PUT /q/b',
        'PUT /q/sub/',
        'DELETE /q/a',
        'PATCH /q/b',
      ]);
      const third = container[2] as StoredEvent;
      assert.deepEqual(
        await store.events({ path: '/q/', parent: '/q/', afterSeq: third.seq }),
        container.slice(3),
      );
      assert.deepEqual(
        await store.events({ path: '/q/', parent: '/q/', afterSeq: third.seq, limit: 2 }),
        container.slice(3, 5),
      );
      assert.deepEqual(await store.events({ limit: 0 }), []);
      assert.deepEqual(show(await store.events({ limit: 2 })), ['PUT /q/', 'PUT /q/a']);
      assert.deepEqual(await store.events({ path: '/nothing' }), []);

      // A PATCH event carries the patch, in the patch's media type, and the new ETag.
      const e = patched.events[0] as StoredEvent;
      assert.equal(e.method, 'PATCH');
      assert.equal(e.status, 200);
      assert.equal(e.contentType, 'application/merge-patch+json');
      assert.deepEqual(e.body, patch);
      assert.equal(e.etag, await etagOf(store, '/q/b'));

      assert.deepEqual(await store.lastEvent('/q/b'), e);
      assert.deepEqual(await store.lastEvent('/q/', { members: true }), e);
      assert.equal((await store.lastEvent('/q/'))?.path, '/q/');
      assert.equal((await store.lastEvent('/q/a'))?.method, 'DELETE');
      assert.equal(await store.lastEvent('/nothing'), undefined);
      assert.equal((await store.lastEvent('/r/', { members: true }))?.path, '/r/x');
    },
  );

  withStore(
    'record: an event about a resource kept elsewhere is appended; no resource is read or written',
    async (store) => {
      await store.write(put('/kept/a', 'a'));
      const before = await snapshot(store, ['/', '/kept/', '/kept/a', '/posts', '/posts/1']);
      let seen: Resource | undefined | null = null;
      const body = enc('{"id":1,"title":"new"}');
      const {
        events,
        before: was,
        after,
      } = await store.write({
        path: '/posts/1',
        apply: (current) => {
          seen = current;
          return {
            op: 'record',
            path: '/posts/1',
            parent: '/posts',
            etag: 'W/"17-abc"',
            event: { method: 'PUT', status: 200, body, bodyType: 'application/json' },
          };
        },
      });
      assert.equal(seen, undefined, 'apply() gets the stored resource: none');
      assert.equal(was, undefined);
      assert.equal(after, undefined);
      assert.equal(events.length, 1);
      const e = events[0] as StoredEvent;
      assert.equal(e.seq, before.lastSeq + 1);
      assert.equal(e.origin, store.origin);
      assert.deepEqual(
        { ...e, body: dec(e.body), seq: 0, time: 0, origin: null },
        {
          seq: 0,
          time: 0,
          origin: null,
          method: 'PUT',
          status: 200,
          path: '/posts/1',
          parent: '/posts',
          etag: 'W/"17-abc"',
          parentEtag: null,
          contentType: 'application/json',
          body: '{"id":1,"title":"new"}',
        },
      );
      // The log holds it like any other event; the resources are as they were.
      assert.deepEqual(await store.events({ afterSeq: before.lastSeq }), events);
      assert.deepEqual(await store.lastEvent('/posts', { members: true }), e);
      assert.deepEqual(await store.events({ path: '/posts', parent: '/posts' }), events);
      assert.equal(await store.lastSeq(), e.seq);
      const now = await snapshot(store, ['/', '/kept/', '/kept/a', '/posts', '/posts/1']);
      assert.deepEqual(now.resources, before.resources);
      assert.deepEqual(
        (await store.members('/'))?.map((m) => m.path),
        ['/kept/'],
      );

      // Without a body (a DELETE, a change whose new state is not known), and with a parent ETag.
      const gone = await store.write({
        path: '/posts/1',
        apply: () => ({
          op: 'record',
          path: '/posts/1',
          parent: '/posts',
          etag: null,
          parentEtag: '"list-2"',
          event: { method: 'DELETE', status: 204 },
        }),
      });
      const d = gone.events[0] as StoredEvent;
      assert.equal(d.seq, e.seq + 1);
      assert.deepEqual(
        [d.method, d.etag, d.parentEtag, d.contentType, d.body],
        ['DELETE', null, '"list-2"', null, null],
      );
      // A path that has a stored resource keeps it: a record never touches a row.
      await store.write({
        path: '/kept/a',
        apply: () => ({
          op: 'record',
          path: '/kept/a',
          parent: null,
          etag: '"x"',
          event: { method: 'PATCH', status: 200 },
        }),
      });
      assert.deepEqual(await store.get('/kept/a'), before.resources[2]);
      const next = await store.write(put('/kept/b', 'b'));
      assert.equal((next.events.at(-1) as StoredEvent).seq, d.seq + 2);
    },
  );

  withStore(
    'record: malformed records fail with STORE_INVALID and change nothing',
    async (store) => {
      await store.write(put('/kept/a', 'a'));
      const before = await snapshot(store, ['/', '/kept/a']);
      const record = (fields: Record<string, unknown>, event: Record<string, unknown> = {}) =>
        store.write({
          path: '/r',
          apply: () => ({
            op: 'record',
            path: '/r',
            parent: '/',
            etag: '"1"',
            ...fields,
            event: { method: 'PUT', status: 200, ...event },
          }),
        });
      const invalid = { name: 'StoreError', code: 'STORE_INVALID' };
      await assert.rejects(record({ path: 'r' }), invalid);
      await assert.rejects(record({ path: '/a//b' }), invalid);
      await assert.rejects(record({ parent: '/r' }), invalid, "a record's parent is not itself");
      await assert.rejects(record({ parent: 'x' }), invalid);
      await assert.rejects(record({ etag: '"1"\r\nX-Injected: 1' }), invalid);
      await assert.rejects(record({ parentEtag: 7 }), invalid);
      await assert.rejects(record({}, { method: 'GET' }), invalid);
      await assert.rejects(record({}, { status: 99 }), invalid);
      await assert.rejects(record({}, { body: enc('x') }), invalid, 'a body needs its type');
      await assert.rejects(record({}, { bodyType: 'text/plain' }), invalid);
      await assert.rejects(record({}, { body: 'x', bodyType: 'text/plain' }), invalid);
      assert.deepEqual(await snapshot(store, ['/', '/kept/a']), before);
      // The same record, well formed, is taken.
      assert.equal((await record({})).events.length, 1);
    },
  );

  withStore('record: concurrent records take consecutive seqs in call order', async (store) => {
    const start = await store.lastSeq();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.write({
          path: `/up/${i % 5}`,
          apply: () => ({
            op: 'record',
            path: `/up/${i % 5}`,
            parent: '/up',
            etag: `"${i}"`,
            event: { method: 'PATCH', status: 200 },
          }),
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => (r.events[0] as StoredEvent).seq),
      Array.from({ length: 50 }, (_, i) => start + 1 + i),
    );
    assert.equal((await store.events({ parent: '/up' })).length, 50);
  });

  withStore('prune by count keeps the newest events; seq is never reused', async (store) => {
    for (let i = 0; i < 10; i++) await store.write(put(`/p${i}`, `${i}`));
    const all = await store.events();
    assert.equal(all.length, 10);
    assert.equal(await store.prune({ maxEvents: 4 }), 6);
    assert.deepEqual(await store.events(), all.slice(6));
    assert.equal(await store.oldestSeq(), all[6]?.seq);
    assert.equal(await store.eventBySeq((all[0] as StoredEvent).seq), undefined);
    assert.equal(await store.prune({ maxEvents: 4 }), 0);
    assert.equal(await store.prune({}), 0);

    const last = (all.at(-1) as StoredEvent).seq;
    assert.equal(await store.prune({ maxEvents: 0 }), 4);
    assert.deepEqual(await store.events(), []);
    assert.equal(await store.lastSeq(), last, 'lastSeq survives pruning');
    assert.equal(await store.oldestSeq(), last + 1, 'nothing held: oldestSeq is lastSeq + 1');
    const { events } = await store.write(put('/after', 'x'));
    assert.ok((events[0] as StoredEvent).seq > last);
    assert.equal(await store.oldestSeq(), events[0]?.seq);
    // Pruning the log never touches the resources.
    assert.equal(dec((await store.get('/p0'))?.body), '0');
  });

  withStore('prune by age drops events older than maxAgeMs', async (store) => {
    await store.write(put('/old1', '1'));
    await store.write(put('/old2', '2'));
    await sleep(30);
    const young = (await store.write(put('/new1', '3'))).events[0] as StoredEvent;
    await store.write(put('/new2', '4'));
    const oldTime = (await store.lastEvent('/old2'))?.time ?? Infinity;
    assert.ok(oldTime < young.time - 1);

    assert.equal(await store.prune({ maxAgeMs: 3_600_000 }), 0, 'all younger than an hour');
    // Relative to `now`: everything before young.time - 1 is older than maxAgeMs.
    assert.equal(await store.prune({ maxAgeMs: 1000, now: young.time + 999 }), 2);
    assert.deepEqual(
      (await store.events()).map((e) => e.path),
      ['/new1', '/new2'],
    );
    assert.equal(await store.oldestSeq(), young.seq);
    const last = await store.lastSeq();
    assert.equal(await store.prune({ maxAgeMs: 0, now: Date.now() + 1 }), 2);
    assert.equal(await store.oldestSeq(), last + 1);
  });

  withStore('prune with both bounds applies the stricter', async (store) => {
    for (let i = 0; i < 5; i++) await store.write(put(`/b${i}`, `${i}`));
    assert.equal(await store.prune({ maxEvents: 3, maxAgeMs: 3_600_000 }), 2);
    assert.equal(await store.prune({ maxEvents: 100, maxAgeMs: 0, now: Date.now() + 1 }), 3);
  });

  test(`${name}: storeId is random per database`, { skip }, async () => {
    const [a, b] = [await create(), await create()];
    try {
      assert.equal(typeof a.storeId, 'string');
      assert.ok(a.storeId.length >= 8);
      assert.notEqual(a.storeId, b.storeId);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test(
    `${name}: reopened, the store keeps its id, resources and events; seq continues`,
    { skip },
    async () => {
      let store = await create();
      try {
        await store.write(put('/keep/a', 'a'));
        await store.write(put('/keep/bin', new Uint8Array([0, 255, 1])));
        await store.write(del('/keep/a'));
        const id = store.storeId;
        const events = await store.events();
        const root = await store.get('/');
        const bin = await store.get('/keep/bin');
        const last = await store.lastSeq();

        store = await reopen(store);
        assert.equal(store.storeId, id);
        assert.deepEqual(await store.events(), events);
        assert.deepEqual(await store.get('/'), root);
        assert.deepEqual(await store.get('/keep/bin'), bin);
        assert.equal(await store.get('/keep/a'), undefined);
        assert.equal(await store.lastSeq(), last);
        const { events: next } = await store.write(put('/keep/c', 'c'));
        assert.ok((next[0] as StoredEvent).seq > last);
      } finally {
        await store.close();
      }
    },
  );

  withStore('a closed store refuses work with STORE_CLOSED', async (store) => {
    await store.close();
    const closed = { name: 'StoreError', code: 'STORE_CLOSED' };
    await assert.rejects(store.get('/'), closed);
    await assert.rejects(store.write(put('/a', 'a')), closed);
    await assert.rejects(store.events(), closed);
    await assert.rejects(store.lastSeq(), closed);
    await assert.rejects(store.prune({ maxEvents: 0 }), closed);
    await store.close(); // closing twice is harmless
  });

  withStore('binary bodies round-trip byte-exact; the store keeps its own copy', async (store) => {
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = new Uint8Array(randomBytes(1 << 20));
    const empty = new Uint8Array(0);
    for (const [p, body] of [
      ['/bin/every', every],
      ['/bin/big', big],
      ['/bin/empty', empty],
    ] as const) {
      const input = new Uint8Array(body);
      const { events } = await store.write(
        put(p, input, { contentType: 'application/octet-stream' }),
      );
      input.fill(7); // the caller reuses its buffer
      const r = await store.get(p);
      assert.ok(r);
      assert.ok(r.body instanceof Uint8Array);
      assert.deepEqual(r.body, body);
      assert.deepEqual((await store.eventBySeq((events.at(-1) as StoredEvent).seq))?.body, body);
      r.body.fill(9); // the reader scribbles on what it got
      assert.deepEqual((await store.get(p))?.body, body);
    }
    assert.notEqual(await etagOf(store, '/bin/every'), await etagOf(store, '/bin/big'));
  });

  withStore('200 concurrent writes: distinct increasing seqs, last commit wins', async (store) => {
    const n = 200;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => store.write(put('/conc/x', `v${i}`))),
    );
    const own = results.map((r, i) => ({ i, e: r.events.at(-1) as StoredEvent }));
    assert.equal(new Set(own.map((o) => o.e.seq)).size, n, 'distinct seqs');
    own.sort((a, b) => a.e.seq - b.e.seq);
    const lastWrite = own.at(-1) as { i: number; e: StoredEvent };
    const final = await store.get('/conc/x');
    assert.equal(dec(final?.body), `v${lastWrite.i}`);
    assert.equal(final?.etag, lastWrite.e.etag);
    const logged = await store.events({ path: '/conc/x' });
    assert.deepEqual(
      logged.map((e) => e.seq),
      own.map((o) => o.e.seq),
    );
    for (const [k, e] of logged.entries()) {
      assert.equal(dec(e.body), `v${(own[k] as { i: number }).i}`);
    }
    // Exactly one of them created /conc/x and /conc/.
    assert.equal((await store.events({ path: '/conc/' })).length, 1);
    assert.equal(logged.filter((e) => e.parentEtag !== null).length, 1);
  });

  withStore(
    '200 concurrent writes, some failing, some on what earlier ones wrote: each its own outcome, contiguous seqs',
    checkConcurrentBatch,
  );

  const twin = options.twin;
  if (!twin) return;
  const withTwins = (title: string, fn: (a: Store, b: Store) => Promise<void>): void => {
    test(`${name}: ${title}`, { skip }, async () => {
      const a = await create();
      const b = await twin(a);
      try {
        await fn(a, b);
      } finally {
        await b.close();
        await a.close();
      }
    });
  };

  withTwins(
    'two instances on one database: each event records the instance (origin) that wrote it',
    async (a, b) => {
      assert.notEqual(a.origin, b.origin);
      const [x, y] = [await a.write(put('/o/a', 'a')), await b.write(put('/o/b', 'b'))];
      assert.deepEqual(
        x.events.map((e) => e.origin),
        [a.origin, a.origin],
      );
      assert.deepEqual(
        y.events.map((e) => e.origin),
        [b.origin],
      );
      const read = await b.events({ afterSeq: 0 });
      assert.deepEqual(
        read.map((e) => [e.path, e.origin]),
        [
          ['/o/', a.origin],
          ['/o/a', a.origin],
          ['/o/b', b.origin],
        ],
      );
    },
  );

  withTwins(
    'listen: a commit of another instance wakes the listener; its marks reach onMark, the own ones do not',
    async (a, b) => {
      assert.ok(canListen(a) && canListen(b), 'a store with twins can be followed');
      const marks: Array<[string, number]> = [];
      let commits = 0;
      const stop = await a.listen({
        onCommit: () => commits++,
        onMark: (origin, seq) => marks.push([origin, seq]),
      });
      try {
        await b.write(put('/l/x', 'x'));
        await eventually(() => commits > 0, "a wake-up for the other instance's commit");
        b.publishMark(3);
        b.publishMark(2); // marks only grow
        a.publishMark(9); // its own: not reported to itself
        await eventually(
          () => marks.some(([o, s]) => o === b.origin && s === 3),
          "the other instance's mark",
        );
        await sleep(100);
        assert.ok(
          marks.every(([o]) => o === b.origin),
          `only b's marks: ${JSON.stringify(marks)}`,
        );
        assert.ok(marks.every(([, s]) => s <= 3));
      } finally {
        await stop();
      }
    },
  );
}

/** Polls `check` until it is true (a hang guard of 10 s, never a timing assertion). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
