import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { log } from '@livekit/agents';
import { pssBytesOf } from '../../contracts/process-memory.js';
import { type CallCost, WORKER_LOG } from '../../contracts/worker-log.js';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The process's PSS in bytes (Linux only). */
function ownPssBytes(): number | undefined {
  try {
    return pssBytesOf(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Measures a call's cost in its job process from its start, and logs it at its end (`stop`): what a
 * call costs in cores and memory, and how busy the event loop was while it carried the audio.
 */
export class CallCostMeter {
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });
  readonly #cpuAtStart = process.cpuUsage();
  readonly #startedAt = performance.now();

  constructor() {
    this.#delay.enable();
  }

  stop(): CallCost {
    this.#delay.disable();
    const cpu = process.cpuUsage(this.#cpuAtStart);
    const durationS = (performance.now() - this.#startedAt) / 1000;
    const ms = (ns: number) => round(ns / 1e6);
    const pss = ownPssBytes();
    const cost: CallCost = {
      durationS: round(durationS),
      cpuMsPerSecond: round((cpu.user + cpu.system) / 1000 / Math.max(durationS, 0.001)),
      eventLoopDelayMs: { p50: ms(this.#delay.percentile(50)), p99: ms(this.#delay.percentile(99)), max: ms(this.#delay.max) },
      rssMb: round(process.memoryUsage.rss() / 2 ** 20),
      pssMb: pss === undefined ? undefined : round(pss / 2 ** 20),
    };
    log().info(cost, WORKER_LOG.callCost);
    return cost;
  }
}
