import { log } from '@livekit/agents';
import type { LoadReport } from './call-admission.js';
import { countJobProcesses } from './job-processes.js';

/** How often the worker's own load is read. */
const READ_INTERVAL_MS = 1000;
const READ_TIMEOUT_MS = 800;

/** A worker's load as a scheduler outside livekit-server needs it: calls held, calls it may hold, whether it takes more. */
export interface WorkerLoadSnapshot {
  activeCalls: number;
  /** The worker's call limit (`worker.maxConcurrentCalls`); unset when its load is machine CPU. */
  maxCalls?: number;
  /** Registered with livekit-server and not draining: it can be given calls. */
  available: boolean;
  /** Job processes started and waiting for a call: how many calls can start without a cold start; unset where /proc cannot tell. */
  idleProcesses?: number;
  /** The share of the call limit in use at the last report to livekit-server (0..1, 1: full); unset when its load is machine CPU. */
  reportedLoad?: number;
}

/**
 * Reads the framework's own account of the worker (its health server: `GET /` healthy while
 * registered with livekit-server, `GET /worker` the active jobs) once a second, and keeps the
 * latest: the source of the worker's load gauges on /metrics and of its pool presence.
 */
export class WorkerLoad {
  #snapshot: WorkerLoadSnapshot;
  #draining = false;
  /** The worker's last load report to livekit-server. */
  #reported?: LoadReport;

  constructor(
    private readonly frameworkPort: number,
    private readonly maxCalls: number | undefined,
    /** The file each job process runs (ServerOptions.agent). */
    private readonly agentFile: string,
  ) {
    this.#snapshot = { activeCalls: 0, maxCalls, available: false };
    setInterval(() => void this.#read(), READ_INTERVAL_MS).unref();
  }

  get snapshot(): WorkerLoadSnapshot {
    return this.#snapshot;
  }

  /**
   * What the worker last told livekit-server (every 2.5 s): until the next report, a call that just
   * ended still counts, as livekit-server still counts it and would refuse a dispatch.
   */
  reportedToLivekit(report: LoadReport): void {
    this.#reported = report;
  }

  /** SIGTERM: the worker finishes its calls and takes no new ones. */
  drain(): void {
    this.#draining = true;
    this.#snapshot = { ...this.#snapshot, available: false };
  }

  async #read(): Promise<void> {
    const base = `http://127.0.0.1:${this.frameworkPort}`;
    try {
      const [health, info, jobProcesses] = await Promise.all([
        fetch(`${base}/`, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) }),
        fetch(`${base}/worker`, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) }).then(
          (r) => r.json() as Promise<{ active_jobs?: unknown }>,
        ),
        countJobProcesses(this.agentFile),
      ]);
      const running = typeof info.active_jobs === 'number' ? info.active_jobs : 0;
      this.#snapshot = {
        activeCalls: Math.max(running, this.#reported?.calls ?? 0),
        maxCalls: this.maxCalls,
        available: health.ok && !this.#draining,
        idleProcesses: jobProcesses === undefined ? undefined : Math.max(0, jobProcesses - running),
        reportedLoad: this.#reported?.share,
      };
    } catch (error) {
      // The framework's server is starting or gone: nothing to offer until it answers.
      if (this.#snapshot.available)
        log()
          .child({ component: 'worker-load' })
          .warn({ error: String(error) }, 'worker load unreadable');
      this.#snapshot = { ...this.#snapshot, available: false };
    }
  }
}
