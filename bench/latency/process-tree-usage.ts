import { CLOCK_TICKS_PER_SECOND, processTree, pssBytes, rssBytes } from '../shared/proc.js';

/** PSS is read every this many samples: smaps_rollup walks the page tables of each process. */
const PSS_EVERY = 10;

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
    let rss = 0;
    let pss = 0;
    for (const [pid, stat] of processTree(this.rootPid)) {
      const bytes = rssBytes(pid);
      if (bytes === undefined) continue; // exited between listing and reading
      this.#ticks.set(pid, stat.cpuTicks);
      rss += bytes;
      if (withPss) pss += pssBytes(pid);
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
