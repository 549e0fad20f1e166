/**
 * The worker's log lines that tests, benchmarks and operators read (pino's `msg`): the log is an
 * interface, so their names are defined here once and read by name.
 */
export const WORKER_LOG = {
  /** A job process has loaded its modules and models: it can take a call at once. */
  jobProcessWarmed: 'job process warmed',
  /** A job process took a call (`room`, `region`, `takenOver`). */
  callStarted: 'call started',
  /** A dispatch refused because the worker holds its maximum of calls (`room`). */
  callRefused: 'call refused: the worker is full',
  /** The call is a phone call (`caller`, `dialled` redacted, `callId`). */
  phoneCall: 'phone call',
  /** A transfer to a person did not go through (`to`, `status`, `error`). */
  transferFailed: 'transfer failed',
  /** One turn's latency record (contracts/turn-record.ts), as the call goes. */
  turnLatency: 'turn latency',
  /** The call's turn latencies summed up, at its end. */
  turnLatencySummary: 'session turn latency summary',
  /** What the call cost its job process, at its end (CallCost). */
  callCost: 'call cost',
} as const;

/** What one call cost its job process (one process per call): the `callCost` line. */
export interface CallCost {
  durationS: number;
  /** CPU time of the job process per second of call (ms/s; 1000 is a whole core). */
  cpuMsPerSecond: number;
  /** How late the job process's event loop ran its callbacks (ms): every frame of audio waits this long. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  rssMb: number;
  /** Proportional set size: the process's own pages plus its share of pages shared with others (RSS counts shared pages whole). */
  pssMb?: number;
}
