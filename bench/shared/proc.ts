import { readdirSync, readFileSync } from 'node:fs';
import { pssBytesOf } from '../../contracts/process-memory.js';

/** USER_HZ: 100 on every Linux this runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

/** A /proc file's text, or undefined once its process has exited (between listing and reading). */
export function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** What /proc/PID/stat says of a process: its parent, CPU used (user + system) and start, in clock ticks. */
export interface ProcStat {
  ppid: number;
  cpuTicks: number;
  startTicks: number;
}

export function procStat(pid: number): ProcStat | undefined {
  const text = readProc(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  // The command name is parenthesised and may contain spaces: fields are counted after its ')' (field 3 is [0]).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), startTicks: Number(fields[19]) };
}

export function rssBytes(pid: number): number | undefined {
  const statm = readProc(`/proc/${pid}/statm`);
  return statm === undefined ? undefined : Number(statm.split(' ')[1]) * PAGE_BYTES;
}

/** 0 when the process has exited. smaps_rollup walks the process's page tables: not free. */
export function pssBytes(pid: number): number {
  return pssBytesOf(readProc(`/proc/${pid}/smaps_rollup`) ?? '') ?? 0;
}

/** `rootPid` and all its descendants now, with their stat. */
export function processTree(rootPid: number): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    const s = Number.isInteger(pid) ? procStat(pid) : undefined;
    if (s) stats.set(pid, s);
  }
  const tree = new Set(stats.has(rootPid) ? [rootPid] : []);
  // Parents may be listed after children: repeat until no new descendant is found.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, s] of stats) {
      if (!tree.has(pid) && tree.has(s.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return new Map([...tree].map((pid) => [pid, stats.get(pid)!]));
}
