import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const VENV_PYTHON = join(REPO_ROOT, '.tools/py-agent-venv/bin/python');
const AGENT_PY = fileURLToPath(new URL('./agent.py', import.meta.url));

/** The Python worker as a child process in its own process group (it forks job processes). */
export class PythonWorker {
  readonly exited: Promise<number | null>;
  #output = '';

  constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(env: Record<string, string>, logFile: string): PythonWorker {
    if (!existsSync(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} is missing: run bench/python-agent/setup-venv.sh`);
    const child = spawn(VENV_PYTHON, [AGENT_PY, 'start'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const worker = new PythonWorker(child);
    const log = createWriteStream(logFile, { flags: 'a' });
    const onData = (d: Buffer) => {
      log.write(d);
      worker.#output += d.toString();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void worker.exited.then(() => log.end());
    return worker;
  }

  get output(): string {
    return this.#output;
  }

  /** Until it logs `registered worker` (its health endpoint answers OK before that). */
  async waitRegistered(timeoutMs: number): Promise<number> {
    const started = Date.now();
    let code: number | null | undefined;
    void this.exited.then((c) => (code = c));
    while (!this.#output.includes('registered worker')) {
      if (code !== undefined) throw new Error(`python worker exited with ${code} before registering:\n${this.#output.slice(-3000)}`);
      if (Date.now() - started > timeoutMs) throw new Error(`python worker did not register within ${timeoutMs} ms:\n${this.#output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - started;
  }

  /**
   * SIGTERM to the worker, which drains and closes its job processes (a SIGTERM to those directly
   * makes them exit with 255), then SIGKILL to the whole group after `graceMs` or once it exited.
   */
  async stop(graceMs = 10_000): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    const signalGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        // already gone
      }
    };
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // Job processes left behind by the worker, if any.
    signalGroup('SIGKILL');
  }

  /** Synchronous last resort for process.on('exit'). */
  killNow(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
