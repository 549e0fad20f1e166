import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningChild, startChildProcess } from './child-process.js';
import type { Launcher } from './livekit-server.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Compiled by infra/install.sh (`npm run build`), as production runs it. */
const WORKER_ENTRY = join(REPO_ROOT, 'dist/agent/main.js');

export interface WorkerProcessOptions {
  /** The worker's configuration (see agent/config), merged over this process's environment. */
  env: Record<string, string>;
  /** Health port the worker serves (AGENT_HTTP_PORT); readiness is polled there. */
  httpPort: number;
  /** Where this process reaches that port: loopback, unless the worker runs in another network namespace (then it listens on every address of that namespace). */
  reachAt?: string;
  /** Runs it through this, e.g. in a network namespace of its own. */
  launcher?: Launcher;
  /** In a process group of its own with its job processes, so the whole pool can be killed at once, as when its host dies. */
  ownProcessGroup?: boolean;
  logFile: string;
}

export type RunningWorker = RunningChild;

/**
 * Runs the agent worker (compiled `agent/main.ts start`) as a child process, the way production runs
 * it, and waits until its health endpoint says it is registered with livekit-server. `stop` sends
 * SIGTERM: the worker drains (active calls finish) before it exits.
 */
export async function startWorkerProcess(opts: WorkerProcessOptions): Promise<RunningWorker> {
  assertBuilt();
  const host = opts.reachAt ?? '127.0.0.1';
  const launch = (opts.launcher ?? ((command, args) => ({ command, args })))(process.execPath, [WORKER_ENTRY, 'start']);
  return startChildProcess({
    name: 'worker',
    ...launch,
    cwd: REPO_ROOT,
    env: { ...opts.env, AGENT_HTTP_PORT: String(opts.httpPort), ...(opts.reachAt ? { AGENT_HTTP_HOST: '0.0.0.0' } : {}) },
    logFile: opts.logFile,
    ownProcessGroup: opts.ownProcessGroup,
    ready: { url: `http://${host}:${opts.httpPort}/` },
    readyTimeoutMs: 30_000,
  });
}

/** A stale build would silently test old code: refuse it. Its sources are what tsconfig.build.json includes, tests aside. */
function assertBuilt(): void {
  if (!existsSync(WORKER_ENTRY)) throw new Error(`${WORKER_ENTRY} is missing: run npm run build (infra/install.sh does)`);
  const built = statSync(WORKER_ENTRY).mtimeMs;
  const { include } = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  for (const dir of include.map((d) => join(REPO_ROOT, d))) {
    const stale = readdirSync(dir, { recursive: true, encoding: 'utf8' }).find(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(join(dir, f)).mtimeMs > built,
    );
    if (stale) throw new Error(`dist/ is older than ${join(dir, stale)}: run npm run build`);
  }
}
