import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Compiled by infra/install.sh (`npm run build`), as production runs it. */
const WORKER_ENTRY = fileURLToPath(new URL('../../dist/agent/main.js', import.meta.url));
/** What the worker's build compiles (agent/ and the plugins it imports). */
const WORKER_SOURCES = ['../../agent', '../../plugins/echo-cancellation'].map((dir) => fileURLToPath(new URL(dir, import.meta.url)));

export interface WorkerProcessOptions {
  /** Environment of the worker (its configuration: see agent/config). Merged over this process's. */
  env: Record<string, string>;
  /** Health port the worker serves; readiness is polled there. Must match AGENT_HTTP_PORT in env. */
  httpPort: number;
  /** Where the worker's stdout and stderr go; inherited when unset. */
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface RunningWorker {
  readonly process: ChildProcess;
  /** SIGTERM (the worker drains: active calls finish), then SIGKILL after `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** Resolves when the worker exits on its own. */
  readonly exited: Promise<number | null>;
}

/**
 * Runs the agent worker (compiled `agent/main.ts start`) as a child process, the way production runs
 * it, and waits until its health endpoint says it is registered with livekit-server.
 */
export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<RunningWorker> {
  assertBuilt();
  const child = spawn(process.execPath, [WORKER_ENTRY, 'start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env, AGENT_HTTP_PORT: String(opts.httpPort) },
    stdio: ['ignore', opts.logFile ? 'pipe' : 'inherit', opts.logFile ? 'pipe' : 'inherit'],
  });
  if (opts.logFile) {
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`worker exited with code ${exitCode} before registering${opts.logFile ? ` (log: ${opts.logFile})` : ''}`);
    }
    if (await isHealthy(opts.httpPort)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker did not register within ${opts.readyTimeoutMs ?? 30_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    process: child,
    exited,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A stale build would silently test old code: refuse it. */
function assertBuilt(): void {
  if (!existsSync(WORKER_ENTRY)) throw new Error(`${WORKER_ENTRY} is missing: run npm run build (infra/install.sh does)`);
  const built = statSync(WORKER_ENTRY).mtimeMs;
  for (const dir of WORKER_SOURCES) {
    const stale = readdirSync(dir, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.ts') && statSync(join(dir, f)).mtimeMs > built);
    if (stale) throw new Error(`dist/ is older than ${join(dir, stale)}: run npm run build`);
  }
}

async function isHealthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}
