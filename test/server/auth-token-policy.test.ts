/**
 * The built-in access policy as a unit (SEC-1): rule matching, bearer token lookup, strict
 * validation of the policy file, and the write rate limiter's buckets (SEC-2).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { HttpError } from '../../src/server/http-error.js';
import { TokenPolicy, WriteRateLimiter } from '../../src/server/auth/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const config = {
  anonymous: [{ prefix: '/public/', read: true }],
  tokens: [
    {
      name: 'alice',
      sha256: sha('alice-token'),
      rules: [
        { prefix: '/', read: true, write: true },
        { prefix: '/secret/', read: false },
        { prefix: '/secret/shared', read: true },
      ],
      maxSubscriptions: 3,
      writesPerMinute: 60,
    },
    {
      name: 'bot',
      token: 'bot-token',
      rules: [{ prefix: '/feeds/', read: true, subscribe: false }],
    },
  ],
};

function principalOf(policy: TokenPolicy, token: string): string {
  const p = policy.identify({ authorization: `Bearer ${token}` });
  assert.ok(p !== null);
  return p;
}

test('SEC-1 the token policy: the longest matching prefix decides; missing rights are denied; subscribe follows read', () => {
  const policy = new TokenPolicy(config);
  const alice = principalOf(policy, 'alice-token');
  const bot = principalOf(policy, 'bot-token');
  assert.notEqual(alice, bot);
  // Longest prefix wins, in both directions.
  assert.equal(policy.allows(alice, 'read', '/notes/a'), true);
  assert.equal(policy.allows(alice, 'read', '/secret/x'), false);
  assert.equal(policy.allows(alice, 'read', '/secret/shared/x'), true);
  // A field a rule leaves out is false: `/secret/` says nothing of write.
  assert.equal(policy.allows(alice, 'write', '/notes/a'), true);
  assert.equal(policy.allows(alice, 'write', '/secret/x'), false);
  // subscribe defaults to the rule's read, and never exceeds it.
  assert.equal(policy.allows(alice, 'subscribe', '/notes/a'), true);
  assert.equal(policy.allows(alice, 'subscribe', '/secret/x'), false);
  assert.equal(policy.allows(bot, 'read', '/feeds/a'), true);
  assert.equal(policy.allows(bot, 'subscribe', '/feeds/a'), false);
  assert.equal(policy.allows(bot, 'write', '/feeds/a'), false);
  // No rule of its own matches: the anonymous rules apply; none at all: denied.
  assert.equal(policy.allows(bot, 'read', '/public/a'), true);
  assert.equal(policy.allows(bot, 'read', '/other'), false);
  assert.equal(policy.allows(null, 'read', '/public/a'), true);
  assert.equal(policy.allows(null, 'subscribe', '/public/a'), true);
  assert.equal(policy.allows(null, 'write', '/public/a'), false);
  assert.equal(policy.allows(null, 'read', '/notes/a'), false);
  // An id the policy does not know may do nothing.
  assert.equal(policy.allows('mallory', 'read', '/public/a'), false);
  assert.deepEqual(policy.limitsOf(alice), { maxSubscriptions: 3, writesPerMinute: 60 });
  assert.deepEqual(policy.limitsOf(bot), {});
});

test('SEC-1 replicate: a container whose every path is readable, not one with a denied path under it', () => {
  const policy = new TokenPolicy(config);
  const alice = principalOf(policy, 'alice-token');
  assert.equal(policy.allows(alice, 'replicate', '/notes/'), true);
  // `/secret/` lies under `/`: the root's snapshot would reveal it.
  assert.equal(policy.allows(alice, 'replicate', '/'), false);
  assert.equal(policy.allows(alice, 'replicate', '/secret/'), false);
  assert.equal(policy.allows(alice, 'replicate', '/secret/shared/'), true);
  assert.equal(policy.allows(null, 'replicate', '/public/'), true);
  const denied = new TokenPolicy({
    tokens: [{ name: 'x', token: 't', rules: [{ prefix: '/', read: true, replicate: false }] }],
  });
  assert.equal(denied.allows(principalOf(denied, 't'), 'replicate', '/notes/'), false);
});

test('SEC-1 a token never has less than no token: its own rules only add to the anonymous rights', () => {
  // The example of issue 15: the token's only rule denies `/pub`, a string prefix of `/public/`.
  const policy = new TokenPolicy({
    anonymous: [{ prefix: '/public/', read: true }],
    tokens: [{ name: 't', token: 't', rules: [{ prefix: '/pub', read: false }] }],
  });
  const t = principalOf(policy, 't');
  assert.equal(policy.allows(null, 'read', '/public/x'), true);
  assert.equal(policy.allows(t, 'read', '/public/x'), true);
  assert.equal(policy.allows(t, 'read', '/pub'), false);

  // The class: any rules, any path, any right.
  const segment = fc.constantFrom('a', 'b', 'ab', 'c');
  const prefix = fc
    .array(segment, { maxLength: 3 })
    .chain((segs) =>
      fc.constantFrom(
        `/${segs.join('/')}`,
        `/${segs.join('/')}/`,
        `/${segs.join('/')}`.slice(0, -1) || '/',
      ),
    );
  const rules = fc.uniqueArray(
    fc.record({
      prefix,
      read: fc.boolean(),
      write: fc.boolean(),
      subscribe: fc.boolean(),
      replicate: fc.boolean(),
    }),
    { selector: (r) => r.prefix, maxLength: 5 },
  );
  const path = fc
    .array(segment, { minLength: 0, maxLength: 4 })
    .chain((segs) =>
      fc.constantFrom(`/${segs.join('/')}`, `/${segs.join('/')}/`.replace('//', '/')),
    );
  fc.assert(
    fc.property(
      rules,
      rules,
      fc.array(path, { minLength: 1, maxLength: 8 }),
      (anonymous, own, paths) => {
        const p = new TokenPolicy({ anonymous, tokens: [{ name: 't', token: 't', rules: own }] });
        const token = principalOf(p, 't');
        for (const x of paths)
          for (const access of ['read', 'write', 'subscribe', 'replicate'] as const)
            if (p.allows(null, access, x))
              assert.ok(
                p.allows(token, access, x),
                `${access} ${x}: anonymous may, the token may not`,
              );
      },
    ),
    { seed: 15, numRuns: 2000 },
  );
});

test('SEC-1 identify: no Authorization is anonymous; another scheme or an unknown token is a 401 with a Bearer challenge', () => {
  const policy = new TokenPolicy(config);
  assert.equal(policy.identify({}), null);
  assert.equal(
    principalOf(policy, 'alice-token'),
    policy.identify({ authorization: 'bearer alice-token' }),
  );
  for (const authorization of ['Basic YWxpY2U6eA==', 'Bearer', 'Bearer unknown', 'Bearer a b']) {
    assert.throws(
      () => policy.identify({ authorization }),
      (e: unknown) =>
        e instanceof HttpError &&
        e.status === 401 &&
        e.code === 'INVALID_TOKEN' &&
        /^Bearer realm="prep", error="invalid_(token|request)"$/.test(
          e.headers['WWW-Authenticate'] ?? '',
        ),
      authorization,
    );
  }
});

test('SEC-1 a reload swaps the rules, tells the listeners, and a rotated token is a new principal', () => {
  const policy = new TokenPolicy(config);
  const alice = principalOf(policy, 'alice-token');
  let told = 0;
  const off = policy.onChange(() => told++);
  policy.reload({
    tokens: [{ name: 'alice', token: 'new-token', rules: [{ prefix: '/', read: true }] }],
  });
  assert.equal(told, 1);
  assert.equal(policy.allows(alice, 'read', '/notes/a'), false);
  assert.throws(() => policy.identify({ authorization: 'Bearer alice-token' }), HttpError);
  assert.equal(policy.allows(principalOf(policy, 'new-token'), 'read', '/notes/a'), true);
  // An invalid config changes nothing and tells nobody.
  assert.throws(() => policy.reload({ tokens: 'x' }), /tokens: expected an array/);
  assert.equal(told, 1);
  off();
  policy.reload(config);
  assert.equal(told, 1);
});

test('SEC-1 the policy file is checked strictly, with one line naming the field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [[], /^policy: expected an object, got an array$/],
    [{ users: [] }, /^policy\.users: unknown field/],
    [{ anonymous: [{ prefix: 'public/' }] }, /^anonymous\[0\]\.prefix: expected a path prefix/],
    [
      { anonymous: [{ prefix: '/a', read: 'yes' }] },
      /^anonymous\[0\]\.read: expected true or false, got "yes"$/,
    ],
    [
      { anonymous: [{ prefix: '/a' }, { prefix: '/a' }] },
      /^anonymous\[1\]\.prefix: "\/a" has a rule already$/,
    ],
    [{ tokens: [{ name: 'a', rules: [] }] }, /^tokens\[0\]: give exactly one of "sha256"/],
    [
      { tokens: [{ name: 'a', sha256: 'abc', rules: [] }] },
      /^tokens\[0\]\.sha256: expected 64 hex digits/,
    ],
    [
      { tokens: [{ name: 'a', token: 'has space', rules: [] }] },
      /^tokens\[0\]\.token: expected a bearer token/,
    ],
    [{ tokens: [{ name: 'a', token: 't' }] }, /^tokens\[0\]\.rules: missing/],
    [
      { tokens: [{ name: 'a', token: 't', rules: [{ prefix: '/', write: 1 }] }] },
      /^tokens\[0\]\.rules\[0\]\.write: expected true or false, got 1$/,
    ],
    [
      { tokens: [{ name: 'a', token: 't', rules: [], maxSubscriptions: -1 }] },
      /^tokens\[0\]\.maxSubscriptions: expected a non-negative integer/,
    ],
    [
      {
        tokens: [
          { name: 'a', token: 't', rules: [] },
          { name: 'a', token: 'u', rules: [] },
        ],
      },
      /^tokens\[1\]\.name: "a" is used twice$/,
    ],
    [
      {
        tokens: [
          { name: 'a', token: 't', rules: [] },
          { name: 'b', sha256: sha('t'), rules: [] },
        ],
      },
      /^tokens\[1\]: the same token as an earlier entry$/,
    ],
  ];
  for (const [value, message] of cases)
    assert.throws(
      () => new TokenPolicy(value),
      (e: unknown) =>
        e instanceof Error &&
        (e as { code?: string }).code === 'AUTH_CONFIG' &&
        message.test(e.message) &&
        !e.message.includes('\n'),
      JSON.stringify(value),
    );
});

test('SEC-2 the write rate limiter: a burst, then one write per refill; memory stays bounded', () => {
  let now = 0;
  const limiter = new WriteRateLimiter({ now: () => now, maxClients: 3 });
  const rate = { perSecond: 2, burst: 3 };
  assert.deepEqual(
    [0, 1, 2].map(() => limiter.take('a', rate)),
    [0, 0, 0],
  );
  assert.equal(limiter.take('a', rate), 500);
  now += 500;
  assert.equal(limiter.take('a', rate), 0);
  assert.equal(limiter.take('a', rate), 500);
  // Other clients have buckets of their own.
  assert.equal(limiter.take('b', rate), 0);
  // Refilled buckets are dropped when met, and never more than maxClients are kept.
  now += 10_000;
  for (const k of ['c', 'd', 'e', 'f', 'g']) limiter.take(k, rate);
  assert.ok(limiter.size <= 3, `${limiter.size} buckets`);
  assert.equal(limiter.take('never', { perSecond: 0, burst: 1 }), 0);
  assert.equal(limiter.take('never', { perSecond: 0, burst: 1 }), Infinity);
});
