import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on
const PAGE_BYTES = 4096;
/** PSS is read every this many samples: smaps_rollup walks the page tables of each process. */
const PSS_EVERY = 10;

function readPssBytes(pid: number): number {
  try {
    const kb = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0; // exited between listing and reading
  }
}

interface ProcSample {
  ppid: number;
  cpuTicks: number;
  rssBytes: number;
}

function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may contain spaces: fields are counted after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), rssBytes: rssPages * PAGE_BYTES };
  } catch {
    return undefined; // exited between listing and reading
  }
}

export interface UsageWindow {
  cpuSeconds: number;
  /** Largest summed RSS of the tree seen in the window. */
  peakRssBytes: number;
  /** Summed RSS of the tree when the window opened. */
  baselineRssBytes: number;
  /** Largest summed PSS of the tree seen in the window (shared pages counted once across the tree). */
  peakPssBytes: number;
  /** Summed PSS of the tree when the window opened. */
  baselinePssBytes: number;
}

/**
 * CPU time and memory (RSS, and PSS once a second) of a process and all its descendants (a worker and its job processes),
 * sampled from /proc. CPU of a child that exits between samples is counted up to its last sample.
 */
export class ProcessTreeUsage {
  /** Last CPU ticks seen per pid, kept after the process exits so its work still counts. */
  readonly #ticks = new Map<number, number>();
  #peakRss = 0;
  #lastRss = 0;
  #peakPss = 0;
  #lastPss = 0;
  #samples = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly rootPid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(forcePss = false): void {
    const withPss = forcePss || this.#samples++ % PSS_EVERY === 0;
    const procs = new Map<number, ProcSample>();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      const p = readProc(pid);
      if (p) procs.set(pid, p);
    }
    const tree = new Set([this.rootPid]);
    // Parents may be listed after children: repeat until no new descendant is found.
    for (let grew = true; grew; ) {
      grew = false;
      for (const [pid, p] of procs) {
        if (!tree.has(pid) && tree.has(p.ppid)) {
          tree.add(pid);
          grew = true;
        }
      }
    }
    let rss = 0;
    let pss = 0;
    for (const pid of tree) {
      const p = procs.get(pid);
      if (!p) continue;
      this.#ticks.set(pid, p.cpuTicks);
      rss += p.rssBytes;
      if (withPss) pss += readPssBytes(pid);
    }
    this.#lastRss = rss;
    this.#peakRss = Math.max(this.#peakRss, rss);
    if (withPss) {
      this.#lastPss = pss;
      this.#peakPss = Math.max(this.#peakPss, pss);
    }
  }

  /** Opens a measurement window; `end()` returns the CPU used and the peak memory within it. */
  window(): { end(): UsageWindow } {
    this.sample(true);
    const startTicks = this.#totalTicks();
    const baselineRssBytes = this.#lastRss;
    const baselinePssBytes = this.#lastPss;
    this.#peakRss = this.#lastRss;
    this.#peakPss = this.#lastPss;
    return {
      end: () => {
        this.sample(true);
        return {
          cpuSeconds: (this.#totalTicks() - startTicks) / CLOCK_TICKS_PER_SECOND,
          peakRssBytes: this.#peakRss,
          baselineRssBytes,
          peakPssBytes: this.#peakPss,
          baselinePssBytes,
        };
      },
    };
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #totalTicks(): number {
    let total = 0;
    for (const t of this.#ticks.values()) total += t;
    return total;
  }
}
