import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on
const PAGE_BYTES = 4096;

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
}

/**
 * CPU time and memory of a process and all its descendants (a worker and its job processes),
 * sampled from /proc. CPU of a child that exits between samples is counted up to its last sample.
 */
export class ProcessTreeUsage {
  /** Last CPU ticks seen per pid, kept after the process exits so its work still counts. */
  readonly #ticks = new Map<number, number>();
  #peakRss = 0;
  #lastRss = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly rootPid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
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
    for (const pid of tree) {
      const p = procs.get(pid);
      if (!p) continue;
      this.#ticks.set(pid, p.cpuTicks);
      rss += p.rssBytes;
    }
    this.#lastRss = rss;
    this.#peakRss = Math.max(this.#peakRss, rss);
  }

  /** Opens a measurement window; `end()` returns the CPU used and the peak memory within it. */
  window(): { end(): UsageWindow } {
    this.sample();
    const startTicks = this.#totalTicks();
    const baselineRssBytes = this.#lastRss;
    this.#peakRss = this.#lastRss;
    return {
      end: () => {
        this.sample();
        return {
          cpuSeconds: (this.#totalTicks() - startTicks) / CLOCK_TICKS_PER_SECOND,
          peakRssBytes: this.#peakRss,
          baselineRssBytes,
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
