import type { AdmissionLimits, AdmissionRefusal, StreamKeys } from '../../engine/admission.js';

/**
 * What a worker tells its primary (`prep serve --workers`): that it committed (the others
 * should read the log), how far it has answered its writers (its mark, N822-3), and the
 * streams it counts against the shared limits (SEC-2).
 */
export type WorkerMessage =
  | { t: 'prep:committed' }
  | { t: 'prep:mark'; origin: string; seq: number }
  | { t: 'prep:acquire'; id: number; keys: StreamKeys; limits: AdmissionLimits }
  | { t: 'prep:release'; keys: StreamKeys }
  | { t: 'prep:listening'; url: string }
  | { t: 'prep:probed'; id: number; report: WorkerReport };

/**
 * A worker's answer to a probe of the primary's admin listener: its metrics (prom-client's
 * `getMetricsAsJSON()`, labelled with its number) and its readiness.
 */
export interface WorkerReport {
  metrics: unknown[];
  readiness: { ready: boolean } & Record<string, unknown>;
}

/** What a primary tells its workers: the relays of the above, and admission answers. */
export type PrimaryMessage =
  | { t: 'prep:wake' }
  | { t: 'prep:mark'; origin: string; seq: number }
  | { t: 'prep:admitted'; id: number; refused?: AdmissionRefusal }
  | { t: 'prep:probe'; id: number };

/** Whether `m` is one of ours (a process may carry other IPC traffic). */
export function isPrepMessage(m: unknown): m is { t: `prep:${string}` } {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { t?: unknown }).t === 'string' &&
    (m as { t: string }).t.startsWith('prep:')
  );
}
