import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningChild, startChildProcess } from '../../harness/stack/child-process.js';
import type { Launcher } from '../../harness/stack/livekit-server.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Made by setup-venv.sh. */
const VENV_PYTHON = join(REPO_ROOT, '.tools/py-agent-venv/bin/python');
const AGENT_PY = fileURLToPath(new URL('./agent.py', import.meta.url));

/**
 * The Python worker, ready once it has registered (its health endpoint answers OK before that). It
 * runs in a process group of its own: `stop` sends SIGTERM to the worker, which drains and closes
 * its job processes (a SIGTERM to those directly makes them exit with 255), then kills whatever is
 * left of the group.
 */
export function startPythonWorker(env: Record<string, string>, logFile: string, launcher?: Launcher): Promise<RunningChild> {
  if (!existsSync(VENV_PYTHON)) throw new Error(`${VENV_PYTHON} is missing: run bench/python-agent/setup-venv.sh`);
  const launch = (launcher ?? ((command, args) => ({ command, args })))(VENV_PYTHON, [AGENT_PY, 'start']);
  return startChildProcess({
    name: 'python worker',
    ...launch,
    cwd: REPO_ROOT,
    env,
    logFile,
    ready: { outputIncludes: 'registered worker' },
    readyTimeoutMs: 90_000,
    ownProcessGroup: true,
  });
}
