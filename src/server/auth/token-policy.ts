import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PrepError } from '@prep-live/client/core';
import { HttpError } from '../http-error.js';
import {
  BEARER_CHALLENGE,
  type Access,
  type AccessPolicy,
  type PrincipalLimits,
} from './access.js';

/** One rule: what its holder may do on the paths that start with `prefix`. */
export interface TokenRule {
  /** A string prefix of the path (`/notes/` covers `/notes/` and everything under it). */
  prefix: string;
  read?: boolean;
  write?: boolean;
  /** Open PREP streams; default the rule's `read` (never more than `read`, SEC-1). */
  subscribe?: boolean;
  /**
   * WES snapshot and feed of a container; default granted when everything under the container
   * is readable. `false` denies it; `true` cannot grant it where a read is denied.
   */
  replicate?: boolean;
}

/** One bearer token and its rules. */
export interface TokenEntry {
  /** Unique; names the principal in logs and limits. */
  name: string;
  /** The hex SHA-256 of the token (preferred: the file then holds no secret). */
  sha256?: string;
  /** The token itself (then no `sha256`). */
  token?: string;
  rules: TokenRule[];
  /** Open streams of this token; overrides the server's `maxPerPrincipal`. */
  maxSubscriptions?: number;
  /** Writes per minute; overrides the server's `writeRate` for this token. */
  writesPerMinute?: number;
}

/** The policy file (docs/auth.md). */
export interface TokenPolicyConfig {
  /** Rules of requests without credentials; default none (everything needs a token). */
  anonymous?: TokenRule[];
  tokens?: TokenEntry[];
}

interface CompiledRule {
  prefix: string;
  read: boolean;
  write: boolean;
  subscribe: boolean;
  /** `false` only when the rule says so; otherwise derived (see `replicate`). */
  replicate: boolean;
}

interface Principal {
  rules: CompiledRule[];
  limits: PrincipalLimits;
}

interface Compiled {
  anonymous: CompiledRule[];
  /** Principal id → its rules. */
  principals: Map<string, Principal>;
  /** Hex SHA-256 of a token → principal id. */
  digests: Map<string, string>;
}

/**
 * The built-in access policy: bearer tokens (RFC 6750) from a configuration, each with
 * prefix rules; the longest matching prefix decides. A token has what its own rules grant
 * plus what the anonymous rules grant: a token never has less than no token.
 *
 * @example
 * ```ts
 * const policy = new TokenPolicy({
 *   anonymous: [{ prefix: '/public/', read: true }],
 *   tokens: [{ name: 'alice', token: 's3cret', rules: [{ prefix: '/', read: true, write: true }] }],
 * });
 * const app = createResourceServer({ store, access: policy });
 * ```
 */
export class TokenPolicy implements AccessPolicy {
  #compiled: Compiled;
  readonly #listeners = new Set<() => void>();

  /** Validates `config` (see {@link parseTokenPolicyConfig}); throws `AUTH_CONFIG` when invalid. */
  constructor(config: unknown) {
    this.#compiled = compile(parseTokenPolicyConfig(config));
  }

  /**
   * Replaces the rules with `config`, then tells every `onChange` listener (the engine closes
   * the streams whose rights are gone). An invalid config throws and changes nothing.
   */
  reload(config: unknown): void {
    this.#compiled = compile(parseTokenPolicyConfig(config));
    for (const l of [...this.#listeners]) l();
  }

  identify(headers: IncomingHttpHeaders): string | null {
    const value = headers.authorization;
    if (value === undefined) return null;
    const m = BEARER.exec(value);
    if (!m)
      throw new HttpError(
        401,
        'INVALID_TOKEN',
        'Send credentials as Authorization: Bearer <token>.',
        {
          'WWW-Authenticate': `${BEARER_CHALLENGE}, error="invalid_request"`,
        },
      );
    // Looked up by digest: no comparison of secrets, so no timing to learn them from.
    const principal = this.#compiled.digests.get(sha256Hex(m[1]!));
    if (principal === undefined)
      throw new HttpError(401, 'INVALID_TOKEN', 'The bearer token is not known here.', {
        'WWW-Authenticate': `${BEARER_CHALLENGE}, error="invalid_token"`,
      });
    return principal;
  }

  allows(principal: string | null, access: Access, path: string): boolean {
    const c = this.#compiled;
    let own: CompiledRule[] | undefined;
    if (principal !== null) {
      // A principal that is no longer configured (revoked, rotated) may do nothing.
      own = c.principals.get(principal)?.rules;
      if (own === undefined) return false;
    }
    // A token never has less than no token (its holder could leave it out): what its own
    // longest matching rule does not grant, the anonymous rules may.
    const readable = (p: string): boolean =>
      (own !== undefined && decide(own, p)?.read === true) || decide(c.anonymous, p)?.read === true;
    const grants = (rules: readonly CompiledRule[]): boolean => {
      const rule = decide(rules, path);
      if (!rule) return false;
      switch (access) {
        case 'read':
          return rule.read;
        case 'write':
          return rule.write;
        case 'subscribe':
          return rule.read && rule.subscribe;
        case 'replicate':
          return (
            rule.read && rule.replicate && everythingUnderReadable(own, c.anonymous, path, readable)
          );
      }
    };
    return (own !== undefined && grants(own)) || grants(c.anonymous);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  limitsOf(principal: string): PrincipalLimits | undefined {
    return this.#compiled.principals.get(principal)?.limits;
  }
}

/** An RFC 6750 b64token: what a configured `token` may be and what `identify` accepts. */
const B64TOKEN = '[A-Za-z0-9\\-._~+/]+=*';
/** RFC 6750 §2.1: `Bearer` (case-insensitive) and a b64token. */
const BEARER = new RegExp(`^Bearer +(${B64TOKEN}) *$`, 'i');
const TOKEN = new RegExp(`^${B64TOKEN}$`);

/** The longest matching rule of `rules`. */
function decide(rules: readonly CompiledRule[], path: string): CompiledRule | undefined {
  // Rules are sorted longest prefix first: the first match is the longest.
  for (const r of rules) if (path.startsWith(r.prefix)) return r;
  return undefined;
}

/**
 * Whether every path under `container` is `readable`. The decision only changes at rule
 * prefixes, so checking each prefix under it (the container itself is checked by the caller)
 * covers every path.
 */
function everythingUnderReadable(
  own: readonly CompiledRule[] | undefined,
  anonymous: readonly CompiledRule[],
  container: string,
  readable: (path: string) => boolean,
): boolean {
  for (const rules of own ? [own, anonymous] : [anonymous])
    for (const r of rules) if (r.prefix.startsWith(container) && !readable(r.prefix)) return false;
  return true;
}

function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function compile(config: TokenPolicyConfig): Compiled {
  const principals = new Map<string, Principal>();
  const digests = new Map<string, string>();
  for (const t of config.tokens ?? []) {
    const digest = t.sha256?.toLowerCase() ?? sha256Hex(t.token!);
    // The digest is part of the id: a rotated token is a new principal, so the old one's
    // streams close on reload.
    const id = `${t.name}#${digest.slice(0, 12)}`;
    const limits: PrincipalLimits = {};
    if (t.maxSubscriptions !== undefined) limits.maxSubscriptions = t.maxSubscriptions;
    if (t.writesPerMinute !== undefined) limits.writesPerMinute = t.writesPerMinute;
    principals.set(id, { rules: compileRules(t.rules), limits });
    digests.set(digest, id);
  }
  return { anonymous: compileRules(config.anonymous ?? []), principals, digests };
}

function compileRules(rules: readonly TokenRule[]): CompiledRule[] {
  return rules
    .map((r) => ({
      prefix: r.prefix,
      read: r.read === true,
      write: r.write === true,
      subscribe: r.subscribe ?? r.read === true,
      replicate: r.replicate !== false,
    }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
}

// ---------------------------------------------------------------------------------------
// Validation: one line naming the field, so that `prep serve --auth` can say what is wrong.

const RULE_FIELDS = ['prefix', 'read', 'write', 'subscribe', 'replicate'];
const TOKEN_FIELDS = ['name', 'sha256', 'token', 'rules', 'maxSubscriptions', 'writesPerMinute'];
const TOP_FIELDS = ['anonymous', 'tokens'];

function fail(where: string, message: string): never {
  throw new PrepError('AUTH_CONFIG', `${where}: ${message}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

function object(v: unknown, where: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(where, `expected an object, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!fields.includes(k))
      fail(`${where}.${k}`, `unknown field (expected one of ${fields.join(', ')})`);
  return o;
}

function array(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) fail(where, `expected an array, got ${describe(v)}`);
  return v;
}

function optionalBoolean(o: Record<string, unknown>, key: string, where: string): void {
  if (o[key] !== undefined && typeof o[key] !== 'boolean')
    fail(`${where}.${key}`, `expected true or false, got ${describe(o[key])}`);
}

function optionalCount(o: Record<string, unknown>, key: string, where: string): void {
  const v = o[key];
  if (v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0))
    fail(`${where}.${key}`, `expected a non-negative integer, got ${describe(v)}`);
}

function parseRules(v: unknown, where: string): TokenRule[] {
  const seen = new Set<string>();
  return array(v, where).map((raw, i) => {
    const at = `${where}[${i}]`;
    const o = object(raw, at, RULE_FIELDS);
    if (typeof o.prefix !== 'string' || !o.prefix.startsWith('/'))
      fail(`${at}.prefix`, `expected a path prefix starting with "/", got ${describe(o.prefix)}`);
    if (seen.has(o.prefix)) fail(`${at}.prefix`, `${JSON.stringify(o.prefix)} has a rule already`);
    seen.add(o.prefix);
    for (const k of ['read', 'write', 'subscribe', 'replicate']) optionalBoolean(o, k, at);
    return o as unknown as TokenRule;
  });
}

/**
 * Checks a policy configuration strictly (unknown fields, wrong types, duplicate names,
 * prefixes or tokens) and returns it typed; throws a `PrepError` `AUTH_CONFIG` whose one-line
 * message names the field, e.g. `tokens[1].rules[0].read: expected true or false, got "yes"`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 *
 * const config = parseTokenPolicyConfig(JSON.parse(readFileSync('auth.json', 'utf8')));
 * ```
 */
export function parseTokenPolicyConfig(value: unknown): TokenPolicyConfig {
  const top = object(value, 'policy', TOP_FIELDS);
  const config: TokenPolicyConfig = {};
  if (top.anonymous !== undefined) config.anonymous = parseRules(top.anonymous, 'anonymous');
  if (top.tokens === undefined) return config;
  const names = new Set<string>();
  const digests = new Set<string>();
  config.tokens = array(top.tokens, 'tokens').map((raw, i) => {
    const at = `tokens[${i}]`;
    const o = object(raw, at, TOKEN_FIELDS);
    if (typeof o.name !== 'string' || o.name.trim() === '')
      fail(`${at}.name`, `expected a non-empty string, got ${describe(o.name)}`);
    if (names.has(o.name)) fail(`${at}.name`, `${JSON.stringify(o.name)} is used twice`);
    names.add(o.name);
    if ((o.sha256 === undefined) === (o.token === undefined))
      fail(at, 'give exactly one of "sha256" (preferred) and "token"');
    let digest: string;
    if (o.sha256 !== undefined) {
      if (typeof o.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(o.sha256))
        fail(`${at}.sha256`, `expected 64 hex digits, got ${describe(o.sha256)}`);
      digest = o.sha256.toLowerCase();
    } else {
      if (typeof o.token !== 'string' || !TOKEN.test(o.token))
        fail(`${at}.token`, 'expected a bearer token (letters, digits and -._~+/ then any =)');
      digest = sha256Hex(o.token);
    }
    if (digests.has(digest)) fail(at, 'the same token as an earlier entry');
    digests.add(digest);
    if (o.rules === undefined) fail(`${at}.rules`, 'missing (an array of rules)');
    const entry = { ...o, rules: parseRules(o.rules, `${at}.rules`) };
    optionalCount(o, 'maxSubscriptions', at);
    optionalCount(o, 'writesPerMinute', at);
    return entry as unknown as TokenEntry;
  });
  return config;
}
