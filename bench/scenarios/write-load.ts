/**
 * The writes of the `cluster` and `workers` groups, made to `prep serve` processes: paced
 * writes to one resource, writes as fast as answered by several connections, and the CPU a
 * phase cost the server's processes (from /proc) and the machine.
 */
import { nowMs } from '../load/clock.js';
import { machineCpuUs } from '../load/proc.js';
import type { HttpWriter, WriteResult } from '../load/writer.js';
import { sleep } from './session.js';

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** What a phase cost: wall time, the server's CPU (µs), the machine's busy cores. */
export interface Measured<T> {
  value: T;
  wallMs: number;
  cpuUs: number;
  machineCores: number;
}

/** Runs `fn`, reading `cpu` (the server's CPU, µs) and the machine's CPU around it. */
export async function measured<T>(cpu: () => number, fn: () => Promise<T>): Promise<Measured<T>> {
  const c0 = cpu();
  const m0 = machineCpuUs();
  const t0 = nowMs();
  const value = await fn();
  const wallMs = nowMs() - t0;
  return {
    value,
    wallMs,
    cpuUs: cpu() - c0,
    machineCores: (machineCpuUs() - m0) / 1000 / wallMs,
  };
}

/** `PUT path {"seq":n}`; a status other than 2xx throws. */
export async function put(writer: HttpWriter, path: string, n: number): Promise<WriteResult> {
  const r = await writer.request('PUT', path, `{"seq":${n}}`, JSON_TYPE);
  if (r.status >= 300) throw new Error(`PUT ${path} answered ${r.status}`);
  return r;
}

/**
 * Writes `{"seq": from+1}` … `{"seq": from+count}` to `path` at `perSec` (each at its slot,
 * or as soon as the previous one is answered; writes to the resource never overlap, so the
 * k-th notification of it is the k-th write), calling `written` after each response.
 */
export async function pacedWrites(
  writer: HttpWriter,
  path: string,
  plan: { from: number; count: number; perSec: number },
  written: (r: WriteResult) => void,
): Promise<void> {
  const t0 = nowMs();
  for (let k = 0; k < plan.count; k++) {
    const wait = t0 + (k * 1000) / plan.perSec - nowMs();
    if (wait > 0) await sleep(wait);
    written(await put(writer, path, plan.from + k + 1));
  }
}

/**
 * `writes` writes (rounded up to a multiple of the writers) as fast as answered: writer w
 * owns the resources i ≡ w (mod writers), so writes to one resource never overlap, and
 * writes them in turn. `counts` holds the writes made per path so far (updated);
 * `written` is called after each response with the write's number on its path.
 */
export async function writesAsFastAsAnswered(
  writers: readonly HttpWriter[],
  paths: readonly string[],
  writes: number,
  counts: Record<string, number>,
  written?: (path: string, n: number, r: WriteResult) => void,
): Promise<{ made: number; writeMs: number; responseMs: number[] }> {
  const perWriter = Math.ceil(writes / writers.length);
  const responseMs: number[] = [];
  const t0 = nowMs();
  await Promise.all(
    writers.map(async (writer, w) => {
      const own = paths.filter((_, i) => i % writers.length === w);
      for (let k = 0; k < perWriter; k++) {
        const path = own[k % own.length]!;
        const n = (counts[path] ?? 0) + 1;
        counts[path] = n;
        const r = await put(writer, path, n);
        responseMs.push(r.at - r.sentAt);
        written?.(path, n, r);
      }
    }),
  );
  return { made: perWriter * writers.length, writeMs: nowMs() - t0, responseMs };
}
