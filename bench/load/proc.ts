/**
 * What Linux's /proc says about a process tree and the machine: CPU, resident memory and
 * open descriptors of a server's processes (a `prep serve --workers` primary and its
 * children), and the machine's busy CPU. Every reader returns NaN (or nothing) where /proc
 * is not there, so a figure goes missing instead of the run failing.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ, the unit of /proc/stat and /proc/<pid>/stat: 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (field 3 onwards), or undefined. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU of a process (all its threads), µs. */
export function processCpuUs(pid: number): number {
  const f = statFields(pid);
  return f ? ((Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND) * 1e6 : NaN;
}

/** Non-idle CPU of the whole machine, µs (all cores; other people's work included). */
export function machineCpuUs(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
    const [user, nice, system, , , irq, softirq, steal] = cpu.map(Number);
    return ((user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND) * 1e6;
  } catch {
    return NaN;
  }
}

/**
 * The children of `pid` (a cluster primary's workers). /proc/<pid>/task/<tid>/children
 * needs CONFIG_PROC_CHILDREN, which not every kernel has, so every process's parent is read.
 */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    // Field 4 of stat is the parent's pid.
    if (Number(statFields(Number(e))?.[1]) === pid) out.push(Number(e));
  }
  return out.sort((a, b) => a - b);
}

/** Resident memory of a process (VmRSS), bytes. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Open descriptors of a process (sockets included). */
export function openDescriptors(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}
