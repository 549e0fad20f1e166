import { type AgentServer, type JobRequest, log } from '@livekit/agents';
import { WORKER_LOG } from '../../contracts/worker-log.js';

/**
 * How long an accepted call counts before its job is seen running: livekit-server's assignment
 * (the framework waits 7.5 s for it) and a job process to take it (a warm one at once, a cold one
 * after its start-up, a few seconds).
 */
const ADMITTED_UNTIL_RUNNING_MS = 30_000;

/** What the worker last told livekit-server. */
export interface LoadReport {
  /** Calls held: running, or accepted and starting. */
  calls: number;
  /** The share of the call limit in use, 0..1 (1: full). */
  share: number;
}

/**
 * Admission by call count: the worker accepts a call only while it holds fewer than
 * `maxConcurrentCalls` (running, or accepted and still starting), and refuses the rest at once, so
 * livekit-server offers them to another worker. Its load, the share of calls in use, is what
 * livekit-server dispatches on; the framework's default is the machine's CPU, so on a small or shared
 * host another process's burst made dispatches fail ("no servers available").
 *
 * livekit-server dispatches only while a worker's load is below its `agents.target_load` (0.7 by
 * default), so the share is reported scaled to it: full at the limit, not at 70 % of it.
 *
 * The load alone does not bound a burst: the framework reports it every 2.5 s, and until then
 * livekit-server sends every dispatch to a worker it last saw empty (measured: 5 dispatches at once
 * were all taken by a worker of 2 calls, test/integration/admission.test.ts). So each request
 * is decided here against the calls held at that moment.
 */
export class CallAdmission {
  /** Accepted calls whose job was not seen running yet, by job id: when they were accepted. */
  readonly #starting = new Map<string, number>();
  /** The worker, known from its first load report; before it, no job can have started. */
  #server?: AgentServer;

  constructor(
    private readonly maxConcurrentCalls: number,
    /** livekit-server's `agents.target_load`: the load at which it stops dispatching (worker.livekitTargetLoad). */
    readonly fullLoad: number,
    private readonly onReport: (report: LoadReport) => void = () => {},
  ) {}

  /** For ServerOptions.requestFunc: accepts or refuses a dispatch. */
  readonly requestFunc = async (request: JobRequest): Promise<void> => {
    const held = this.held();
    if (held >= this.maxConcurrentCalls) {
      // Looked up here: the framework's logger exists once cli.runApp has started, after this is made.
      log()
        .child({ component: 'call-admission' })
        .info({ jobId: request.id, room: request.room?.name, held, max: this.maxConcurrentCalls }, WORKER_LOG.callRefused);
      await request.reject();
      return;
    }
    this.#starting.set(request.id, performance.now());
    await request.accept();
  };

  /** For ServerOptions.loadFunc (with loadThreshold `fullLoad`): the share of the call limit in use, scaled to `fullLoad`. */
  readonly loadFunc = async (server: AgentServer): Promise<number> => {
    this.#server = server;
    const calls = this.held();
    const share = Math.min(1, calls / this.maxConcurrentCalls);
    this.onReport({ calls, share });
    return share * this.fullLoad;
  };

  /** Calls held now: jobs running, and calls accepted whose job has not started yet. */
  held(): number {
    const running = new Set((this.#server?.activeJobs ?? []).map((info) => info.job.id));
    const now = performance.now();
    for (const [id, acceptedAt] of this.#starting) {
      if (running.has(id) || now - acceptedAt > ADMITTED_UNTIL_RUNNING_MS) this.#starting.delete(id);
    }
    return running.size + this.#starting.size;
  }
}
