import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { answersOk, waitFor } from './wait.js';

/** When a started process counts as ready: an HTTP URL answers 2xx, or a line of its output says so. */
export type Readiness = { url: string } | { outputIncludes: string };

export interface ChildProcessOptions {
  /** Names the process in errors. */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Merged over this process's environment. */
  env?: Record<string, string>;
  /** Its stdout and stderr are appended here. */
  logFile: string;
  ready: Readiness;
  readyTimeoutMs: number;
  /**
   * Runs it in a process group of its own, so that `stop` also ends what it forks (a worker's job
   * processes) should it leave them behind.
   */
  ownProcessGroup?: boolean;
}

export interface RunningChild {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (null after a signal) once it has exited, on its own or stopped. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL once `graceMs` has passed; resolves with the exit code. */
  stop(graceMs: number): Promise<number | null>;
}

/** Lines of output kept for error messages. */
const TAIL_LINES = 30;

/**
 * Starts a program (livekit-server, a worker, the Python worker), logs its output to a file and
 * waits until it is ready. A process that exits or does not get ready in time is reported with
 * the end of its output, and never left running.
 */
export async function startChildProcess(opts: ChildProcessOptions): Promise<RunningChild> {
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup ?? false,
  });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const tail: string[] = [];
  let sawReadyLine = false;
  const onOutput = (data: Buffer) => {
    log.write(data);
    const text = data.toString();
    if ('outputIncludes' in opts.ready && text.includes(opts.ready.outputIncludes)) sawReadyLine = true;
    tail.push(...text.split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  let exitCode: number | null | undefined;
  let spawnError: Error | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      log.end();
      resolve(code);
    });
    // Not started at all (e.g. the program is missing): there will be no 'exit'.
    child.once('error', (e) => {
      spawnError = e;
      exitCode = null;
      log.end();
      resolve(null);
    });
  });
  const signalAll = (signal: NodeJS.Signals) => {
    try {
      if (opts.ownProcessGroup) process.kill(-child.pid!, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  const running: RunningChild = {
    process: child,
    pid: child.pid!,
    exited,
    stop: async (graceMs) => {
      if (exitCode === undefined) {
        // The leader alone: a worker drains and ends its own job processes.
        child.kill('SIGTERM');
        const timer = setTimeout(() => signalAll('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      if (opts.ownProcessGroup) signalAll('SIGKILL'); // whatever it left behind
      return exited;
    },
  };

  const isReady = async () => {
    if (spawnError) {
      const missing = (spawnError as NodeJS.ErrnoException).code === 'ENOENT';
      throw new Error(`${opts.name} could not start: ${missing ? `${opts.command} not found: run infra/install.sh` : spawnError.message}`);
    }
    if (exitCode !== undefined) {
      throw new Error(`${opts.name} exited with ${exitCode} before it was ready (log: ${opts.logFile}):\n${tail.join('\n')}`);
    }
    return 'url' in opts.ready ? answersOk(opts.ready.url) : sawReadyLine;
  };
  try {
    await waitFor(isReady, { timeoutMs: opts.readyTimeoutMs, what: `${opts.name} to be ready`, intervalMs: 100 });
  } catch (e) {
    signalAll('SIGKILL');
    await exited;
    const message = (e as Error).message;
    throw new Error(/exited with|could not start/.test(message) ? message : `${message} (log: ${opts.logFile}):\n${tail.join('\n')}`);
  }
  return running;
}
