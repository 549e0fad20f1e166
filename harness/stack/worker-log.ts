import { existsSync, readFileSync } from 'node:fs';
import { parseTurnLatencyRecord, type TurnLatencyRecord } from '../../contracts/turn-record.js';
import { WORKER_LOG } from '../../contracts/worker-log.js';
import { waitFor } from './wait.js';

/** One structured line of a worker's log (the worker's and its job processes'). */
export interface LogEntry {
  msg?: string;
  [field: string]: unknown;
}

/**
 * The one reader of what a worker logged (ours, or the Python one of the benchmarks): its JSON lines,
 * parsed, selected by message. Tests and benchmarks take positions (`mark`) and look at what was
 * logged after them.
 */
export class WorkerLog {
  constructor(readonly path: string) {}

  /** Every JSON line so far, in order (other output, such as a native library's, is skipped). */
  entries(): LogEntry[] {
    if (!existsSync(this.path)) return [];
    return readFileSync(this.path, 'utf8')
      .split('\n')
      .flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          const entry = JSON.parse(line) as LogEntry & { message?: string };
          // pino calls it `msg`; the Python worker's JSON logs (bench/python-agent), `message`.
          return [{ ...entry, msg: entry.msg ?? entry.message }];
        } catch {
          return []; // a line still being written
        }
      });
  }

  /** A position in the log: what is logged from now on is `since` it. */
  mark(): number {
    return this.entries().length;
  }

  /** The entries with this message, logged since `mark`. */
  messages(msg: string, since = 0): LogEntry[] {
    return this.entries()
      .slice(since)
      .filter((e) => e.msg === msg);
  }

  /** The turn records (contracts/turn-record.ts) logged since `mark`. */
  turns(since = 0): TurnLatencyRecord[] {
    return this.messages(WORKER_LOG.turnLatency, since).map((e) => {
      const parsed = parseTurnLatencyRecord(e);
      if ('error' in parsed) throw new Error(`a turn record in ${this.path}: ${parsed.error}`);
      return parsed.record;
    });
  }

  /** Polls `select` until it returns something, e.g. the turn a call is expected to log. */
  waitFor<T>(select: (log: WorkerLog) => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
    return waitFor(() => select(this), { timeoutMs, what: `${what} in ${this.path}` });
  }
}
