import { join } from 'node:path';
import type { Launcher } from '../../harness/stack/livekit-server.js';
import type { LocalStack } from '../../harness/stack/local-stack.js';
import { WorkerLog } from '../../harness/stack/worker-log.js';
import { ProcessTreeUsage } from '../latency/process-tree-usage.js';
import { startPythonWorker } from '../python-agent/python-worker.js';

export const AGENT_KINDS = ['ours', 'python'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export interface AgentUnderTest {
  kind: AgentKind;
  agentName: string;
  /** What the worker logged (both log the same `turn latency` lines). */
  log: WorkerLog;
}

/** Health ports of the two workers, so both could run at once. */
const HTTP_PORTS: Record<AgentKind, number> = { ours: 18301, python: 18302 };

/**
 * Runs `run` with our worker (agent/main.ts) or the Python one (bench/python-agent/agent.py) up on
 * `stack`, its process tree sampled, then stops it. Both get the same environment: the same
 * livekit-server, local providers and turn settings, so only the framework and our code differ.
 */
export async function withAgentUnderTest<T>(
  stack: LocalStack,
  kind: AgentKind,
  env: Record<string, string>,
  run: (agent: AgentUnderTest, usage: ProcessTreeUsage) => Promise<T>,
  /** `launcher`: runs the worker through this, e.g. pinned to its own CPUs. */
  { launcher }: { launcher?: Launcher } = {},
): Promise<T> {
  const agentName = `bench-${kind}`;
  const httpPort = HTTP_PORTS[kind];
  const logFile = join(stack.logDir, `worker-${agentName}.log`);
  const worker =
    kind === 'ours'
      ? // The benchmarks read what was said from the turn records, which production logs leave out.
        await stack.startWorker({ agentName, httpPort, env: { LOG_TRANSCRIPTS: 'true', ...env }, launcher })
      : await startPythonWorker(stack.workerEnv({ ...env, AGENT_NAME: agentName, AGENT_HTTP_PORT: String(httpPort) }), logFile, launcher);
  const usage = new ProcessTreeUsage(worker.pid);
  try {
    return await run({ kind, agentName, log: new WorkerLog(logFile) }, usage);
  } finally {
    usage.stop();
    await worker.stop(10_000);
  }
}

/** `--agent-env KEY=VALUE` options into an environment for the agents under test. */
export function parseAgentEnv(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((kv) => {
      const eq = kv.indexOf('=');
      if (eq < 1) throw new Error(`--agent-env: expected KEY=VALUE, got '${kv}'`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }),
  );
}
