/**
 * What one stream counts against (SEC-2): the totals, its client, its resource, and for an
 * authenticated principal, the principal and the identical-stream key.
 */
export interface StreamKeys {
  client: string;
  path: string;
  /** The principal, with its own bound (a policy's `limitsOf`, else `maxPerPrincipal`). */
  principal?: { id: string; max: number };
  /** Same client, principal, resource and format. */
  identical?: string;
}

/** The bounds an admission applies (the engine's resolved `SubscriptionLimits`). */
export interface AdmissionLimits {
  maxSubscriptions: number;
  maxPerClient: number;
  maxPerResource: number;
  maxIdentical: number;
}

/** The bound a stream ran into, named after its `prep serve` flag. */
export type StreamLimit =
  | 'max-subscriptions'
  | 'max-subscriptions-per-client'
  | 'max-subscriptions-per-resource'
  | 'max-subscriptions-per-token'
  | 'max-identical-subscriptions';

/**
 * Why a stream was refused: the `Events` status (SEC-2: 429 per client, 503 overall) and the
 * bound, or `unavailable` when the counter could not be asked (a cluster primary gone).
 */
export interface AdmissionRefusal {
  status: 429 | 503;
  limit: StreamLimit | 'unavailable';
}

const REFUSED = {
  total: { status: 503, limit: 'max-subscriptions' },
  client: { status: 429, limit: 'max-subscriptions-per-client' },
  principal: { status: 429, limit: 'max-subscriptions-per-token' },
  identical: { status: 429, limit: 'max-identical-subscriptions' },
  resource: { status: 503, limit: 'max-subscriptions-per-resource' },
} as const satisfies Record<string, AdmissionRefusal>;

/**
 * Where streams are counted against their bounds: in this process (`LocalAdmission`), or by a
 * cluster primary for all its workers, so that a bound holds across processes.
 *
 * @example
 * ```ts
 * const refused = await admission.acquire(keys, limits);
 * if (refused === undefined) {
 *   // ... stream, then when it ends:
 *   admission.release(keys);
 * }
 * ```
 */
export interface Admission {
  /** Counts a stream in, or says why not (nothing is counted then). */
  acquire(
    keys: StreamKeys,
    limits: AdmissionLimits,
  ): AdmissionRefusal | undefined | Promise<AdmissionRefusal | undefined>;
  /** Counts a stream out (one acquired with the same keys). */
  release(keys: StreamKeys): void;
}

/**
 * The counts of one process (or of a cluster primary for its workers): exact, bounded maps
 * (a key is forgotten at zero).
 *
 * @example
 * ```ts
 * const admission = new LocalAdmission();
 * admission.acquire({ client: '127.0.0.1', path: '/a' }, limits); // undefined: admitted
 * ```
 */
export class LocalAdmission implements Admission {
  #total = 0;
  readonly #perClient = new Map<string, number>();
  readonly #perResource = new Map<string, number>();
  readonly #perPrincipal = new Map<string, number>();
  readonly #identical = new Map<string, number>();

  /** Streams counted in. */
  get total(): number {
    return this.#total;
  }

  acquire(keys: StreamKeys, limits: AdmissionLimits): AdmissionRefusal | undefined {
    if (this.#total >= limits.maxSubscriptions) return REFUSED.total;
    if ((this.#perClient.get(keys.client) ?? 0) >= limits.maxPerClient) return REFUSED.client;
    const { principal, identical } = keys;
    if (principal && (this.#perPrincipal.get(principal.id) ?? 0) >= principal.max)
      return REFUSED.principal;
    // SEC-2 "coalesce or refuse repeats": we refuse; a stream cannot be shared between two
    // responses, and a client that needs more of the same is looping.
    if (identical !== undefined && (this.#identical.get(identical) ?? 0) >= limits.maxIdentical)
      return REFUSED.identical;
    if ((this.#perResource.get(keys.path) ?? 0) >= limits.maxPerResource) return REFUSED.resource;
    this.#count(keys, 1);
    return undefined;
  }

  release(keys: StreamKeys): void {
    this.#count(keys, -1);
  }

  #count(keys: StreamKeys, delta: number): void {
    this.#total += delta;
    count(this.#perClient, keys.client, delta);
    count(this.#perResource, keys.path, delta);
    if (keys.principal) count(this.#perPrincipal, keys.principal.id, delta);
    if (keys.identical !== undefined) count(this.#identical, keys.identical, delta);
  }
}

/** Adds `delta` to a counter, forgetting it at zero (bounded maps). */
function count(map: Map<string, number>, key: string, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
