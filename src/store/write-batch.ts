import { ROOT, assertValidPath, isContainerPath, parentOf } from './paths.js';
import {
  pathsToRead,
  planWrite,
  resultOf,
  type PlannedRow,
  type PlanReader,
} from './plan-write.js';
import type { Change, Resource, StoredEvent, WriteRequest, WriteResult } from './types.js';

/**
 * What one request of a batch came to: its result, or the error that failed it alone (thrown
 * by its `apply`, or by `planWrite` checking its change). A failed request changed nothing and
 * took no seq.
 *
 * @example
 * ```ts
 * const outcome: WriteOutcome = { error: new Error('precondition failed') };
 * ```
 */
export type WriteOutcome = { result: WriteResult } | { error: unknown };

/**
 * Where {@link planBatch} gets what it has not read yet, at the transaction's snapshot. Both
 * are answered by the database as it was before the batch (the batch's rows are written only
 * once it is planned), which is why `hasMembers` is told the paths to leave out.
 *
 * @example
 * ```ts
 * const source: BatchSource = { read: (paths) => lockRows(tx, paths), hasMembers: async () => false };
 * ```
 */
export interface BatchSource {
  /** The rows at `paths` that exist (the others do not). */
  read(paths: string[]): Promise<Resource[]>;
  /** Whether `containerPath` has a member other than those at `exclude`. */
  hasMembers(containerPath: string, exclude: string[]): Promise<boolean>;
}

/**
 * The net effect of a planned batch, to be written in one go: `writes` holds each row the batch
 * touched in its final state (null: deleted), `events` every event in seq order.
 *
 * @example
 * ```ts
 * for (const [path, row] of batch.writes) row ? upsert(row) : remove(path);
 * ```
 */
export interface PlannedBatch {
  outcomes: WriteOutcome[];
  writes: Map<string, PlannedRow | null>;
  events: StoredEvent[];
}

/**
 * The paths every request of a batch reads before calling `apply`: those of its target (the
 * target, its other spelling and its ancestors with theirs).
 *
 * @example
 * ```ts
 * const first = firstPaths(batch.map((q) => q.request)); // read them in one round trip
 * ```
 */
export function firstPaths(requests: WriteRequest[]): string[] {
  const out = new Set<string>();
  for (const request of requests) for (const p of pathsToRead(request)) out.add(p);
  return [...out];
}

/**
 * Plans several writes of one transaction, in order, as if each ran in a transaction of its
 * own right after the previous one: each request sees the rows as the earlier ones left them
 * (an in-memory view over what was read), takes the seqs after theirs, and gets an event time
 * that never goes back. A request whose `apply` or plan throws fails alone; a rejection of
 * `source` (a database error) rejects the whole batch.
 *
 * `rows` must hold every path of {@link firstPaths} (null where there is no row); it becomes
 * the view. A request whose change needs other rows (a POST names its new member) or a
 * container delete that needs to know about members costs one call of `source` for that
 * request alone.
 *
 * @example
 * ```ts
 * const planned = await planBatch({ requests, rows, source, lastSeq, lastTime, now, storeId, origin });
 * ```
 */
export async function planBatch(input: {
  requests: WriteRequest[];
  rows: Map<string, Resource | null>;
  source: BatchSource;
  /** The newest seq and event time in the log before the batch. */
  lastSeq: number;
  lastTime: number;
  now: () => number;
  storeId: string;
  /** The writing store instance, recorded with each event. */
  origin: string | null;
}): Promise<PlannedBatch> {
  const { requests, source, now, storeId, origin } = input;
  const view = input.rows;
  let { lastSeq, lastTime } = input;
  const outcomes: WriteOutcome[] = [];
  const writes = new Map<string, PlannedRow | null>();
  const events: StoredEvent[] = [];

  for (const request of requests) {
    let change: Change;
    try {
      const current = view.get(request.path);
      // A copy: whatever apply does to it, the view stays as it was.
      change = request.apply(current ? { ...current } : undefined);
    } catch (error) {
      outcomes.push({ error });
      continue;
    }

    // What the change needs beyond the view: rows it names that were not read (a POST names
    // its new member), and, for a container delete, whether it has members. One round trip.
    let more: string[] = [];
    let askMembers = false;
    let memberInView = false;
    try {
      assertValidPath(change.path);
      // A record reads nothing: its resource lives elsewhere.
      if (change.op !== 'record') more = pathsToRead(change).filter((p) => !view.has(p));
      if (change.op === 'delete' && isContainerPath(change.path) && change.path !== ROOT) {
        memberInView = hasMemberIn(view, change.path);
        askMembers = !memberInView && view.get(change.path) !== null;
      }
    } catch {
      // A malformed change: planWrite says what is wrong with it, before it reads anything.
    }
    let members = memberInView;
    if (more.length > 0 || askMembers) {
      const target = change.path;
      const [found, has] = await Promise.all([
        more.length > 0 ? source.read(more) : [],
        askMembers ? source.hasMembers(target, deletedMembers(view, target)) : false,
      ]);
      for (const p of more) view.set(p, null);
      for (const r of found) view.set(r.path, r);
      members ||= has;
    }

    const reader: PlanReader = {
      get: (p) => {
        const row = view.get(p);
        if (row === undefined) throw new Error(`store invariant broken: ${p} was not read`);
        return row ?? undefined;
      },
      hasMembers: (p) => {
        if (p !== change.path || !(askMembers || memberInView)) {
          throw new Error(`store invariant broken: hasMembers(${p})`);
        }
        return members;
      },
    };
    try {
      const plan = planWrite({
        change,
        reader,
        lastSeq,
        // Time never goes back along the log, even if a node's clock does (WES-8 compares times).
        time: Math.max(Math.floor(now()), lastTime),
        storeId,
        origin,
      });
      for (const row of plan.upserts) {
        writes.set(row.path, row);
        const { parent: _parent, ...resource } = row;
        view.set(row.path, resource);
      }
      for (const p of plan.deletes) {
        writes.set(p, null);
        view.set(p, null);
      }
      events.push(...plan.events);
      const last = plan.events.at(-1) as StoredEvent;
      lastSeq = last.seq;
      lastTime = last.time;
      outcomes.push({ result: resultOf(plan) });
    } catch (error) {
      outcomes.push({ error });
    }
  }
  return { outcomes, writes, events };
}

/** Whether the view holds an existing member of `containerPath`. */
function hasMemberIn(view: Map<string, Resource | null>, containerPath: string): boolean {
  for (const [p, row] of view) if (row !== null && parentOf(p) === containerPath) return true;
  return false;
}

/** The members of `containerPath` the view knows not to exist (deleted by the batch, say). */
function deletedMembers(view: Map<string, Resource | null>, containerPath: string): string[] {
  const out: string[] = [];
  for (const [p, row] of view) if (row === null && parentOf(p) === containerPath) out.push(p);
  return out;
}
